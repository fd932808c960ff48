"""The SMS/WeChat short version (短信版/微信版) of a bulletin.

Classified information travels only over the cipher channel (seed/SUMMARY.md §5), so the
short version is made from the bulletin's **unclassified items only**, straight from the
incidents - never from the bulletin's body, which may hold a classified item's text:

* every item classified (秘密 and above): refused, with a message saying why;
* some items classified: the short version covers the others and says so in ``note``;
* a 内部 item goes only when its sign-off recorded "可发短信/微信" for it
  (``bulletin_item.sms_allowed``); the others are left out and counted in ``note``
  (no serial, no content), and with nothing left the short version is refused.

The stored ``short_version`` is the editable text; the header 【信息快报2026年第7期】 is
put in front when it is shown or sent, so the number given at issue is always right, and
the sign-off behind it: the time (of issue, else of drafting), the call-back number and
the office's signature, （11月26日02:31，回电0794-8212345）【临川市委值班室】 (issue 14;
``SmsStyle`` from the settings, which also says how the gateway takes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dutydesk.i18n import label, t
from dutydesk.rules import bulletins as rules
from dutydesk.rules.sanitize import clean
from dutydesk.rules.sms import SmsStyle
from dutydesk.services.bulletins.read import BulletinError, bulletin_facts
from dutydesk.services.integrity.reading import audited_read
from dutydesk.services.retry import write_with_retry
from dutydesk.storage.engine import Database, as_utc
from dutydesk.vocab import BulletinKind, BulletinStatus, Classification, Urgency

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class ShortVersion:
    """A bulletin's short version, ready to send."""

    bulletin_id: int
    header: str
    text: str
    """The editable part (stored when edited, else generated)."""
    segments: tuple[str, ...]
    """The whole message as the gateway takes it: numbered segments that leave room for
    its signature, or one text where it concatenates (``style``)."""
    omitted: tuple[tuple[str, Classification], ...] = ()
    """Serial and classification of each classified item left out."""
    note: str | None = None
    """Says that classified or undecided 内部 items were left out (one line each)."""
    edited: bool = False
    held_back: int = 0
    """内部 items left out: no "可发短信/微信" decision at sign-off."""
    allowed: tuple[str, ...] = ()
    """Serials of the 内部 items whose sign-off said "可发短信/微信"."""
    kind: BulletinKind = BulletinKind.EXPRESS
    to_name: str = ""
    """A 《信息直呈》's leader, the one person its short version goes to ("" if unnamed)."""
    to_phone: str = ""
    """That leader's number, as the roster holds it."""
    footer: str = ""
    """The sign-off after the text: time, call-back number, the office's signature."""
    style: SmsStyle = field(default_factory=SmsStyle)
    """How the gateway takes it (from the settings)."""

    @property
    def full(self) -> str:
        """The whole message, as a WeChat message carries it."""
        return self.message(self.text)

    def message(self, text: str) -> str:
        """The whole message with ``text`` (as typed: made one paragraph) as its editable part."""
        return self.header + _one_paragraph(text) + self.footer

    def split(self, text: str) -> list[str]:
        """The segments the gateway gets for the message with ``text`` as its editable part."""
        return self.style.segments(self.message(text))

    def count_line(self, text: str | None = None) -> str:
        """What the phone network carries for the message (``text``: as typed, else stored).

        Separate messages: "共 2 条短信：". A gateway that concatenates gets one text and
        sends it in parts, which is what the office pays for and a phone shows as it
        arrives: "共 1 条长短信，分 2 段发送（每段 67 字）：".
        """
        message = self.message(self.text if text is None else text)
        if not self.style.concatenates:
            return t("desk.bulletin.segments", count=len(self.style.segments(message)))
        return t("desk.bulletin.parts", parts=self.style.parts(message), per=self.style.part)


def _one_paragraph(text: str) -> str:
    # A short version is one paragraph: stored text is sanitised and line breaks dropped
    # (Chinese needs no space between sentences).
    return "".join(clean(text, multiline=True).split("\n")).strip()


