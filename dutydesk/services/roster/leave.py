"""Leaders' leave registrations (领导干部外出报备) and who looks after their work meanwhile.

Who is away at a moment is :func:`dutydesk.services.roster.pane.leaders_away` (re-exported
here): the roster pane, the handover pack and 《信息直呈》 all read it.

A registration is refused, with the reason in words, when the period runs backwards, the
acting leader is the leader, the acting leader is away too during any part of it, the
leader is already registered as away then, or the leader is acting for someone else
then (they could not be in two places).

An itinerary carries a classification (issue 13). In register mode (the default
deployment) a 秘密/机密/绝密 registration keeps who is away, when and who acts, never
its itinerary (destination, reason, contact number): typing one is refused in one line
that says where it goes instead. On an accredited classified network the itinerary is
stored sealed, as an incident's content is. Nothing of a classified itinerary is written
in the audit trail, nor in a refusal (which names the other registration's level only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.services.roster.pane import ITINERARY_FIELDS, Absence, leaders_away, leave_record
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Deployment, LeaveType

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.integrity.reading import ClassifiedRead
    from dutydesk.storage.crypto import KeyRing


class LeaveRefused(DutyDeskError):
    """The registration cannot be accepted as given; nothing was written."""

    exit_code = 2


@dataclass(frozen=True)
class LeaveRequest:
    """A leave registration as typed."""

    leader: str
    start_at: datetime
    end_at: datetime
    destination: str
    reason: str
    acting: str
    contact_phone: str = ""
    """外出期间联系电话."""
    approved_by: str = ""
    """To whom it was reported, or who approved it (报告/批准)."""
    leave_type: LeaveType = LeaveType.OFFICIAL
    classification: Classification = Classification.INTERNAL
    """The itinerary's level (密级), 内部 as every item of the desk by default."""

    def itinerary(self) -> dict[str, str]:
        """The itinerary as typed, by column (what a classified one may not keep)."""
        return {name: str(getattr(self, name)) for name in ITINERARY_FIELDS}


def refuse_itinerary(request: LeaveRequest, deployment: Deployment | str) -> None:
    """Refuse the itinerary of a classified registration in register mode.

    The same rule and words as an incident's content
    (:func:`dutydesk.services.incidents.register.refuse_content`).

    Raises:
        LeaveRefused: register mode, a classified level and a non-blank itinerary field.

    """
    if Deployment(deployment) is not Deployment.REGISTER:
        return
    if not Classification(request.classification).is_classified:
        return
    if any(value.strip() for value in request.itinerary().values()):
        raise LeaveRefused(t("register.content_refused"))


def _span(absence: Absence, tz: object) -> str:
    fmt = "%m-%d %H:%M"
    start = absence.start_at.astimezone(tz).strftime(fmt)  # type: ignore[arg-type]
    end = absence.end_at.astimezone(tz).strftime(fmt)  # type: ignore[arg-type]
    return t("error.leave.span", start=start, end=end)


def check_request(db: Database, request: LeaveRequest, tz: object) -> None:
    """Refuse a request that cannot be right, in words.

    Raises:
        LeaveRefused: naming the field and the conflicting registration.

    """
    leader, acting = request.leader.strip(), request.acting.strip()
    if not leader:
        raise LeaveRefused(t("error.leave.no_leader"))
    if not acting:
        raise LeaveRefused(t("error.leave.no_acting"))
    if request.start_at >= request.end_at:
        raise LeaveRefused(t("error.leave.backwards"))
    names = {
        str(row[0])
        for row in db.read(
            "SELECT name FROM person WHERE name IN (:leader, :acting)",
            {"leader": leader, "acting": acting},
        )
    }
    for option, name in (("--leader", leader), ("--acting", acting)):
        if name not in names:
            raise LeaveRefused(t("error.leave.nobody", option=option, name=repr(name)))
    if leader == acting:
        raise LeaveRefused(t("error.leave.self", name=leader))
    overlapping = leaders_away(db, request.start_at, request.end_at)
    for absence in overlapping:
        if absence.leader == acting:
            raise LeaveRefused(
                t(
                    "error.leave.acting_away",
                    name=acting,
                    destination=absence.place,
                    span=_span(absence, tz),
                )
            )
    for absence in overlapping:
        if absence.leader == leader:
            raise LeaveRefused(
                t(
                    "error.leave.away_already",
                    name=leader,
                    destination=absence.place,
                    span=_span(absence, tz),
                )
            )
        if absence.acting == leader:
            raise LeaveRefused(
                t(
                    "error.leave.acting_then",
                    name=leader,
                    leader=absence.leader,
                    span=_span(absence, tz),
                )
            )


