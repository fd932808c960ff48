"""HeldRows: another console's changed rows put at their places among the held blocks.

Checked against the truth: the whole queue sorted again after the same change.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from dutydesk.services.incidents.queue import QueueRow, order_of
from dutydesk.tui.widgets.held import HeldRows
from dutydesk.vocab import Classification

SIZE = 4
"""Rows per block here: small, so that gaps and block edges are many."""


def row(id_: int, due: int) -> QueueRow:
    return QueueRow(
        id=id_,
        serial=f"20261126-{id_:03d}",
        received_at=datetime(2026, 11, 26, tzinfo=UTC),
        classification=Classification.INTERNAL,
        channel=None,
        category=None,
        severity=None,
        title=f"t{id_}-{due}",
        status=None,
        due_at=None,
        due_step=None,
        key=(f"2026-11-26 {due:05d}", 1, "2026-11-25", id_),
    )


def ordered(rows: list[QueueRow]) -> list[QueueRow]:
    return sorted(rows, key=lambda r: order_of(r.key, nulls_first=True))  # type: ignore[arg-type]


def blocks_of(queue: list[QueueRow], held: set[int]) -> dict[int, list[QueueRow]]:
    return {b: queue[b * SIZE : (b + 1) * SIZE] for b in held if b * SIZE < len(queue)}


@pytest.mark.parametrize("seed", range(40))
def test_changes_land_where_a_full_read_puts_them(seed: int) -> None:
    rng = random.Random(seed)
    queue = ordered([row(i, rng.randrange(1000)) for i in range(1, 30)])
    last = (len(queue) - 1) // SIZE
    # Every block held (every place known), or some with gaps between them.
    every = seed % 2 == 0
    held_blocks = {b for b in range(last + 1) if every or rng.random() < 0.5} | {last}
    held = HeldRows(blocks_of(queue, held_blocks), SIZE, len(queue), 0, nulls_first=True)
    held_ids = {r.id for b in held_blocks for r in blocks_of(queue, held_blocks)[b]}
    # Held rows change (moved, closed); a new one is registered.
    changed: dict[int, QueueRow | None] = {}
    for victim in rng.sample(sorted(held_ids), 2):
        changed[victim] = row(victim, rng.randrange(1000)) if rng.random() < 0.7 else None
    changed[100] = row(100, rng.randrange(1000))
    truth = [r for r in queue if r.id not in changed]
    truth = ordered(truth + [r for r in changed.values() if r is not None])
    applied = held.apply(changed, frozenset({100}))
    assert applied or not every
    if applied:
        assert held.count == len(truth)
        if every:  # nothing to read again: every block still whole
            assert sorted(held.blocks()) == list(range((len(truth) - 1) // SIZE + 1))
        for block, rows in held.blocks().items():
            assert rows == truth[block * SIZE : (block + 1) * SIZE]


def test_a_row_not_held_that_existed_has_no_known_place() -> None:
    queue = ordered([row(i, i * 10) for i in range(1, 13)])
    held = HeldRows(blocks_of(queue, {0, 2}), SIZE, len(queue), 0, nulls_first=True)
    # Row 6 sat in block 1 (not held): where it was is not known.
    assert not held.apply({6: row(6, 5)}, frozenset())


def test_the_cursor_stays_on_its_incident_and_follows_it_when_it_moves() -> None:
    queue = ordered([row(i, i * 10) for i in range(1, 9)])
    held = HeldRows(blocks_of(queue, {0, 1}), SIZE, len(queue), 2, nulls_first=True)
    assert held.apply({100: row(100, 1)}, frozenset({100}))  # a new row on top
    assert held.cursor == 3 and held.blocks()[0][3].id == 3
    assert held.apply({3: row(3, 75)}, frozenset())  # its deadline moved: near the end
    assert [r.id for b in sorted(held.blocks()) for r in held.blocks()[b]][held.cursor] == 3
    assert not held.cursor_lost
