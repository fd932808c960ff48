"""The SMS/WeChat short version (短信版/微信版) of a bulletin.

Classified information travels only over the cipher channel (seed/SUMMARY.md §5), so the
short version is made from the bulletin's **unclassified items only**, straight from the
incidents - never from the bulletin's body, which may hold a classified item's text:

* every item classified (秘密 and above): refused, with a message saying why;
* some items classified: the short version covers the others and says so in ``note``.

The stored ``short_version`` is the editable text; the header 【信息快报2026年第7期】 is
put in front when it is shown or sent, so the number given at issue is always right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dutydesk.i18n import label, t
from dutydesk.rules import bulletins as rules
from dutydesk.rules.sanitize import clean
from dutydesk.rules.sms import split_segments
from dutydesk.services.bulletins.read import BulletinError, bulletin_facts
from dutydesk.services.integrity.reading import audited_read
from dutydesk.services.retry import write_with_retry
from dutydesk.storage.engine import Database
from dutydesk.vocab import BulletinKind, BulletinStatus, Classification

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
    """``header + text`` cut into numbered SMS segments of at most 70 characters."""
    omitted: tuple[tuple[str, Classification], ...] = ()
    """Serial and classification of each classified item left out."""
    note: str | None = None
    """Says that classified items were left out, when they were."""
    edited: bool = False

    @property
    def full(self) -> str:
        """The whole message, as a WeChat message carries it."""
        return self.header + self.text


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
) -> ShortVersion:
    """The short version of a bulletin; with ``edit``, store that text as its new version.

    Raises:
        BulletinError: the bulletin is discarded, has only classified items, or the
            edit is blank.
        NotFoundError: there is no such bulletin.

    """
    from dutydesk.errors import NotFoundError

    rows = db.read(
        "SELECT kind, year, issue_no, status, classification, short_version FROM bulletin "
        "WHERE id = :id",
        {"id": bulletin_id},
    )
    if not rows:
        raise NotFoundError(t("bulletin.not_found", id=bulletin_id))
    kind, year, number, status, level, stored = rows[0]
    if BulletinStatus(status) is BulletinStatus.DISCARDED:
        raise BulletinError(t("bulletin.refused.discarded", id=bulletin_id, action="sms"))
    # Read as nobody cleared for classified matter: a short version goes by SMS and
    # WeChat, so a classified item's text is not even opened, only left out.
    with audited_read(db, Classification.INTERNAL, object_type="bulletin", viewer=actor) as read:
        facts = bulletin_facts(db, bulletin_id, read)
    open_items = [item for item in facts if not item.classification.is_classified]
    omitted = tuple(
        (item.serial, item.classification) for item in facts if item.classification.is_classified
    )
    if not open_items:
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
    header = rules.short_header(BulletinKind(kind), int(year), number)
    note = None
    if omitted:
        serials = ", ".join(f"{serial} [{label(lvl)}]" for serial, lvl in omitted)
        note = t("bulletin.sms_partial", count=len(omitted), serials=serials)
    return ShortVersion(
        bulletin_id=bulletin_id,
        header=header,
        text=text,
        segments=tuple(split_segments(header + text)),
        omitted=omitted,
        note=note,
        edited=edit is not None or bool(stored),
    )


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
