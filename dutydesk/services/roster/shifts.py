"""The roster (排班): reading shifts, the week view, and proposing a rotation.

Reads go through :meth:`Database.read`; writes (applying a rotation) through one ORM
session with an audit event, so a roster is never half-written. Importing a CSV is in
:mod:`dutydesk.services.roster.imports`; swaps, covers and special periods in
:mod:`dutydesk.services.roster.changes`. The pure scheduling is :mod:`dutydesk.rules.rotation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from dutydesk.config import Settings
from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.rotation import Rotation, Seat, SlotNeed, propose
from dutydesk.rules.shifts import slot
from dutydesk.services.roster.pane import Holder, ShiftView, leaders_away
from dutydesk.storage.engine import Database, as_utc
from dutydesk.vocab import Position, Role, ShiftKind

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.storage.models import Shift

ROLE_FOR: dict[Position, Role] = {
    Position.DUTY_LEADER: Role.DUTY_LEADER,
    Position.DUTY_OFFICER: Role.DUTY_OFFICER,
    Position.INFORMATION_OFFICER: Role.INFORMATION_OFFICER,
    Position.CONFIDENTIAL_OFFICER: Role.CONFIDENTIAL_OFFICER,
}
"""The role a person needs to hold a position."""

POSITION_ORDER = {position: index for index, position in enumerate(Position)}
"""Roster order of the positions (duty leader first)."""


class RosterError(DutyDeskError):
    """A roster change that cannot be made as asked; nothing was written."""

    exit_code = 2


def candidates(db: Database) -> dict[Position, list[str]]:
    """Active people qualified for each position, by name."""
    rows = db.read(
        "SELECT r.role, p.name FROM person_role r JOIN person p ON p.id = r.person_id "
        "WHERE p.active = TRUE ORDER BY p.id"
    )
    by_role: dict[str, list[str]] = {}
    for role, name in rows:
        by_role.setdefault(str(role), []).append(str(name))
    return {position: by_role.get(role.value, []) for position, role in ROLE_FOR.items()}


def shift_views(db: Database, first: date, last: date, settings: Settings) -> list[ShiftView]:
    """Every day and night shift from ``first`` to ``last`` (inclusive), planned or not."""
    shifts = db.read(
        "SELECT id, shift_date, kind, special_period, special_note FROM shift "
        "WHERE shift_date >= :first AND shift_date <= :last",
        {"first": first.isoformat(), "last": last.isoformat()},
    )
    holders = db.read(
        "SELECT a.shift_id, a.position, p.name, a.start_at, a.end_at, p.phone, a.on_call "
        "FROM assignment a "
        "JOIN shift s ON s.id = a.shift_id JOIN person p ON p.id = a.person_id "
        "WHERE s.shift_date >= :first AND s.shift_date <= :last",
        {"first": first.isoformat(), "last": last.isoformat()},
    )
    seats: dict[int, list[Holder]] = {}
    for shift_id, position, name, start, end, phone, call in holders:
        seats.setdefault(int(shift_id), []).append(
            Holder(
                Position(position),
                str(name),
                as_utc(start),
                as_utc(end),
                str(phone or ""),
                bool(call),
            )
        )
    found = {(date.fromisoformat(str(d)), ShiftKind(k)): (i, s, n) for i, d, k, s, n in shifts}
    views: list[ShiftView] = []
    day = first
    while day <= last:
        for kind in (ShiftKind.DAY, ShiftKind.NIGHT):
            bounds = slot(
                day, kind, settings.day_shift_start, settings.night_shift_start, settings.tz
            )
            if (day, kind) not in found:
                views.append(ShiftView(bounds, planned=False))
                continue
            shift_id, special, note = found[(day, kind)]
            ordered = sorted(
                seats.get(int(shift_id), []),
                key=lambda h: (POSITION_ORDER[h.position], h.start_at or bounds.start_at),
            )
            views.append(ShiftView(bounds, bool(special), str(note), tuple(ordered)))
        day += timedelta(days=1)
    return views


def _whole(holder: Holder) -> bool:
    return holder.start_at is None and holder.end_at is None


@dataclass(frozen=True)
class Proposal:
    """A proposed rotation for a date range, ready to show or apply."""

    first: date
    last: date
    rotation: Rotation

    @property
    def new_seats(self) -> list[Seat]:
        """The seats the proposal adds (fixed ones are already in the store)."""
        return [seat for seat in self.rotation.seats if not seat.fixed]


def generate(db: Database, first: date, last: date, settings: Settings) -> Proposal:
    """Propose who fills every empty seat from ``first`` to ``last`` (inclusive).

    Seats already rostered are kept and counted; leaders on leave are not rostered in
    their absence; the night before ``first`` counts for the rest rules.

    Raises:
        RosterError: ``first`` is after ``last``, or the range is longer than a year.

    """
    if first > last:
        raise RosterError(t("error.roster.backwards", first=first, last=last))
    if (last - first).days > 366:
        raise RosterError(t("error.roster.a_year"))
    views = shift_views(db, first - timedelta(days=1), last, settings)
    previous = [
        h.name
        for v in views
        if v.slot.shift_date < first and v.slot.kind is ShiftKind.NIGHT
        for h in v.holders
    ]
    needs: list[SlotNeed] = []
    away: dict[tuple[date, ShiftKind], frozenset[str]] = {}
    for view in views:
        if view.slot.shift_date < first:
            continue
        fixed = {h.position: h.name for h in view.holders if _whole(h)}
        needs.append(SlotNeed(view.slot.shift_date, view.slot.kind, view.special_period, fixed))
        gone = leaders_away(db, view.slot.start_at, view.slot.end_at)
        away[(view.slot.shift_date, view.slot.kind)] = frozenset(a.leader for a in gone)
    rotation = propose(
        needs,
        candidates(db),
        away=away,
        previous_night=previous,
        policy=settings.rotation_policy(),
    )
    return Proposal(first, last, rotation)


def ensure_shift(session: Session, day: date, kind: ShiftKind, settings: Settings) -> Shift:
    """The shift of ``day`` and ``kind``, created (not special, no seats) when missing."""
    from sqlmodel import select

    from dutydesk.storage.models import Shift

    found = session.exec(select(Shift).where(Shift.shift_date == day, Shift.kind == kind)).first()
    if found is not None:
        return found
    bounds = slot(day, kind, settings.day_shift_start, settings.night_shift_start, settings.tz)
    shift = Shift(shift_date=day, kind=kind, start_at=bounds.start_at, end_at=bounds.end_at)
    session.add(shift)
    session.flush()
    return shift


def person_ids(session: Session) -> dict[str, int]:
    """Everyone's id by name."""
    from sqlmodel import select

    from dutydesk.storage.models import Person

    return {str(n): int(i) for i, n in session.exec(select(Person.id, Person.name)).all() if i}


def apply(
    db: Database, proposal: Proposal, *, actor: str, now: datetime, settings: Settings
) -> int:
    """Write the proposal's new seats in one transaction; return how many were added."""
    from dutydesk.services.accounts.audit import record
    from dutydesk.storage.models import Assignment

    seats = proposal.new_seats
    with db.session() as session:
        ids = person_ids(session)
        for seat in seats:
            shift = ensure_shift(session, seat.shift_date, seat.kind, settings)
            assert shift.id is not None  # flushed
            session.add(
                Assignment(shift_id=shift.id, position=seat.position, person_id=ids[seat.name])
            )
        record(
            session=session,
            actor=actor,
            action="roster.generate",
            object_type="shift",
            object_id=f"{proposal.first}..{proposal.last}",
            detail=f"applied a generated rotation: {len(seats)} seats "
            f"from {proposal.first} to {proposal.last}",
            now=now,
        )
    return len(seats)


__all__ = [
    "ROLE_FOR",
    "Proposal",
    "RosterError",
    "apply",
    "candidates",
    "ensure_shift",
    "generate",
    "person_ids",
    "shift_views",
]
