"""How documents word counts and times, in the interface language.

A 值班室 writes a count breakdown as one sentence, "共接报值班事项22件，其中自然灾害3件、
事故灾难5件", and a time in a document as "25日10时41分" (the console keeps its compact
HH:MM: a column of times must scan, a document must read). English keeps ``11-25 10:41``.

Every time a person reads names its zone (issue 10, defect 7), in one of three ways, all
made here (the command line's tables use the same helpers): a column of times names it
once in its header (:func:`zoned`, ``Received (+08:00)``); a free-standing English time
carries its offset (:func:`stamp`, ``2026-12-03 03:50 +08:00``); a Chinese document keeps
its 公文 times (``25日10时41分``, read in local time as any office document is) and says
the zone once on its period line (:func:`zone_note`: ``（北京时间）`` in China's zone, else
``（UTC+09:00）``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dutydesk.i18n import current_language, t

BEIJING_TIME = frozenset(
    {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"}
)
"""Zone names that are 北京时间 (Asia/Shanghai and its aliases in the tz database)."""


def utc_offset(tz: ZoneInfo, moment: datetime | None = None) -> str:
    """The zone's UTC offset at ``moment`` (now by default): ``+08:00``."""
    at = (moment or datetime.now(tz)).astimezone(tz)
    text = at.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def zoned(header: str, tz: ZoneInfo, moment: datetime | None = None) -> str:
    """A time column's header with the zone its times are in: ``Received (+08:00)``.

    Tables print times in the office's zone; the header says which, once, instead of on
    every line. ``moment`` picks the offset of a zone with daylight saving (the table's
    period; now by default).
    """
    return t("wording.zoned", header=header, offset=utc_offset(tz, moment))


def stamp(moment: datetime, tz: ZoneInfo) -> str:
    """A free-standing time with its offset: ``2026-12-03 03:50 +08:00``."""
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {utc_offset(tz, local)}"


def zone_note(tz: ZoneInfo, *moments: datetime) -> str:
    """The zone of a Chinese document's times, said once: ``（北京时间）`` or ``（UTC+09:00）``.

    Empty in English, whose document times carry their offsets (:func:`document_datetime`).
    Outside China's zone the offset at each of ``moments`` is named (two when a period
    crosses a change of daylight saving time: ``（UTC+01:00/+02:00）``).
    """
    if current_language() != "zh_CN":
        return ""
    if tz.key in BEIJING_TIME:
        return t("wording.zone_beijing")
    offsets = dict.fromkeys(utc_offset(tz, moment) for moment in moments or (None,))
    return t("wording.zone_offset", offset="/".join(offsets))


def count_parts(parts: Iterable[tuple[str, int]]) -> str:
    """``自然灾害3件、事故灾难5件``: the non-zero counts, in the order given."""
    return t("wording.sep").join(
        t("wording.part", label=name, count=count) for name, count in parts if count
    )


def count_breakdown(total: int, parts: Iterable[tuple[str, int]]) -> str:
    """``共接报值班事项22件，其中自然灾害3件、事故灾难5件``; zero counts are left out.

    Without a non-zero part it is the total alone (``共接报值班事项0件``). No closing
    full stop: callers put the sentence into their own.
    """
    head = t("wording.total", total=total)
    listed = count_parts(parts)
    return t("wording.among", total=head, parts=listed) if listed else head


def _clock(local: datetime, seconds: bool) -> str:
    # 8时, 13时01分, 2时06分30秒: the hour as said, minutes and seconds in two digits
    # (13时1分 reads like a typo), and a whole hour without a 00分 tail.
    text = f"{local.hour}时"
    if local.minute or (seconds and local.second):
        text += f"{local.minute:02d}分"
    if seconds and local.second:
        text += f"{local.second:02d}秒"
    return text


def month_day_time(moment: datetime, tz: ZoneInfo) -> str:
    """``12月3日8时``, ``11月25日10时41分``: a date and time in a Chinese-only document."""
    local = moment.astimezone(tz)
    return f"{local.month}月{local.day}日" + _clock(local, False)


def document_time(
    moment: datetime, tz: ZoneInfo, reference: datetime | None = None, *, seconds: bool = False
) -> str:
    """A time inside a document: ``25日10时41分`` (``11-25 10:41`` in English).

    ``reference`` is the document's own moment (its period's end, its generation):
    a time in another month than that names its month (``11月30日8时30分``), so a pack
    spanning the turn of a month never leaves a bare ``1日`` to guess at.
    """
    local = moment.astimezone(tz)
    if current_language() != "zh_CN":
        # strftime's %m-%d %H:%M[:%S], formatted directly: a pack of 10,000 incidents
        # writes 33,000 times (issue 16).
        text = f"{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
        return f"{text}:{local.second:02d}" if seconds else text
    day = f"{local.day}日"
    if reference is not None:
        ref = reference.astimezone(tz)
        if (ref.year, ref.month) != (local.year, local.month):
            day = f"{local.month}月{day}"
    return day + _clock(local, seconds)


def period_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """A window in a document, with its zone: ``12月2日8时至12月3日8时（北京时间）``.

    In English each end carries its offset: ``2026-12-02 08:00 +08:00 to ...``.
    """
    if current_language() != "zh_CN":
        return t(
            "wording.period", start=document_datetime(start, tz), end=document_datetime(end, tz)
        )
    period = t("wording.period", start=month_day_time(start, tz), end=month_day_time(end, tz))
    return period + zone_note(tz, start, end)


def document_day(day: date) -> str:
    """A date inside a document: ``11月25日`` (``2026-11-25`` in English)."""
    if current_language() != "zh_CN":
        return day.isoformat()
    return f"{day.month}月{day.day}日"


def document_datetime(moment: datetime, tz: ZoneInfo) -> str:
    """A full date and time in a document: ``2026年11月25日10时41分``.

    English writes it with its offset, ``2026-11-25 10:41 +08:00``: these are the
    document's free-standing times (its period, when it was made). A Chinese document
    says its zone once, on its period line (:func:`zone_note`).
    """
    local = moment.astimezone(tz)
    if current_language() != "zh_CN":
        return stamp(local, tz)
    return f"{local.year}年{local.month}月{local.day}日" + _clock(local, False)


__all__ = [
    "BEIJING_TIME",
    "count_breakdown",
    "count_parts",
    "document_datetime",
    "document_day",
    "document_time",
    "month_day_time",
    "period_text",
    "stamp",
    "utc_offset",
    "zone_note",
    "zoned",
]
