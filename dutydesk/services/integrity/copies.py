"""份号: every classified copy printed is numbered, logged and followed until it comes back.

Printing (showing or exporting) a document that carries classified content takes the
next copy number of that document (``bulletin:7``, ``handover:3``, ``daily:2026-11-25``)
in one write transaction, with an audit event; handing a copy to someone and its
return (签收退回) are recorded on the same row, each audited. The log shows who has
which copy (:func:`copies_of`, ``dutydesk bulletin copies N``). No content is kept here:
the document's name, the copy's number and level, names and times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.marking import COPY_DIGITS, Marking
from dutydesk.services.retry import write_with_retry
from dutydesk.storage.engine import as_utc, stored_utc
from dutydesk.vocab import Classification

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.rules.documents import BulletinView
    from dutydesk.rules.handover import HandoverPack
    from dutydesk.services.request import Request
    from dutydesk.storage.engine import Database
    from dutydesk.storage.models import DocumentCopy


class CopyError(DutyDeskError):
    """A distribution act that does not fit the log (no such copy, already given)."""

    exit_code = 2


@dataclass(frozen=True)
class CopyRecord:
    """One printed copy and where it is."""

    copy_no: int
    classification: Classification
    made_at: datetime
    made_by: str
    given_to: str | None
    given_at: datetime | None
    returned_at: datetime | None

    @property
    def copy_text(self) -> str:
        """The 份号 as printed: six digits."""
        return f"{self.copy_no:0{COPY_DIGITS}d}"


def _audit(session: Session, req: Request, action: str, document: str, detail: str) -> None:
    from dutydesk.services.accounts.audit import record

    actor = req.actor_id if req.actor_id is not None else (req.actor_name or req.viewer)
    record(session, actor, f"copy.{action}", "document", document, detail, req.now)


def _who(req: Request) -> str:
    viewer = req.viewer
    name = getattr(viewer, "name", viewer if isinstance(viewer, str) else "")
    return req.actor_name or str(name or "")


def make_copy(req: Request, document: str, level: Classification) -> int:
    """Register the next copy of ``document`` (classified at ``level``); its number.

    Read and written in one ``BEGIN IMMEDIATE`` transaction (the chain head locked on
    PostgreSQL, as bulletin numbers are), the unique (document, copy_no) as backstop.
    """
    from sqlalchemy import func
    from sqlmodel import select

    from dutydesk.storage.models import ChainState, DocumentCopy

    def work(session: Session) -> int:
        session.get(ChainState, 1, with_for_update=True)
        highest = session.exec(
            select(func.max(DocumentCopy.copy_no)).where(DocumentCopy.document == document)
        ).one()
        number = (highest or 0) + 1
        session.add(
            DocumentCopy(
                document=document,
                copy_no=number,
                classification=Classification(level),
                made_at=req.now,
                made_by=_who(req),
            )
        )
        session.flush()
        _audit(session, req, "made", document, f"copy {number:0{COPY_DIGITS}d} {level}")
        return number

    return write_with_retry(req.db, work)


def numbered_pack(req: Request, pack: HandoverPack) -> HandoverPack:
    """The marked pack as one registered copy: the next 份号 of this pack, logged.

    The CLI's ``handover`` and the console's export (``h`` then ``x``) print through
    here, so a classified pack never leaves either without its number.
    """
    from dataclasses import replace

    assert pack.marking is not None
    name = pack.handover_id if pack.handover_id is not None else pack.period_end.isoformat()
    number = make_copy(req, f"handover:{name}", pack.marking.level)
    return replace(pack, marking=replace(pack.marking, copy_no=number))


def bulletin_marking(req: Request, view: BulletinView) -> Marking | None:
    """A classified bulletin printed for a reader it opens to: its mark and next 份号.

    ``None`` for an open bulletin or a reader it does not open to (nothing classified
    is printed). Each call registers a copy (``dutydesk bulletin copies N`` lists it).
    """
    if view.restricted or not view.classification.is_classified:
        return None
    number = make_copy(req, f"bulletin:{view.id}", view.classification)
    return Marking(view.classification, copy_no=number)


def copies_of(db: Database, document: str) -> list[CopyRecord]:
    """The copies of ``document`` in number order."""
    rows = db.read(
        "SELECT copy_no, classification, made_at, made_by, given_to, given_at, returned_at "
        "FROM document_copy WHERE document = :document ORDER BY copy_no",
        {"document": document},
    )
    return [
        CopyRecord(
            int(row.copy_no),
            Classification(row.classification),
            stored_utc(row.made_at),
            str(row.made_by),
            row.given_to,
            as_utc(row.given_at),
            as_utc(row.returned_at),
        )
        for row in rows
    ]


def _copy(session: Session, document: str, copy_no: int, what: str) -> DocumentCopy:
    from sqlmodel import select

    from dutydesk.storage.models import DocumentCopy

    found = session.exec(
        select(DocumentCopy).where(
            DocumentCopy.document == document, DocumentCopy.copy_no == copy_no
        )
    ).first()
    if found is None:
        raise CopyError(t("copies.not_made", copy=f"{copy_no:0{COPY_DIGITS}d}", what=what))
    return found


def give_copy(req: Request, document: str, copy_no: int, to: str, *, what: str) -> None:
    """Record that copy ``copy_no`` of ``document`` was handed to ``to`` (分发), now.

    Raises:
        CopyError: no such copy, or it is out with someone and not back yet.

    """
    name = to.strip()

    def work(session: Session) -> None:
        copy = _copy(session, document, copy_no, what)
        if copy.given_to and copy.returned_at is None:
            number = f"{copy_no:0{COPY_DIGITS}d}"
            raise CopyError(t("copies.given_already", copy=number, name=copy.given_to))
        copy.given_to, copy.given_at, copy.returned_at = name, req.now, None
        _audit(session, req, "given", document, f"copy {copy_no:0{COPY_DIGITS}d}")

    write_with_retry(req.db, work)


def return_copy(req: Request, document: str, copy_no: int, *, what: str) -> None:
    """Record that copy ``copy_no`` of ``document`` came back, signed (签收退回), now.

    Raises:
        CopyError: no such copy, or it was never given out.

    """

    def work(session: Session) -> None:
        copy = _copy(session, document, copy_no, what)
        if not copy.given_to or copy.returned_at is not None:
            raise CopyError(t("copies.not_given", copy=f"{copy_no:0{COPY_DIGITS}d}"))
        copy.returned_at = req.now
        _audit(session, req, "returned", document, f"copy {copy_no:0{COPY_DIGITS}d}")

    write_with_retry(req.db, work)


__all__ = [
    "CopyError",
    "CopyRecord",
    "bulletin_marking",
    "copies_of",
    "give_copy",
    "make_copy",
    "numbered_pack",
    "return_copy",
]
