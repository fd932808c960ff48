"""The daily summary (值班情况汇总): every incident received on one 值班日, with totals.

A duty office counts its day from one change of shift to the next (8:00 to 8:00 in many
offices: the night of the 2nd, up to 7:59 on the 3rd, is the 2nd's); the calendar day
(midnight to midnight) stays available for whoever asks for it.

One plain-SQL query (no ORM: 10,000 incidents must export in well under a second):
incidents of the day joined with an aggregate of their timelines (entry count, the
first phone report, the written first report, last entry). Content the operator is not
cleared for is never put in a row: a restricted row carries serial, time received,
status and classification only, and is counted in the totals under "restricted" rather
than its category.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from dutydesk.i18n import t
from dutydesk.rules.chain import ENVELOPE_PREFIX
from dutydesk.rules.dates import day_window, duty_day_window
from dutydesk.rules.documents import DailyRow, DailySummary, Tally, daily_record, tally_groups
from dutydesk.rules.marking import marking_of
from dutydesk.services.integrity.chain_read import signed_head
from dutydesk.services.integrity.reading import ClassifiedRead, audited_read
from dutydesk.services.integrity.sealed import entry_record, incident_record
from dutydesk.storage.engine import Database, Row, stored_utc
from dutydesk.storage.stamps import stored_iso
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from dutydesk.services.request import Request

_SQL = """
SELECT i.serial, i.received_at, i.status, i.classification, i.channel, i.category,
       i.severity, i.title, i.summary, i.location, i.reporter_unit,
       agg.n, agg.phone_at, agg.first_at, last.occurred_at AS last_at, last.kind AS last_kind,
       last.text AS last_text, i.id, last.seq AS last_seq, i.drill_run_id
FROM incident i
LEFT JOIN (
    SELECT e.incident_id AS incident_id, count(*) AS n, max(e.seq) AS last_seq,
           min(CASE WHEN e.kind = :phone THEN e.occurred_at END) AS phone_at,
           min(CASE WHEN e.kind = :first THEN e.occurred_at END) AS first_at
    FROM timeline_entry e JOIN incident d ON d.id = e.incident_id
    WHERE d.received_at >= :start AND d.received_at < :end
    GROUP BY e.incident_id
) agg ON agg.incident_id = i.id
LEFT JOIN timeline_entry last ON last.incident_id = i.id AND last.seq = agg.last_seq
WHERE i.received_at >= :start AND i.received_at < :end {drills}
ORDER BY i.received_at, i.id
"""
"""The rows, with the aggregate of their timelines; ``{drills}``: :func:`_drills`."""


_CHANNELS = {member.value: member for member in Channel}
_CATEGORIES = {member.value: member for member in Category}
_SEVERITIES = {member.value: member for member in Severity}
_STATUSES = {member.value: member for member in Status}
_LEVELS = {member.value: member for member in Classification}
_KINDS = {member.value: member for member in EntryKind}
_CHANNEL_CODES = {code: code for code in _CHANNELS}
_CATEGORY_CODES = {code: code for code in _CATEGORIES}
_SEVERITY_CODES = {code: code for code in _SEVERITIES}
_STATUS_CODES = {code: code for code in _STATUSES}
_LEVEL_CODES = {code: code for code in _LEVELS}
_KIND_CODES = {code: code for code in _KINDS}
# Enum lookups by dictionary, not by calling the enum: 10^4 rows x 6 enums adds up.


def _time(value: object) -> datetime | None:
    return None if value is None or value == "" else stored_utc(value)


def _row(row: Row, read: ClassifiedRead) -> DailyRow:
    level = _LEVELS[str(row.classification)]
    serial, received = str(row.serial), _time(row.received_at)
    status = _STATUSES[str(row.status)]
    content = read.content(level, serial)
    if content is None:
        return DailyRow(serial, received, status, level, True)  # type: ignore[arg-type]
    where = incident_record(int(row.id))
    title, summary, last_text = row.title, row.summary, row.last_text
    if level.is_classified:  # sealed: opened only now, after the check
        title = content(title, record=where, field="title")
        summary = content(summary, record=where, field="summary")
        if last_text is not None:
            last_text = content(
                last_text, record=entry_record(int(row.id), int(row.last_seq)), field="text"
            )
    if row.drill_run_id is not None:  # only with include_drills: marked wherever it shows
        title = f"{t('drill.mark')} {title}"
    # By position, in the dataclass's field order: keywords cost a third of building it.
    return DailyRow(
        serial,
        received,  # type: ignore[arg-type]
        status,
        level,
        False,
        _CHANNELS[str(row.channel)],
        _CATEGORIES[str(row.category)],
        _SEVERITIES[str(row.severity)],
        str(title),
        str(summary),
        # Issue 13: sealed on an accredited network (Content passes clear text through).
        content(row.location, record=where, field="location"),
        content(row.reporter_unit, record=where, field="reporter_unit"),
        int(row.n or 0),
        _time(row.phone_at),
        _time(row.first_at),
        _time(row.last_at),
        _KINDS[str(row.last_kind)] if row.last_kind else None,
        str(last_text) if last_text is not None else None,
    )


_HEAD_SQL = """
SELECT i.classification, i.category, i.severity, i.channel, count(*) AS n,
       CASE WHEN i.classification IN ({classified}) THEN i.serial END AS serial
