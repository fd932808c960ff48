"""The daily summary as data (records for CSV/JSON/NDJSON) and as md, xlsx and docx.

Data formats carry exact stored values (codes, ISO 8601 local times); the documents
carry interface labels and short local times, with every stored string sanitised.
Restricted rows were emptied by the service; they show serial, time, status and
classification, and "classified (not shown)" where the title would be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from dutydesk.i18n import current_language, label, t
from dutydesk.reports.marks import first_line, marked_title, marking_json, record_fields
from dutydesk.reports.wording import (
    count_breakdown,
    count_parts,
    document_datetime,
    document_time,
    period_text,
    zoned,
)
from dutydesk.rules.documents import (
    DAILY_RECORD_KEYS,
    RESTRICTED,
    DailyRow,
    DailySummary,
    daily_record,
)
from dutydesk.rules.sanitize import clean, json_safe, needs_cleaning
from dutydesk.vocab import Classification

COLUMNS: tuple[tuple[str, str], ...] = (
    ("serial", "column.serial"),
    ("received_at", "column.received"),
    ("channel", "column.channel"),
    ("category", "column.category"),
    ("severity", "column.severity"),
    ("classification", "cli.field.classification"),
    ("status", "column.status"),
    ("title", "column.title"),
    ("location", "cli.field.location"),
    ("reporter_unit", "daily.reporting_unit"),
    ("entries", "daily.entries"),
    ("phone_report_at", "daily.phone_report_at"),
    ("first_report_at", "daily.first_report_at"),
    ("last_entry_at", "daily.last_entry_at"),
    ("last_entry_kind", "daily.last_entry_kind"),
    ("last_entry_text", "daily.last_entry"),
    ("summary", "cli.field.summary"),
)
"""(key, header message key) of the incident table, in order."""

_TIMES = frozenset({"received_at", "phone_report_at", "first_report_at", "last_entry_at"})
"""The columns holding times: their headers name the zone (``Received (+08:00)``)."""

TOTALS = (("category", "daily.by_category"), ("severity", "daily.by_severity"),
          ("channel", "daily.by_channel"))  # fmt: skip


def safe(text: str) -> str:
    """One-line sanitised text for a document cell."""
    # Only text the sanitiser would change pays for it: a fast path for 10^4 rows.
    return clean(text) if needs_cleaning(text) else text


def headers(summary: DailySummary, tz: ZoneInfo) -> list[str]:
    """The incident table's headers in the current language, time columns with their zone.

    The offset is the one at the window's start (a zone with daylight saving changes it
    at most once in a day; the window line says both ends).
    """
    return [
        zoned(t(name), tz, summary.start) if key in _TIMES else t(name) for key, name in COLUMNS
    ]


def _iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment is not None else None


_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))
_MINUTES_KEPT = 4096
"""Minutes whose text a :class:`MinuteTexts` keeps (a day has 1,440)."""
_MINUTE = timedelta(minutes=1)
_LAST_INSTANT = _MINUTE - timedelta(microseconds=1)


class MinuteTexts:
    """``text(moment.astimezone(tz))`` made once per minute, for a ``text`` of the minute.

    ``text`` must read only the local date, hour, minute and offset: every UTC moment of
    one minute then has the same answer, provided the zone's offset is a whole number of
    minutes and does not change within that minute (:meth:`get` is ``None`` otherwise).
    An export of 10^5 rows has 4 x 10^5 times; converting and formatting each one cost
    more than the rest of its row.
    """

    __slots__ = ("_kept", "_text", "_tz")

    def __init__(self, tz: ZoneInfo, text: Callable[[datetime], str]) -> None:
        self._tz = tz
        self._text = text
        self._kept: dict[tuple[int, int, int, int, int], str | None] = {}

    def get(self, moment: datetime) -> str | None:
        """The text of ``moment``'s minute; ``None`` when it must be made for the moment."""
        if moment.tzinfo is not UTC:
            return None
        key = (moment.year, moment.month, moment.day, moment.hour, moment.minute)
        try:
            return self._kept[key]
        except KeyError:
            if len(self._kept) >= _MINUTES_KEPT:
                self._kept.clear()
            found = self._kept[key] = self._minute(moment)
            return found

    def __call__(self, moment: datetime) -> str:
        """``text(moment.astimezone(tz))``."""
        found = self.get(moment)
        return self._text(moment.astimezone(self._tz)) if found is None else found

    def _minute(self, moment: datetime) -> str | None:
        start = moment.replace(second=0, microsecond=0)
        first = start.astimezone(self._tz)
        offset = first.utcoffset()
        if (
            offset is None
            or offset % _MINUTE
            or offset != (start + _LAST_INSTANT).astimezone(self._tz).utcoffset()
        ):
            return None
        return self._text(first)


