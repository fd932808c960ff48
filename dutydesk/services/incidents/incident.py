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

from dataclasses import fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import select

from dutydesk.i18n import t
from dutydesk.rules.facts import PARSERS, FactError
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
from dutydesk.services.incidents.refusals import fact_refusal
from dutydesk.services.incidents.register import CONTENT_FIELDS, refuse_content, save_register
from dutydesk.services.incidents.steps import new_timeline
from dutydesk.services.integrity import chain
from dutydesk.services.integrity.sealed import entry_record, incident_record, seal
from dutydesk.services.limits import refuse_too_long
from dutydesk.storage.models import Incident, Person, TimelineEntry
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


def report_facts(report: NewIncident, received_at: datetime) -> dict[str, Any]:
    """The typed report elements of ``report``, checked (事发时间 not after 接报).

    Raises:
        IncidentError: a value is not what its field takes.

    """
    try:
        facts = {name: parser(name, getattr(report, name)) for name, parser in PARSERS.items()}
    except FactError as error:
        raise IncidentError(fact_refusal(error)) from None
    occurred = facts["occurred_at"]
    if occurred is not None and occurred > received_at:
        raise IncidentError(t("error.incident.occurred_after"))
    return facts


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
    now, keys = req.now, req.keys
    received_at, title, summary = report.received_at, report.title, report.summary
    require_aware(("received_at", received_at), ("now", now))
    level = enum_value(Classification, report.classification, "classification")
    secret = level.is_classified
    # Register mode (issue 13): a classified item is its register; content is refused.
    refuse_content(
        req,
        level,
        {name: getattr(report, name) for name in CONTENT_FIELDS}
        | {"received_text": report.received_text},
    )
    refuse_too_long(req.limits, {f.name: getattr(report, f.name) for f in fields(report)})
    registered_only = secret and req.register_only
    if not summary.strip() and not registered_only:
        raise IncidentError(t("error.incident.no_summary"))
    grade = enum_value(Severity, report.severity, "severity")
    facts = report_facts(report, received_at)
    day = received_at.astimezone(req.tz).date()
    serial, number = next_serial(session=session, day=day)
    incident = Incident(
        serial=serial,
        serial_date=day,
        serial_no=number,
        received_at=received_at,
        channel=enum_value(Channel, report.channel, "channel"),
        # The kind of matter as given, else as its category or channel starts it
        # (data/rules.toml [kind_by_category], [kind_by_channel]).
        matter_kind=(
            enum_value(MatterKind, report.kind, "kind")
            if report.kind
            else req.rules.kind_for(
                enum_value(Channel, report.channel, "channel"),
                enum_value(Category, report.category, "category"),
            )
        ),
        occurred_at=facts["occurred_at"],
        sensitive=facts["sensitive"],
        report_every_minutes=facts["report_every_minutes"],
        deaths=facts["deaths"],
        injured=facts["injured"],
        missing=facts["missing"],
        trapped=facts["trapped"],
        category=enum_value(Category, report.category, "category"),
        severity=grade,
        severity_rank=grade.rank,
        classification=level,
        title="" if secret else title,
        summary="" if secret else summary,
        # Issue 13: on an accredited network these are sealed too, after the flush.
        reporter_name="" if secret else report.reporter_name,
        reporter_unit="" if secret else report.reporter_unit,
        reporter_phone="" if secret else report.reporter_phone,
        location="" if secret else report.location,
        status=Status.RECEIVED,
        is_open=True,
        created_by_id=req.actor_id,
        created_at=now,
        updated_at=now,
    )
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
        occurred_at=received_at,
        recorded_at=now,
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