def add_leave(
    db: Database,
    request: LeaveRequest,
    *,
    actor: str,
    now: datetime,
    tz: object,
    deployment: Deployment | str = Deployment.REGISTER,
    keys: KeyRing | None = None,
) -> int:
    """Check and store a registration (with an audit event); return its id.

    The check runs again inside the write transaction, which holds the write lock, so
    two officers registering at once cannot both pass it. ``deployment`` decides what a
    classified itinerary may keep (see the module doc; register mode unless told);
    ``keys`` seal it on an accredited network (else the key file beside the database).

    Raises:
        LeaveRefused: see :func:`check_request` and :func:`refuse_itinerary`.

    """
    from sqlmodel import select

    from dutydesk.services.accounts.audit import record
    from dutydesk.services.integrity.sealed import seal
    from dutydesk.storage.models import LeaveRegistration, Person

    level = Classification(request.classification)
    refuse_itinerary(request, deployment)

    def person_id(session: Session, name: str) -> int | None:
        found = session.exec(select(Person.id).where(Person.name == name.strip())).first()
        return int(found) if found is not None else None

    with db.session() as session:
        session.exec(select(Person.id).limit(1)).first()  # take the lock before checking
        check_request(db, request, tz)
        leader_id = person_id(session, request.leader)
        acting_id = person_id(session, request.acting)
        assert leader_id is not None and acting_id is not None  # checked above
        registration = LeaveRegistration(
            leader_id=leader_id,
            acting_leader_id=acting_id,
            start_at=request.start_at,
            end_at=request.end_at,
            approved_by=request.approved_by.strip(),
            leave_type=LeaveType(request.leave_type),
            classification=level,
            created_by_id=person_id(session, actor),
            created_at=now,
        )
        session.add(registration)
        session.flush()
        assert registration.id is not None
        # The itinerary is sealed under the row's record name, so it is written once the
        # row has its id (a no-op for an unclassified or blank one).
        where = leave_record(registration.id)
        for name, value in request.itinerary().items():
            stored = seal(keys, session, value.strip(), record=where, field=name,
                          classification=level)  # fmt: skip
            setattr(registration, name, stored)
        session.add(registration)
        # The trail names the level of a classified itinerary, never where it goes.
        where_to = f"[{level.value}]" if level.is_classified else request.destination
        record(
            session=session,
            actor=actor,
            action="leave.add",
            object_type="leave_registration",
            object_id=registration.id,
            detail=f"{request.leader} away {request.start_at.isoformat()} to "
            f"{request.end_at.isoformat()} ({where_to}); acting: {request.acting}",
            now=now,
        )
        return registration.id


def report_back(
    db: Database, registration_id: int, *, at: datetime, actor: str, now: datetime
) -> Absence:
    """Record the leader's return (销假): from ``at`` they are no longer away.

    Raises:
        LeaveRefused: no such registration, already back, or ``at`` before leaving.

    """
    from dutydesk.services.accounts.audit import record
    from dutydesk.storage.models import LeaveRegistration

    with db.session() as session:
        registration = session.get(LeaveRegistration, registration_id, with_for_update=True)
        if registration is None:
            raise LeaveRefused(t("error.leave.none", id=registration_id))
        if registration.returned_at is not None:
            raise LeaveRefused(t("error.leave.back_already", id=registration_id))
        if at <= registration.start_at:
            raise LeaveRefused(t("error.leave.return_early", id=registration_id))
        registration.returned_at = at
        session.add(registration)
        record(
            session=session,
            actor=actor,
            action="leave.return",
            object_type="leave_registration",
            object_id=registration_id,
            detail=f"back {at.isoformat()}",
            now=now,
        )
    found = [a for a in leaders_away(db, datetime(1970, 1, 1, tzinfo=at.tzinfo), at)]
    return next(
        (a for a in found if a.id == registration_id),
        Absence("", "", "", "", at, at, "", "", registration_id, returned_at=at),
    )


def list_leave(
    db: Database,
    since: datetime,
    until: datetime | None = None,
    read: ClassifiedRead | None = None,
) -> list[Absence]:
    """Registrations overlapping ``[since, until)`` (open-ended when ``until`` is None).

    Classified itineraries open only through ``read`` (see
    :func:`dutydesk.services.roster.pane.leaders_away`).
    """
    far = datetime(9999, 1, 1, tzinfo=since.tzinfo)
    return leaders_away(db, since, until or far, read)


__all__ = [
    "Absence",
    "LeaveRefused",
    "LeaveRequest",
    "add_leave",
    "check_request",
    "leaders_away",
    "list_leave",
    "refuse_itinerary",
    "report_back",
]
