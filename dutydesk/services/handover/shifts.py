"""A handover record at every change of shift (交接班记录), signed by three.

The 08:30 meeting's pack (``store.py``) stays; besides it, every change of shift, weekends
and holidays included, gets its own record: what the outgoing shift hands over (the pack
for the shift's own period, as JSON) and the signatures of the 交班人 (someone on the
outgoing shift), the 接班人 (someone on the incoming shift) and the 带班领导 (the duty
leader of either shift), each with its time. A record is complete when all three signed;
the list says which signatures are missing.

Which change a record is for: made in the first two hours of a shift, it is the change
that began it (the officer writes it up just after taking over); made later, it is the
coming change at the end of the current shift (written up before handing over).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from dutydesk.config import Settings
from dutydesk.errors import DutyDeskError, NotFoundError
from dutydesk.i18n import t
from dutydesk.rules.shifts import ShiftSlot, following_shifts, shift_at
from dutydesk.services.request import Request
from dutydesk.services.roster.pane import Holder
from dutydesk.storage.engine import Database, Row, as_utc, stored_utc
from dutydesk.vocab import Classification, Position, ShiftKind

if TYPE_CHECKING:
    from sqlmodel import Session

SIGNERS: tuple[str, ...] = ("outgoing", "incoming", "leader")
"""交班人, 接班人, 带班领导: who signs a shift's handover."""

JUST_TAKEN_OVER = timedelta(hours=2)
"""A record made this soon after a change of shift is for that change."""


class ShiftHandoverError(DutyDeskError):
    """A signature or record that cannot be made as asked; nothing was written."""

    exit_code = 2


@dataclass(frozen=True)
class ShiftRecord:
    """One change of shift's record, with who signed and when."""

    id: int
    shift_date: str
    shift_kind: ShiftKind
    period_start: datetime
    changed_at: datetime
    signatures: dict[str, tuple[str, datetime | None]]
    """Role (``outgoing``, ``incoming``, ``leader``) -> (name, time), ``("", None)`` unsigned."""

    @property
    def missing(self) -> tuple[str, ...]:
        """The roles that have not signed yet."""
        return tuple(role for role in SIGNERS if self.signatures[role][1] is None)

    @property
    def complete(self) -> bool:
        """True once all three signed."""
        return not self.missing


def outgoing_shift(at: datetime, settings: Settings) -> ShiftSlot:
    """The shift whose end the record made at ``at`` is for (see the module docstring)."""
    tz, day, night = settings.tz, settings.day_shift_start, settings.night_shift_start
    current = shift_at(at, day, night, tz)
    if at - current.start_at < JUST_TAKEN_OVER:
        return shift_at(current.start_at - timedelta(seconds=1), day, night, tz)
    return current