def short_version(
    db: Database,
    bulletin_id: int,
    *,
    edit: str | None = None,
    actor: str = "",
    now: datetime | None = None,
    style: SmsStyle | None = None,
    tz: ZoneInfo | None = None,
) -> ShortVersion:
    """The short version of a bulletin; with ``edit``, store that text as its new version.

    ``style`` (``settings.sms_style()``) signs it off and cuts it for the gateway; ``tz``
    is the zone the time is given in (default Asia/Shanghai).

    Raises:
        BulletinError: the bulletin is discarded, has only classified items, or the
            edit is blank.
        NotFoundError: there is no such bulletin.

    """
    from dutydesk.errors import NotFoundError

    rows = db.read(
        "SELECT b.kind, b.year, b.issue_no, b.status, b.classification, b.short_version, "
        "COALESCE(p.name, '') AS to_name, COALESCE(p.phone, '') AS to_phone, "
        "COALESCE(b.issued_at, b.created_at) AS dated, b.urgency FROM bulletin b "
        "LEFT JOIN person p ON p.id = b.leader_id WHERE b.id = :id",
        {"id": bulletin_id},
    )
    if not rows:
        raise NotFoundError(t("bulletin.not_found", id=bulletin_id))
    kind, year, number, status, level, stored, to_name, to_phone, dated, urgency = rows[0]
    if BulletinStatus(status) is BulletinStatus.DISCARDED:
        raise BulletinError(t("bulletin.refused.discarded", id=bulletin_id, action="sms"))
    # Read as nobody cleared for classified matter: a short version goes by SMS and
    # WeChat, so a classified item's text is not even opened, only left out.
    with audited_read(db, Classification.INTERNAL, object_type="bulletin", viewer=actor) as read:
        facts = bulletin_facts(db, bulletin_id, read)
    allowed = _sms_allowed(db, bulletin_id)
    open_items = [
        item
        for item in facts
        if rules.may_go_by_sms(item.classification, allowed=item.serial in allowed)
    ]
    omitted = tuple(
        (item.serial, item.classification) for item in facts if item.classification.is_classified
    )
    held_back = sum(
        1
        for item in facts
        if item.classification is Classification.INTERNAL and item.serial not in allowed
    )
    if not open_items:
        if held_back:
            raise BulletinError(t("bulletin.sms_internal_refused", id=bulletin_id, count=held_back))
        raise BulletinError(
            t("bulletin.sms_refused", id=bulletin_id, level=label(Classification(level)))
        )
    if edit is not None:
        text = _one_paragraph(edit)
        if not text:
            raise BulletinError(t("bulletin.sms_blank"))
        _store(db, bulletin_id, text, actor, now)
    else:
        text = _one_paragraph(str(stored) or rules.short_text(open_items))
    header = rules.short_header(BulletinKind(kind), int(year), number, Urgency(urgency))
    lines = []
    if omitted:
        serials = ", ".join(f"{serial} [{label(lvl)}]" for serial, lvl in omitted)
        lines.append(t("bulletin.sms_partial", count=len(omitted), serials=serials))
    if held_back:
        lines.append(t("bulletin.sms_internal_held", count=held_back))
    note = "\n".join(lines) or None
    style = style or SmsStyle()
    moment = as_utc(dated)
    assert moment is not None  # created_at is never empty
    footer = clean(style.sign_off(moment.astimezone(tz or ZoneInfo("Asia/Shanghai"))))
    return ShortVersion(
        bulletin_id=bulletin_id,
        header=header,
        text=text,
        segments=tuple(style.segments(header + text + footer)),
        omitted=omitted,
        note=note,
        edited=edit is not None or bool(stored),
        held_back=held_back,
        allowed=tuple(item.serial for item in facts if item.serial in allowed),
        kind=BulletinKind(kind),
        to_name=str(to_name),
        to_phone=str(to_phone),
        footer=footer,
        style=style,
    )


def _sms_allowed(db: Database, bulletin_id: int) -> frozenset[str]:
    """Serials of the items whose sign-off said "可发短信/微信" (no content read)."""
    rows = db.read(
        "SELECT i.serial FROM bulletin_item bi JOIN incident i ON i.id = bi.incident_id "
        "WHERE bi.bulletin_id = :id AND bi.sms_allowed",
        {"id": bulletin_id},
    )
    return frozenset(str(row.serial) for row in rows)


def _store(db: Database, bulletin_id: int, text: str, actor: str, now: datetime | None) -> None:
    from dutydesk.services.accounts.audit import record
    from dutydesk.storage.models import Bulletin

    if now is None:
        raise ValueError("now: an edit needs the moment of writing")

    def work(session: Session) -> None:
        bulletin = session.get(Bulletin, bulletin_id)
        assert bulletin is not None
        bulletin.short_version = text
        record(
            session=session,
            actor=actor,
            action="bulletin.sms_edit",
            object_type="bulletin",
            object_id=bulletin_id,
            detail="short version edited",
            now=now,
        )

    write_with_retry(db, work)
