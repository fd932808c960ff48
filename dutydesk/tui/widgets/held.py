"""The queue's held rows by index: where another console's changed rows go, without a read.

:class:`~dutydesk.tui.widgets.queue.QueueView` holds 100-row blocks of the queue. When
another desk changes a few incidents (:mod:`dutydesk.services.incidents.changes`), each
changed row leaves its held place (closed, or moved by a new deadline), and each open
one goes where its key puts it among the held rows: the rows after each place move by
one, whatever gaps lie between blocks. A block is kept only when every row of it is
still known (the queue's last block: up to the end); the others are read again when
shown. Anything whose place cannot be known (an incident not held that was open
before, a place between two blocks not held) makes :meth:`HeldRows.apply` answer
False: the caller then reads everything again.

Pure bookkeeping: no Textual, no database.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

from dutydesk.services.incidents.queue import QueueRow, order_of


class HeldRows:
    """The rows held, by their index in the queue, with the count and the cursor."""

    def __init__(
        self,
        blocks: Mapping[int, list[QueueRow]],
        block_rows: int,
        count: int,
        cursor: int,
        *,
        nulls_first: bool,
    ) -> None:
        self.rows: dict[int, QueueRow] = {
            block * block_rows + offset: row
            for block, rows in blocks.items()
            for offset, row in enumerate(rows)
        }
        self.block_rows = block_rows
        self.count = count
        self.cursor = cursor
        self.nulls_first = nulls_first
        self.cursor_lost = False
        """The row under the cursor left the queue (the cursor stays where it was)."""

    def apply(self, changed: Mapping[int, QueueRow | None], fresh: frozenset[int]) -> bool:
        """Take out and put in the changed rows (``None``: not open); False if lost.

        ``fresh`` are the ids registered since the last look: not held, and not in the
        queue before. Any other row not held may have been anywhere: False.
        """
        for incident_id, row in changed.items():
            index = self._index_of(incident_id)
            if index is None and incident_id not in fresh:
                return False  # once somewhere not held, maybe: the rows after it moved
            followed = index is not None and index == self.cursor
            if index is not None:
                self._take_out(index)
            if row is None:
                continue
            placed = self._put_in(row)
            if placed is None:
                return False
            if followed:  # the cursor's incident moved: the cursor goes with it
                self.cursor, self.cursor_lost = placed, False
        return True

    def blocks(self) -> dict[int, list[QueueRow]]:
        """The blocks whose every row is known (the last: up to the end of the queue)."""
        size = self.block_rows
        grouped: dict[int, list[tuple[int, QueueRow]]] = {}
        for index, row in self.rows.items():
            grouped.setdefault(index // size, []).append((index, row))
        last = (self.count - 1) // size if self.count else -1
        kept = {}
        for block, rows in grouped.items():
            whole = size if block < last else self.count - block * size
            if len(rows) == whole:
                kept[block] = [row for _, row in sorted(rows, key=lambda pair: pair[0])]
        return kept

    def _index_of(self, incident_id: int) -> int | None:
        return next((i for i, row in self.rows.items() if row.id == incident_id), None)

    def _take_out(self, index: int) -> None:
        """Remove the row at ``index``: the rows after it move up one place."""
        self.rows = {(i - 1 if i > index else i): r for i, r in self.rows.items() if i != index}
        self.count -= 1
        if self.cursor == index:
            self.cursor_lost = True
        if self.cursor > index or self.cursor >= self.count:
            self.cursor = max(self.cursor - 1, 0)

    def _put_in(self, row: QueueRow) -> int | None:
        """Insert an open row where its key puts it; its index, ``None`` if not known."""
        index = self._place_for(row)
        if index is None:
            return None
        self.rows = {(i + 1 if i >= index else i): r for i, r in self.rows.items()}
        self.rows[index] = row
        if self.count and self.cursor >= index and not self.cursor_lost:
            self.cursor += 1  # the cursor stays on its incident
        self.count += 1
        return index

    def _order(self, row: QueueRow) -> tuple[Any, ...] | None:
        return None if row.key is None else order_of(row.key, nulls_first=self.nulls_first)

    def _place_for(self, row: QueueRow) -> int | None:
        """The index ``row`` goes to, when the held rows around that place are adjacent."""
        mine = self._order(row)
        if mine is None:
            return None
        if not self.rows:
            return 0 if self.count == 0 else None
        held = sorted(self.rows.items())
        orders = [self._order(r) for _, r in held]
        if any(order is None for order in orders):
            return None  # rows read by another query: no place to compare with
        at = bisect_left(orders, mine)  # type: ignore[type-var]
        before = held[at - 1][0] if at > 0 else -1
        after = held[at][0] if at < len(held) else self.count
        # Known only with no row missing between the neighbours (or the ends).
        return after if after == before + 1 else None


__all__ = ["HeldRows"]
