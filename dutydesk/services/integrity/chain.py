"""Appending to the record's hash chain, and reading its head.

Every timeline entry and audit event is linked here, in the transaction that writes it
(:func:`append`). The head lives in the one-row ``chain_state`` table: reading and
updating it is what serialises appenders. On SQLite the writing session already holds
the database's write lock (``BEGIN IMMEDIATE``), so two consoles cannot fork the chain;
on PostgreSQL the row is read ``FOR UPDATE`` for the same effect.

The hashing itself is pure: :mod:`dutydesk.rules.chain`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dutydesk.rules.chain import CHAINED_COLUMNS, GENESIS, ChainHead, link_hash
from dutydesk.services.integrity.chain_read import chain_head
from dutydesk.storage.models import AuditEvent, ChainState, TimelineEntry

if TYPE_CHECKING:
    from sqlmodel import Session


__all__ = ["ChainHead", "append", "chain_head"]


def append(session: Session, record: TimelineEntry | AuditEvent) -> ChainHead:
    """Give ``record`` the next place in the chain and its hash; move the head on.

    Call it after every content column of ``record`` is set and before the transaction
    commits; the record must not change afterwards (records are append-only).

    Returns:
        The new head (the record's own sequence number and hash).

    """
    table = str(record.__tablename__)
    state = session.get(ChainState, 1, with_for_update=True)
    if state is None:  # an empty chain after a demo reset: start it at the genesis hash
        state = ChainState(id=1, seq=0, hash=GENESIS)
        session.add(state)
        session.flush()  # into the identity map, so the next append finds this row
    seq = state.seq + 1
    content = {name: getattr(record, name) for name in CHAINED_COLUMNS[table]}
    record.chain_seq = seq
    record.prev_hash = state.hash
    record.hash = link_hash(state.hash, table, seq, content)
    state.seq, state.hash = seq, record.hash
    session.add(record)
    session.add(state)
    return ChainHead(seq, record.hash)


def session_head(session: Session) -> ChainHead:
    """The head as seen inside ``session``: store it with an acknowledged handover.

    Use this (not :func:`chain_head`) in the transaction that acknowledges a handover,
    so that the stored head is exactly the one that transaction saw.
    """
    state = session.get(ChainState, 1)
    return ChainHead(0, GENESIS) if state is None else ChainHead(state.seq, state.hash)
