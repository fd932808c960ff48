"""The daily summary (值班情况汇总): every incident received on one local day, with totals.

One plain-SQL query (no ORM: 10,000 incidents must export in well under a second):
incidents of the day joined with an aggregate of their timelines (entry count, the
first phone report, the written first report, last entry). Content the operator is not
cleared for is never put in a row: a restricted row carries serial, time received,
status and classification only, and is counted in the totals under "restricted" rather
than its category.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dutydesk.i18n import t
from dutydesk.rules.documents import DailyRow, DailySummary, totals
from dutydesk.rules.policy import may_see
from dutydesk.services.integrity.chain_read import chain_head
from dutydesk.services.integrity.sealed import Opener, entry_record, incident_record, record_view
from dutydesk.storage.engine import Database, as_utc
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing

_SQL = """
SELECT i.serial, i.received_at, i.status, i.classification, i.channel, i.category,
       i.severity, i.title, i.summary, i.location, i.reporter_unit,
       agg.n, agg.phone_at, agg.first_at, last.occurred_at, last.kind, last.text, i.id, last.seq,
       i.drill_run_id
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


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight of ``day`` (23 or 25 hours across DST)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start, end


_CHANNELS = {member.value: member for member in Channel}
_CATEGORIES = {member.value: member for member in Category}
_SEVERITIES = {member.value: member for member in Severity}
_STATUSES = {member.value: member for member in Status}
_LEVELS = {member.value: member for member in Classification}
_KINDS = {member.value: member for member in EntryKind}
# Enum lookups by dictionary, not by calling the enum: 10^4 rows x 6 enums adds up.


def _time(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):  # SQLite: UTC text, the common case, parsed directly
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return as_utc(value)


def _row(values: tuple[object, ...], visible: dict[str, bool], opener: Opener) -> DailyRow:
    (serial, received, status, level, channel, category, severity, title, summary, location,
     unit, count, phone_at, first_at, last_at, last_kind, last_text, id_, last_seq,
     drill) = values  # fmt: skip
    head = {
        "serial": str(serial),
        "received_at": _time(received),
        "status": _STATUSES[str(status)],
        "classification": _LEVELS[str(level)],
    }
    if not visible[str(level)]:
        return DailyRow(restricted=True, **head)  # type: ignore[arg-type]
    if _LEVELS[str(level)].is_classified:  # sealed: opened only now, after the check
        where = incident_record(int(id_))  # type: ignore[call-overload]
        title = opener(title, record=where, field="title", classification=str(level))
        summary = opener(summary, record=where, field="summary", classification=str(level))
        if last_text is not None:
            last_text = opener(
                last_text,
                record=entry_record(int(id_), int(last_seq)),  # type: ignore[call-overload]
                field="text",
                classification=str(level),
            )
    if drill is not None:  # only with include_drills: marked wherever the title shows
        title = f"{t('drill.mark')} {title}"
    return DailyRow(
        restricted=False,
        channel=_CHANNELS[str(channel)],
        category=_CATEGORIES[str(category)],
        severity=_SEVERITIES[str(severity)],
        title=str(title),
        summary=str(summary),
        location=str(location),
        reporter_unit=str(unit),
        entries=int(count or 0),  # type: ignore[call-overload]
        phone_report_at=_time(phone_at),
        first_report_at=_time(first_at),
        last_entry_at=_time(last_at),
        last_entry_kind=_KINDS[str(last_kind)] if last_kind else None,
        last_entry_text=str(last_text) if last_text is not None else None,
        **head,  # type: ignore[arg-type]
    )


def daily_summary(
    db: Database,
    day: date,
    *,
    tz: ZoneInfo,
    now: datetime,
    clearance: Classification = Classification.INTERNAL,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    include_drills: bool = False,
) -> DailySummary:
    """The summary of the local ``day`` as the operator cleared to ``clearance`` may see it.

    Args:
        db: the store.
        day: the local day (in ``tz``) whose incidents, by time received, are listed.
        tz: the office's timezone.
        now: when the summary is made (printed on it).
        clearance: the operator's clearance; one parameter so that signing in can supply
            it later instead of the command line.
        keys: the key ring for classified content the operator may see (else the
            database's key file).
        viewer: who exports it; a summary showing classified content is an audit event.
        include_drills: list drill (演练) incidents too, marked; real summaries never do.

    """
    start, end = day_window(day, tz)
    rows = db.read(
        _SQL.format(drills="" if include_drills else "AND i.drill_run_id IS NULL"),
        {
            "start": db.time_param(start),
            "end": db.time_param(end),
            "phone": EntryKind.PHONE_REPORT.value,
            "first": EntryKind.FIRST_REPORT.value,
        },
    )
    visible = {level.value: may_see(clearance, level) for level in Classification}
    opener = Opener(db, keys)
    records = tuple(_row(tuple(row), visible, opener) for row in rows)
    shown = sum(1 for r in records if not r.restricted and r.classification.is_classified)
    if shown:
        detail = f"daily summary {day.isoformat()}: {shown} classified incidents shown"
        record_view(db, viewer, "daily_summary", day.isoformat(), detail, now)
    by_category, by_severity, by_channel = totals(records)
    return DailySummary(
        day=day,
        generated_at=now,
        timezone=str(tz.key),
        rows=records,
        by_category=by_category,
        by_severity=by_severity,
        by_channel=by_channel,
        chain_head=chain_head(db).short,
    )
