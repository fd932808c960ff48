"""Writing incidents and their follow-up timelines: the one write path for intake and demo.

Every function takes the ORM session as keyword-only ``session`` and leaves committing to
the caller (``Database.session`` commits on success), so a caller can group several
writes in one transaction. Deadlines are recomputed here, after every write, with the
same rules the console shows (``rules.deadlines``), so ``Incident.due_at``/``due_step``
are always what the queue sorts on.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select

from dutydesk.errors import DutyDeskError
from dutydesk.models import Incident, TimelineEntry
from dutydesk.rules.deadlines import DeadlineRules, DueStep, EntryFact, next_due
from dutydesk.rules.numbering import format_serial
from dutydesk.rules.workflow import is_open, status_after
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status

if TYPE_CHECKING:
    from sqlmodel import Session

_E = TypeVar("_E", bound=StrEnum)


class IncidentError(DutyDeskError):
    """An incident or timeline entry cannot be written as given."""


def _enum(kind: type[_E], value: _E | str, field: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise IncidentError(f"{field}: {value!r} is not one of {allowed}") from None


def _aware(*moments: tuple[str, datetime | None]) -> None:
    for field, moment in moments:
        if moment is not None and moment.tzinfo is None:
            raise IncidentError(f"{field}: a time without timezone cannot be stored")


def next_serial(*, session: Session, day: date) -> tuple[str, int]:
    """The next free serial of the local ``day``, and its number within the day.

    Numbers run 1, 2, 3, ... per day with no gaps: records are never deleted, so the
    highest number so far plus one is the next. Two consoles racing for the same number
    are stopped by the unique constraint on (serial_date, serial_no).
    """
    highest = session.exec(
        select(func.max(Incident.serial_no)).where(Incident.serial_date == day)
    ).one()
    number = int(highest or 0) + 1
    return format_serial(day, number), number


def _facts(session: Session, incident: Incident) -> list[EntryFact]:
    rows = session.exec(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)).all()
    return [
        EntryFact(
            kind=EntryKind(row.kind),
            occurred_at=row.occurred_at,
            due_at=row.due_at,
            entry_id=row.id,
            refers_to_id=row.refers_to_id,
        )
        for row in rows
    ]


def refresh_due(*, session: Session, incident: Incident, rules: DeadlineRules) -> DueStep | None:
    """Recompute the incident's next due step from its timeline and store it on the row.

    Returns:
        The step now due soonest, or ``None`` when nothing is owed (closed incidents).

    """
    session.flush()  # entries added in this transaction must be counted
    step = next_due(
        rules,
        Severity(incident.severity),
        incident.received_at,
        _facts(session, incident),
        is_open=incident.is_open,
    )
    incident.due_at = step.due_at if step else None
    incident.due_step = step.step if step else None
    session.add(incident)
    return step


def create_incident(
    *,
    session: Session,
    received_at: datetime,
    channel: Channel | str,
    category: Category | str,
    severity: Severity | str,
    classification: Classification | str,
    title: str,
    summary: str,
    reporter_name: str = "",
    reporter_unit: str = "",
    reporter_phone: str = "",
    location: str = "",
    created_by: int | None = None,
    actor_name: str = "",
    received_text: str | None = None,
    now: datetime,
    tz: ZoneInfo,
    rules: DeadlineRules,
) -> Incident:
    """Register a new incident (接报登记) with its ``received`` entry and first deadline.

    The serial is allocated in the local day (``tz``) of ``received_at``. Text is stored
    exactly as given.

    Args:
        session: the ORM session to write in.
        received_at: when the report reached the desk (aware).
        channel: how it came in.
        category: kind of incident.
        severity: grade, or ``unassessed``.
        classification: 密级 of the content.
        title: a short title.
        summary: what was reported; the only text that must not be blank.
        reporter_name: who reported.
        reporter_unit: the reporter's unit.
        reporter_phone: the reporter's phone number.
        location: where it happened.
        created_by: the operator's person id.
        actor_name: the operator's name, shown on the ``received`` entry.
        received_text: text of the ``received`` entry; the summary when ``None``.
        now: the moment of writing (aware).
        tz: the office's timezone, which decides the serial's day.
        rules: deadline rules.

    Returns:
        The new incident, flushed (it has an id).

    Raises:
        IncidentError: a value is not valid (blank summary, unknown code, naive time).

    """
    _aware(("received_at", received_at), ("now", now))
    if not summary.strip():
        raise IncidentError("summary: say what was reported")
    grade = _enum(Severity, severity, "severity")
    day = received_at.astimezone(tz).date()
    serial, number = next_serial(session=session, day=day)
    incident = Incident(
        serial=serial,
        serial_date=day,
        serial_no=number,
        received_at=received_at,
        channel=_enum(Channel, channel, "channel"),
        category=_enum(Category, category, "category"),
        severity=grade,
        severity_rank=grade.rank,
        classification=_enum(Classification, classification, "classification"),
        title=title,
        summary=summary,
        reporter_name=reporter_name,
        reporter_unit=reporter_unit,
        reporter_phone=reporter_phone,
        location=location,
        status=Status.RECEIVED,
        is_open=True,
        created_by_id=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    assert incident.id is not None  # given by the flush
    session.add(
        TimelineEntry(
            incident_id=incident.id,
            seq=1,
            kind=EntryKind.RECEIVED,
            occurred_at=received_at,
            recorded_at=now,
            actor_id=created_by,
            actor_name=actor_name,
            text=summary if received_text is None else received_text,
        )
    )
    refresh_due(session=session, incident=incident, rules=rules)
    return incident


def _numbers(session: Session, incident_id: int) -> tuple[int, int]:
    """The next ``seq`` on the timeline and the next continued-report number."""
    rows = session.exec(
        select(TimelineEntry.seq, TimelineEntry.kind).where(
            TimelineEntry.incident_id == incident_id
        )
    ).all()
    continued = sum(1 for _, kind in rows if kind == EntryKind.CONTINUED_REPORT)
    return max((seq for seq, _ in rows), default=0) + 1, continued + 1


def add_entry(
    *,
    session: Session,
    incident: Incident,
    kind: EntryKind | str,
    occurred_at: datetime,
    actor_name: str = "",
    actor_id: int | None = None,
    text: str = "",
    target: str = "",
    due_at: datetime | None = None,
    refers_to_id: int | None = None,
    now: datetime,
    rules: DeadlineRules,
) -> TimelineEntry:
    """Append one step to an incident's timeline and move the incident on.

    Entries are never edited: a mistake is answered by a ``correction`` entry that refers
    to it. A continued report is numbered automatically (续报一 is ``report_no`` 1). A
    leader instruction without its own ``due_at`` gets the default feedback period. The
    incident's status follows :func:`dutydesk.rules.workflow.status_after`; its version
    and ``updated_at`` change and its deadline is recomputed.

    Args:
        session: the ORM session to write in.
        incident: the incident, already flushed.
        kind: what kind of step this is.
        occurred_at: when it happened (aware; not before the receipt).
        actor_name: who recorded or did it.
        actor_id: that person's id, when known.
        text: the text, stored exactly as given (instructions verbatim).
        target: to whom (leader reported to, department assigned, instructing leader).
        due_at: feedback due on an instruction or assignment.
        refers_to_id: the entry a correction corrects or a feedback answers.
        now: the moment of writing (aware).
        rules: deadline rules.

    Returns:
        The new entry, flushed.

    Raises:
        IncidentError: the incident is not saved, a time is naive or before the receipt,
            or ``refers_to_id`` is not an entry of this incident.

    """
    entry_kind = _enum(EntryKind, kind, "kind")
    _aware(("occurred_at", occurred_at), ("now", now), ("due_at", due_at))
    if incident.id is None:
        raise IncidentError("the incident must be saved before entries are added to it")
    if occurred_at < incident.received_at:
        raise IncidentError(
            f"{incident.serial}: an entry cannot happen before the incident was received"
        )
    if refers_to_id is not None:
        referred = session.get(TimelineEntry, refers_to_id)
        if referred is None or referred.incident_id != incident.id:
            raise IncidentError(
                f"{incident.serial}: entry {refers_to_id} is not on this incident's timeline"
            )
    if entry_kind is EntryKind.LEADER_INSTRUCTION and due_at is None:
        due_at = occurred_at + rules.feedback
    seq, report_no = _numbers(session, incident.id)
    entry = TimelineEntry(
        incident_id=incident.id,
        seq=seq,
        kind=entry_kind,
        occurred_at=occurred_at,
        recorded_at=now,
        actor_id=actor_id,
        actor_name=actor_name,
        text=text,
        report_no=report_no if entry_kind is EntryKind.CONTINUED_REPORT else None,
        target=target,
        due_at=due_at,
        refers_to_id=refers_to_id,
    )
    session.add(entry)
    if entry_kind is EntryKind.ASSIGNMENT and target:
        incident.assigned_department = target
    elif entry_kind is EntryKind.LEADER_INSTRUCTION and target and not incident.assigned_leader:
        incident.assigned_leader = target
    incident.status = status_after(incident.status, entry_kind)
    incident.is_open = is_open(incident.status)
    incident.version += 1
    incident.updated_at = now
    refresh_due(session=session, incident=incident, rules=rules)
    return entry
