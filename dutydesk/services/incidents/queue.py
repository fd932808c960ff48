"""The live incident queue: open incidents, most urgent first, read a window at a time.

The queue is never loaded whole. The console asks for the rows it can show and the
total (:func:`count_open`: one row the store's triggers keep, migration 0026); the rows
are an indexed query on ``ix_incident_queue`` (is_open, due_at, severity_rank,
received_at; SQLite keeps the rowid ``id`` after them), so neither cost grows with a
year of records or with the length of the queue.

Rows are found by their place in :data:`QUEUE_ORDER` (keyset paging), not by OFFSET,
which walks every row before the window: :func:`fetch_after` and :func:`fetch_before`
read the rows next to a row already shown (a page down, up), :func:`fetch_last` the end of
the queue, and :func:`position_of` counts from whichever end of the queue is nearer
(issue 16: OFFSET took 176 ms to reach the end of 200,000 rows). :func:`fetch_window`
(OFFSET) is left for a jump into the middle (the scrollbar) and the first screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dutydesk.records import record
from dutydesk.services.incidents.register_view import register_lines
from dutydesk.services.integrity.reading import ClassifiedRead, audited_read
from dutydesk.services.integrity.sealed import incident_record
from dutydesk.storage.engine import Database, Row, as_utc
from dutydesk.vocab import Category, Channel, Classification, Severity, Status, member

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing

BLOCK_ROWS = 100
"""Rows the console reads at a time: one indexed query per block."""

# Overdue first (earliest due), then due soonest, then severity, then oldest receipt.
QUEUE_ORDER = "due_at, severity_rank, received_at, id"

_COLUMNS = (
    "id, serial, received_at, channel, category, severity, title, status, "
    "classification, due_at, due_step, drill_run_id, severity_rank"
)

QueueKey = tuple[Any, Any, Any, int]
"""A row's place in :data:`QUEUE_ORDER`: (due_at, severity_rank, received_at, id) as stored.

Held by the console beside the rows it read, never shown: a place, not content."""

NEAR_END = 5_000
"""How many rows :func:`position_of` counts from one end before it tries the other."""


@record
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
    key: QueueKey | None = None
    """The row's place in the queue (:data:`QueueKey`), for reading its neighbours; never
    drawn. ``None`` on rows not read by the queue's own queries (search results)."""

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
    level = member(Classification, values.classification)
    content = read.content(level, str(values.serial))
    hidden = content is None
    return QueueRow(
        id=id_,
        serial=str(values.serial),
        received_at=as_utc(values.received_at),  # type: ignore[arg-type]
        classification=level,
        channel=None if hidden else member(Channel, values.channel),
        category=None if hidden else member(Category, values.category),
        severity=None if hidden else member(Severity, values.severity),
        title=None
        if content is None
        else content(values.title, record=incident_record(id_), field="title"),
        status=None if hidden else member(Status, values.status),
        due_at=as_utc(values.due_at),
        due_step=values.due_step,
        drill=values.drill_run_id is not None,
        register=(registers or {}).get(id_, ""),
        key=_key_of(values),
    )


def _key_of(values: Row) -> QueueKey | None:
    """The row's place in the queue, when the query read ``severity_rank`` (ours do)."""
    rank = getattr(values, "severity_rank", None)
    if rank is None:
        return None
    return (values.due_at, rank, values.received_at, int(values.id))


OPEN_COUNT = "SELECT open_count FROM open_count WHERE id = 1"
"""The number of open incidents, kept by the store's triggers on ``incident``
(migration 0026): one row, whatever the size of the queue."""


def count_open(db: Database) -> int:
    """How many incidents are open: the store's counter (migration 0026), not a count.

    Issue 16: a ``count(*)`` of ``ix_incident_queue`` took ~100 ms at 1,000,000 open
    incidents; :func:`recount_open` is that count, for ``verify``'s comparison.
    """
    return int(db.read(OPEN_COUNT)[0][0])


