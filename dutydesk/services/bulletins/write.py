"""Bulletins (《信息快报》《信息直呈》): draft, edit, review, sign off, issue, discard.

Each step is one retried write transaction (:func:`dutydesk.services.retry.write_with_retry`)
that re-reads the bulletin inside it, so the status checked is the status committed.
Every step leaves an audit event.

Numbering happens at issue, never before: the number is the highest issued in that kind
and year plus one, read and written in the same ``BEGIN IMMEDIATE`` transaction, with
the unique constraint on (kind, series, year, issue_no) as the backstop; classified
bulletins have a series of their own (``rules.bulletins.series_of``). On PostgreSQL (no write
lock up front) the issuing transaction first locks the chain head ``FOR UPDATE`` (its
audit event appends to the chain anyway), so issuers queue there and each reads the
highest number after the previous one committed; a collision would still be retried
like a busy store. So two consoles issuing at once get consecutive numbers, and a
discarded draft none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dutydesk.i18n import label, t
from dutydesk.rules import bulletins as rules
from dutydesk.rules.limits import FieldLimits
from dutydesk.rules.policy import may_see
from dutydesk.services.bulletins.read import BulletinError, incident_facts
from dutydesk.services.integrity.reading import audited_read
from dutydesk.services.integrity.sealed import seal
from dutydesk.services.limits import refuse_too_long
from dutydesk.services.retry import write_with_retry
from dutydesk.storage.engine import Database
from dutydesk.vocab import BulletinKind, BulletinStatus, Classification, EntryKind, Urgency

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.request import Request
    from dutydesk.storage.models import Bulletin


def _load(session: Session, bulletin_id: int) -> Bulletin:
    from dutydesk.errors import NotFoundError
    from dutydesk.storage.models import Bulletin

    found = session.get(Bulletin, bulletin_id)
    if found is None:
        raise NotFoundError(t("bulletin.not_found", id=bulletin_id))
    return found


def _check(bulletin: Bulletin, action: str) -> None:
    reason = rules.refusal(
        action, BulletinStatus(bulletin.status), bulletin.signed_off_by_id is not None
    )
    if reason is not None:
        raise BulletinError(
            t(f"bulletin.refused.{reason}", id=bulletin.id, action=t(f"bulletin.action.{action}"))
        )


def _audit(
    session: Session, bulletin: Bulletin, action: str, actor: str, now: datetime, extra: str = ""
) -> None:
    from dutydesk.services.accounts.audit import record

    record(
        session=session,
        actor=actor,
        action=f"bulletin.{action}",
        object_type="bulletin",
        object_id=str(bulletin.id),
        detail=f"{action} {bulletin.kind} {bulletin.year}/{bulletin.issue_no or '-'}{extra}",
        now=now,
    )


def _require_clearance(level: Classification, clearance: Classification, what: str) -> None:
    if not may_see(clearance, level):
        raise BulletinError(t("bulletin.not_cleared", what=what, level=label(level)))


def draft_bulletin(
    db: Database,
    *,
    kind: BulletinKind,
    serials: Sequence[str],
    actor: str,
    now: datetime,
    tz: ZoneInfo,
    clearance: Classification = Classification.INTERNAL,
    leader: str | None = None,
    urgency: Urgency = Urgency.NONE,
) -> int:
    """Draft a bulletin about the incidents ``serials``; returns its id.

    Title and body are prefilled from the incidents and their timelines
    (:func:`dutydesk.rules.bulletins.draft_text`); the classification is the highest of
    the items. A drafter must be cleared for every item. A 《信息直呈》 names the
    ``leader`` it is presented to: its short version goes to that leader alone.
    ``urgency``: its 紧急程度 (特急, 加急), printed at the top left and audited.

    Raises:
        BulletinError: no serials, a serial twice, or an item above ``clearance``;
            ``leader`` for a 《信息快报》, or not a person holding the leader role.
        NotFoundError: a serial names no incident.

    """
    named = (leader or "").strip()
    if named and kind is not BulletinKind.DIRECT:
        raise BulletinError(t("bulletin.direct.express_names_nobody"))
    from dutydesk.storage.models import Bulletin, BulletinItem

    if not serials:
        raise BulletinError(t("bulletin.no_items"))
    # Drafting opens the items' text for the drafter: a classified one is a view.
    with audited_read(db, clearance, object_type="bulletin_draft", viewer=actor, now=now) as read:
        facts = incident_facts(db, serials, read)
        for _, item in facts:
            _require_clearance(item.classification, clearance, item.serial)
            # Cleared is not enough: a drafter copies the item's text, so must be named.
            if not read.may_open(item.classification, item.serial):
                raise BulletinError(t("bulletin.not_named", what=item.serial))
    title, body = rules.draft_text([item for _, item in facts])
    level = rules.highest_classification(item.classification for _, item in facts)

    def work(session: Session) -> int:
        leader_id = _leader_id(session, named) if named else None
        bulletin = Bulletin(
            kind=kind,
            leader_id=leader_id,
            year=now.astimezone(tz).year,
            title="" if level.is_classified else title,
            body="" if level.is_classified else body,
            classification=level,
            status=BulletinStatus.DRAFT,
            urgency=urgency,
            created_by_id=_person_id(session, actor),
            created_at=now,
        )
        session.add(bulletin)
        session.flush()
        assert bulletin.id is not None
        if level.is_classified:  # sealed once the id names the record; never in clear
            where = f"bulletin:{bulletin.id}"
            bulletin.title = seal(
                None, session, title, record=where, field="title", classification=level
            )
            bulletin.body = seal(
                None, session, body, record=where, field="body", classification=level
            )
        for position, (incident_id, _) in enumerate(facts):
            session.add(
                BulletinItem(bulletin_id=bulletin.id, incident_id=incident_id, position=position)
            )
        _audit(session, bulletin, "draft", actor, now, _urgency_detail(urgency))
        return bulletin.id

    return write_with_retry(db, work)


def _urgency_detail(urgency: Urgency | str) -> str:
    """`` urgency=extra_urgent`` for the audit (and so the chain); empty for none."""
    return "" if Urgency(urgency) is Urgency.NONE else f" urgency={Urgency(urgency).value}"


def _leader_id(session: Session, name: str) -> int:
    """The id of the leader called ``name`` (a 《信息直呈》 is presented to a leader)."""
    from sqlmodel import select

    from dutydesk.storage.models import Person, PersonRole

    person = session.exec(select(Person).where(Person.name == name)).first()
    if person is None or person.id is None:
        raise BulletinError(t("bulletin.direct.no_leader", name=name))
    roles = set(session.exec(select(PersonRole.role).where(PersonRole.person_id == person.id)))
    if not roles & {role.value for role in rules.SIGNER_ROLES}:
        raise BulletinError(t("bulletin.direct.not_leader", name=name))
    return person.id


def _person_id(session: Session, name: str) -> int | None:
    from sqlmodel import select

    from dutydesk.storage.models import Person

    found = session.exec(select(Person.id).where(Person.name == name.strip())).first()
    return int(found) if found is not None else None


def edit_bulletin(
    db: Database,
    bulletin_id: int,
    *,
    title: str | None = None,
    body: str | None = None,
    actor: str,
    now: datetime,
    clearance: Classification = Classification.INTERNAL,
    register_only: bool = False,
    leader: str | None = None,
    urgency: Urgency | None = None,
    limits: FieldLimits | None = None,
) -> None:
    """Change title, body, urgency and/or a 《信息直呈》's leader. Back to draft, unsigned.

    ``register_only``: the desk is in register mode (issue 13), where text typed into a
    classified bulletin is a classified item's content and is refused, sealed or not.
    ``leader`` names the leader a 《信息直呈》 is presented to, checked as at the draft
    (a person holding the leader or duty leader role); the sign-off covered the one it
    named before, so it is asked for again. ``urgency`` sets the 紧急程度 (``NONE``
    clears it); the sign-off covered the old one, so it too goes back to draft, and the
    audit event (on the chain) says the new one. ``limits``: how long title and body
    may be (the settings'; ``None``: the defaults of :mod:`dutydesk.rules.limits`).

    Raises:
        BulletinError: issued or discarded, blank title, above ``clearance``, text for
            a classified bulletin in register mode; ``leader`` for a 《信息快报》, or not
            a person holding the leader role.
        FieldTooLong: the title or the body is longer than ``limits`` allow.

    """
    refuse_too_long(limits or FieldLimits(), {"title": title, "body": body})
    if title is not None and not title.strip():
        raise BulletinError(t("bulletin.blank_title"))
    named = leader.strip() if leader is not None else None
    if named == "":
        raise BulletinError(t("bulletin.direct.no_leader", name=""))

    def work(session: Session) -> None:
        bulletin = _load(session, bulletin_id)
        _check(bulletin, "edit")
        _require_clearance(Classification(bulletin.classification), clearance, f"#{bulletin_id}")
        typed = title is not None or body is not None
        if typed and register_only and Classification(bulletin.classification).is_classified:
            raise BulletinError(t("register.content_refused"))
        if named is not None:
            if BulletinKind(bulletin.kind) is not BulletinKind.DIRECT:
                raise BulletinError(t("bulletin.direct.express_names_nobody"))
            bulletin.leader_id = _leader_id(session, named)
        changed = ""
        if urgency is not None and Urgency(bulletin.urgency) is not urgency:
            bulletin.urgency = urgency
            changed = f" urgency={urgency.value}"
        where, level = f"bulletin:{bulletin_id}", bulletin.classification
        if title is not None:
            bulletin.title = seal(
                None, session, title.strip(), record=where, field="title", classification=level
            )
        if body is not None:
            bulletin.body = seal(
                None, session, body, record=where, field="body", classification=level
            )
        bulletin.status = BulletinStatus.DRAFT
        bulletin.reviewed_by, bulletin.reviewed_at = "", None
        bulletin.signed_off_by_id, bulletin.signed_off_at = None, None
        _clear_sms(session, bulletin_id)
        _audit(session, bulletin, "edit", actor, now, changed)

    write_with_retry(db, work)


def review_bulletin(db: Database, bulletin_id: int, *, actor: str, now: datetime) -> None:
    """Mark a draft reviewed (审核) by ``actor``.

    Raises:
        BulletinError: issued or discarded.

    """

    def work(session: Session) -> None:
        bulletin = _load(session, bulletin_id)
        _check(bulletin, "review")
        bulletin.status = BulletinStatus.REVIEWED
        bulletin.reviewed_by, bulletin.reviewed_at = actor, now
        _audit(session, bulletin, "review", actor, now)

    write_with_retry(db, work)


def sign_bulletin(
    db: Database,
    bulletin_id: int,
    *,
    signer: str,
    actor: str,
    now: datetime,
    actor_id: int | None = None,
    sms_ok: Sequence[str] = (),
) -> None:
    """Record the sign-off (签发) of a reviewed bulletin by ``signer``.

    With sign-in (``actor_id`` given) a sign-off is the signer's own act: ``signer``
    must be the signed-in ``actor``, at the console and on the command line alike.
    ``sms_ok`` names the 内部 items the signer lets go by SMS/WeChat ("可发短信/微信");
    every other 内部 item stays out of the short version. The decision is recorded per
    item with the sign-off, and audited.

    Raises:
        BulletinError: not reviewed yet, ``signer`` is not a duty leader or leader, or
            is not the signed-in operator; a serial in ``sms_ok`` is not an item of the
            bulletin, or not 内部.

    """
    if actor_id is not None and signer.strip() != actor.strip():
        raise BulletinError(t("access.sign_as_self", name=actor.strip(), signer=signer.strip()))
    from sqlmodel import select

    from dutydesk.storage.models import Person, PersonRole

    def work(session: Session) -> None:
        bulletin = _load(session, bulletin_id)
        _check(bulletin, "sign")
        if bulletin.kind == BulletinKind.DIRECT and bulletin.leader_id is None:
            # Signed and issued, it could not be edited to name one: it could never go.
            raise BulletinError(t("bulletin.direct.unnamed", id=bulletin_id))
        person = session.exec(select(Person).where(Person.name == signer.strip())).first()
        if person is None:
            raise BulletinError(t("bulletin.no_person", name=signer.strip()))
        roles = set(
            session.exec(select(PersonRole.role).where(PersonRole.person_id == person.id)).all()
        )
        if not roles & {role.value for role in rules.SIGNER_ROLES}:
            raise BulletinError(t("bulletin.not_signer", name=person.name))
        bulletin.signed_off_by_id, bulletin.signed_off_at = person.id, now
        _audit(session, bulletin, "sign", actor, now)
        _decide_sms(session, bulletin, sms_ok, actor, now)

    write_with_retry(db, work)


def _decide_sms(
    session: Session, bulletin: Bulletin, sms_ok: Sequence[str], actor: str, now: datetime
) -> None:
    """Record the signer's "可发短信/微信" per item: the named 内部 items go, no other."""
    from sqlmodel import col, select

    from dutydesk.services.accounts.audit import record
    from dutydesk.storage.models import BulletinItem, Incident

    rows = session.exec(
        select(BulletinItem, Incident.serial, Incident.classification)
        .join(Incident, col(Incident.id) == col(BulletinItem.incident_id))
        .where(BulletinItem.bulletin_id == bulletin.id)
        .order_by(col(BulletinItem.position))
    ).all()
    levels = {str(serial): Classification(level) for _, serial, level in rows}
    wanted = list(dict.fromkeys(serial.strip() for serial in sms_ok if serial.strip()))
    for serial in wanted:
        if serial not in levels:
            raise BulletinError(t("bulletin.sms_ok_not_item", serial=serial, id=bulletin.id))
        reason = rules.sms_decision_refusal(levels[serial])
        if reason is not None:
            raise BulletinError(
                t(f"bulletin.sms_ok_{reason}", serial=serial, level=label(levels[serial]))
            )
    for item, serial, _ in rows:
        item.sms_allowed = str(serial) in wanted
        session.add(item)
    if wanted:
        # Serials only: the decision is audited, never an item's text.
        record(
            session=session,
            actor=actor,
            action="bulletin.sms_allowed",
            object_type="bulletin",
            object_id=str(bulletin.id),
            detail="sms allowed: " + ", ".join(wanted),
            now=now,
        )


def _clear_sms(session: Session, bulletin_id: int) -> None:
    """Forget the "可发短信/微信" decisions: they belong to a sign-off that is gone."""
    from sqlmodel import select

    from dutydesk.storage.models import BulletinItem

    items = session.exec(select(BulletinItem).where(BulletinItem.bulletin_id == bulletin_id))
    for item in items.all():
        if item.sms_allowed:
            item.sms_allowed = False
            session.add(item)


def issue_bulletin(req: Request, bulletin_id: int) -> int:
    """Issue a signed bulletin, giving it the next number of its kind and year.

    The bulletin is the written report (同步报告): on each open incident it carries, the
    same transaction records the written first report, or the next continued report,
    "以《信息快报》2026年第N期书面报告", so the incident's clocks move on with the issue.
    ``req`` says who issues it and when (the year is the one of ``req.now`` in
    ``req.tz``); its rules are the office's, its key ring seals that entry on a
    classified incident.

    Returns:
        The issue number (第N期).

    Raises:
        BulletinError: not signed off, already issued, or discarded.

    """
    from sqlalchemy import func
    from sqlmodel import select

    from dutydesk.storage.models import Bulletin, ChainState

    db, now, tz, actor = req.db, req.now, req.tz, req.actor_name

    def work(session: Session) -> int:
        # Queue behind other issuers before reading anything (PostgreSQL; SQLite's
        # BEGIN IMMEDIATE already did): the status and the highest number read below
        # are then the committed ones.
        session.get(ChainState, 1, with_for_update=True)
        bulletin = _load(session, bulletin_id)
        _check(bulletin, "issue")
        year = now.astimezone(tz).year
        series = rules.series_of(bulletin.classification)  # classified ones numbered apart
        highest = session.exec(
            select(func.max(Bulletin.issue_no)).where(
                Bulletin.kind == bulletin.kind, Bulletin.series == series, Bulletin.year == year
            )
        ).one()
        bulletin.series = series
        bulletin.year, bulletin.issue_no = year, rules.next_issue_no(highest)
        bulletin.status, bulletin.issued_at = BulletinStatus.ISSUED, now
        session.flush()  # the unique number constraint speaks here, inside the retry
        _audit(session, bulletin, "issue", actor, now)
        _report_items(req, bulletin, session=session)
        return bulletin.issue_no

    return write_with_retry(db, work)


def _report_items(req: Request, bulletin: Bulletin, *, session: Session) -> None:
    """Record the issued bulletin as the written report on each open incident it carries."""
    from sqlmodel import col, select

    from dutydesk.rules.facts import occurred_stated
    from dutydesk.services.incidents.followup import NewEntry, record_entry
    from dutydesk.storage.models import BulletinItem, Incident, TimelineEntry

    # The record is the office's, in its language whatever the console speaks.
    text = rules.reported_in(BulletinKind(bulletin.kind), bulletin.year, bulletin.issue_no)
    items = session.exec(
        select(Incident)
        .join(BulletinItem, col(BulletinItem.incident_id) == col(Incident.id))
        .where(BulletinItem.bulletin_id == bulletin.id)
        .order_by(col(BulletinItem.position))
    ).all()
    for incident in items:
        if not incident.is_open:
            continue  # a closed matter's final report was its last
        reported = session.exec(
            select(TimelineEntry.id).where(
                TimelineEntry.incident_id == incident.id,
                col(TimelineEntry.kind).in_(_WRITTEN_REPORTS),
            )
        ).first()
        if not reported and not occurred_stated(incident):
            # Refused before anything is kept: the number taken above rolls back with it.
            raise BulletinError(
                t("bulletin.refused.needs_occurred", id=bulletin.id, serial=incident.serial)
            )
        report = NewEntry(
            kind=EntryKind.CONTINUED_REPORT if reported else EntryKind.FIRST_REPORT,
            occurred_at=max(req.now, incident.received_at),
            text=text,
        )
        record_entry(req, incident, report, session=session)


_WRITTEN_REPORTS = (
    EntryKind.FIRST_REPORT.value,
    EntryKind.CONTINUED_REPORT.value,
    EntryKind.FINAL_REPORT.value,
)


def discard_bulletin(db: Database, bulletin_id: int, *, actor: str, now: datetime) -> None:
    """Drop a bulletin before issue; it never takes a number.

    Raises:
        BulletinError: already issued or discarded.

    """

    def work(session: Session) -> None:
        bulletin = _load(session, bulletin_id)
        _check(bulletin, "discard")
        bulletin.status, bulletin.discarded_at = BulletinStatus.DISCARDED, now
        _audit(session, bulletin, "discard", actor, now)

    write_with_retry(db, work)
