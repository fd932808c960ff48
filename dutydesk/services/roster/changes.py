"""Changing the roster by hand: swap two people, cover for someone, mark a special period.

Each change is one transaction with an :class:`~dutydesk.storage.models.AuditEvent` naming who
made it. Holding two seats at once is refused; a change that breaks a rest rule (two
nights in a row, a day after a night) is made, because the people agreed to it, and the
rule it breaks is returned as a warning for the CLI and the console to show.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select

from dutydesk.config import Settings
from dutydesk.i18n import code_name, t
from dutydesk.rules.rotation import Seat, check
from dutydesk.services.accounts.audit import record
from dutydesk.services.incidents.records import refresh_open_clocks
from dutydesk.services.roster.shifts import ROLE_FOR, RosterError, ensure_shift
from dutydesk.services.roster.words import problem_text
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Assignment, Person, PersonRole, Shift
from dutydesk.vocab import Position, ShiftKind

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.request import Request


def _person(session: Session, name: str) -> Person:
    found = session.exec(select(Person).where(Person.name == name.strip())).first()
    if found is None:
        raise RosterError(t("error.roster.nobody", name=repr(name.strip())))
    return found


def _shift(session: Session, day: date, kind: ShiftKind) -> Shift:
    found = session.exec(select(Shift).where(Shift.shift_date == day, Shift.kind == kind)).first()
    if found is None:
        raise RosterError(
            t("error.roster.no_shift", day=day, kind=t(f"handover.kind.{kind.value}"))
        )
    return found


def _seat_of(session: Session, shift: Shift, person: Person) -> Assignment:
    found = session.exec(
        select(Assignment).where(Assignment.shift_id == shift.id, Assignment.person_id == person.id)
    ).first()
    if found is None:
        raise RosterError(
            t(
                "error.roster.not_on_shift",
                name=person.name,
                day=shift.shift_date,
                kind=t(f"handover.kind.{ShiftKind(shift.kind).value}"),
            )
        )
    return found


def _rules_broken(session: Session, days: set[date]) -> list[str]:
    """Hard-rule refusals raise; rest-rule breaches around ``days`` come back as warnings."""
    session.flush()
    first, last = min(days) - timedelta(days=1), max(days) + timedelta(days=1)
    rows = session.exec(
        select(col(Shift.shift_date), col(Shift.kind), col(Assignment.position), col(Person.name))
        .join(Assignment, col(Assignment.shift_id) == Shift.id)
        .join(Person, col(Person.id) == Assignment.person_id)
        .where(Shift.shift_date >= first, Shift.shift_date <= last)
    ).all()
    found = check(Seat(d, ShiftKind(k), Position(p), str(n)) for d, k, p, n in rows)
    for problem in found:
        if problem.key == "two_positions":
            raise RosterError(t("error.roster.nothing_changed", problem=problem_text(problem)))
    return [problem_text(problem) for problem in found]


def _require_role(session: Session, person: Person, position: Position) -> None:
    role = session.get(PersonRole, (person.id, ROLE_FOR[position].value))
    if role is None:
        raise RosterError(t("error.roster.no_role", name=person.name, role=code_name(position)))


def swap(
    db: Database,
    first: tuple[date, ShiftKind, str],
    second: tuple[date, ShiftKind, str],
    *,
    actor: str,
    now: datetime,
) -> list[str]:
    """Exchange two people's seats (on one shift, or on two); return rest-rule warnings.

    Raises:
        RosterError: someone is not on the named shift, lacks the role for the other
            seat, or would hold two seats at once.

    """
    with db.session() as session:
        (day1, kind1, name1), (day2, kind2, name2) = first, second
        person1, person2 = _person(session, name1), _person(session, name2)
        if person1.id == person2.id:
            raise RosterError(t("error.roster.swap_same"))
        seat1 = _seat_of(session, _shift(session, day1, kind1), person1)
        seat2 = _seat_of(session, _shift(session, day2, kind2), person2)
        _require_role(session, person1, Position(seat2.position))
        _require_role(session, person2, Position(seat1.position))
        if seat1.shift_id == seat2.shift_id:
            seat1.position, seat2.position = seat2.position, seat1.position
        else:
            assert person1.id is not None and person2.id is not None
            seat1.person_id, seat2.person_id = person2.id, person1.id
        session.add_all([seat1, seat2])
        warnings = _rules_broken(session, {day1, day2})
        record(
            session=session,
            actor=actor,
            action="roster.swap",
            object_type="shift",
            object_id=f"{seat1.shift_id},{seat2.shift_id}",
            detail=f"{name1} ({day1} {kind1.value}) swapped with {name2} ({day2} {kind2.value})",
            now=now,
        )
    return warnings


def cover(
    req: Request,
    *,
    day: date,
    kind: ShiftKind,
    absent: str,
    by: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[str]:
    """``by`` covers ``absent``'s seat, for the whole shift or from ``start`` to ``end``.

    A whole-shift cover hands the seat over; a partial cover adds ``by`` to the seat for
    the window (``absent`` keeps the rest of the shift). Returns rest-rule warnings. The
    change is audited as ``req.actor_name``'s at ``req.now``.

    Raises:
        RosterError: no such seat, a window outside the shift or backwards, ``by`` lacks
            the role or already holds a seat on the shift.

    """
    if (start is None) != (end is None):
        raise RosterError(t("error.roster.cover_half"))
    with req.db.session() as session:
        shift = _shift(session, day, kind)
        assert shift.id is not None  # read from the store
        seat = _seat_of(session, shift, _person(session, absent))
        helper = _person(session, by)
        position = Position(seat.position)
        _require_role(session, helper, position)
        if start is not None and end is not None:
            if not shift.start_at <= start < end <= shift.end_at:
                raise RosterError(t("error.roster.cover_window"))
            assert helper.id is not None
            session.add(
                Assignment(
                    shift_id=shift.id,
                    position=position,
                    person_id=helper.id,
                    start_at=start,
                    end_at=end,
                )
            )
            window = f" from {start.isoformat()} to {end.isoformat()}"
        else:
            assert helper.id is not None
            seat.person_id = helper.id
            session.add(seat)
            window = ""
        warnings = _rules_broken(session, {day})
        record(
            session=session,
            actor=req.actor_name,
            action="roster.cover",
            object_type="shift",
            object_id=shift.id,
            detail=f"{by} covers {absent} as {position.value} on {day} {kind.value}{window}",
            now=req.now,
        )
    return warnings


def mark_special(
    req: Request, first: date, last: date, *, note: str, on: bool = True, settings: Settings
) -> int:
    """Mark (or unmark) every shift from ``first`` to ``last`` as a special period.

    Missing shifts are created, so a period can be marked before it is rostered.
    Returns the number of shifts marked. The change is audited as ``req.actor_name``'s.

    Raises:
        RosterError: ``first`` is after ``last``, or no note is given when marking.

    """
    if first > last:
        raise RosterError(t("error.roster.backwards", first=first, last=last))
    if on and not note.strip():
        raise RosterError(t("error.roster.special_note"))
    count = 0
    with req.db.session() as session:
        day = first
        while day <= last:
            for kind in ShiftKind:
                shift = ensure_shift(session, day, kind, settings)
                shift.special_period = on
                shift.special_note = note.strip()[:128] if on else ""
                session.add(shift)
                count += 1
            day += timedelta(days=1)
        # 特殊时期 changes every open emergency's report cadence.
        refresh_open_clocks(session, req.rules, req.now)
        record(
            session=session,
            actor=req.actor_name,
            action="roster.special" if on else "roster.special_off",
            object_type="shift",
            object_id=f"{first}..{last}",
            detail=f"special period {first} to {last}: {note.strip()}"
            if on
            else f"special period {first} to {last} lifted",
            now=req.now,
        )
    return count


def set_leader_mode(req: Request, day: date, kind: ShiftKind, *, by_phone: bool) -> str:
    """Say whether the shift's duty leader leads at the desk (在岗) or by phone (电话带班).

    Returns the duty leader's name. The change is audited as ``req.actor_name``'s.

    Raises:
        RosterError: the shift has no duty leader rostered.

    """
    with req.db.session() as session:
        found = session.exec(
            select(Assignment, Person.name)
            .join(Shift, col(Shift.id) == col(Assignment.shift_id))
            .join(Person, col(Person.id) == col(Assignment.person_id))
            .where(
                Shift.shift_date == day,
                Shift.kind == kind,
                Assignment.position == Position.DUTY_LEADER,
            )
        ).all()
        if not found:
            raise RosterError(
                t("error.roster.no_leader", day=day, kind=t(f"handover.kind.{kind.value}"))
            )
        for seat, _name in found:
            seat.on_call = by_phone
            session.add(seat)
        name = str(found[0][1])
        record(
            session=session,
            actor=req.actor_name,
            action="roster.leader_mode",
            object_type="shift",
            object_id=f"{day} {kind.value}",
            detail=f"{name}: {'by phone' if by_phone else 'at the desk'}",
            now=req.now,
        )
    return name


__all__ = ["cover", "mark_special", "set_leader_mode", "swap"]
