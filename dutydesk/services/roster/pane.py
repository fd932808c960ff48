"""The roster pane: who is on now, the next shifts, leaders away today and who acts.

A leader's itinerary (外出报备) carries a classification like any item (issue 13). Who
is away, when, and who acts are always shown: the desk must know whom to call. The
itinerary itself (destination, reason, contact number) of a 秘密/机密/绝密 registration
is opened only through a :class:`~dutydesk.services.integrity.reading.ClassifiedRead`
that may open ``leave:<id>`` (cleared for the level and named: the leader, the acting
leader or who registered it), and the read is then audited; any other caller gets the
registration ``restricted``, its itinerary blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dutydesk.i18n import label, t
from dutydesk.rules.dates import day_around
from dutydesk.rules.shifts import ShiftSlot, following_shifts, shift_at
from dutydesk.services.integrity.need_to_know import LEAVE_PREFIX
from dutydesk.storage.engine import Database, Row, as_utc
from dutydesk.vocab import Classification, Position, ShiftKind

if TYPE_CHECKING:
    from dutydesk.services.integrity.reading import ClassifiedRead

ITINERARY_FIELDS = ("destination", "reason", "contact_phone")
"""A registration's itinerary: what a classified one keeps from an uncleared reader."""


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
    classification: str = Classification.INTERNAL.value
    """The itinerary's level (issue 13), 内部 unless registered otherwise."""
    restricted: bool = False
    """True when the itinerary is classified beyond the reader: its fields are blank."""

    @property
    def place(self) -> str:
        """Where to, as a reader sees it: marked with a classified level, or withheld.

        ``北京`` for an open itinerary, ``【机密】北京`` for a classified one the reader may
        open, ``【机密】行程涉密`` when it is withheld. Stored text: display it sanitised.
        """
        level = Classification(self.classification)
        if self.restricted:
            return t("leave.withheld", level=label(level))
        if level.is_classified:
            return t("leave.marked", level=label(level), destination=self.destination)
        return self.destination


def leave_label(registration_id: int) -> str:
    """How a registration is named in a classified read and its audit (``leave:<id>``)."""
    return f"{LEAVE_PREFIX}{registration_id}"


def leave_record(registration_id: int) -> str:
    """The record name sealing a registration's itinerary (accredited mode)."""
    return f"leave_registration:{registration_id}"


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


def leaders_away(
    db: Database, day_start: datetime, day_end: datetime, read: ClassifiedRead | None = None
) -> list[Absence]:
    """Leave registrations overlapping ``[day_start, day_end)``, earliest first.

    A classified itinerary is opened (and its view noted for the audit) only through
    ``read``; without one, or when ``read`` may not open it, it comes back restricted.
    """
    rows = db.read(
        "SELECT l.name AS leader, l.title AS leader_title, r.destination, r.reason, "
        "r.start_at, r.end_at, a.name AS acting, a.title AS acting_title, r.id, "
        "r.contact_phone, r.leave_type, r.approved_by, r.returned_at, r.classification "
        "FROM leave_registration r JOIN person l ON l.id = r.leader_id "
        "JOIN person a ON a.id = r.acting_leader_id "
        "WHERE r.start_at < :end AND r.end_at > :start "
        "AND (r.returned_at IS NULL OR r.returned_at > :start) "  # back (销假): not away
        "ORDER BY r.start_at, l.name",
        {"start": db.time_param(day_start), "end": db.time_param(day_end)},
    )
    return [_absence(row, read) for row in rows]


def _absence(row: Row, read: ClassifiedRead | None) -> Absence:
    """One registration as ``read`` may see it (see :func:`leaders_away`)."""
    level = Classification(row.classification or Classification.INTERNAL.value)
    itinerary = {name: str(getattr(row, name) or "") for name in ITINERARY_FIELDS}
    restricted = False
    if level.is_classified:
        content = None if read is None else read.content(level, leave_label(int(row.id)))
        if content is None:
            itinerary, restricted = dict.fromkeys(ITINERARY_FIELDS, ""), True
        else:
            record = leave_record(int(row.id))
            itinerary = {
                name: content(value, record=record, field=name) for name, value in itinerary.items()
            }
    return Absence(
        str(row.leader),
        str(row.leader_title),
        itinerary["destination"],
        itinerary["reason"],
        as_utc(row.start_at),  # type: ignore[arg-type]
        as_utc(row.end_at),  # type: ignore[arg-type]
        str(row.acting),
        str(row.acting_title),
        int(row.id),
        itinerary["contact_phone"],
        str(row.leave_type),
        str(row.approved_by),
        as_utc(row.returned_at),
        level.value,
        restricted,
    )


def roster_view(
    db: Database,
    now: datetime,
    *,
    day_start: time,
    night_start: time,
    tz: ZoneInfo,
    read: ClassifiedRead | None = None,
) -> RosterView:
    """The roster as of ``now``: the current shift, the next two, and today's absences.

    ``read`` opens the classified itineraries its reader may see (see :func:`leaders_away`).
    """
    current = shift_at(now, day_start, night_start, tz)
    upcoming = following_shifts(current, 2, day_start, night_start, tz)
    return RosterView(
        current=_shift_view(db, current),
        upcoming=tuple(_shift_view(db, slot) for slot in upcoming),
        away=tuple(leaders_away(db, *day_around(now, tz), read)),
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
    "ITINERARY_FIELDS",
    "Absence",
    "Holder",
    "RosterView",
    "ShiftKind",
    "ShiftView",
    "leaders_away",
    "leave_label",
    "leave_record",
    "on_duty",
    "roster_view",
]