def recount_open(db: Database) -> int:
    """How many incidents are open, counted row by row (the counter's yardstick)."""
    return int(db.read("SELECT count(*) FROM incident WHERE is_open = TRUE")[0][0])


def open_counts(db: Database, now: datetime) -> tuple[int, int]:
    """The open incidents and how many of them are overdue at ``now``, in one read.

    The open ones are the store's counter (:func:`count_open`); the overdue ones are
    those less the ones not yet due (or with no deadline), a short range of
    ``ix_incident_queue`` instead of a walk over every overdue row (issue 16: at 200,000
    open incidents, 0.2 ms instead of 123 ms). One statement, so the two agree.
    """
    rows = db.read(
        f"SELECT ({OPEN_COUNT}), "  # noqa: S608 - constant query
        "(SELECT count(*) FROM incident WHERE is_open = TRUE "
        "AND (due_at >= :now OR due_at IS NULL))",
        {"now": db.time_param(now)},
    )
    open_, waiting = int(rows[0][0]), int(rows[0][1])
    return open_, open_ - waiting


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
    return _queue_rows(db, rows, clearance, keys, viewer, now)


def _partitions(db: Database) -> tuple[bool, bool]:
    """The queue's two runs of ``due_at``, in queue order: True for the NULL run.

    An open incident may have no next deadline (``due_at`` NULL). SQLite sorts NULL
    first, PostgreSQL last; a row-value comparison with NULL is neither true nor false,
    so each run is read by a query of its own, and a keyset read goes on into the next.
    """
    return (True, False) if db.is_sqlite else (False, True)


_ROW_VALUE = {
    True: "(severity_rank, received_at, id)",
    False: "(due_at, severity_rank, received_at, id)",
}
_KEY_PARAMS = {True: "(:rank, :received, :id)", False: "(:due, :rank, :received, :id)"}


def _run_clause(null: bool) -> str:
    return "due_at IS NULL" if null else "due_at IS NOT NULL"


def _keyset_rows(
    db: Database,
    key: QueueKey | None,
    limit: int,
    *,
    forward: bool,
    inclusive: bool = False,
    skip: int = 0,
) -> list[Row]:
    """Up to ``limit`` raw rows after (``forward``) or before ``key`` in queue order.

    ``key`` ``None`` starts at the queue's first row (forward) or its last (backward),
    passing over ``skip`` rows there (an OFFSET from that end); ``inclusive`` includes
    the row at ``key``. Rows come back in queue order either way. Each query is one
    range of the index.
    """
    runs = _partitions(db) if forward else tuple(reversed(_partitions(db)))
    started = key is None
    sign, order = (">", "ASC") if forward else ("<", "DESC")
    if inclusive:
        sign += "="
    found: list[Row] = []
    for null in runs:
        if len(found) >= limit:
            break
        if skip:
            # Rows passed over in this run: count them (one index range) before reading.
            here = _run_size(db, null, cap=skip)
            if here <= skip:
                skip -= here
                continue
        params: dict[str, Any] = {"limit": limit - len(found), "skip": skip}
        where = f"is_open = TRUE AND {_run_clause(null)}"
        if not started:
            if key is None or (key[0] is None) != null:
                continue  # the key's own run comes first
            started = True
            where += f" AND {_ROW_VALUE[null]} {sign} {_KEY_PARAMS[null]}"
            params.update(due=key[0], rank=key[1], received=key[2], id=key[3])
        ordering = ", ".join(f"{column} {order}" for column in QUEUE_ORDER.split(", "))
        found.extend(
            db.read(
                f"SELECT {_COLUMNS} FROM incident WHERE {where} "  # noqa: S608 - constant clauses; values bound
                f"ORDER BY {ordering} LIMIT :limit OFFSET :skip",
                params,
            )
        )
        skip = 0
    return found if forward else found[::-1]


