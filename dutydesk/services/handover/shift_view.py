"""What the console shows of the change of shift that is ending: record, people, open items.

One read for the console's shift record screen: which change of shift it is (the one
:func:`~dutydesk.services.handover.shifts.outgoing_shift` picks), its record if it was
made, who the roster puts on either side (who may sign as what), and the open items the
record hands over, read back from its stored snapshot (the pack as the internal reader
saw it: a classified item is never titled there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from dutydesk.config import Settings
from dutydesk.rules.handover import ClassifiedItem, OpenItem
from dutydesk.rules.shifts import ShiftSlot
from dutydesk.services.handover.shifts import (
    ShiftPeople,
    ShiftRecord,
    find_record,
    outgoing_shift,
    shift_people,
)
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Severity, Status


@dataclass(frozen=True)
class ShiftRecordView:
    """The change of shift around a moment, as the console shows it."""

    slot: ShiftSlot
    """The outgoing shift: the change is at its end."""
    record: ShiftRecord | None
    """The record, ``None`` until someone makes it."""
    people: ShiftPeople
    open_items: tuple[OpenItem, ...] = ()
    """What the record hands over still open (empty until it is made)."""
    classified: tuple[ClassifiedItem, ...] = ()
    """The classified items it hands over, by serial and classification only."""


def record_view(db: Database, at: datetime, settings: Settings) -> ShiftRecordView:
    """The change of shift a record made at ``at`` is for, with its record if there is one."""
    slot = outgoing_shift(at, settings)
    record = find_record(db, slot)
    people = shift_people(db, slot.end_at, settings)
    if record is None:
        return ShiftRecordView(slot, record, people)
    items, classified = handed_over(db, record.id)
    return ShiftRecordView(slot, record, people, items, classified)


def handed_over(
    db: Database, record_id: int
) -> tuple[tuple[OpenItem, ...], tuple[ClassifiedItem, ...]]:
    """The open and the classified items of the record's stored snapshot."""
    rows = db.read("SELECT snapshot FROM shift_handover WHERE id = :id", {"id": record_id})
    if not rows or not rows[0][0]:
        return (), ()
    stored = json.loads(str(rows[0][0]))
    classified = tuple(
        ClassifiedItem(str(c["serial"]), Classification(c["classification"]))
        for c in stored.get("classified", ())
    )
    return tuple(_open_item(item) for item in stored.get("open", ())), classified


def _open_item(item: dict[str, object]) -> OpenItem:
    due = item.get("due_at")
    return OpenItem(
        serial=str(item["serial"]),
        received_at=datetime.fromisoformat(str(item["received_at"])),
        title=str(item.get("title", "")),
        severity=Severity(str(item["severity"])),
        status=Status(str(item["status"])),
        due_step=str(item["due_step"]) if item.get("due_step") else None,
        due_at=datetime.fromisoformat(str(due)) if due else None,
        casualties=str(item.get("casualties", "")),
    )


__all__ = ["ShiftRecordView", "handed_over", "record_view"]
