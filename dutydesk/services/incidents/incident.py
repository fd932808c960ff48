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

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import select

from dutydesk.rules.numbering import format_serial
from dutydesk.services.incidents.checks import check_intake, incident_values
from dutydesk.services.incidents.edits import update_fields
from dutydesk.services.incidents.followup import add_entry
from dutydesk.services.incidents.records import (
    ConflictError,
    EntryRefused,
    IncidentError,
    refresh_due,
)
from dutydesk.services.incidents.register import save_register
from dutydesk.services.incidents.steps import new_timeline
from dutydesk.services.integrity import chain
from dutydesk.services.integrity.sealed import entry_record, incident_record, seal
from dutydesk.storage.models import Incident, Person, TimelineEntry
from dutydesk.vocab import (
    EntryKind,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.incidents.intake import NewIncident
    from dutydesk.services.request import Request

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
    wait for each other on the chain lock; the unique constraint on (serial_date,
    serial_no) still stops any writer that did not take it.
    """
    # Take the record's chain lock first (the row every write locks to append to the
    # chain, SELECT ... FOR UPDATE on a server; SQLite's BEGIN IMMEDIATE already holds
    # the file): writers then number one after another instead of racing for the same
    # number and retrying on the constraint, which three busy desks could do until the
    # retries ran out. Once per transaction: the demo's load numbers 29 incidents in one.
    chain.lock_head(session)
    highest = session.exec(
        select(func.max(Incident.serial_no)).where(Incident.serial_date == day)
    ).one()
    number = int(highest or 0) + 1
    return format_serial(day, number), number


def create_incident(req: Request, report: NewIncident, *, session: Session) -> Incident:
    """Register a new incident (接报登记) with its ``received`` entry and first deadline.

    The serial is allocated in the local day (``req.tz``) of ``report.received_at``.
    Text is stored exactly as given.

    Args:
        req: who writes (``actor_id`` is the creator, ``actor_name`` shown on the
            ``received`` entry), ``now`` (aware), ``tz``, the deadline rules and the key
            ring sealing classified text (``None``: the key file beside the database,
            created on first use).
        report: what came in.
        session: the ORM session to write in.

    Classified title, summary and received text are sealed (:mod:`.sealed`) and never
    reach the database file, even briefly: the row is first written with them blank,
    because the record name binding the ciphertext needs the id.

    Returns:
        The new incident, flushed (it has an id).

    Raises:
        IncidentError: a value is not valid (blank summary, unknown code, naive time).

    """
    keys = req.keys
    title, summary = report.title, report.summary
    checked = check_intake(req, report)
    level, registered_only = checked.level, checked.registered_only
    secret = level.is_classified
    serial, number = next_serial(session=session, day=checked.day)
    incident = Incident(**incident_values(req, report, checked, serial, number))
    session.add(incident)
    session.flush()
    assert incident.id is not None  # given by the flush
    new_timeline(session, incident.id)  # no entries yet: its clock needs no read of them
    if secret and report.register is not None:
        save_register(session, incident.id, report.register)
    if secret and not registered_only:
        where = incident_record(incident.id)
        incident.title = seal(
            keys, session, title, record=where, field="title", classification=level
        )
        incident.summary = seal(
            keys, session, summary, record=where, field="summary", classification=level
        )
        for name in ("location", "reporter_name", "reporter_unit", "reporter_phone"):
            value = str(getattr(report, name) or "")
            setattr(
                incident, name, seal(keys, session, value, record=where, field=name,
                                     classification=level),
            )  # fmt: skip
    text = summary if report.received_text is None else report.received_text
    received = TimelineEntry(
        incident_id=incident.id,
        seq=1,
        kind=EntryKind.RECEIVED,
        occurred_at=report.received_at,
        recorded_at=req.now,
        actor_id=req.actor_id,
        actor_name=req.actor_name,
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
    refresh_due(session=session, incident=incident, rules=req.rules)
    _first_readers(req, report, incident, session, classified=secret)
    return incident


def _first_readers(
    req: Request, report: NewIncident, incident: Incident, session: Session, *, classified: bool
) -> None:
    """Name an item's first readers (知悉范围): whom its registrar names, and them.

    The registering officer of a classified item holds its text already, so is named;
    whom else it is for (the leader, a unit) they name now, whatever the level, so that
    the list is there if the item is raised later. After intake only the security
    officer changes the list.
    """
    from dutydesk.services.incidents.readers import name_readers

    if not classified:
        if report.readers:
            name_readers(session, incident, report.readers, by=req.actor_name, now=req.now)
        return
    registrar = [req.actor_id] if req.actor_id is not None else []
    names = list(report.readers)
    if not registrar and req.actor_name:
        found = session.exec(select(Person.id).where(Person.name == req.actor_name)).first()
        registrar = [found] if found is not None else []
    name_readers(session, incident, names, by=req.actor_name, now=req.now, person_ids=registrar)