def make_record(req: Request, settings: Settings, *, at: datetime | None = None) -> ShiftRecord:
    """Make (or return the existing) record of the change of shift around ``at``.

    What is handed over is read as the internal reader of the meeting room reads it: a
    classified item is counted, never titled, so the record may be stored in clear.
    """
    from dutydesk.services.handover.pack import build_pack
    from dutydesk.services.handover.store import snapshot
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import ShiftHandover

    moment = at or req.now
    slot = outgoing_shift(moment, settings)
    existing = _find(req.db, slot)
    if existing is not None:
        return existing
    internal = replace(req, clearance=Classification.INTERNAL)
    pack = build_pack(internal, start=slot.start_at, at=min(moment, slot.end_at), settings=settings)

    def work(session: Session) -> int:
        row = ShiftHandover(
            shift_date=slot.shift_date,
            shift_kind=slot.kind,
            period_start=slot.start_at,
            changed_at=slot.end_at,
            snapshot=snapshot(pack),
            created_at=req.now,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        _audit(
            session, req.actor_name, row.id, "shift_handover.make", slot.end_at.isoformat(), req.now
        )
        return row.id

    write_with_retry(req.db, work)
    found = _find(req.db, slot)
    assert found is not None
    return found


def sign(
    db: Database, record_id: int, role: str, name: str, *, now: datetime, settings: Settings
) -> ShiftRecord:
    """Sign the record as ``role`` (交班人, 接班人 or 带班领导) in ``name``.

    The name must be on the roster in that role's place: the outgoing shift for the
    交班人, the incoming one for the 接班人, either shift's duty leader for the 带班领导
    (a shift nobody rostered is not checked: there is nothing to check against).

    Raises:
        ShiftHandoverError: an unknown role, a role already signed, or a name not on duty.
        NotFoundError: no such record.

    """
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import ShiftHandover

    if role not in SIGNERS:
        raise ShiftHandoverError(t("handover.shift.bad_role", role=role, roles=", ".join(SIGNERS)))
    name = name.strip()
    if not name:
        raise ShiftHandoverError(t("error.handover.no_signer"))
    record = get_record(db, record_id)
    _check_on_duty(db, record, role, name, settings)

    def work(session: Session) -> None:
        row = session.get(ShiftHandover, record_id, with_for_update=True)
        assert row is not None
        if getattr(row, f"{role}_at") is not None:
            raise ShiftHandoverError(
                t(
                    "handover.shift.signed_already",
                    id=record_id,
                    role=t(f"handover.shift.{role}"),
                    name=getattr(row, f"{role}_by"),
                )
            )
        setattr(row, f"{role}_by", name)
        setattr(row, f"{role}_at", now)
        session.add(row)
        _audit(session, name, record_id, f"shift_handover.sign.{role}", name, now)

    write_with_retry(db, work)
    return get_record(db, record_id)


@dataclass(frozen=True)
class ShiftPeople:
    """Who the roster puts either side of one change of shift: who may sign as what."""

    outgoing: tuple[Holder, ...]
    """The outgoing shift's holders, duty leader first."""
    incoming: tuple[Holder, ...]
    """The incoming shift's holders, duty leader first."""

    def holders(self, role: str) -> tuple[Holder, ...]:
        """The people who may sign as ``role``: a shift's people, or both duty leaders."""
        if role == "outgoing":
            return self.outgoing
        if role == "incoming":
            return self.incoming
        both = self.outgoing + self.incoming
        return tuple(h for h in both if h.position is Position.DUTY_LEADER)

    def checked(self, role: str) -> bool:
        """False when nobody is rostered on the shift(s) the role is drawn from."""
        if role == "incoming":
            return bool(self.incoming)
        if role == "outgoing":
            return bool(self.outgoing)
        return bool(self.outgoing or self.incoming)

    def may_sign(self, role: str, name: str) -> bool:
        """True if ``name`` may sign as ``role`` (anyone, where nobody is rostered)."""
        return not self.checked(role) or any(h.name == name for h in self.holders(role))

    def roles_of(self, name: str) -> tuple[str, ...]:
        """The roles the roster gives ``name`` here, a duty leader's first: a leader leads."""
        order = ("leader", "outgoing", "incoming")
        return tuple(
            role
            for role in order
            if self.checked(role) and any(h.name == name for h in self.holders(role))
        )


def shift_people(db: Database, changed_at: datetime, settings: Settings) -> ShiftPeople:
    """Who is rostered on the shifts either side of the change at ``changed_at``."""
    from dutydesk.services.roster.shifts import shift_views

    day, night, tz = settings.day_shift_start, settings.night_shift_start, settings.tz
    outgoing = shift_at(changed_at - timedelta(seconds=1), day, night, tz)
    (incoming,) = following_shifts(outgoing, 1, day, night, tz)
    views = {
        (view.slot.shift_date, view.slot.kind): view.holders
        for view in shift_views(db, outgoing.shift_date, incoming.shift_date, settings)
    }
    return ShiftPeople(
        views.get((outgoing.shift_date, outgoing.kind), ()),
        views.get((incoming.shift_date, incoming.kind), ()),
    )


def _check_on_duty(
    db: Database, record: ShiftRecord, role: str, name: str, settings: Settings
) -> None:
    if not shift_people(db, record.changed_at, settings).may_sign(role, name):
        raise ShiftHandoverError(
            t("handover.shift.not_on_duty", name=name, role=t(f"handover.shift.{role}"))
        )


def find_record(db: Database, slot: ShiftSlot) -> ShiftRecord | None:
    """The record of the change of shift at the end of ``slot``, if one was made."""
    return _find(db, slot)


def get_record(db: Database, record_id: int) -> ShiftRecord:
    """One record.

    Raises:
        NotFoundError: no such record.

    """
    rows = db.read(f"SELECT {_COLUMNS} FROM shift_handover WHERE id = :id", {"id": record_id})  # noqa: S608 - constant columns; the id is bound
    if not rows:
        raise NotFoundError(t("error.handover.no_record", id=record_id))
    return _record(rows[0])


def list_records(db: Database, since: datetime, until: datetime) -> list[ShiftRecord]:
    """The records of the changes of shift in ``[since, until)``, oldest first."""
    rows = db.read(
        f"SELECT {_COLUMNS} FROM shift_handover "  # noqa: S608 - constant columns; values bound
        "WHERE changed_at >= :since AND changed_at < :until ORDER BY changed_at",
        {"since": db.time_param(since), "until": db.time_param(until)},
    )
    return [_record(row) for row in rows]


_COLUMNS = (
    "id, shift_date, shift_kind, period_start, changed_at, outgoing_by, outgoing_at, "
    "incoming_by, incoming_at, leader_by, leader_at"
)


def _find(db: Database, slot: ShiftSlot) -> ShiftRecord | None:
    rows = db.read(
        f"SELECT {_COLUMNS} FROM shift_handover WHERE shift_date = :day AND shift_kind = :kind",  # noqa: S608 - constant columns; values bound
        {"day": slot.shift_date, "kind": slot.kind.value},
    )
    return _record(rows[0]) if rows else None


def _record(row: Row) -> ShiftRecord:
    return ShiftRecord(
        id=int(row.id),
        shift_date=str(row.shift_date),
        shift_kind=ShiftKind(row.shift_kind),
        period_start=stored_utc(row.period_start),
        changed_at=stored_utc(row.changed_at),
        signatures={
            role: (str(getattr(row, f"{role}_by")), as_utc(getattr(row, f"{role}_at")))
            for role in SIGNERS
        },
    )


def _audit(
    session: Session, actor: str, record_id: int, action: str, detail: str, now: datetime
) -> None:
    from dutydesk.services.accounts.audit import record

    record(
        session=session,
        actor=actor or None,
        action=action,
        object_type="shift_handover",
        object_id=record_id,
        detail=detail,
        now=now,
    )


__all__ = [
    "SIGNERS",
    "ShiftHandoverError",
    "ShiftPeople",
    "ShiftRecord",
    "find_record",
    "get_record",
    "list_records",
    "make_record",
    "outgoing_shift",
    "shift_people",
    "sign",
]
