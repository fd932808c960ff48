"""An incident's follow-up timeline (跟踪时间线), newest last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dutydesk.rules.policy import may_see
from dutydesk.store import Database, as_utc
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status


@dataclass(frozen=True)
class TimelineItem:
    """One entry as the console shows it."""

    seq: int
    occurred_at: datetime
    kind: EntryKind
    actor: str
    text: str
    report_no: int | None
    target: str
    due_at: datetime | None


@dataclass(frozen=True)
class IncidentDetail:
    """An incident's header and its timeline. Content is ``None``/empty when restricted."""

    id: int
    serial: str
    received_at: datetime
    classification: Classification
    restricted: bool
    title: str | None = None
    summary: str | None = None
    channel: Channel | None = None
    category: Category | None = None
    severity: Severity | None = None
    status: Status | None = None
    location: str | None = None
    reporter: str | None = None
    due_at: datetime | None = None
    due_step: str | None = None
    entries: tuple[TimelineItem, ...] = ()


def fetch_detail(
    db: Database, incident_id: int, clearance: Classification = Classification.INTERNAL
) -> IncidentDetail | None:
    """The incident with its timeline, or ``None`` if there is no such incident.

    Classified content the viewer is not cleared for is never read from the entries.
    """
    rows = db.read(
        "SELECT id, serial, received_at, classification, title, summary, channel, category, "
        "severity, status, location, reporter_name, reporter_unit, reporter_phone, "
        "due_at, due_step FROM incident WHERE id = :id",
        {"id": incident_id},
    )
    if not rows:
        return None
    (
        id_,
        serial,
        received,
        classification,
        title,
        summary,
        channel,
        category,
        severity,
        status,
        location,
        r_name,
        r_unit,
        r_phone,
        due_at,
        due_step,
    ) = rows[0]
    level = Classification(classification)
    if not may_see(clearance, level):
        return IncidentDetail(
            id=int(id_),
            serial=str(serial),
            received_at=as_utc(received),  # type: ignore[arg-type]
            classification=level,
            restricted=True,
        )
    entries = db.read(
        "SELECT e.seq, e.occurred_at, e.kind, COALESCE(NULLIF(e.actor_name, ''), p.name, ''), "
        "e.text, e.report_no, e.target, e.due_at "
        "FROM timeline_entry e LEFT JOIN person p ON p.id = e.actor_id "
        "WHERE e.incident_id = :id ORDER BY e.occurred_at, e.seq",
        {"id": incident_id},
    )
    reporter = " ".join(part for part in (r_unit, r_name, r_phone) if part)
    return IncidentDetail(
        id=int(id_),
        serial=str(serial),
        received_at=as_utc(received),  # type: ignore[arg-type]
        classification=level,
        restricted=False,
        title=str(title),
        summary=str(summary),
        channel=Channel(channel),
        category=Category(category),
        severity=Severity(severity),
        status=Status(status),
        location=str(location),
        reporter=reporter,
        due_at=as_utc(due_at),
        due_step=due_step,
        entries=tuple(
            TimelineItem(
                seq=int(seq),
                occurred_at=as_utc(occurred),  # type: ignore[arg-type]
                kind=EntryKind(kind),
                actor=str(actor),
                text=str(text),
                report_no=report_no,
                target=str(target),
                due_at=as_utc(entry_due),
            )
            for seq, occurred, kind, actor, text, report_no, target, entry_due in entries
        ),
    )
