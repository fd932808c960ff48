"""Follow-up (跟踪): appending entries to an incident's timeline.

Entries are append-only. Whether an entry fits is decided by the pure workflow rules
(:func:`dutydesk.rules.workflow.refusal`); this module gathers what they need from the
timeline, turns a refusal into words (:class:`EntryRefused`), writes the entry, moves the
status on, bumps the incident's version and recomputes its deadline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dutydesk.i18n import t
from dutydesk.services.incidents.checks import NewEntry as NewEntry
from dutydesk.services.incidents.checks import (
    cadence_asked,
    check_entry,
    check_entry_times,
    checked_entry,
    entry_changes,
    entry_numbers,
)
from dutydesk.services.incidents.records import (
    IncidentError,
    check_version,
    enum_value,
    refresh_due,
    require_aware,
)
from dutydesk.services.incidents.steps import timeline_steps
from dutydesk.services.integrity import chain
from dutydesk.services.integrity.sealed import entry_record, incident_record, seal
from dutydesk.services.integrity.state_facts import only_chain_pending, reading_past_facts
from dutydesk.storage.models import Incident, TimelineEntry
from dutydesk.vocab import EntryKind

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.request import Request


def _steps(session: Session, incident_id: int | None) -> list[tuple[int, str]]:
    """The ``seq`` and kind of every entry on the incident's timeline.

    Read once per transaction and kept (:mod:`.steps`): the workflow check, the new
    entry's numbers and the clock all ask for it (issue 16).
    """
    with reading_past_facts(session):
        return [(step.seq, step.kind) for step in timeline_steps(session, incident_id)]


def _numbers(session: Session, incident_id: int) -> tuple[int, int]:
    """The next ``seq`` on the timeline and the next continued-report number."""
    return entry_numbers(_steps(session, incident_id))


def _lock(session: Session, incident: Incident) -> None:
    """Lock the incident's row and read it again, before anything is decided from it.

    Two officers logging on one incident at once must not both number their entry
    ``seq`` N, nor both move version 7 to 8 from what they read before the other
    committed. SQLite's ``BEGIN IMMEDIATE`` already serialises writers; on PostgreSQL
    (READ COMMITTED) this ``SELECT ... FOR UPDATE`` does: the second waits for the
    first's commit, then reads its entry and version (issue 17: 287 of 400 concurrent
    follow-ups failed on the timeline's unique (incident, seq) before this). Changes
    the caller made to ``incident`` are flushed first, so the fresh read keeps them.
    On SQLite the row is not read again: the session has held the file's write lock
    since its first write, so nobody can have changed it since it was read (issue 16:
    the re-read was an eighth of loading the demo).
    """
    if not only_chain_pending(session):  # chain bookkeeping waits for the next flush
        session.flush()
    if session.get_bind().dialect.name != "sqlite":
        with reading_past_facts(session):
            session.refresh(incident, with_for_update=True)


def _timeline(
    session: Session, incident: Incident, refers_to_id: int | None
) -> tuple[TimelineEntry | None, list[EntryKind | str]]:
    """The entry ``refers_to_id`` names (checked to be the incident's) and the entry kinds.

    Read right after :func:`_lock` flushed the caller's changes: what is pending now is
    chain bookkeeping, which goes with the next flush (:func:`.reading_past_facts`).

    Raises:
        IncidentError: ``refers_to_id`` is not an entry of this incident.

    """
    with reading_past_facts(session):
        referred = None if refers_to_id is None else session.get(TimelineEntry, refers_to_id)
        if refers_to_id is not None and (referred is None or referred.incident_id != incident.id):
            raise IncidentError(
                t("error.incident.not_on_timeline", serial=incident.serial, id=refers_to_id)
            )
    return referred, [kind for _seq, kind in _steps(session, incident.id)]


def add_entry(
    req: Request, incident: Incident, entry: NewEntry, *, session: Session
) -> TimelineEntry:
    """Append one step to an incident's timeline and move the incident on.

    Entries are never edited: a mistake is answered by a ``correction`` entry that refers
    to it. An entry that does not fit the incident now is refused
    (:func:`dutydesk.rules.workflow.refusal`). A continued report is numbered
    automatically (续报一 is ``report_no`` 1). A leader instruction without its own
    ``due_at`` gets the default feedback period. The incident's status follows
    :func:`dutydesk.rules.workflow.status_after`; its version and ``updated_at`` change
    and its deadline is recomputed.

    Args:
        req: who records it (``actor_name``, ``actor_id``), the moment of writing
            (``now``, aware), the deadline rules and the key ring sealing the text of a
            classified incident's entry.
        incident: the incident, already flushed.
        entry: the step.
        session: the ORM session to write in.

    Returns:
        The new entry, flushed.

    Raises:
        IncidentError: the incident is not saved, a time is naive or out of order, or
            ``refers_to_id`` is not an entry of this incident.
        EntryRefused: the entry does not fit the incident's status or timeline.
        ConflictError: ``expected_version`` is out of date.

    """
    now, kind, occurred_at, text = req.now, entry.kind, entry.occurred_at, entry.text
    due_at, refers_to_id = entry.due_at, entry.refers_to_id
    entry_kind = enum_value(EntryKind, kind, "kind")
    require_aware(("occurred_at", occurred_at), ("now", now), ("due_at", due_at))
    if incident.id is None:
        raise IncidentError("the incident must be saved before entries are added to it")
    _lock(session, incident)
    check_entry(req, incident, entry)
    check_version(incident, entry.expected_version, {"kind": entry_kind.value, "text": text})
    check_entry_times(incident, entry)
    referred, history = _timeline(session, incident, refers_to_id)
    seen = (str(referred.kind), referred.seq) if referred else None
    checked = checked_entry(req, incident, entry, entry_kind, history, seen)
    written = record_entry(req, incident, checked, session=session)
    if entry_kind is EntryKind.LEADER_INSTRUCTION:
        _follow_cadence(req, incident, written, text, session=session)
    return written


def _follow_cadence(
    req: Request, incident: Incident, instruction: TimelineEntry, text: str, *, session: Session
) -> None:
    """Set the report cadence an emergency's instruction asks for (每小时报告一次: 60 min).

    Only a stricter cadence than the incident's is taken, and the change is on the
    timeline as any field change is, naming the instruction, so the officer sees why
    the continued-report clock moved and may set it back by editing.
    """
    from dutydesk.rules.cadence import set_by
    from dutydesk.rules.facts import as_text
    from dutydesk.services.incidents.edits import describe_changes

    minutes = cadence_asked(incident, EntryKind.LEADER_INSTRUCTION, text)
    if minutes is None:
        return
    current = incident.report_every_minutes
    change = describe_changes({"report_every_minutes": (as_text(current), str(minutes))})
    incident.report_every_minutes = minutes
    note = NewEntry(
        kind=EntryKind.FIELD_CHANGE,
        occurred_at=instruction.occurred_at,
        text=f"{change}\n{set_by(instruction.seq)}",
        refers_to_id=instruction.id,
    )
    record_entry(req, incident, note, session=session)


def _sealed_detail(
    req: Request,
    session: Session,
    incident: Incident,
    value: str,
    *,
    seq: int | None = None,
    name: str = "target",
) -> str:
    """An entry's 'to whom' (``seq``) or the incident's leader/department as stored.

    Sealed for a classified item on an accredited network (issue 13); in register mode
    the 'to whom' of a classified item is its register (呈批/传阅 to whom), kept in clear.
    """
    if req.register_only:
        return value
    assert incident.id is not None
    record = incident_record(incident.id) if seq is None else entry_record(incident.id, seq)
    return seal(
        req.keys, session, value, record=record, field=name,
        classification=incident.classification,
    )  # fmt: skip


def record_entry(
    req: Request, incident: Incident, entry: NewEntry, *, session: Session
) -> TimelineEntry:
    """Write an already checked entry and move the incident on (no workflow check).

    For services that write entries of their own (``field_change``); everything an
    operator asks for goes through :func:`add_entry`. ``entry.expected_version`` is not
    looked at here. The text of a classified incident's entry is sealed here, before it
    is chained (the chain covers the sealed form, so it can never be re-sealed later).
    """
    assert incident.id is not None
    now, kind = req.now, EntryKind(entry.kind)
    seq, report_no = _numbers(session, incident.id)
    written = TimelineEntry(
        incident_id=incident.id,
        seq=seq,
        kind=kind,
        occurred_at=entry.occurred_at,
        recorded_at=now,
        actor_id=req.actor_id,
        actor_name=req.actor_name,
        text=seal(
            req.keys,
            session,
            entry.text,
            record=entry_record(incident.id, seq),
            field="text",
            classification=incident.classification,
        ),
        report_no=report_no if kind is EntryKind.CONTINUED_REPORT else None,
        target=_sealed_detail(req, session, incident, entry.target, seq=seq),
        due_at=entry.due_at,
        refers_to_id=entry.refers_to_id,
    )
    session.add(written)
    chain.append(session, written)  # linked in this transaction: the record is append-only
    changes = entry_changes(
        incident,
        kind,
        entry.target,
        now,
        lambda value, name: _sealed_detail(req, session, incident, value, name=name),
    )
    for name, value in changes.items():
        setattr(incident, name, value)
    refresh_due(session=session, incident=incident, rules=req.rules)
    return written
