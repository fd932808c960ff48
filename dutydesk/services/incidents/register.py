"""Register mode (issue 13): a classified item keeps its register, never its content.

On an ordinary workstation (``deployment = "register"``, the default) 保守国家秘密法
forbids storing state secrets, so for a 秘密/机密/绝密 item the desk keeps only the
register a 机要 clerk keeps: the organ, 文号, ★保密期限, 份数 and 份号, 签收人, and each
copy's 呈批/传阅/清退/销毁 with its signing back. This module is the one place that says so:

* :func:`refuse_content` refuses any content typed into a classified item (intake, edit,
  timeline entry), in one line that says where it goes instead;
* :func:`save_register` writes the register fields (data, stored as typed);
* :func:`register_line` is the one-line description the queue and timeline show instead
  of a title (``机密★10年 省委办公厅 赣办电〔2026〕88号 第3份``);
* :func:`record_copy` appends a copy's movement as a chained timeline entry plus its
  ``register_copy`` row; :func:`sign_back` records its return;
* :func:`purge` removes the earlier content of an item raised to a classified level,
  keeping ``dutydesk verify`` whole (see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import select

from dutydesk.errors import NotFoundError
from dutydesk.i18n import t
from dutydesk.rules.chain import PURGED_PREFIX
from dutydesk.services.incidents.checks import CONTENT_FIELDS as CONTENT_FIELDS
from dutydesk.services.incidents.checks import ContentRefused as ContentRefused
from dutydesk.services.incidents.checks import refuse_content as refuse_content
from dutydesk.services.incidents.records import IncidentError
from dutydesk.services.incidents.register_view import register_line
from dutydesk.storage.models import ClassifiedRegister, Incident, RegisterCopy, TimelineEntry
from dutydesk.vocab import Classification, EntryKind

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.request import Request

COPY_KINDS = frozenset(
    {EntryKind.SUBMITTED, EntryKind.CIRCULATED, EntryKind.RETURNED, EntryKind.DESTROYED}
)
"""Entries that move one copy: 呈批, 传阅, 清退, 销毁."""


@dataclass(frozen=True)
class RegisterFields:
    """The register of one classified item, as typed (each field may be blank)."""

    organ: str = ""
    """来文机关, or 发往机关 when ``outgoing``."""
    doc_no: str = ""
    """文号."""
    period: str = ""
    """保密期限 (``10年``) or 解密条件."""
    copies: int | None = None
    """份数."""
    copy_no: int | None = None
    """份号 of the copy at the desk."""
    signer: str = ""
    """签收人."""
    outgoing: bool = False


def _check_copy(register: RegisterFields | ClassifiedRegister, copy_no: int | None) -> None:
    for number in (register.copies, copy_no):
        if number is not None and number < 1:
            raise IncidentError(t("error.config.positive", name="copy", value=number))
    if copy_no is not None and register.copies is not None and copy_no > register.copies:
        raise IncidentError(
            t("register.copy_out_of_range", copy_no=copy_no, copies=register.copies)
        )


def save_register(session: Session, incident_id: int, fields: RegisterFields) -> ClassifiedRegister:
    """Write (or replace) the register of ``incident_id``; values are stored as typed.

    Raises:
        IncidentError: a copy number below 1, or above the number of copies.

    """
    _check_copy(fields, fields.copy_no)
    row = session.get(ClassifiedRegister, incident_id) or ClassifiedRegister(
        incident_id=incident_id
    )
    row.organ, row.doc_no, row.period = fields.organ, fields.doc_no, fields.period
    row.copies, row.copy_no, row.signer = fields.copies, fields.copy_no, fields.signer
    row.outgoing = fields.outgoing
    session.add(row)
    return row


def register_of(session: Session, incident_id: int) -> ClassifiedRegister | None:
    """The stored register of an incident, if it has one."""
    return session.get(ClassifiedRegister, incident_id)


def record_copy(
    req: Request,
    incident: Incident,
    *,
    session: Session,
    kind: EntryKind | str,
    holder: str,
    copy_no: int | None,
    occurred_at: datetime,
) -> RegisterCopy:
    """One copy moves: 呈批/传阅 to ``holder``, or 清退/销毁 by ``holder``.

    The movement is a timeline entry with no text (``target`` is the holder), on the
    chain like every entry; the copy number and, later, its signing back are kept in
    ``register_copy`` beside it.

    Raises:
        IncidentError: not a copy movement, not a classified item, or a copy number
            outside the register's copies.
        EntryRefused: the entry does not fit the incident now.

    """
    from dutydesk.services.incidents.followup import NewEntry, add_entry

    entry_kind = EntryKind(kind)
    if entry_kind not in COPY_KINDS:
        raise IncidentError(
            t("error.incident.not_one_of", field="kind", value=entry_kind.value,
              allowed=", ".join(sorted(k.value for k in COPY_KINDS)))
        )  # fmt: skip
    if not Classification(incident.classification).is_classified:
        raise IncidentError(t("register.not_classified", serial=incident.serial))
    assert incident.id is not None
    register = register_of(session, incident.id)
    if register is not None:
        _check_copy(register, copy_no)
    entry = add_entry(
        req,
        incident,
        NewEntry(kind=entry_kind, occurred_at=occurred_at, target=holder),
        session=session,
    )
    assert entry.id is not None
    row = RegisterCopy(incident_id=incident.id, entry_id=entry.id, copy_no=copy_no, holder=holder)
    session.add(row)
    session.flush()
    return row


def movement_seq(session: Session, moved: RegisterCopy) -> int:
    """The timeline entry number of a copy movement (what signing it back names)."""
    entry = session.get(TimelineEntry, moved.entry_id)
    assert entry is not None  # written with the movement, in the same transaction
    return int(entry.seq)


def sign_back(
    req: Request, incident: Incident, *, session: Session, seq: int, by: str
) -> RegisterCopy:
    """The copy moved by entry ``seq`` came back, signed by ``by`` (audited).

    Raises:
        NotFoundError: no copy movement with that number on the incident.

    """
    from dutydesk.services.accounts import audit

    found = session.exec(
        select(RegisterCopy)
        .join(TimelineEntry, TimelineEntry.id == RegisterCopy.entry_id)  # type: ignore[arg-type]
        .where(TimelineEntry.incident_id == incident.id, TimelineEntry.seq == seq)
    ).first()
    if found is None:
        raise NotFoundError(t("error.incident.not_on_timeline", serial=incident.serial, id=seq))
    found.signed_back_at, found.signed_back_by = req.now, by
    session.add(found)
    audit.record(
        session, req.actor_id or req.actor_name or None, "copy_signed_back", "incident",
        incident.serial, f"entry {seq}", req.now,
    )  # fmt: skip
    return found


def _purgeable(
    incident: Incident, entries: list[TimelineEntry]
) -> tuple[list[str], list[TimelineEntry]]:
    fields = [name for name in CONTENT_FIELDS if str(getattr(incident, name) or "")]
    texts = [entry for entry in entries if entry.text and not entry.text.startswith(PURGED_PREFIX)]
    return fields, texts


def purge(req: Request, serial: str, *, session: Session) -> tuple[int, int]:
    """Remove the earlier content of a classified item for good (audited).

    The incident's content columns (title, summary, location, reporter) are not on the
    hash chain: they are emptied. A timeline entry's text is: its link's hash covers it.
    The text becomes ``purged:v1:<that link's hash>`` and :func:`dutydesk.services.
    integrity.verify.verify` accepts such a link when (a) its stored hash is the one the
    marker names, so neither can be changed alone, (b) the chain still runs through it
    (the next link's ``prev_hash`` is this hash) and (c) a later ``content_purged``
    audit event on the chain names the incident and the entry. Nothing of the text is
    kept, not even sealed: a sealed value's key would open it again.

    Returns:
        How many incident fields and how many entry texts were purged.

    Raises:
        NotFoundError: no such incident.
        IncidentError: the incident is not classified.

    """
    from dutydesk.services.accounts import audit

    incident = session.exec(select(Incident).where(Incident.serial == serial.strip())).first()
    if incident is None:
        raise NotFoundError(t("cli.error.no_incident", serial=repr(serial.strip())))
    if not Classification(incident.classification).is_classified:
        raise IncidentError(t("register.purge_classified_only", serial=incident.serial))
    entries = list(
        session.exec(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id))
    )
    fields, texts = _purgeable(incident, entries)
    if not fields and not texts:
        return 0, 0
    for name in fields:
        setattr(incident, name, "")
    for entry in texts:
        entry.text = PURGED_PREFIX + str(entry.hash)
        session.add(entry)
    incident.version += 1
    incident.updated_at = req.now
    session.add(incident)
    seqs = ",".join(str(entry.seq) for entry in sorted(texts, key=lambda e: e.seq))
    detail = f"fields={','.join(fields)}; entries={seqs}"
    audit.record(
        session, req.actor_id or req.actor_name or None, "content_purged", "incident",
        incident.serial, detail, req.now,
    )  # fmt: skip
    return len(fields), len(texts)


def is_purged(text: str) -> bool:
    """True for a purged entry text (``purged:v1:<hash>``)."""
    return text.startswith(PURGED_PREFIX)


__all__ = [
    "CONTENT_FIELDS",
    "PURGED_PREFIX",
    "ContentRefused",
    "RegisterFields",
    "is_purged",
    "movement_seq",
    "purge",
    "record_copy",
    "refuse_content",
    "register_line",
    "register_of",
    "save_register",
    "sign_back",
]
