"""How the console writes times, countdowns, shifts and report numbers, per language.

All interface words come from the i18n catalog at call time, so one process can draw
the console in English and in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dutydesk.i18n import current_language, t
from dutydesk.rules.shifts import ShiftSlot

_DIGITS = "零一二三四五六七八九"
_WEEKDAYS_ZH = "一二三四五六日"


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """``moment`` in the display timezone."""
    return moment.astimezone(tz)


def hhmm(moment: datetime | None, tz: ZoneInfo) -> str:
    """Local ``HH:MM``, or the catalog's "none" mark for a missing time."""
    return local(moment, tz).strftime("%H:%M") if moment is not None else t("app.none")


def clock_periods(clocks: Iterable[tuple[str, timedelta]]) -> str:
    """Report clocks as words, one a line: ``电话首报 20 分钟`` / ``书面首报 40 分钟``.

    Whole hours from two hours up (``书面首报 6 小时``), else minutes: an officer reads
    "60 minutes" as the one-hour rule it is.
    """
    parts = []
    for step, period in clocks:
        minutes = int(period.total_seconds() // 60)
        step_name = t(f"step.{step}")
        if minutes >= 120 and minutes % 60 == 0:
            parts.append(t("intake.clock_hours", step=step_name, hours=minutes // 60))
        else:
            parts.append(t("intake.clock_minutes", step=step_name, minutes=minutes))
    # One clock a line: side by side they wrapped mid-clock ("first report 60 / min").
    return "\n".join(parts)


def short_date(moment: datetime, tz: ZoneInfo) -> str:
    """Local ``MM-DD`` (digits read the same in both languages)."""
    return local(moment, tz).strftime("%m-%d")


def clock_line(moment: datetime, tz: ZoneInfo) -> str:
    """The header clock: ``Thu 26 Nov 02:31:05`` or ``11月26日 周四 02:31:05``."""
    when = local(moment, tz)
    if current_language() == "zh_CN":
        weekday = _WEEKDAYS_ZH[when.weekday()]
        return f"{when.month}月{when.day}日 周{weekday} {when:%H:%M:%S}"
    # strftime's %a/%b follow the C locale, which is English: stable across machines.
    return when.strftime("%a %d %b %H:%M:%S")


def span(slot: ShiftSlot, tz: ZoneInfo) -> tuple[str, str]:
    """A shift's local start and end as ``HH:MM`` strings."""
    return hhmm(slot.start_at, tz), hhmm(slot.end_at, tz)


def shift_text(slot: ShiftSlot, tz: ZoneInfo, key: str = "header.shift") -> str:
    """A shift as ``Night shift 17:30-08:30`` (or the catalog ``key``'s form)."""
    start, end = span(slot, tz)
    kind = t(f"kind.{slot.kind.value}")
    return t(key, kind=kind, start=start, end=end, date=short_date(slot.start_at, tz))


def countdown(due_at: datetime | None, now: datetime) -> tuple[str, bool]:
    """The time left to ``due_at`` as words, and whether it is overdue.

    Whole minutes, rounded towards "less time left", so a step due in 30 seconds reads
    "in 0 min" and one a second overdue reads "overdue 0 min" but is flagged overdue.
    """
    if due_at is None:
        return "", False
    seconds = (due_at - now).total_seconds()
    overdue = seconds < 0
    minutes = int(abs(seconds) // 60)
    prefix = "due.overdue_" if overdue else "due.in_"
    if minutes < 60:
        return t(prefix + "minutes", minutes=minutes), overdue
    if minutes < 24 * 60:
        return t(prefix + "hours", hours=minutes // 60, minutes=minutes % 60), overdue
    return t(prefix + "days", days=minutes // (24 * 60)), overdue


def chinese_number(number: int) -> str:
    """``1`` -> ``一``, ``10`` -> ``十``, ``12`` -> ``十二``, ``23`` -> ``二十三`` (up to 99)."""
    if not 0 < number < 100:
        return str(number)
    tens, ones = divmod(number, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return f"{head}十{_DIGITS[ones] if ones else ''}"


def report_number(number: int) -> str:
    """A continued report's number: 续报一/二 in Chinese, digits in English."""
    if current_language() == "zh_CN":
        return t("timeline.continued_no", number=chinese_number(number))
    return t("timeline.continued_no", number=number)