FROM incident i
WHERE i.received_at >= :start AND i.received_at < :end {drills}
GROUP BY i.classification, i.category, i.severity, i.channel,
         CASE WHEN i.classification IN ({classified}) THEN i.serial END
"""
"""What the totals, the count and the marking need: no content, no timeline.

Grouped by the database: a day of 10^5 incidents is a few hundred groups (counting them
one by one in Python cost more than writing the CSV). A classified incident is a group
of its own, with its serial, since whether it opens depends on its 知悉范围; any other
opens by its level alone."""

_CLASSIFIED = {f"level{index}": level.value for index, level in enumerate(
    level for level in Classification if level.is_classified
)}  # fmt: skip
"""The classified levels as parameters of :data:`_HEAD_SQL`."""


def _drills(db: Database, include_drills: bool) -> str:
    if include_drills:
        return ""
    # The unary plus keeps SQLite's planner off ix_incident_drill_run_id: on a database of
    # many days nearly every incident is no drill, and that index made a day's export scan
    # them all (80 ms against 9 at 200k) instead of taking the day's range of received_at.
    return "AND +i.drill_run_id IS NULL" if db.is_sqlite else "AND i.drill_run_id IS NULL"


def daily_summary(
    req: Request, day: date, *, day_start: time | None, include_drills: bool = False
) -> DailySummary:
    """The summary of ``day`` as the reader of ``req`` may see it, every row in ``rows``.

    Args:
        req: the reader: ``clearance`` (content above it is withheld), the key ring for
            classified content they may see (else the database's key file), ``viewer``
            (a summary showing classified content is an audit event), ``now`` (when the
            summary is made, printed on it) and ``tz`` (the office's timezone).
        day: the day (in ``req.tz``) whose incidents, by time received, are listed.
        day_start: the change of shift that starts a 值班日 (the settings'
            ``day_shift_start``): the window runs from ``day`` at that hour to the next
            day at that hour. ``None``: the calendar day, midnight to midnight.
        include_drills: list drill (演练) incidents too, marked; real summaries never do.

    """
    with daily_export(req, day, day_start=day_start, include_drills=include_drills) as (
        summary,
        rows,
    ):
        records = tuple(rows)
    return replace(summary, rows=records, count=None)


@contextmanager
def daily_export(
    req: Request, day: date, *, day_start: time | None, include_drills: bool = False
) -> Iterator[tuple[DailySummary, Iterator[DailyRow]]]:
    """The summary of ``day`` with its rows streamed: for exports of any size.

    Yields the summary (count, totals, marking, chain head; ``rows`` empty) and an
    iterator of its rows, read from the database a batch at a time as they are written
    out, so memory stays flat in the number of incidents. Both come from one snapshot
    of the database, so the totals count exactly the rows listed. Consume the rows inside
    the block: leaving it writes the audit of the classified content shown so far.
    Arguments as :func:`daily_summary`.
    """
    with _opened(req, day, day_start, include_drills) as (summary, rows, read):
        yield summary, (_row(row, read) for row in rows)


@contextmanager
def daily_records(
    req: Request, day: date, *, day_start: time | None, include_drills: bool = False
) -> Iterator[tuple[DailySummary, Iterator[list[Any]]]]:
    """:func:`daily_export` with each row as its record: the data formats' exact values.

    A record is :func:`~dutydesk.rules.documents.daily_record` of the row, its times in
    ``req.tz``: the values in :data:`~dutydesk.rules.documents.DAILY_RECORD_KEYS`
    order. Made straight from the database's row when nothing in it needs more than
    copying (issue 16: the csv of 10^5 rows spent most of its time building rows and
    times it only wrote out); any other row is made as :func:`daily_export` makes it.
    """
    with _opened(req, day, day_start, include_drills) as (summary, rows, read):
        yield summary, _records(rows, read, req.tz)


def _records(rows: Iterator[Row], read: ClassifiedRead, tz: ZoneInfo) -> Iterator[list[Any]]:
    """The records of ``rows``: each copied from its row when it may be (:func:`_copied`)."""
    iso = stored_iso(tz)
    copied = _copied(read)
    for row in rows:
        # Unpacked by position in _SQL's column order: one step for 20 attributes.
        (serial, received, status, level, channel, category, severity, title, summary,
         location, unit, entries, phone, first, last_at, last_kind, last_text, _, _,
         drill) = row  # fmt: skip
        if (
            copied(level)
            and drill is None
            and location.__class__ is str
            and unit.__class__ is str
            and title.__class__ is str
            and summary.__class__ is str
            and (last_text is None or last_text.__class__ is str)
            and not location.startswith(ENVELOPE_PREFIX)
            and not unit.startswith(ENVELOPE_PREFIX)
        ):
            yield [
                str(serial),
                iso(received),
                _CHANNEL_CODES[channel],
                _CATEGORY_CODES[category],
                _SEVERITY_CODES[severity],
                _LEVEL_CODES[level],
                _STATUS_CODES[status],
                title,
                location,
                unit,
                int(entries or 0),
                iso(phone),
                iso(first),
                iso(last_at),
                _KIND_CODES[last_kind] if last_kind else None,
                last_text,
                summary,
                False,
            ]
        else:
            yield daily_record(_row(row, read), iso)


def _copied(read: ClassifiedRead) -> Callable[[object], bool]:
    """Whether a row of a level (its stored code) is its record's values as they stand.

    So for a level below 秘密 that the reader is cleared for: its rows open by the level
    alone (:meth:`ClassifiedRead.content`, asked once per level here), and their values
    are clear text (a sealed place is tested for by the caller). Never for a classified
    level, whose every row asks its own 知悉范围 and is noted as shown.
    """
    answers: dict[object, bool] = {}

    def copied(code: object) -> bool:
        try:
            return answers[code]
        except KeyError:
            level = _LEVELS.get(str(code))
            answer = answers[code] = (
                level is not None
                and not level.is_classified
                and read.content(level, "") is not None
            )
            return answer

    return copied


@contextmanager
def _opened(
    req: Request, day: date, day_start: time | None, include_drills: bool
) -> Iterator[tuple[DailySummary, Iterator[Row], ClassifiedRead]]:
    """The summary, the day's rows as the database gives them, and the read to open them."""
    db, tz, now = req.db, req.tz, req.now
    if day_start is None:
        start, end = day_window(day, tz)
    else:
        start, end = duty_day_window(day, tz, day_start)
    params = {
        "start": db.time_param(start),
        "end": db.time_param(end),
        "phone": EntryKind.PHONE_REPORT.value,
        "first": EntryKind.FIRST_REPORT.value,
    }
    drills = _drills(db, include_drills)
    with (
        audited_read(
            db,
            req.clearance,
            object_type="daily_summary",
            object_id=day.isoformat(),
            keys=req.keys,
            viewer=req.viewer,
            now=now,
        ) as read,
        db.snapshot() as query,
    ):
        # First the counts (no content is opened: may_open notes nothing), then the rows.
        count, levels = 0, set[Classification]()

        def tallied() -> Iterator[tuple[Tally, int]]:
            nonlocal count
            for head in query(head_sql, {**params, **_CLASSIFIED}):
                size = int(head.n)
                count += size
                level = _LEVELS[str(head.classification)]
                if not read.may_open(level, "" if head.serial is None else str(head.serial)):
                    yield (True, None, None, None), size
                    continue
                levels.add(level)
                yield (False, str(head.category), str(head.severity), str(head.channel)), size

        classified = ", ".join(f":{name}" for name in _CLASSIFIED)
        head_sql = _HEAD_SQL.format(drills=drills, classified=classified)
        by_category, by_severity, by_channel = tally_groups(tallied())
        summary = DailySummary(
            day=day,
            generated_at=now,
            timezone=str(tz.key),
            rows=(),
            by_category=by_category,
            by_severity=by_severity,
            by_channel=by_channel,
            chain_head=signed_head(db, query),  # the rows' state
            start=start,
            end=end,
            duty_day=day_start is not None,
            marking=marking_of((level, "") for level in levels),
            count=count,
        )
        yield summary, query(_SQL.format(drills=drills), params), read
