"""The hash chain's head, read without the ORM (reports print it; see services.chain).

Kept apart from :mod:`dutydesk.services.integrity.chain` so that the daily export and the other
light read paths do not import SQLModel just to print one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dutydesk.rules.chain import GENESIS, ChainHead

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database, Query

_HEAD = "SELECT seq, hash FROM chain_state WHERE id = 1"


def chain_head(db: Database, query: Query | None = None) -> ChainHead:
    """The chain's head now: print it on handover packs and daily exports.

    A plain one-row read (no ORM), cheap enough for any report. ``seq`` 0 with the
    all-zero hash is an empty chain. ``query``: a snapshot's (:meth:`Database.snapshot`),
    for the head of the state its rows come from; a read beside the snapshot opened a
    second SQLite connection (~3 ms of CPU for its schema, issue 16) and could see a
    newer head than the rows.
    """
    rows = db.read(_HEAD) if query is None else list(query(_HEAD, None))
    if not rows:
        return ChainHead(0, GENESIS)
    return ChainHead(int(rows[0][0]), str(rows[0][1]))


def signed_head(db: Database, query: Query | None = None) -> str:
    """The head as packs and exports print it: ``#57 3f9a1c2b… ✓5e0c47a19b2d3f68``.

    The tick and 16 hex digits are the start of its MAC under the head key (issue 17,
    :mod:`dutydesk.services.integrity.head_key`): nobody without the key file can make a
    head that matches it. Without a head key it is the bare head, as before.
    """
    from dutydesk.services.integrity import head_key

    head = chain_head(db, query)
    return head_key.signed_short(head, head_key.for_database(db.path, create=True))
