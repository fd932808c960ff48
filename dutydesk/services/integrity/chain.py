"""Appending to the record's hash chain, and reading its head.

Every timeline entry and audit event is linked here, in the transaction that writes it
(:func:`append`). The head lives in the one-row ``chain_state`` table: reading and
updating it is what serialises appenders. On SQLite the writing session already holds
the database's write lock (``BEGIN IMMEDIATE``), so two consoles cannot fork the chain;
on PostgreSQL the row is read ``FOR UPDATE`` for the same effect.

The hashing itself is pure: :mod:`dutydesk.rules.chain`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import SessionTransaction, SessionTransactionOrigin
from sqlmodel import Session

from dutydesk.rules.chain import CHAINED_COLUMNS, GENESIS, ChainHead, link_hash

# state_facts registers the session hook that chains a fact for every watched row
# written; Database.session imports it before any session opens
# (storage.engine.SESSION_HOOKS), so that hook is in place before a write path's first flush.
from dutydesk.services.integrity import head_key, state_facts
from dutydesk.services.integrity.chain_read import chain_head
from dutydesk.storage.engine import sqlite_path_from_url
from dutydesk.storage.models import AuditEvent, ChainState, TimelineEntry

__all__ = ["ChainHead", "append", "chain_head", "lock_head"]


def database_path(session: Session) -> Path | None:
    """The SQLite file ``session`` writes to (``None`` for a server database)."""
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    return sqlite_path_from_url(url)


_HEAD = "dutydesk.chain.head"
"""``session.info`` key of the head row this transaction locked (or added, unflushed)."""


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction: SessionTransaction) -> None:
    """A new transaction reads (and locks) the head row afresh.

    Every flush runs in an internal subtransaction whose end fires this event too; the
    lock and the head row outlive it, so it keeps the head (issue 16: forgetting it there
    re-read the head, with an autoflush, for 279 of the demo's 473 links).
    """
    if transaction.origin is not SessionTransactionOrigin.SUBTRANSACTION:
        session.info.pop(_HEAD, None)
        session.info.pop(_KEY, None)


_KEY_PATHS: dict[str, Path | None] = {}


_KEY = "dutydesk.chain.key"
"""``session.info`` key of the head key this transaction signs with (in a 1-tuple)."""


def session_head_key(session: Session) -> bytes | None:
    """The head key of the database ``session`` writes to, made on first use.

    Looked up once per transaction: every link and every state fact asks for it (issue 16).
    """
    known: tuple[bytes | None] | None = session.info.get(_KEY)
    if known is None:
        known = session.info[_KEY] = (_database_head_key(session),)
    return known[0]


def _database_head_key(session: Session) -> bytes | None:
    url = str(session.get_bind().engine.url)
    if url not in _KEY_PATHS:  # resolving reads the settings: once per database
        _KEY_PATHS[url] = head_key.key_path_of(database_path(session))
    path = _KEY_PATHS[url]
    return None if path is None else head_key.load(path, create=True)


def lock_head(session: Session) -> ChainState | None:
    """Lock the chain's head row for the rest of the transaction; ``None``: no chain yet.

    Read ``FOR UPDATE`` once per transaction, then kept in ``session.info``: the lock
    holds to the end of the transaction, and reading it again would flush the session
    before every link (a baseline of 20,000 rows took minutes that way).
    """
    state: ChainState | None = session.info.get(_HEAD)
    if state is None:
        state = session.get(ChainState, 1, with_for_update=True)
        if state is not None:
            session.info[_HEAD] = state
    return state


def _is_baseline(record: TimelineEntry | AuditEvent) -> bool:
    return isinstance(record, AuditEvent) and record.action == state_facts.BASELINE


def append(session: Session, record: TimelineEntry | AuditEvent) -> ChainHead:
    """Give ``record`` the next place in the chain and its hash; move the head on.

    Call it after every content column of ``record`` is set and before the transaction
    commits; the record must not change afterwards (records are append-only).

    Returns:
        The new head (the record's own sequence number and hash).

    """
    table = str(record.__tablename__)
    state = lock_head(session)
    if state is None:  # an empty chain after a demo reset: start it at the genesis hash
        state = ChainState(id=1, seq=0, hash=GENESIS)
        session.add(state)
        # Not flushed here: appends also run inside a flush (state facts), where a flush
        # is refused. The session keeps the new row for the next append instead.
    session.info[_HEAD] = state
    if state.seq == 0 and not _is_baseline(record):
        # A new record has state facts from its first row on: its first link says so,
        # so that `verify` reports any row without a fact (state_facts.baseline).
        moment = record.occurred_at if isinstance(record, AuditEvent) else record.recorded_at
        marker = AuditEvent(
            occurred_at=moment,
            action=state_facts.BASELINE,
            detail="new record",
        )
        session.add(marker)
        append(session, marker)
    seq = state.seq + 1
    content = {name: getattr(record, name) for name in CHAINED_COLUMNS[table]}
    record.chain_seq = seq
    record.prev_hash = state.hash
    record.hash = link_hash(state.hash, table, seq, content)
    state.seq, state.hash = seq, record.hash
    # Signed in the same transaction: whoever rewrites the head row without the head key
    # (deleting the newest records, recomputing the chain) leaves a MAC that does not fit.
    key = session_head_key(session)
    state.mac = head_key.mac(key, ChainHead(seq, record.hash)) if key is not None else None
    session.add(record)
    session.add(state)
    return ChainHead(seq, record.hash)


def session_head(session: Session) -> ChainHead:
    """The head as seen inside ``session``: store it with an acknowledged handover.

    Use this (not :func:`chain_head`) in the transaction that acknowledges a handover,
    so that the stored head is exactly the one that transaction saw.
    """
    state = session.info.get(_HEAD) or session.get(ChainState, 1)
    return ChainHead(0, GENESIS) if state is None else ChainHead(state.seq, state.hash)
