"""Writing resolved demo data (:class:`~dutydesk.services.demo.file.DemoData`) to a session.

Kept apart from :mod:`dutydesk.services.demo.load` (which decides *whether* to load) so each
stays small. ``@position`` actors and targets are resolved here, against the roster just
written, so that whoever held the position at that moment is the one named.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from dutydesk.config import Settings
from dutydesk.rules.shifts import shift_at, slot
from dutydesk.services.demo.file import DemoData, DemoDataError, IncidentSpec
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.incident import add_entry, create_incident
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.services.incidents.register import (
    COPY_KINDS,
    RegisterFields,
    record_copy,
    sign_back,
)
from dutydesk.storage.models import (
    Assignment,
    Credential,
    LeaveRegistration,
    Person,
    PersonRole,
    Shift,
    TimelineEntry,
)
from dutydesk.vocab import Classification, EntryKind, Position, ShiftKind

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.request import Request

_POSITIONS = tuple(Position)


class _Roster:
    """Who held which position on each demo shift, to resolve ``@position`` names."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.holders: dict[tuple[object, ShiftKind], dict[Position, str]] = {}

    def holder(self, position: Position, moment: datetime) -> str:
        s = self.settings
        current = shift_at(moment, s.day_shift_start, s.night_shift_start, s.tz)
        seats = self.holders.get((current.shift_date, current.kind))
        if seats is None:
            raise DemoDataError(f"no shift rostered at {moment.isoformat()}")
        # A day shift outside a special period has no confidential officer: the duty
        # officer handles what comes in.
        return seats.get(position) or seats[Position.DUTY_OFFICER]

    def resolve(self, name: str, moment: datetime) -> str:
        if not name.startswith("@"):
            return name
        try:
            position = Position(name[1:])
        except ValueError:
            raise DemoDataError(f"{name!r} is not a roster position") from None
        return self.holder(position, moment)


@lru_cache(maxsize=32)
def _demo_pin_hash(pin: str) -> str:
    """A cheap hash (N = 2**10) of a demo PIN.

    The demo's PINs are published, so a slow hash protects nothing, and tests load the
    demo many times.
    """
    from dutydesk.services.accounts.auth import hash_pin

    return hash_pin(pin, n=2**10)


def _people(session: Session, data: DemoData, now: datetime) -> dict[str, int]:
    ids: dict[str, int] = {}
    for spec in data.people:
        person = Person(
            name=spec.name,
            title=spec.title,
            unit=spec.unit,
            phone=spec.phone,
            clearance=spec.clearance,
        )
        session.add(person)
        session.flush()
        assert person.id is not None
        ids[spec.name] = person.id
        session.add_all(PersonRole(person_id=person.id, role=role.value) for role in spec.roles)
        if spec.pin:
            pin_hash = _demo_pin_hash(spec.pin)
            session.add(Credential(person_id=person.id, pin_hash=pin_hash, changed_at=now))
    return ids


def _person_id(ids: dict[str, int], name: str, where: str) -> int:
    try:
        return ids[name]
    except KeyError:
        raise DemoDataError(f"{where}: {name!r} is not a person of the demo") from None


def _roster(session: Session, data: DemoData, ids: dict[str, int], roster: _Roster) -> None:
    """Every shift in one flush (their ids), then every seat.

    A flush per shift (for its id) was a sixth of loading the demo (issue 16). The seats
    are written, and so chained as state facts, in the same order as before: shift by
    shift, position by position.
    """
    s = roster.settings
    shifts: list[tuple[Shift, dict[Position, str], str]] = []
    for spec in data.shifts:
        kind = ShiftKind(spec.kind)
        bounds = slot(spec.shift_date, kind, s.day_shift_start, s.night_shift_start, s.tz)
        if len(spec.names) > len(_POSITIONS):
            raise DemoDataError(f"roster {spec.shift_date} {kind}: more names than positions")
        shift = Shift(
            shift_date=spec.shift_date,
            kind=kind,
            start_at=bounds.start_at,
            end_at=bounds.end_at,
            special_period=spec.special_note is not None,
            special_note=spec.special_note or "",
        )
        session.add(shift)
        seats = dict(zip(_POSITIONS, spec.names, strict=False))
        roster.holders[(spec.shift_date, kind)] = seats
        shifts.append((shift, seats, f"roster {spec.shift_date} {kind}"))
    session.flush()
    for shift, seats, where in shifts:
        assert shift.id is not None
        session.add_all(
            Assignment(shift_id=shift.id, position=pos, person_id=_person_id(ids, name, where))
            for pos, name in seats.items()
        )


def _leave(session: Session, data: DemoData, ids: dict[str, int], now: datetime) -> None:
    for spec in data.leave:
        session.add(
            LeaveRegistration(
                leader_id=_person_id(ids, spec.leader, "leave"),
                acting_leader_id=_person_id(ids, spec.acting, "leave"),
                start_at=spec.start_at,
                end_at=spec.end_at,
                destination=spec.destination,
                reason=spec.reason,
                created_at=min(spec.start_at, now),
            )
        )


