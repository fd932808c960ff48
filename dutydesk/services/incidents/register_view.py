"""Register mode, read side (issue 13): the register line and the copy movements.

A classified item in register mode has no title: what stands where the title would is
its register line (``机密★10年 省委办公厅 赣办电〔2026〕88号 第3份``). The register is not
secret (a 机要 clerk's 登记簿 is read by whoever keeps the desk), so it is shown to every
reader, cleared or not; it never holds content. Read through
:meth:`dutydesk.storage.engine.Database.read` (no ORM), like the queue and the lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from dutydesk.i18n import label, t
from dutydesk.records import record
from dutydesk.storage.engine import as_utc
from dutydesk.vocab import Classification, EntryKind

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database


def register_line(
    level: Classification | str,
    organ: str = "",
    doc_no: str = "",
    period: str = "",
    copy_no: int | None = None,
) -> str:
    """The register's one line: ``机密★10年 省委办公厅 赣办电〔2026〕88号 第3份``.

    Built from the fields (stored data: the caller sanitises it for display as any text).
    """
    mark = label(Classification(level))
    if period.strip():
        mark += t("register.period", period=period.strip())
    parts = [mark, organ.strip(), doc_no.strip()]
    if copy_no is not None:
        parts.append(t("register.line_copy", copy_no=copy_no))
    return " ".join(part for part in parts if part)


def register_lines(db: Database, incident_ids: Iterable[int]) -> dict[int, str]:
    """The register line of each of ``incident_ids`` that has a register, by id.

    One query for a whole window (nothing at all for an empty list), so the queue and
    the search results cost what they did when no row is classified.
    """
    ids = sorted({int(id_) for id_ in incident_ids})
    if not ids:
        return {}
    names = [f"id{index}" for index in range(len(ids))]
    rows = db.read(
        "SELECT r.incident_id, i.classification, r.organ, r.doc_no, r.period, r.copy_no "  # noqa: S608 - placeholders only; ids bound
        "FROM classified_register r JOIN incident i ON i.id = r.incident_id "
        f"WHERE r.incident_id IN ({', '.join(':' + name for name in names)})",
        dict(zip(names, ids, strict=True)),
    )
    return {
        int(row.incident_id): register_line(
            row.classification, str(row.organ), str(row.doc_no), str(row.period), row.copy_no
        )
        for row in rows
    }


def register_line_of(db: Database, incident_id: int) -> str:
    """The register line of one incident; empty when it has no register."""
    return register_lines(db, [incident_id]).get(incident_id, "")


@record
class CopyMovement:
    """One copy's movement (呈批, 传阅, 清退, 销毁) and its signing back, if any."""

    seq: int
    """The movement's entry number on the timeline (what ``--back`` names)."""
    kind: EntryKind
    occurred_at: datetime
    holder: str
    """To whom it went, or who returned or destroyed it."""
    copy_no: int | None
    signed_back_at: datetime | None
    signed_back_by: str


def copy_movements(db: Database, incident_id: int) -> tuple[CopyMovement, ...]:
    """Every copy movement of an incident, in timeline order (no entry text is read)."""
    rows = db.read(
        "SELECT e.seq, e.kind, e.occurred_at, c.holder, c.copy_no, c.signed_back_at, "
        "c.signed_back_by FROM register_copy c "
        "JOIN timeline_entry e ON e.id = c.entry_id "
        "WHERE c.incident_id = :id ORDER BY e.seq",
        {"id": incident_id},
    )
    return tuple(
        CopyMovement(
            seq=int(row.seq),
            kind=EntryKind(row.kind),
            occurred_at=as_utc(row.occurred_at),  # type: ignore[arg-type]
            holder=str(row.holder),
            copy_no=row.copy_no,
            signed_back_at=as_utc(row.signed_back_at),
            signed_back_by=str(row.signed_back_by),
        )
        for row in rows
    )


__all__ = [
    "CopyMovement",
    "copy_movements",
    "register_line",
    "register_line_of",
    "register_lines",
]
