"""An incident's follow-up timeline (跟踪时间线), newest last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dutydesk.i18n import t
from dutydesk.rules.deadlines import EntryFact, due_steps
from dutydesk.rules.policy import may_see
from dutydesk.services.integrity.sealed import Opener, entry_record, incident_record, record_view
from dutydesk.storage.engine import Database, as_utc
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status

if TYPE_CHECKING:
    from dutydesk.rules.deadlines import DeadlineRules
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing


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
    entry_id: int = 0
    """The entry's id (what a correction or a feedback refers to)."""


def target_phrase(kind: EntryKind, target: str) -> str:
    """How a timeline line names an entry's other party, in the interface language.

    One wording for the console and ``incident show``: a report goes *to* a leader
    ("to 张三", 报 张三), an assignment to a department (交办 市卫健委), and a leader
    instruction comes *from* the leader who gave it ("from 孙丽", 批示人 孙丽).
    Empty when the entry names nobody.
    """
    if not target:
        return ""
    if kind is EntryKind.LEADER_INSTRUCTION:
        return t("timeline.from", target=target)
    if kind is EntryKind.ASSIGNMENT:
        return t("timeline.assigned_to", target=target)
    return t("timeline.to", target=target)


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
    version: int = 0
    """The incident's version when read: what an edit or entry expects to find."""
    drill: bool = False
    """Created by a drill (演练): the pane marks it."""
    clocks: tuple[tuple[str, datetime], ...] = ()
    """The first-report clocks still running, ``(step, due)``: phone and written, until
    each is met (both start at receipt; the queue's ``due_at`` is only the sooner)."""


REPORT_CLOCKS = ("phone_report", "first_report")
"""The clocks a new incident starts at receipt, shown together until each is met."""


def fetch_detail(
    db: Database,
    incident_id: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
    rules: DeadlineRules | None = None,
) -> IncidentDetail | None:
    """The incident with its timeline, or ``None`` if there is no such incident.

    With ``rules``, :attr:`IncidentDetail.clocks` holds the first-report clocks still
    running (the phone and the written report of a new incident).

    Classified content the viewer is not cleared for is never read from the entries.
    For a cleared viewer it is decrypted (``keys``, else the database's key file; a
    placeholder if the key is missing) and the view is recorded in the audit trail
    (``viewer`` at ``now``).
    """
    rows = db.read(
        "SELECT id, serial, received_at, classification, title, summary, channel, category, "
        "severity, status, location, reporter_name, reporter_unit, reporter_phone, "
        "due_at, due_step, version, drill_run_id FROM incident WHERE id = :id",
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
        version,
        drill_run_id,
    ) = rows[0]
    level = Classification(classification)
    if not may_see(clearance, level):
        return IncidentDetail(
            id=int(id_),
            serial=str(serial),
            received_at=as_utc(received),  # type: ignore[arg-type]
            classification=level,
            restricted=True,
            version=int(version),
            drill=drill_run_id is not None,
        )
    entries = db.read(
        "SELECT e.seq, e.occurred_at, e.kind, COALESCE(NULLIF(e.actor_name, ''), p.name, ''), "
        "e.text, e.report_no, e.target, e.due_at, e.id "
        "FROM timeline_entry e LEFT JOIN person p ON p.id = e.actor_id "
        "WHERE e.incident_id = :id ORDER BY e.occurred_at, e.seq",
        {"id": incident_id},
    )
    reporter = " ".join(part for part in (r_unit, r_name, r_phone) if part)
    clocks: tuple[tuple[str, datetime], ...] = ()
    if rules is not None and due_at is not None:  # nothing owed: no clock runs
        facts = [
            EntryFact(EntryKind(row[2]), as_utc(row[1]))  # type: ignore[arg-type]
            for row in sorted(entries, key=lambda row: int(row[0]))  # recording order
        ]
        steps = due_steps(rules, Severity(severity), as_utc(received), facts)  # type: ignore[arg-type]
        clocks = tuple((step.step, step.due_at) for step in steps if step.step in REPORT_CLOCKS)
    opener = Opener(db, keys)
    where = incident_record(int(id_))
    if level.is_classified:
        record_view(db, viewer, "incident", str(serial), f"{level.value}; timeline", now)
    return IncidentDetail(
        id=int(id_),
        serial=str(serial),
        received_at=as_utc(received),  # type: ignore[arg-type]
        classification=level,
        restricted=False,
        title=opener(title, record=where, field="title", classification=level),
        summary=opener(summary, record=where, field="summary", classification=level),
        channel=Channel(channel),
        category=Category(category),
        severity=Severity(severity),
        status=Status(status),
        location=str(location),
        reporter=reporter,
        due_at=as_utc(due_at),
        due_step=due_step,
        version=int(version),
        drill=drill_run_id is not None,
        clocks=clocks,
        entries=tuple(
            TimelineItem(
                seq=int(seq),
                occurred_at=as_utc(occurred),  # type: ignore[arg-type]
                kind=EntryKind(kind),
                actor=str(actor),
                text=opener(
                    text,
                    record=entry_record(int(id_), int(seq)),
                    field="text",
                    classification=level,
                ),
                report_no=report_no,
                target=str(target),
                due_at=as_utc(entry_due),
                entry_id=int(entry_id),
            )
            for seq, occurred, kind, actor, text, report_no, target, entry_due, entry_id in entries
        ),
    )


EDITABLE_COLUMNS = (
    "channel",
    "category",
    "severity",
    "classification",
    "title",
    "summary",
    "location",
    "reporter_name",
    "reporter_unit",
    "reporter_phone",
)
"""The columns an edit form shows (``services.edits.EDITABLE``), in form order."""


def fetch_editable(
    db: Database,
    incident_id: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
) -> tuple[int, str, dict[str, str]] | None:
    """An incident's version, serial and editable values, to fill an edit form.

    Returns ``None`` when there is no such incident or the viewer is not cleared for it
    (an edit form would show its content).
    """
    rows = db.read(
        f"SELECT version, serial, {', '.join(EDITABLE_COLUMNS)} FROM incident WHERE id = :id",  # noqa: S608 - EDITABLE_COLUMNS is a constant; the id is bound
        {"id": incident_id},
    )
    if not rows:
        return None
    version, serial, *values = rows[0]
    fields = dict(zip(EDITABLE_COLUMNS, (str(v or "") for v in values), strict=True))
    level = Classification(fields["classification"])
    if not may_see(clearance, level):
        return None
    opener = Opener(db, keys)
    for name in ("title", "summary"):
        fields[name] = opener(
            fields[name], record=incident_record(incident_id), field=name, classification=level
        )
    return int(version), str(serial), fields