def _register(spec: IncidentSpec, roster: _Roster) -> RegisterFields | None:
    """The item's register (issue 13), its 签收人 resolved at receipt; ``None``: none given."""
    if not spec.has_register:
        return None
    return RegisterFields(
        organ=spec.organ,
        doc_no=spec.doc_no,
        period=spec.period,
        copies=spec.copies,
        copy_no=spec.copy_no,
        signer=roster.resolve(spec.signer, spec.received_at),
    )


def _incident(
    req: Request, spec: IncidentSpec, *, session: Session, ids: dict[str, int], roster: _Roster
) -> None:
    where = f"incident {spec.fields['title'] or spec.doc_no!r}"
    now = req.now
    if spec.received_at > now:
        raise DemoDataError(f"{where}: received after the load moment")
    receiver = roster.resolve(spec.received_by, spec.received_at)
    fields: dict[str, Any] = dict(spec.fields)  # classified text is sealed by create_incident
    # Recorded as it came in, as on a live night, by whoever received it.
    intake = replace(req, now=spec.received_at, actor_name=receiver, actor_id=ids.get(receiver))
    readers = tuple(roster.resolve(name, spec.received_at) for name in spec.readers)
    incident = create_incident(
        intake,
        NewIncident(
            received_at=spec.received_at,
            readers=readers,
            register=_register(spec, roster),
            **fields,
        ),
        session=session,
    )
    classified = Classification(incident.classification).is_classified
    labelled: dict[str, int] = {}
    # Copies out, to come back when their time comes (signing back is not an entry).
    pending: list[tuple[datetime, int, str]] = []

    def signed_back_until(moment: datetime) -> None:
        for at, seq, by in sorted(item for item in pending if item[0] <= moment):
            pending.remove((at, seq, by))
            who = replace(req, now=at, actor_name=by, actor_id=ids.get(by))
            sign_back(who, incident, session=session, seq=seq, by=by)

    for entry in sorted(spec.entries, key=lambda item: item.at):
        if entry.at > now:
            raise DemoDataError(f"{where}: an entry happens after the load moment")
        if entry.answers and entry.answers not in labelled:
            raise DemoDataError(f"{where}: answers unknown entry id {entry.answers!r}")
        signed_back_until(entry.at)
        actor = roster.resolve(entry.actor, entry.at)
        by = replace(req, now=entry.at, actor_name=actor, actor_id=ids.get(actor))
        target = roster.resolve(entry.target, entry.at)
        if classified and EntryKind(entry.kind) in COPY_KINDS:
            # A copy's movement is the register's (record_copy), with its 份号.
            row = record_copy(
                by, incident, session=session, kind=entry.kind, holder=target,
                copy_no=entry.copy_no, occurred_at=entry.at,
            )  # fmt: skip
            written = session.get(TimelineEntry, row.entry_id)
            assert written is not None
            if entry.signed_back_at is not None:
                if entry.signed_back_at > now or entry.signed_back_at < entry.at:
                    raise DemoDataError(f"{where}: a copy is signed back out of time")
                back_by = roster.resolve(entry.signed_back_by or entry.target, entry.signed_back_at)
                pending.append((entry.signed_back_at, written.seq, back_by))
        else:
            step = NewEntry(
                kind=entry.kind,
                occurred_at=entry.at,
                text=entry.text,
                target=target,
                due_at=entry.due_at,
                refers_to_id=labelled[entry.answers] if entry.answers else None,
            )
            written = add_entry(by, incident, step, session=session)
        if entry.label:
            assert written.id is not None
            labelled[entry.label] = written.id
    signed_back_until(now)


def _daily_reports(req: Request, data: DemoData, *, session: Session, roster: _Roster) -> None:
    """The special period's daily reports already due at the load moment, made on time.

    The demo desk kept its 零报告 clock: each special 值班日 whose hour has passed was
    reported half an hour before it, by that day's duty officer, so the demo's overdue
    count holds only what is really late.
    """
    from datetime import timedelta

    from dutydesk.rules.daily_report import report_due_at
    from dutydesk.storage.models import DailyReport

    rules = req.rules
    if rules.zero_report_at is None:
        return
    special = sorted({spec.shift_date for spec in data.shifts if spec.special_note is not None})
    for day in special:
        due = report_due_at(day, rules.zero_report_at, rules.day_start, rules.zone)
        if due > req.now:
            continue
        seats = roster.holders.get((day, ShiftKind.DAY), {})
        session.add(
            DailyReport(
                report_date=day,
                zero_report=False,
                text="当日值班情况已按时报告",
                recorded_by=seats.get(Position.DUTY_OFFICER, ""),
                recorded_at=due - timedelta(minutes=30),
            )
        )


def write_demo(req: Request, data: DemoData, *, session: Session, settings: Settings) -> None:
    """Write people, roster, leave and incidents (in order of receipt) to ``session``.

    ``req`` carries the load moment (``now``) and the deadline rules.

    Raises:
        DemoDataError: a name, code or time in the data does not fit.

    """
    now = req.now
    ids = _people(session, data, now)
    roster = _Roster(settings)
    _roster(session, data, ids, roster)
    _leave(session, data, ids, now)
    _daily_reports(req, data, session=session, roster=roster)
    for spec in sorted(data.incidents, key=lambda item: item.received_at):
        _incident(req, spec, session=session, ids=ids, roster=roster)