class LocalIso:
    """``moment.astimezone(tz).isoformat()`` for many UTC moments: the same text, faster.

    The minute's text (:class:`MinuteTexts`) with the moment's seconds and fraction put in.
    """

    __slots__ = ("_minutes", "_tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._minutes = MinuteTexts(tz, datetime.isoformat)

    def __call__(self, moment: datetime | None) -> str | None:
        """The local ISO 8601 text of ``moment`` (``None`` for ``None``)."""
        if moment is None:
            return None
        text = self._minutes.get(moment)  # 2026-11-26T08:30:00+08:00: seconds at [17:19]
        if text is None:
            return moment.astimezone(self._tz).isoformat()
        micro = moment.microsecond
        if micro:  # isoformat writes the fraction only when there is one
            return f"{text[:17]}{_TWO_DIGITS[moment.second]}.{micro:06d}{text[19:]}"
        return text[:17] + _TWO_DIGITS[moment.second] + text[19:]


Write = Callable[[str], object]
"""Where a streamed document goes, a piece of text at a time (``TextIO.write``)."""

RECORD_KEYS = DAILY_RECORD_KEYS
"""The keys of an incident record, in order: :data:`COLUMNS`' and ``restricted``."""

FORMULA_FREE = frozenset(
    {"received_at", "channel", "category", "severity", "classification", "status",
     "entries", "phone_report_at", "first_report_at", "last_entry_at", "last_entry_kind"}
)  # fmt: skip
"""Columns whose values are codes, counts and ISO times, never text a spreadsheet could
take for a formula (``tests/test_export_streaming.py`` checks every code): the CSV
writer tests only the others."""


def incident_records(summary: DailySummary, tz: ZoneInfo) -> list[dict[str, Any]]:
    """One mapping per incident of ``summary.rows``, exact values: codes, local ISO times."""
    return list(iter_incident_records(summary, tz))


def iter_incident_records(
    summary: DailySummary, tz: ZoneInfo, rows: Iterable[DailyRow] | None = None
) -> Iterator[dict[str, Any]]:
    """:func:`incident_records` one at a time, of ``rows`` (default ``summary.rows``).

    A marked summary's records each carry its 密级 and 份号 (csv columns, ndjson).
    """
    fields = record_fields(summary.marking) if summary.marking is not None else None
    iso = LocalIso(tz)
    for row in summary.rows if rows is None else rows:
        record = dict(zip(RECORD_KEYS, _values(row, iso), strict=True))
        if fields is not None:
            record.update(fields)
        yield record


def records_of(summary: DailySummary, values: Iterable[list[Any]]) -> Iterator[dict[str, Any]]:
    """The records of :func:`iter_incident_records` from their values.

    The values as :func:`~dutydesk.services.incidents.daily.daily_records` gives them.
    """
    fields = record_fields(summary.marking) if summary.marking is not None else None
    keys = RECORD_KEYS
    for items in values:
        # daily_record makes every record's list with all its keys: no length check.
        record = dict(zip(keys, items, strict=False))
        if fields is not None:
            record.update(fields)
        yield record


def csv_values(summary: DailySummary, values: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """:func:`iter_incident_values` from the records' values (``restricted`` cut)."""
    extra = list(record_fields(summary.marking).values()) if summary.marking else []
    for items in values:
        items[-1:] = extra  # restricted is no column
        yield items


def iter_incident_values(
    summary: DailySummary, tz: ZoneInfo, rows: Iterable[DailyRow]
) -> Iterator[list[Any]]:
    """The CSV's rows: each record's values in :func:`record_keys` order, no mapping.

    The records of :func:`iter_incident_records`, ``restricted`` left out.
    """
    extra = list(record_fields(summary.marking).values()) if summary.marking else []
    iso = LocalIso(tz)
    for row in rows:
        values = _values(row, iso)
        values[-1:] = extra  # restricted is no column
        yield values


def _values(row: DailyRow, iso: LocalIso) -> list[Any]:
    """Field by field in :data:`RECORD_KEYS` order: the row's record."""
    return daily_record(row, iso)


def _marked(summary: DailySummary, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every record of a marked summary carries its 密级 and 份号 (csv columns, ndjson)."""
    if summary.marking is None:
        return records
    fields = record_fields(summary.marking)
    for record in records:
        record.update(fields)
    return records


def record_keys(summary: DailySummary, keys: list[str]) -> list[str]:
    """The csv header: ``keys``, then ``marking`` and ``copy_no`` when the summary is marked."""
    return keys + list(record_fields(summary.marking)) if summary.marking else keys


def totals_records(summary: DailySummary) -> list[dict[str, Any]]:
    """The totals as rows: dimension, key (a code, or ``restricted``), count."""
    tables = (summary.by_category, summary.by_severity, summary.by_channel)
    records = [
        {"dimension": name, "key": key, "count": count}
        for (name, _), table in zip(TOTALS, tables, strict=True)
        for key, count in table.items()
    ]
    return _marked(summary, records)


_json_text = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(value, ensure_ascii=False)``, whose text it is: with an argument that is
not the default, ``dumps`` makes a new encoder per call, a third of a record's cost."""


def _record_encoder() -> Callable[[dict[str, Any]], str]:
    """:data:`_json_text` for the flat records of an export, its C encoder made once.

    ``JSONEncoder.encode`` makes a new C encoder (and a dict to detect cycles) for every
    call; a record of strings, numbers and ``None`` has no cycle, and the encoder is the
    same one, so the text is too (``tests/test_export_fast_paths.py`` compares them).
    Without the C module, the encoder as ever.
    """
    from json import encoder as module

    c_make_encoder = getattr(module, "c_make_encoder", None)  # not in the type stubs
    if c_make_encoder is None:  # pragma: no cover - CPython always has it
        return _json_text
    plain = json.JSONEncoder(ensure_ascii=False)
    # markers None: no cycle check; the rest as JSONEncoder.iterencode passes them.
    encoder = c_make_encoder(
        None, plain.default, module.encode_basestring, None, ": ", ", ", False, False, True
    )
    join = "".join
    return lambda record: join(encoder(record, 0))


def render_json(summary: DailySummary, tz: ZoneInfo) -> str:
    """The whole summary as one JSON document."""
    parts: list[str] = []
    write_json(summary, tz, parts.append)
    return "".join(parts)


def write_json(
    summary: DailySummary,
    tz: ZoneInfo,
    write: Write,
    rows: Iterable[DailyRow] | None = None,
    *,
    values: Iterable[list[Any]] | None = None,
) -> None:
    """:func:`render_json` written a piece at a time, the incidents from ``rows`` streamed.

    ``values``: the incidents as the records' values instead (:func:`records_of`).

    ``json.dumps`` of the document with its incidents left empty gives everything around
    them; the incidents go in between one by one, each as ``json.dumps`` would write it in
    the list (``, `` between), so the text is the one :func:`render_json` always made.
    """
    document: dict[str, Any] = {
        "date": summary.day.isoformat(),
        "window": {
            "kind": "duty_day" if summary.duty_day else "calendar_day",
            "start": _iso(summary.start, tz),
            "end": _iso(summary.end, tz),
        },
        "timezone": summary.timezone,
        "generated_at": _iso(summary.generated_at, tz),
        "incidents": [],
        "totals": {
            "category": summary.by_category,
            "severity": summary.by_severity,
            "channel": summary.by_channel,
        },
        "chain_head": summary.chain_head,
    }
    if summary.marking is not None:
        document["marking"] = marking_json(summary.marking)
    # No indent: json's C encoder runs only without one (3x faster at 10^4 incidents);
    # pipe through ``jq .`` to read it.
    text = json.dumps(document, ensure_ascii=False)
    # A string value escapes its quotes, so this key is found only where it is the key.
    head, key, tail = text.partition('"incidents": []')
    write(json_safe(head + key[:-1]))
    separator = ""
    if values is None:
        records = iter_incident_records(summary, tz, rows)
    else:
        records = records_of(summary, values)
    for texts in _encoded(records):
        write(json_safe(separator + ", ".join(texts)))
        separator = ", "
    write(json_safe("]" + tail) + "\n")


def render_ndjson(records: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line."""
    parts: list[str] = []
    write_ndjson(records, parts.append)
    return "".join(parts)


def write_ndjson(records: Iterable[dict[str, Any]], write: Write) -> None:
    """:func:`render_ndjson` written a few hundred lines at a time."""
    for texts in _encoded(records):
        lines = "\n".join(texts) + "\n"
        # json_safe leaves LF alone and JSON text holds none raw, but LF is not printable:
        # its quick test is made on the records' text without the line breaks.
        write(lines if "".join(texts).isprintable() else json_safe(lines))


_BATCH = 256
"""Records encoded, made safe and written together (:func:`_encoded`)."""


def _encoded(records: Iterable[dict[str, Any]]) -> Iterator[list[str]]:
    """The records' JSON texts, :data:`_BATCH` at a time (never an empty list).

    Joined before :func:`json_safe` and the write: its test and its escapes are per
    character, so a batch gets the text its records would one by one, for one call
    each instead of one per record.
    """
    encode = _record_encoder()
    iterator = iter(records)
    while batch := [encode(record) for record in islice(iterator, _BATCH)]:
        yield batch


@cache
def _cached_label(kind: type[Enum], member: Enum, language: str) -> str:
    return label(member)


def _label(member: Enum) -> str:
    # Cached per language: one process (the console, the tests) may export in both. And
    # per enum: Status.RECEIVED == EntryKind.RECEIVED (both the string "received"), but
    # one is 待报告 and the other 接报.
    return _cached_label(member.__class__, member, current_language())


def key_label(dimension: str, key: str) -> str:
    """The display name of a totals key (``accident`` -> 事故灾难)."""
    if key == RESTRICTED:
        return t("daily.restricted")
    return t(f"{dimension}.{key}")


def document_reference(summary: DailySummary, tz: ZoneInfo) -> datetime:
    """The summary's start: the moment its document times are written against.

    A time in another month than the start's names its month (the night of 30 November
    runs into ``12月1日``).
    """
    return summary.start.astimezone(tz)


def display_cells(row: DailyRow, tz: ZoneInfo, reference: datetime | None = None) -> list[str]:
    """A row as the documents show it: labels, local times, sanitised text (COLUMNS order).

    With ``reference`` (the document's day, :func:`document_reference`) a Chinese document
    writes its times as ``25日10时41分``; otherwise (English, or the spreadsheet, whose
    column must sort) they are ``2026-11-25 10:41``. A document of many rows makes one
    :class:`DisplayCells` for them all.
    """
    return DisplayCells(tz, reference)(row)


class DisplayCells:
    """:func:`display_cells` for every row of one document, its labels and minutes kept.

    Made once per document: the language, the labels, the classified marks and each
    minute's text are worked out once, not once per cell of 10^5 rows.
    """

    def __init__(self, tz: ZoneInfo, reference: datetime | None = None) -> None:
        """Cells in ``tz``, times against ``reference`` as :func:`display_cells` says."""
        if reference is not None and current_language() == "zh_CN":
            self._when = MinuteTexts(tz, lambda local: document_time(local, tz, reference))
        else:
            self._when = MinuteTexts(tz, lambda local: local.strftime("%Y-%m-%d %H:%M"))
        self._labels: dict[tuple[type[Enum], Enum], str] = {}
        self._marks: dict[Classification, str] = {}
        self._restricted = t("daily.restricted")

    def _label(self, member: Enum | None) -> str:
        if member is None:
            return ""
        key = (member.__class__, member)  # equal members of two enums: see _label
        try:
            return self._labels[key]
        except KeyError:
            found = self._labels[key] = _label(member)
            return found

    def _title(self, row: DailyRow) -> str:
        if row.restricted:
            return self._restricted
        level = row.classification
        try:
            mark = self._marks[level]
        except KeyError:
            mark = self._marks[level] = marked_title("", level)
        return mark + _text(row.title)

    def _time(self, moment: datetime | None) -> str:
        return "" if moment is None else self._when(moment)

    def __call__(self, row: DailyRow) -> list[str]:
        """The cells of ``row``, in COLUMNS order."""
        name, when = self._label, self._time
        return [
            row.serial,
            when(row.received_at),
            name(row.channel),
            name(row.category),
            name(row.severity),
            name(row.classification),
            name(row.status),
            self._title(row),
            _text(row.location),
            _text(row.reporter_unit),
            "" if row.entries is None else str(row.entries),
            when(row.phone_report_at),
            when(row.first_report_at),
            when(row.last_entry_at),
            name(row.last_entry_kind),
            _text(row.last_entry_text),
            _text(row.summary),
        ]


def _text(value: str | None) -> str:
    return safe(value) if value else ""


def window_text(summary: DailySummary, tz: ZoneInfo) -> str:
    """The window counted: ``值班日：12月2日8时至12月3日8时`` (or ``自然日：…``)."""
    key = "daily.window_duty" if summary.duty_day else "daily.window_calendar"
    return t(key, period=period_text(summary.start, summary.end, tz))


def title_text(summary: DailySummary) -> str:
    """``2026年11月26日值班情况汇总`` (or the English equivalent)."""
    day = summary.day
    return t("daily.title", date=f"{day.year}年{day.month}月{day.day}日")


def totals_tables(summary: DailySummary) -> list[tuple[str, list[tuple[str, int]]]]:
    """Each totals table as (heading, [(label, count), ...]) with a total line."""
    tables = (summary.by_category, summary.by_severity, summary.by_channel)
    result = []
    for (dimension, heading), table in zip(TOTALS, tables, strict=True):
        lines = [(key_label(dimension, key), count) for key, count in table.items()]
        lines.append((t("daily.total"), sum(table.values())))
        result.append((t(heading), lines))
    return result


def totals_sentences(summary: DailySummary) -> list[str]:
    """The totals as a document words them, one sentence per table.

    The first counts the day: "共接报值班事项22件，其中自然灾害3件、……"; the others list
    their non-zero counts ("Ⅰ级1件、Ⅱ级2件").
    """
    sentences = []
    for index, (_, table) in enumerate(totals_tables(summary)):
        *parts, (_, total) = table  # the last line of each table is its total
        if index == 0:
            sentences.append(count_breakdown(total, parts))
        else:
            sentences.append(count_parts(parts) or t("app.none"))
    return sentences


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~!])")


def _md_cell(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_row(cells: list[str]) -> str:
    """``| a | b |`` of the cells escaped: one substitution for the row, not one a cell."""
    joined = "\x00".join(cells)  # NUL: no markdown, and cleaned text holds none
    if joined.count("\x00") != len(cells) - 1:  # a raw cell (the serial) held one
        return "| " + " | ".join(_md_cell(cell) for cell in cells) + " |"
    return "| " + _MD_SPECIAL.sub(r"\\\1", joined).replace("\x00", " | ") + " |"


def render_md(summary: DailySummary, tz: ZoneInfo) -> str:
    """The summary as Markdown: title, the day's count in words, totals, the incidents."""
    parts: list[str] = []
    write_md(summary, tz, parts.append)
    return "".join(parts)


def write_md(
    summary: DailySummary, tz: ZoneInfo, write: Write, rows: Iterable[DailyRow] | None = None
) -> None:
    """:func:`render_md` written a piece at a time, the incident rows from ``rows`` streamed."""
    cell = _md_cell
    moment = document_datetime(summary.generated_at, tz)
    reference = document_reference(summary, tz)
    lines = [cell(first_line(summary.marking)), ""] if summary.marking else []
    lines += [f"# {title_text(summary)}", "", cell(window_text(summary, tz)), ""]
    lines += [t("daily.generated", moment=moment, count=summary.size), ""]
    if not summary.size:
        lines += [t("daily.none"), ""]
    else:  # the day in the office's words first, as the DOCX says it; the tables follow
        lines += [cell(totals_sentences(summary)[0]), ""]
    for heading, table in totals_tables(summary):
        lines += [f"## {heading}", "", f"| {heading} | {t('daily.count')} |", "|---|---:|"]
        lines += [f"| {cell(name)} | {count} |" for name, count in table]
        lines.append("")
    if summary.size:
        lines += [f"## {t('daily.incidents')}", ""]
        lines.append("| " + " | ".join(cell(h) for h in headers(summary, tz)) + " |")
        lines.append("|" + "---|" * len(COLUMNS))
        # The rows one by one: each is a non-empty line, so the trailing blank lines cut
        # below can only be the tail's, and the text is the one joined whole before.
        write("\n".join(lines))
        cells = DisplayCells(tz, reference)
        for row in summary.rows if rows is None else rows:
            write("\n" + _md_row(cells(row)))
        lines = [""]
    if summary.chain_head:
        lines += ["", cell(t("handover.chain", head=summary.chain_head))]
    write("\n".join(lines).rstrip("\n") + "\n")
