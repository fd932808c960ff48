"""The hash chain's head, read without the ORM (reports print it; see services.chain).

Kept apart from :mod:`dutydesk.services.integrity.chain` so that the daily export and the other
light read paths do not import SQLModel just to print one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dutydesk.rules.chain import GENESIS, ChainHead

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database


def chain_head(db: Database) -> ChainHead:
    """The chain's head now: print it on handover packs and daily exports.

    A plain one-row read (no ORM), cheap enough for any report. ``seq`` 0 with the
    all-zero hash is an empty chain.
    """
    rows = db.read("SELECT seq, hash FROM chain_state WHERE id = 1")
    if not rows:
        return ChainHead(0, GENESIS)
    return ChainHead(int(rows[0][0]), str(rows[0][1]))
