"""An incident's follow-up timeline (跟踪时间线), newest last."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from dutydesk.i18n import t
from dutydesk.records import record
from dutydesk.rules.deadlines import EntryFact, clock_terms, due_steps
from dutydesk.rules.facts import CASUALTIES, as_text, casualty_line
from dutydesk.services.incidents.register_view import register_line_of
from dutydesk.services.integrity.reading import Content, audited_read
from dutydesk.services.integrity.sealed import entry_record, incident_record
from dutydesk.storage.engine import Database, Row, as_utc
from dutydesk.vocab import (
    Category,
    Channel,
    Classification,
    EntryKind,
    MatterKind,
    Severity,
    Status,
)

if TYPE_CHECKING:
    from dutydesk.rules.deadlines import DeadlineRules
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing


@record
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
    A copy's 清退 or 销毁 names who did it ("by 韩冬", 经办 韩冬). Empty when the entry
    names nobody.
    """
    if not target:
        return ""
    if kind is EntryKind.LEADER_INSTRUCTION:
        return t("timeline.from", target=target)
    if kind is EntryKind.ASSIGNMENT:
        return t("timeline.assigned_to", target=target)
    if kind in (EntryKind.RETURNED, EntryKind.DESTROYED):
        # A copy returned or destroyed is done by someone, not sent to them.
        return t("timeline.by", target=target)
    return t("timeline.to", target=target)


@record
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
    matter_kind: MatterKind = MatterKind.EMERGENCY
    sensitive: bool = False
    occurred_at: datetime | None = None
    """事发时间, shown beside the clocks when known."""
    casualties: str = ""
    """The latest figures, worded (死亡3人、受伤2人)."""
    register: str = ""
    """Register mode (issue 13): a classified item's register line, shown in the title's
    place to every reader (it holds no content); empty when it has no register."""

    @property
    def heading(self) -> str:
        """What stands in the title's place: the title, else the register line."""
        return self.title or self.register


REPORT_CLOCKS = ("initial_grading", "phone_report", "first_report", "assign", "register")
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
        "matter_kind, sensitive, report_every_minutes, occurred_at, deaths, injured, missing, "
        "trapped, "
        "severity, status, location, reporter_name, reporter_unit, reporter_phone, "
        "due_at, due_step, version, drill_run_id FROM incident WHERE id = :id",
        {"id": incident_id},
    )
    if not rows:
        return None
    row = rows[0]
    register = (
        register_line_of(db, int(row.id))
        if Classification(row.classification).is_classified
        else ""
    )
    with audited_read(
        db, clearance, object_type="incident", keys=keys, viewer=viewer, now=now
    ) as read:
        content = read.content(row.classification, str(row.serial))
        if content is None:
            return IncidentDetail(
                id=int(row.id),
                serial=str(row.serial),
                received_at=as_utc(row.received_at),  # type: ignore[arg-type]
                classification=Classification(row.classification),
                restricted=True,
                version=int(row.version),
                drill=row.drill_run_id is not None,
                register=register,
            )
        return replace(_detail(db, row, content, rules), register=register)


