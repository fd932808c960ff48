"""What another console changed since this one last looked: some incidents, or more.

A console that sees another desk's commit used to read everything again (the queue's
window, the counts, the timeline, the roster: issue 16, 147 ms median against a 100 ms
target at 200,000 incidents). Every write through the ORM chains audit events, and a
change to an incident's row chains a ``state`` fact naming it
(:mod:`dutydesk.services.integrity.state_facts`), in the same transaction. So the
links after the last one seen (:class:`ChainMark`, one range of the ``chain_seq``
index) say which incidents changed, and whether anything else did.

``chain_seq`` rather than the audit event's id: the chain's head is a row every append
locks until its transaction ends, so sequence numbers commit in order, where ids from
a PostgreSQL sequence may not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dutydesk.storage.engine import Database, Row

CHANGE_LIMIT = 20
"""More incidents than this changed at once: reading everything again is as cheap."""

INCIDENT_FACT = ("state", "incident")
"""The (action, object type) of an incident row's state fact."""

SHOWS_NOTHING = frozenset({"classified_viewed"})
"""Audit actions that change nothing any pane shows (a read of classified content)."""


@dataclass(frozen=True)
class ChainMark:
    """How far a console has looked: the newest audit link and the newest incident id."""

    seq: int
    """The newest ``chain_seq`` of ``audit_event`` seen (0: none)."""
    incident: int
    """The newest incident id then (0: none): an id above it is a new incident."""


@dataclass(frozen=True)
class Changes:
    """The incidents changed after a :class:`ChainMark`, or ``None``: read everything."""

    mark: ChainMark
    """Where the next look starts."""
    incidents: frozenset[int] | None
    """The incidents whose rows changed; ``None`` when something else changed too (a
    roster seat, an account, a deletion, a need-to-know change...), nothing chained
    changed (a write off the chain), or more than :data:`CHANGE_LIMIT` incidents."""
    fresh: frozenset[int] = frozenset()
    """Those of ``incidents`` registered after the mark (ids above its ``incident``)."""


_MARK = (
    "SELECT (SELECT max(chain_seq) FROM audit_event) AS seq, "
    "(SELECT max(id) FROM incident) AS incident"
)


def chain_mark(db: Database) -> ChainMark:
    """Where the chain and the incidents stand now (two index ends, one statement)."""
    row = db.read(_MARK)[0]
    return ChainMark(int(row.seq or 0), int(row.incident or 0))


def changes_since(db: Database, mark: ChainMark, limit: int = CHANGE_LIMIT) -> Changes:
    """The incidents changed by the audit links after ``mark``, in one indexed read.

    The newest incident id is read by the same statement, so an incident registered
    after it is in the next look, never counted as seen. When the answer is "more than
    incidents" the mark is read again, after the links: the caller reads everything
    after that, so nothing between the two is missed.
    """
    rows = db.read(
        "SELECT chain_seq, action, object_type, object_id, "
        "(SELECT max(id) FROM incident) AS top FROM audit_event "
        "WHERE chain_seq > :seq ORDER BY chain_seq LIMIT :limit",
        {"seq": mark.seq, "limit": limit * 4 + 1},
    )
    incidents = _incidents_of(rows)
    if incidents is None or len(rows) > limit * 4 or len(incidents) > limit:
        return Changes(chain_mark(db), None)
    seq, top = int(rows[-1].chain_seq), int(rows[-1].top or 0)
    fresh = frozenset(i for i in incidents if i > mark.incident)
    return Changes(ChainMark(seq, top), incidents, fresh)


def _incidents_of(rows: Sequence[Row]) -> frozenset[int] | None:
    """The incidents the links name; ``None`` when any link is about something else."""
    if not rows:
        return None  # the store changed off the chain: only a full read can tell
    found: set[int] = set()
    for row in rows:
        action, kind, object_id = row.action, row.object_type, row.object_id
        if action in SHOWS_NOTHING:
            continue
        if (action, kind) != INCIDENT_FACT or not str(object_id).isdigit():
            return None
        found.add(int(object_id))
    return frozenset(found)


__all__ = ["CHANGE_LIMIT", "ChainMark", "Changes", "chain_mark", "changes_since"]
