"""The live incident queue: open incidents, most urgent first, read a window at a time.

The queue is never loaded whole. The console asks for the rows it can show
(:func:`fetch_window`) and the total (:func:`count_open`); both are single indexed
queries on ``ix_incident_queue`` (is_open, due_at, severity_rank, received_at), so their
cost does not grow with a year of closed records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from dutydesk.rules.deadlines import INSTRUCTION_STEPS
from dutydesk.services.incidents.register_view import register_lines
from dutydesk.services.integrity.reading import ClassifiedRead, audited_read
from dutydesk.services.integrity.sealed import incident_record
from dutydesk.storage.engine import Database, Row, as_utc
from dutydesk.vocab import Category, Channel, Classification, Severity, Status

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing

BLOCK_ROWS = 100
"""Rows the console reads at a time: one indexed query per block."""

# Overdue first (earliest due), then due soonest, then severity, then oldest receipt.
QUEUE_ORDER = "due_at, severity_rank, received_at, id"

_COLUMNS = (
    "id, serial, received_at, channel, category, severity, title, status, "
    "classification, due_at, due_step, drill_run_id"
)


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue. Content fields are ``None`` when the viewer is not cleared."""

    id: int
    serial: str
    received_at: datetime
    classification: Classification
    channel: Channel | None
    category: Category | None
    severity: Severity | None
    title: str | None
    status: Status | None
    due_at: datetime | None
    due_step: str | None
    drill: bool = False
    """Created by a drill (演练): every pane marks it."""
    register: str = ""
    """Register mode (issue 13): the register line of a classified item, shown where its
    title would be, to every reader (the register holds no content); empty otherwise."""

    @property
    def restricted(self) -> bool:
        """True when the content was withheld from this viewer."""
        return self.title is None

    @property
    def heading(self) -> str:
        """What stands in the title's place: the title, else the register line."""
        return self.title or self.register


def registers_of(db: Database, rows: Sequence[Row]) -> dict[int, str]:
    """The register lines of the classified rows among ``rows`` (one query, or none)."""
    ids = [int(row.id) for row in rows if Classification(row.classification).is_classified]
    return register_lines(db, ids) if ids else {}


def queue_row(
    values: Row, read: ClassifiedRead, registers: Mapping[int, str] | None = None
) -> QueueRow:
    """Build a row from the queue's columns, withholding content the reader is not cleared for.

    The one place the need-to-know gate for queue-shaped rows is applied: the queue and
    the search results both come through here, inside their :func:`audited_read`.
    ``registers`` (:func:`registers_of`) gives a classified item its register line,
    whoever reads: it is not content.
    """
    id_ = int(values.id)
    content = read.content(values.classification, str(values.serial))
    hidden = content is None
    return QueueRow(
        id=id_,
        serial=str(values.serial),
        received_at=as_utc(values.received_at),  # type: ignore[arg-type]
        classification=Classification(values.classification),
        channel=None if hidden else Channel(values.channel),
        category=None if hidden else Category(values.category),
        severity=None if hidden else Severity(values.severity),
        title=None
        if content is None
        else content(values.title, record=incident_record(id_), field="title"),
        status=None if hidden else Status(values.status),
        due_at=as_utc(values.due_at),
        due_step=values.due_step,
        drill=values.drill_run_id is not None,
        register=(registers or {}).get(id_, ""),
    )


def count_open(db: Database) -> int:
    """How many incidents are open."""
    return int(db.read("SELECT count(*) FROM incident WHERE is_open = TRUE")[0][0])


def count_overdue(db: Database, now: datetime) -> int:
    """How many open incidents have their next step past due at ``now``."""
    rows = db.read(
        "SELECT count(*) FROM incident WHERE is_open = TRUE AND due_at < :now",
        {"now": db.time_param(now)},
    )
    return int(rows[0][0])


def fetch_window(
    db: Database,
    offset: int,
    limit: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """Rows ``offset`` to ``offset + limit`` of the queue, in queue order.

    A classified title is decrypted only for a cleared viewer; the key ring (``keys``,
    else the database's key file) is loaded only if such a title is in the window.
    A window that shows classified titles is one audit event of ``viewer`` (the
    serials, never the titles); the same window read again soon is the same view.
    """
    rows = db.read(
        f"SELECT {_COLUMNS} FROM incident WHERE is_open = TRUE "  # noqa: S608 - constant columns and order; limit/offset bound
        f"ORDER BY {QUEUE_ORDER} LIMIT :limit OFFSET :offset",
        {"limit": int(limit), "offset": int(offset)},
    )
    registers = registers_of(db, rows)
    with audited_read(
        db, clearance, object_type="queue", keys=keys, viewer=viewer, now=now
    ) as read:
        return [queue_row(row, read, registers) for row in rows]


def position_of(db: Database, incident_id: int) -> int | None:
    """The index of an open incident in the queue, or ``None`` if it is not open."""
    rows = db.read(
        "SELECT due_at, severity_rank, received_at, id FROM incident "
        "WHERE id = :id AND is_open = TRUE",
        {"id": incident_id},
    )
    if not rows:
        return None
    due_at, rank, received, id_ = rows[0]
    before = db.read(
        "SELECT count(*) FROM incident WHERE is_open = TRUE AND "
        "(due_at, severity_rank, received_at, id) < (:due, :rank, :received, :id)",
        {"due": due_at, "rank": rank, "received": received, "id": id_},
    )
    return int(before[0][0])


@dataclass(frozen=True)
class PassedDeadline:
    """An open incident whose next step fell due in a window of time."""

    id: int
    serial: str
    due_step: str | None
    due_at: datetime


def reminders_due(
    db: Database, since: datetime, until: datetime, lead: timedelta
) -> list[PassedDeadline]:
    """催办: instructions whose feedback (or 报结) falls due ``lead`` after ``(since, until]``.

    The same range scan as :func:`deadlines_passed`, shifted by the reminder's lead, and
    only for the steps an instruction owes (``rules.deadlines.INSTRUCTION_STEPS``).
    """
    return [
        item
        for item in deadlines_passed(db, since + lead, until + lead)
        if item.due_step in INSTRUCTION_STEPS
    ]


def deadlines_passed(db: Database, since: datetime, until: datetime) -> list[PassedDeadline]:
    """Open incidents whose next step fell due after ``since`` and at or before ``until``.

    One range scan of ``ix_incident_queue`` (is_open, due_at): cheap enough to ask every
    second, whatever the size of the queue.
    """
    rows = db.read(
        "SELECT id, serial, due_step, due_at FROM incident "
        "WHERE is_open = TRUE AND due_at > :since AND due_at <= :until ORDER BY due_at, id",
        {"since": db.time_param(since), "until": db.time_param(until)},
    )
    return [
        PassedDeadline(int(id_), str(serial), step, as_utc(due))  # type: ignore[arg-type]
        for id_, serial, step, due in rows
    ]