def _run_size(db: Database, null: bool, *, cap: int) -> int:
    """Open incidents in one run of ``due_at`` (:func:`_partitions`), at most ``cap + 1``."""
    where = f"is_open = TRUE AND {_run_clause(null)}"
    rows = db.read(
        f"SELECT count(*) FROM (SELECT 1 FROM incident WHERE {where} LIMIT :cap) AS q",  # noqa: S608 - constant clause
        {"cap": cap + 1},
    )
    return int(rows[0][0])


def _queue_rows(
    db: Database,
    rows: Sequence[Row],
    clearance: Classification,
    keys: KeyRing | None,
    viewer: Operator | int | str | None,
    now: datetime | None,
) -> list[QueueRow]:
    """Rows read by a queue query, through the need-to-know gate (one audited read)."""
    registers = registers_of(db, rows)
    with audited_read(
        db, clearance, object_type="queue", keys=keys, viewer=viewer, now=now
    ) as read:
        return [queue_row(row, read, registers) for row in rows]


def fetch_after(
    db: Database,
    key: QueueKey | None,
    limit: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """The ``limit`` rows after the row at ``key`` (from the top when ``None``), in order.

    Gated and audited as :func:`fetch_window`; the cost is the rows read, wherever
    ``key`` is in the queue.
    """
    rows = _keyset_rows(db, key, limit, forward=True)
    return _queue_rows(db, rows, clearance, keys, viewer, now)


def fetch_before(
    db: Database,
    key: QueueKey | None,
    limit: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """The ``limit`` rows before the row at ``key`` (the last rows when ``None``), in order."""
    rows = _keyset_rows(db, key, limit, forward=False)
    return _queue_rows(db, rows, clearance, keys, viewer, now)


def fetch_last(
    db: Database,
    limit: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    skip: int = 0,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """The last ``limit`` rows of the queue (passing over its last ``skip``), in order.

    The end of the queue without walking it from the top: ``skip`` rows counted from
    the end, so a block near the end costs the rows after it, not the rows before.
    """
    rows = _keyset_rows(db, None, limit, forward=False, skip=skip)
    return _queue_rows(db, rows, clearance, keys, viewer, now)


def fetch_around(
    db: Database,
    key: QueueKey,
    before: int,
    after: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """``before`` rows above the row at ``key``, that row, and ``after`` rows below it."""
    rows = _keyset_rows(db, key, before, forward=False) if before else []
    rows += _keyset_rows(db, key, after + 1, forward=True, inclusive=True)
    return _queue_rows(db, rows, clearance, keys, viewer, now)


def fetch_row(
    db: Database,
    incident_id: int,
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> QueueRow | None:
    """One open incident as the queue shows it (its key included), ``None`` if not open.

    Read after a save has committed, so the console can place the new row among the rows
    it holds without reading them again (issue 16); gated and audited as the others.
    """
    found = fetch_rows(db, (incident_id,), clearance, keys=keys, viewer=viewer, now=now)
    return found.get(int(incident_id))


def fetch_rows(
    db: Database,
    incident_ids: Iterable[int],
    clearance: Classification = Classification.INTERNAL,
    *,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> dict[int, QueueRow]:
    """The open ones of ``incident_ids`` as the queue shows them, by id (one read).

    What another console changed (:mod:`.changes`) is read this way and placed among
    the rows held; an id missing from the answer is not open. Gated and audited as the
    queue's other reads: a row the reader may not see comes back with its content
    withheld, as it would in a reload.
    """
    ids = sorted({int(i) for i in incident_ids})
    if not ids:
        return {}
    names = ", ".join(f":i{n}" for n in range(len(ids)))
    rows = db.read(
        f"SELECT {_COLUMNS} FROM incident WHERE id IN ({names}) AND is_open = TRUE",  # noqa: S608 - constant columns; ids bound
        {f"i{n}": id_ for n, id_ in enumerate(ids)},
    )
    return {row.id: row for row in _queue_rows(db, rows, clearance, keys, viewer, now)}


def order_of(key: QueueKey, *, nulls_first: bool) -> tuple[Any, ...]:
    """A sort key that orders :data:`QueueKey` values as the database orders the queue.

    ``nulls_first``: the store sorts a NULL ``due_at`` first (SQLite) or last
    (PostgreSQL, :func:`_partitions`). Values are compared as stored (SQLite's text
    times compare as its BINARY collation does), so only keys read from the same
    store are comparable.
    """
    due, rank, received, id_ = key
    null = due is None
    return (not null if nulls_first else null, "" if null else due, rank, received, id_)


def key_of(db: Database, incident_id: int) -> QueueKey | None:
    """The place of an open incident in the queue, ``None`` if it is not open."""
    rows = db.read(
        "SELECT due_at, severity_rank, received_at, id FROM incident "
        "WHERE id = :id AND is_open = TRUE",
        {"id": incident_id},
    )
    if not rows:
        return None
    due_at, rank, received, id_ = rows[0]
    return (due_at, rank, received, int(id_))


def _count_from(db: Database, key: QueueKey, *, forward: bool, cap: int | None) -> int:
    """Rows strictly after (``forward``) or before ``key``, counting at most ``cap``."""
    runs = _partitions(db) if forward else tuple(reversed(_partitions(db)))
    sign = ">" if forward else "<"
    total, started = 0, False
    for null in runs:
        where = f"is_open = TRUE AND {_run_clause(null)}"
        params: dict[str, Any] = {}
        if not started:
            if (key[0] is None) != null:
                continue
            started = True
            where += f" AND {_ROW_VALUE[null]} {sign} {_KEY_PARAMS[null]}"
            params.update(due=key[0], rank=key[1], received=key[2], id=key[3])
        # Capped: the count stops after ``cap`` rows instead of walking the whole range.
        bound = "" if cap is None else f" LIMIT {int(cap) - total}"
        rows = db.read(
            f"SELECT count(*) FROM (SELECT 1 FROM incident WHERE {where}{bound}) AS q",  # noqa: S608 - constant clauses; values bound
            params,
        )
        total += int(rows[0][0])
        if cap is not None and total >= cap:
            return total
    return total


@record
class Place:
    """Where an open incident is in the queue, and the queue's size if it was counted."""

    index: int
    key: QueueKey
    count: int | None = None
    """The open incidents, counted in the same breath, when the index was found from
    the end of the queue; ``None`` when it was found from the top without counting."""


def place_of(
    db: Database, incident_id: int, *, total: int | None = None, near: int | None = None
) -> Place | None:
    """The index of an open incident in the queue, counted from the nearer end.

    A row near the top costs the rows above it, at most ``near``; one further down is
    counted from the end (the rows below it, plus the total: ``total`` when the caller
    knows it, else counted); only a row in the middle of a long queue counts every row
    above it, as OFFSET would.
    """
    near = NEAR_END if near is None else near
    key = key_of(db, incident_id)
    if key is None:
        return None
    before = _count_from(db, key, forward=False, cap=near)
    if before < near:
        return Place(before, key)
    if total is None:
        total = count_open(db)
    after = _count_from(db, key, forward=True, cap=near)
    if after < near:
        return Place(total - 1 - after, key, total)
    return Place(_count_from(db, key, forward=False, cap=None), key, total)


def position_of(db: Database, incident_id: int) -> int | None:
    """The index of an open incident in the queue, or ``None`` if it is not open."""
    place = place_of(db, incident_id)
    return None if place is None else place.index


@record
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
    # Here, not at the top: the rule engine is ~4 ms of imports that `incident list` and
    # `show` (which import this module) never use (issue 16).
    from dutydesk.rules.deadlines import INSTRUCTION_STEPS

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
