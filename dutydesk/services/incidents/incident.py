"""Writing incidents and their follow-up timelines: the one write path for intake and demo.

Intake lives here; timeline entries in :mod:`dutydesk.services.incidents.followup` and field edits
in :mod:`dutydesk.services.incidents.edits`, re-exported here so callers have one place to import.

Every function takes the ORM session as keyword-only ``session`` and leaves committing to
the caller (``Database.session`` commits on success), so a caller can group several
writes in one transaction. Deadlines are recomputed here, after every write, with the
same rules the console shows (``rules.deadlines``), so ``Incident.due_at``/``due_step``
are always what the queue sorts on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select

from dutydesk.rules.deadlines import DeadlineRules
from dutydesk.rules.numbering import format_serial
from dutydesk.services.incidents.edits import update_fields
from dutydesk.services.incidents.followup import add_entry
from dutydesk.services.incidents.records import (
    ConflictError,
    EntryRefused,
    IncidentError,
    enum_value,
    refresh_due,
    require_aware,
)
from dutydesk.services.integrity import chain
from dutydesk.services.integrity.sealed import entry_record, incident_record, seal
from dutydesk.storage.models import Incident, TimelineEntry
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.storage.crypto import KeyRing

__all__ = [
    "ConflictError",
    "EntryRefused",
    "IncidentError",
    "add_entry",
    "create_incident",
    "next_serial",
    "refresh_due",
    "update_fields",
]


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
    keys: KeyRing | None = None,
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
        keys: the key ring sealing classified text; ``None``: the key file beside the
            database (created on first use).

    Classified title, summary and received text are sealed (:mod:`.sealed`) and never
    reach the database file, even briefly: the row is first written with them blank,
    because the record name binding the ciphertext needs the id.

    Returns:
        The new incident, flushed (it has an id).

    Raises:
        IncidentError: a value is not valid (blank summary, unknown code, naive time).

    """
    require_aware(("received_at", received_at), ("now", now))
    if not summary.strip():
        raise IncidentError("summary: say what was reported")
    grade = enum_value(Severity, severity, "severity")
    level = enum_value(Classification, classification, "classification")
    secret = level.is_classified
    day = received_at.astimezone(tz).date()
    serial, number = next_serial(session=session, day=day)
    incident = Incident(
        serial=serial,
        serial_date=day,
        serial_no=number,
        received_at=received_at,
        channel=enum_value(Channel, channel, "channel"),
        # The kind of matter starts as the channel's (data/rules.toml [kind_by_channel]).
        matter_kind=rules.kind_for(
            enum_value(Channel, channel, "channel"), enum_value(Category, category, "category")
        ),
        category=enum_value(Category, category, "category"),
        severity=grade,
        severity_rank=grade.rank,
        classification=level,
        title="" if secret else title,
        summary="" if secret else summary,
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
    if secret:
        where = incident_record(incident.id)
        incident.title = seal(
            keys, session, title, record=where, field="title", classification=level
        )
        incident.summary = seal(
            keys, session, summary, record=where, field="summary", classification=level
        )
    text = summary if received_text is None else received_text
    received = TimelineEntry(
        incident_id=incident.id,
        seq=1,
        kind=EntryKind.RECEIVED,
        occurred_at=received_at,
        recorded_at=now,
        actor_id=created_by,
        actor_name=actor_name,
        text=seal(
            keys,
            session,
            text,
            record=entry_record(incident.id, 1),
            field="text",
            classification=level,
        ),
    )
    session.add(received)
    chain.append(session, received)  # linked in this transaction: the record is append-only
    refresh_due(session=session, incident=incident, rules=rules)
    return incident
