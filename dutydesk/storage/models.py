"""SQLModel tables: the persistent records of the duty desk (docs/architecture.md §3).

Enums are stored by value in plain string columns (no native database enums), so that
adding a channel or a kind is a code change plus, at most, a data migration, and the
same schema runs on SQLite and PostgreSQL. Times are stored in UTC and come back
timezone-aware (:class:`UTCDateTime`).

The schema itself is created and changed only by Alembic migrations
(``dutydesk/migrations``); ``SQLModel.metadata`` is their source of truth.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from dutydesk.vocab import (
    DEMO_KEY,  # the ``Meta`` key of a demo database: defined light, re-exported here
    BulletinKind,
    BulletinStatus,
    Category,
    Channel,
    Classification,
    EntryKind,
    LeaveType,
    MatterKind,
    Position,
    Severity,
    ShiftKind,
    Status,
    Urgency,
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that refuses naive datetimes and returns aware ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Convert to UTC on the way in; a naive value is a programming error."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """SQLite gives naive values back: they were written as UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _code(length: int = 32, *, index: bool = False, default: str | None = None) -> Any:
    return Field(
        default=default,
        sa_column=Column(String(length), nullable=False, index=index, default=default),
    )


class Person(SQLModel, table=True):
    """Someone at or around the desk: duty staff, leaders, administrators, auditors."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    unit: str = Field(default="", sa_column=Column(String(128), nullable=False, default=""))
    title: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    phone: str = Field(default="", sa_column=Column(String(32), nullable=False, default=""))
    clearance: Classification = _code(16, default=Classification.INTERNAL.value)
    active: bool = Field(default=True)


class PersonRole(SQLModel, table=True):
    """One role held by one person (a person may hold several)."""

    __tablename__ = "person_role"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    role: str = Field(sa_column=Column(String(32), primary_key=True))


class Incident(SQLModel, table=True):
    """One matter received by the desk (值班事项)."""

    __table_args__ = (
        UniqueConstraint("serial_date", "serial_no", name="uq_incident_serial_day"),
        # The live queue: open incidents, most urgent first, read a window at a time.
        Index("ix_incident_queue", "is_open", "due_at", "severity_rank", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(sa_column=Column(String(16), nullable=False, unique=True))
    serial_date: date = Field(nullable=False)
    serial_no: int = Field(nullable=False)
    received_at: datetime = _utc_column(index=True)
    channel: Channel = _code(24)
    # Issue 13 (0017): TEXT, as a classified item's are sealed envelopes on an accredited
    # network (services.integrity.sealed.SEALED_FIELDS), like the title.
    reporter_name: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reporter_unit: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reporter_phone: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    location: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    category: Category = _code(24)
    severity: Severity = _code(12, default=Severity.UNASSESSED.value)
    severity_rank: int = Field(default=4, nullable=False)
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    classification: Classification = _code(16, default=Classification.INTERNAL.value)
    status: Status = _code(16, default=Status.RECEIVED.value)
    is_open: bool = Field(default=True, nullable=False)
    due_at: datetime | None = _utc_column(nullable=True)
    due_step: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    assigned_leader: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    assigned_department: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _utc_column()
    updated_at: datetime = _utc_column()
    version: int = Field(default=1, nullable=False)
    # Set when a drill (演练) created this incident; real outputs leave such rows out.
    drill_run_id: int | None = Field(default=None, foreign_key="drill_run.id", index=True)
    # Issue 12 (migration 0009): the kind of matter decides which clocks run.
    matter_kind: MatterKind = _code(16, default=MatterKind.EMERGENCY.value)
    occurred_at: datetime | None = _utc_column(nullable=True)
    """事发时间: when the event happened (接报 is ``received_at``); a required 报告要素."""
    sensitive: bool = Field(default=False, nullable=False)
    """敏感: on grade I's report clocks whatever the grade ("不拘泥于分级标准")."""
    report_every_minutes: int | None = Field(default=None, nullable=True)
    """A continued-report cadence set by an instruction or the officer (每小时 = 60)."""
    deaths: int | None = Field(default=None, nullable=True)
    injured: int | None = Field(default=None, nullable=True)
    missing: int | None = Field(default=None, nullable=True)
    trapped: int | None = Field(default=None, nullable=True)