def _detail(
    db: Database, row: Row, content: Content, rules: DeadlineRules | None
) -> IncidentDetail:
    """The whole detail of the incident ``row``, for a reader cleared for it."""
    entries = db.read(
        "SELECT e.seq, e.occurred_at, e.kind, "
        "COALESCE(NULLIF(e.actor_name, ''), p.name, '') AS actor, "
        "e.text, e.report_no, e.target, e.due_at, e.id "
        "FROM timeline_entry e LEFT JOIN person p ON p.id = e.actor_id "
        "WHERE e.incident_id = :id ORDER BY e.occurred_at, e.seq",
        {"id": row.id},
    )
    id_ = int(row.id)
    where = incident_record(id_)
    # Issue 13: sealed on an accredited network like the title (opened: the reader is cleared).
    parts = ("reporter_unit", "reporter_name", "reporter_phone")
    reporter = " ".join(
        part for part in (content(getattr(row, n), record=where, field=n) for n in parts) if part
    )
    received = as_utc(row.received_at)
    assert received is not None  # a NOT NULL column
    clocks: tuple[tuple[str, datetime], ...] = ()
    if rules is not None and row.due_at is not None:  # nothing owed: no clock runs
        facts = [
            EntryFact(EntryKind(entry.kind), as_utc(entry.occurred_at))  # type: ignore[arg-type]
            for entry in sorted(entries, key=lambda entry: int(entry.seq))  # recording order
        ]
        steps = due_steps(rules, Severity(row.severity), received, facts, **clock_terms(row))
        clocks = tuple((step.step, step.due_at) for step in steps if step.step in REPORT_CLOCKS)
    return IncidentDetail(
        id=id_,
        serial=str(row.serial),
        received_at=received,
        classification=content.level,
        restricted=False,
        title=content(row.title, record=where, field="title"),
        summary=content(row.summary, record=where, field="summary"),
        channel=Channel(row.channel),
        category=Category(row.category),
        severity=Severity(row.severity),
        status=Status(row.status),
        location=content(row.location, record=where, field="location"),
        reporter=reporter,
        due_at=as_utc(row.due_at),
        due_step=row.due_step,
        version=int(row.version),
        drill=row.drill_run_id is not None,
        clocks=clocks,
        matter_kind=MatterKind(row.matter_kind),
        sensitive=bool(row.sensitive),
        occurred_at=as_utc(row.occurred_at),
        casualties=casualty_line(row),
        entries=tuple(
            TimelineItem(
                seq=int(entry.seq),
                occurred_at=as_utc(entry.occurred_at),  # type: ignore[arg-type]
                kind=EntryKind(entry.kind),
                actor=str(entry.actor),
                text=content(entry.text, record=entry_record(id_, int(entry.seq)), field="text"),
                report_no=entry.report_no,
                target=content(
                    entry.target, record=entry_record(id_, int(entry.seq)), field="target"
                ),
                due_at=as_utc(entry.due_at),
                entry_id=int(entry.id),
            )
            for entry in entries
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
    "matter_kind",
    "sensitive",
    "report_every_minutes",
    "occurred_at",
    *CASUALTIES,
)
"""The columns an edit form shows (``services.edits.EDITABLE``), in form order; the typed
report elements (``rules.facts``) as their canonical text."""


def fetch_editable(
    db: Database,
    incident_id: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> tuple[int, str, dict[str, str]] | None:
    """An incident's version, serial and editable values, to fill an edit form.

    Returns ``None`` when there is no such incident or the viewer is not cleared for it
    (an edit form would show its content). A classified incident's form shown to
    ``viewer`` is an audit event at ``now``.
    """
    rows = db.read(
        f"SELECT version, serial, {', '.join(EDITABLE_COLUMNS)} FROM incident WHERE id = :id",  # noqa: S608 - EDITABLE_COLUMNS is a constant; the id is bound
        {"id": incident_id},
    )
    if not rows:
        return None
    row = rows[0]
    fields = {name: as_text(getattr(row, name)) for name in EDITABLE_COLUMNS}
    if fields["sensitive"] in {"0", "1"}:  # SQLite hands a boolean back as 0/1
        fields["sensitive"] = as_text(fields["sensitive"] == "1")
    fields["occurred_at"] = as_text(as_utc(row.occurred_at))  # SQLite's text: aware UTC
    with audited_read(
        db, clearance, object_type="incident", keys=keys, viewer=viewer, now=now
    ) as read:
        content = read.content(row.classification, str(row.serial))
        if content is None:
            return None
        for name in ("title", "summary", "location", "reporter_name", "reporter_unit",
                     "reporter_phone"):  # fmt: skip
            fields[name] = content(fields[name], record=incident_record(incident_id), field=name)
    return int(row.version), str(row.serial), fields
