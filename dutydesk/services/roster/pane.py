"""The roster pane: who is on now, the next shifts, leaders away today and who acts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from dutydesk.rules.dates import day_around
from dutydesk.rules.shifts import ShiftSlot, following_shifts, shift_at
from dutydesk.storage.engine import Database, as_utc
from dutydesk.vocab import Position, ShiftKind


@dataclass(frozen=True)
class Holder:
    """A person in a position, with a partial-cover window when there is one."""

    position: Position
    name: str
    start_at: datetime | None = None
    end_at: datetime | None = None
    phone: str = ""
    """The person's contact number, as the roster prints it."""
    on_call: bool = False
    """A duty leader leading by phone (电话带班), not at the desk (在岗)."""


@dataclass(frozen=True)
class ShiftView:
    """A shift with its holders, in position order."""

    slot: ShiftSlot
    special_period: bool = False
    special_note: str = ""
    holders: tuple[Holder, ...] = ()
    planned: bool = True
    """False when the roster has no such shift: the pane says "not rostered"."""


@dataclass(frozen=True)
class Absence:
    """A leader away (外出报备) and the colleague who looks after their work."""

    leader: str
    leader_title: str
    destination: str
    reason: str
    start_at: datetime
    end_at: datetime
    acting: str
    acting_title: str
    id: int = 0
    """The registration's number (for 销假: ``dutydesk leave return ID``)."""
    contact_phone: str = ""
    leave_type: str = "official"
    approved_by: str = ""
    returned_at: datetime | None = None
    """销假: back before ``end_at``; away until then."""


@dataclass(frozen=True)
class RosterView:
    """Everything the roster pane shows."""

    current: ShiftView
    upcoming: tuple[ShiftView, ...]
    away: tuple[Absence, ...] = field(default_factory=tuple)


_POSITION_ORDER = {position: index for index, position in enumerate(Position)}


def _shift_view(db: Database, slot: ShiftSlot) -> ShiftView:
    rows = db.read(
        "SELECT id, special_period, special_note FROM shift WHERE shift_date = :d AND kind = :k",
        {"d": slot.shift_date.isoformat(), "k": slot.kind.value},
    )
    if not rows:
        return ShiftView(slot=slot, planned=False)
    shift_id, special, note = rows[0]
    holders = db.read(
        "SELECT a.position, p.name, a.start_at, a.end_at, p.phone, a.on_call FROM assignment a "
        "JOIN person p ON p.id = a.person_id WHERE a.shift_id = :id",
        {"id": shift_id},
    )
    ordered = sorted(
        (
            Holder(
                Position(pos), str(name), as_utc(start), as_utc(end), str(phone or ""), bool(call)
            )
            for pos, name, start, end, phone, call in holders
        ),
        key=lambda holder: (_POSITION_ORDER[holder.position], holder.start_at or slot.start_at),
    )
    return ShiftView(slot, bool(special), str(note), tuple(ordered))


def leaders_away(db: Database, day_start: datetime, day_end: datetime) -> list[Absence]:
    """Leave registrations overlapping ``[day_start, day_end)``, earliest first."""
    rows = db.read(
        "SELECT l.name AS leader, l.title AS leader_title, r.destination, r.reason, "
        "r.start_at, r.end_at, a.name AS acting, a.title AS acting_title, r.id, "
        "r.contact_phone, r.leave_type, r.approved_by, r.returned_at "
        "FROM leave_registration r JOIN person l ON l.id = r.leader_id "
        "JOIN person a ON a.id = r.acting_leader_id "
        "WHERE r.start_at < :end AND r.end_at > :start "
        "AND (r.returned_at IS NULL OR r.returned_at > :start) "  # back (销假): not away
        "ORDER BY r.start_at, l.name",
        {"start": db.time_param(day_start), "end": db.time_param(day_end)},
    )
    return [
        Absence(
            str(row.leader),
            str(row.leader_title),
            str(row.destination),
            str(row.reason),
            as_utc(row.start_at),  # type: ignore[arg-type]
            as_utc(row.end_at),  # type: ignore[arg-type]
            str(row.acting),
            str(row.acting_title),
            int(row.id),
            str(row.contact_phone),
            str(row.leave_type),
            str(row.approved_by),
            as_utc(row.returned_at),
        )
        for row in rows
    ]


def roster_view(
    db: Database, now: datetime, *, day_start: time, night_start: time, tz: ZoneInfo
) -> RosterView:
    """The roster as of ``now``: the current shift, the next two, and today's absences."""
    current = shift_at(now, day_start, night_start, tz)
    upcoming = following_shifts(current, 2, day_start, night_start, tz)
    return RosterView(
        current=_shift_view(db, current),
        upcoming=tuple(_shift_view(db, slot) for slot in upcoming),
        away=tuple(leaders_away(db, *day_around(now, tz))),
    )


def on_duty(
    db: Database,
    position: Position,
    now: datetime,
    *,
    day_start: time,
    night_start: time,
    tz: ZoneInfo,
) -> str | None:
    """Who holds ``position`` at ``now`` by the roster (``None`` if nobody is rostered).

    A holder covering part of the shift counts only inside their window.
    """
    view = _shift_view(db, shift_at(now, day_start, night_start, tz))
    for holder in view.holders:
        if holder.position is not position:
            continue
        if (holder.start_at is None or holder.start_at <= now) and (
            holder.end_at is None or now < holder.end_at
        ):
            return holder.name
    return None


__all__ = [
    "Absence",
    "Holder",
    "RosterView",
    "ShiftKind",
    "ShiftView",
    "leaders_away",
    "on_duty",
    "roster_view",
]