class TimelineEntry(SQLModel, table=True):
    """One append-only step on an incident's follow-up timeline (跟踪记录)."""

    __tablename__ = "timeline_entry"
    __table_args__ = (UniqueConstraint("incident_id", "seq", name="uq_timeline_incident_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", nullable=False)
    seq: int = Field(nullable=False)
    kind: EntryKind = _code(24)
    occurred_at: datetime = _utc_column()
    recorded_at: datetime = _utc_column()
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    actor_name: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    report_no: int | None = Field(default=None)
    """Number of a continued report: 1 for 续报一, 2 for 续报二, ..."""
    target: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    """To whom: the leader reported to, the department assigned, the instructing leader
    (sealed for a classified item on an accredited network: TEXT since 0017)."""
    due_at: datetime | None = _utc_column(nullable=True)
    """Feedback due on a leader instruction or assignment."""
    refers_to_id: int | None = Field(default=None, foreign_key="timeline_entry.id")
    """The entry a correction corrects or a feedback answers."""
    chain_seq: int | None = Field(
        default=None, sa_column=Column(Integer, nullable=True, unique=True, index=True)
    )
    """Place in the record's hash chain (shared with audit events; rules/chain.py)."""
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    """SHA-256 over this entry's content and ``prev_hash``."""


class Shift(SQLModel, table=True):
    """A block of duty time (班次)."""

    __table_args__ = (UniqueConstraint("shift_date", "kind", name="uq_shift_date_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_date: date = Field(nullable=False, index=True)
    kind: ShiftKind = _code(8)
    start_at: datetime = _utc_column(index=True)
    end_at: datetime = _utc_column()
    special_period: bool = Field(default=False, nullable=False)
    special_note: str = Field(default="", sa_column=Column(String(128), nullable=False, default=""))


class Assignment(SQLModel, table=True):
    """Who holds which position on a shift; ``start_at``/``end_at`` narrow a partial cover."""

    __table_args__ = (
        UniqueConstraint("shift_id", "position", "person_id", name="uq_assignment"),
        Index("ix_assignment_person_id", "person_id"),  # a person's shifts (rest rules)
    )

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", nullable=False, index=True)
    position: Position = _code(32)
    person_id: int = Field(foreign_key="person.id", nullable=False)
    start_at: datetime | None = _utc_column(nullable=True)
    end_at: datetime | None = _utc_column(nullable=True)
    on_call: bool = Field(default=False, nullable=False)
    """电话带班: a duty leader leading by phone rather than at the desk (在岗); 0012."""


class LeaveRegistration(SQLModel, table=True):
    """A leader's absence (外出报备) and who acts for them."""

    __tablename__ = "leave_registration"
    __table_args__ = (Index("ix_leave_registration_period", "start_at", "end_at"),)

    id: int | None = Field(default=None, primary_key=True)
    leader_id: int = Field(foreign_key="person.id", nullable=False, index=True)
    start_at: datetime = _utc_column(index=True)
    end_at: datetime = _utc_column()
    destination: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    acting_leader_id: int = Field(foreign_key="person.id", nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _utc_column()
    # Migration 0010: the rest of the 外出报备.
    contact_phone: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    """外出期间联系电话."""
    approved_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    """To whom it was reported, or who approved it (报告/批准)."""
    leave_type: LeaveType = _code(16, default=LeaveType.OFFICIAL.value)
    returned_at: datetime | None = _utc_column(nullable=True)
    """销假: when the leader reported back; away until then or ``end_at``."""
    # Migration 0016: an itinerary is shown by its level like any item.
    classification: Classification = _code(16, default=Classification.INTERNAL.value)


class Bulletin(SQLModel, table=True):
    """An information product: 《信息快报》 or 《信息直呈》, numbered per kind per year."""

    __table_args__ = (
        # Classified bulletins have a number series of their own (migration 0015).
        UniqueConstraint("kind", "series", "year", "issue_no", name="uq_bulletin_series_number"),
        Index("ix_bulletin_status_created", "status", "created_at"),  # bulletin list
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: BulletinKind = _code(16)
    year: int = Field(nullable=False)
    issue_no: int | None = Field(default=None)
    """Given only at issue, so that a discarded draft uses no number."""
    title: str = Field(sa_column=Column(String(256), nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    classification: Classification = _code(16, default=Classification.INTERNAL.value)
    short_version: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: BulletinStatus = _code(16, default=BulletinStatus.DRAFT.value)
    signed_off_by_id: int | None = Field(default=None, foreign_key="person.id")
    issued_at: datetime | None = _utc_column(nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _utc_column()
    reviewed_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    """Who reviewed it (审核), by name as the operator gave it."""
    reviewed_at: datetime | None = _utc_column(nullable=True)
    signed_off_at: datetime | None = _utc_column(nullable=True)
    discarded_at: datetime | None = _utc_column(nullable=True)
    """Set when a draft is dropped before issue; it keeps no number."""
    series: str = Field(
        default="open", sa_column=Column(String(16), nullable=False, default="open")
    )
    """``open`` or ``classified``: the number series it was issued in (migration 0015)."""
    # Migration 0018: a 《信息直呈》 goes to the named leader, not a group robot.
    leader_id: int | None = Field(default=None, foreign_key="person.id")
    """The leader a 《信息直呈》 is presented to (呈送领导); ``None`` for a 《信息快报》."""
    urgency: Urgency = _code(16, default=Urgency.NONE.value)
    """Its 紧急程度 (migration 0022): ``none``, ``urgent`` (加急), ``extra_urgent`` (特急)."""


class BulletinItem(SQLModel, table=True):
    """An incident carried by a bulletin, in order."""

    __tablename__ = "bulletin_item"

    bulletin_id: int = Field(foreign_key="bulletin.id", primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    position: int = Field(default=0, nullable=False)
    # Migration 0016: a 内部 item goes into a short version only when sign-off said so.
    sms_allowed: bool = Field(default=False, nullable=False)
    """"可发短信/微信": recorded at sign-off, per item."""


class BulletinDelivery(SQLModel, table=True):
    """One message of a bulletin's short version sent to a webhook, kept until it is sent.

    A failed POST stays here with its error and is tried again by
    ``dutydesk bulletin deliver --retry``: a delivery is never lost.
    """

    __tablename__ = "bulletin_delivery"

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", nullable=False, index=True)
    target: str = Field(sa_column=Column(Text, nullable=False))
    """The webhook URL."""
    payload: str = Field(sa_column=Column(Text, nullable=False))
    """The exact JSON body to POST."""
    state: str = _code(16, index=True, default="pending")
    """``pending``, ``sent`` or ``failed``."""
    attempts: int = Field(default=0, nullable=False)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = _utc_column()
    last_attempt_at: datetime | None = _utc_column(nullable=True)
    sent_at: datetime | None = _utc_column(nullable=True)


class Handover(SQLModel, table=True):
    """One handover pack (交接班) and its acknowledgement."""

    __table_args__ = (Index("ix_handover_acknowledged_at", "acknowledged_at"),)

    id: int | None = Field(default=None, primary_key=True)
    period_start: datetime = _utc_column()
    period_end: datetime = _utc_column()
    generated_at: datetime = _utc_column()
    snapshot: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    acknowledged_by: str = Field(
        default="", sa_column=Column(String(256), nullable=False, default="")
    )
    acknowledged_at: datetime | None = _utc_column(nullable=True)
    chain_head: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    """The hash chain's head when acknowledged, ``"<seq>:<sha256 hex>"`` (verify checks it)."""


class ShiftHandover(SQLModel, table=True):
    """The record of one change of shift (交接班记录), signed by three (migration 0011)."""

    __tablename__ = "shift_handover"
    __table_args__ = (
        UniqueConstraint("shift_date", "shift_kind", name="uq_shift_handover_shift"),
        Index("ix_shift_handover_changed_at", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shift_date: date = Field(nullable=False)
    """The outgoing shift's date (the day it started)."""
    shift_kind: ShiftKind = _code(8)
    period_start: datetime = _utc_column()
    changed_at: datetime = _utc_column()
    """The change of shift: the outgoing shift's end."""
    snapshot: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    """What was handed over: the pack for ``[period_start, changed_at)``, as JSON."""
    created_at: datetime = _utc_column()
    outgoing_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    """交班人."""
    outgoing_at: datetime | None = _utc_column(nullable=True)
    incoming_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    """接班人."""
    incoming_at: datetime | None = _utc_column(nullable=True)
    leader_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    """带班领导."""
    leader_at: datetime | None = _utc_column(nullable=True)


class DailyReport(SQLModel, table=True):
    """A special period's daily report to the superior, made (零报告 when nothing to say).

    One per 值班日 (migration 0013); owed only while the roster marks the day special.
    """

    __tablename__ = "daily_report"

    id: int | None = Field(default=None, primary_key=True)
    report_date: date = Field(nullable=False, unique=True)
    """The 值班日 it reports on."""
    zero_report: bool = Field(default=False, nullable=False)
    """True for a 零报告: nothing to report that day."""
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    """What was reported, in a line (empty for a 零报告)."""
    recorded_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    recorded_at: datetime = _utc_column()


class DocumentCopy(SQLModel, table=True):
    """A classified copy printed (份号) and its distribution: to whom, when, signed back.

    ``document`` names what was printed (``bulletin:7``, ``handover:3``,
    ``daily:2026-11-25``); its copies are numbered 1, 2, ... (migration 0015).
    """

    __tablename__ = "document_copy"
    __table_args__ = (UniqueConstraint("document", "copy_no", name="uq_document_copy"),)

    id: int | None = Field(default=None, primary_key=True)
    document: str = Field(sa_column=Column(String(64), nullable=False))
    copy_no: int = Field(nullable=False)
    classification: Classification = _code(16)
    made_at: datetime = _utc_column()
    made_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    given_to: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    given_at: datetime | None = _utc_column(nullable=True)
    returned_at: datetime | None = _utc_column(nullable=True)


class AuditEvent(SQLModel, table=True):
    """Every change, and every view of classified content: who, what, when."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = _utc_column(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(sa_column=Column(String(48), nullable=False))
    object_type: str = Field(default="", sa_column=Column(String(32), nullable=False, default=""))
    object_id: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    chain_seq: int | None = Field(
        default=None, sa_column=Column(Integer, nullable=True, unique=True, index=True)
    )
    """Place in the record's hash chain (shared with timeline entries)."""
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class Credential(SQLModel, table=True):
    """A person's sign-in secret and lockout state, kept apart from ``Person``.

    A separate table, so that reading or exporting people never carries a PIN hash.
    """

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    pin_hash: str = Field(sa_column=Column(String(256), nullable=False))
    """``scrypt$n$r$p$<salt b64>$<key b64>`` (services/auth.py)."""
    failed_attempts: int = Field(default=0, nullable=False)
    locked_until: datetime | None = _utc_column(nullable=True)
    changed_at: datetime = _utc_column()


class ChainState(SQLModel, table=True):
    """The one row holding the hash chain's head: the lock every append takes."""

    __tablename__ = "chain_state"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, nullable=False)
    hash: str = Field(sa_column=Column(String(64), nullable=False))
    mac: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    """HMAC of ``<seq>:<hash>`` under the head key (migration 0024; services.integrity.head_key)."""


class DrillRun(SQLModel, table=True):
    """One rehearsal (操作演练) of a scenario file from ``data/drills``."""

    __tablename__ = "drill_run"

    id: int | None = Field(default=None, primary_key=True)
    scenario: str = Field(sa_column=Column(String(64), nullable=False))
    title: str = Field(sa_column=Column(String(256), nullable=False))
    started_at: datetime = _utc_column()
    # Scenario minutes per real minute: 1 for a live rehearsal, more to rehearse quickly.
    speed: float = Field(default=1.0, nullable=False)
    status: str = Field(default="running", sa_column=Column(String(16), nullable=False))
    finished_at: datetime | None = _utc_column(nullable=True)
    started_by_id: int | None = Field(default=None, foreign_key="person.id")
    started_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    # The scenario as it was when the run started, so a later edit of the file
    # cannot change what a finished run is measured against.
    scenario_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class DrillInject(SQLModel, table=True):
    """One scheduled inject of a drill run and the incident it became or touched."""

    __tablename__ = "drill_inject"
    __table_args__ = (UniqueConstraint("run_id", "inject_no", name="uq_drill_inject_no"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="drill_run.id", nullable=False)
    inject_no: int = Field(nullable=False)
    kind: str = Field(sa_column=Column(String(24), nullable=False))
    due_at: datetime = _utc_column()
    fired_at: datetime | None = _utc_column(nullable=True)
    payload: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    incident_id: int | None = Field(default=None, foreign_key="incident.id")


class IncidentReader(SQLModel, table=True):
    """One name in an item's 知悉范围: a person, or a unit (everyone of that unit).

    Migration 0016. A classified item opens only to a reader cleared for its level and
    named here; the security officer keeps the list, the registering officer names the
    first readers at intake.
    """

    __tablename__ = "incident_reader"
    __table_args__ = (
        UniqueConstraint("incident_id", "person_id", "unit", name="uq_incident_reader"),
        Index("ix_incident_reader_person", "person_id"),
        Index("ix_incident_reader_unit", "unit"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", nullable=False)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    unit: str = Field(default="", sa_column=Column(String(128), nullable=False, default=""))
    """The unit named (empty when a person is)."""
    added_by: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    added_at: datetime = _utc_column()


class Meta(SQLModel, table=True):
    """Small facts about the database itself (e.g. when demo data was loaded)."""

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


# Issue 13 (migration 0014): register mode keeps a classified item's register, not its
# content. Its own tables, not columns on ``incident``: the register is what the desk
# may keep in clear about a classified item, apart from the sealed content columns, and
# the hot queue table stays as narrow as every internal item needs.


class ClassifiedRegister(SQLModel, table=True):
    """The register (登记簿) of one classified item: who, which document, which copy."""

    __tablename__ = "classified_register"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    organ: str = Field(default="", sa_column=Column(String(128), nullable=False, default=""))
    """来文机关 (or 发往机关 when ``outgoing``)."""
    outgoing: bool = Field(default=False, nullable=False)
    doc_no: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    """文号, e.g. 赣办电〔2026〕88号."""
    period: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    """保密期限 (``10年``) or 解密条件, shown after the level's ★."""
    copies: int | None = Field(default=None, nullable=True)
    """份数 received or sent."""
    copy_no: int | None = Field(default=None, nullable=True)
    """份号 of the copy the desk holds."""
    signer: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    """签收人."""


class RegisterCopy(SQLModel, table=True):
    """One movement of one copy: 呈批, 传阅, 清退 or 销毁, and its signing back.

    The movement itself is a chained timeline entry (``entry_id``); signing back comes
    later and is written here (and audited), since a chained entry is never changed.
    """

    __tablename__ = "register_copy"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", nullable=False, index=True)
    entry_id: int = Field(foreign_key="timeline_entry.id", nullable=False, unique=True)
    copy_no: int | None = Field(default=None, nullable=True)
    holder: str = Field(default="", sa_column=Column(String(128), nullable=False, default=""))
    """To whom it went (呈批/传阅), or who returned or destroyed it (清退/销毁)."""
    signed_back_at: datetime | None = _utc_column(nullable=True)
    signed_back_by: str = Field(
        default="", sa_column=Column(String(64), nullable=False, default="")
    )


__all__ = [
    "DEMO_KEY",
    "Assignment",
    "AuditEvent",
    "Bulletin",
    "BulletinDelivery",
    "BulletinItem",
    "ChainState",
    "ClassifiedRegister",
    "Credential",
    "Handover",
    "Incident",
    "IncidentReader",
    "LeaveRegistration",
    "Meta",
    "Person",
    "PersonRole",
    "RegisterCopy",
    "Shift",
    "TimelineEntry",
    "UTCDateTime",
]
