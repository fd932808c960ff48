"""Write transactions that survive a busy store: retry instead of failing the user.

On SQLite every writing session starts with ``BEGIN IMMEDIATE`` and waits up to the
busy timeout for the write lock (``dutydesk.storage.engine``). Under heavy contention that wait
can still run out, and on PostgreSQL two consoles can read the same highest serial and
collide on the unique (serial_date, serial_no) constraint. Both are transient: the whole
transaction is run again from the start, with a short randomised pause, so no
"database is locked" and no duplicate-serial crash reaches a user.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.storage.engine import Database

T = TypeVar("T")

ATTEMPTS = 8
"""Tries before giving up; with the busy timeout that is minutes of contention."""

retries: Counter[str] = Counter()
"""Retries made by this process, by cause (``busy``, ``serial``, ``sequence``): for tests
and benches."""

# Decided by the driver's code, never by the message: PostgreSQL translates its messages
# (a server with lc_messages = zh_CN says 无法串行访问), and a message can quote stored
# values (PostgreSQL's DETAIL: Key (name)=(...)) or name a column that merely looks alike.
_SQLITE_BUSY = 5
"""SQLITE_BUSY, the primary code of SQLITE_BUSY_RECOVERY/_SNAPSHOT/_TIMEOUT too: another
connection holds the lock past the busy timeout."""
_SQLITE_CONSTRAINT_UNIQUE = 2067
_SQLITE_CONSTRAINT_PRIMARYKEY = 1555
_SQLITE_CONSTRAINT_KEYS = frozenset({_SQLITE_CONSTRAINT_UNIQUE, _SQLITE_CONSTRAINT_PRIMARYKEY})
_PG_TRANSIENT = frozenset({"40001", "40P01"})
"""SQLSTATE serialization_failure and deadlock_detected: run the transaction again."""
_PG_UNIQUE = "23505"

# Which unique constraint failed. PostgreSQL names it (``diag.constraint_name``); SQLite
# only lists the columns, in its fixed (never translated) form "UNIQUE constraint failed:
# incident.serial_date, incident.serial_no", so the list is read from the message there.
_SERIAL_CONSTRAINTS = frozenset(
    {
        "uq_incident_serial_day",
        "incident_serial_key",
        # Two consoles issuing a bulletin at once on PostgreSQL: the same 第N期, retried.
        "uq_bulletin_number",
        "uq_bulletin_series_number",  # since migration 0015: a number per series
    }
)
_SERIAL_COLUMNS = (
    frozenset({"incident.serial"}),
    frozenset({"incident.serial_date", "incident.serial_no"}),
    frozenset({"bulletin.kind", "bulletin.year", "bulletin.issue_no"}),
    frozenset({"bulletin.kind", "bulletin.series", "bulletin.year", "bulletin.issue_no"}),
)
# The keys that number entries: an incident's timeline (seq), the record's hash chain
# (chain_seq of entries and audit events) and its one head row, made by the first
# append to an empty chain. Writers lock the incident row and the head before they
# number (services/incidents/followup.py, services/integrity/chain.py), so these only
# fire for a writer that did not (or two first appends racing on an empty chain); the
# transaction is then run again from the start, which numbers from what was committed.
_SEQUENCE_CONSTRAINTS = frozenset(
    {
        "uq_timeline_incident_seq",
        "ix_timeline_entry_chain_seq",
        "ix_audit_event_chain_seq",
        "chain_state_pkey",
    }
)
_SEQUENCE_COLUMNS = (
    frozenset({"timeline_entry.incident_id", "timeline_entry.seq"}),
    frozenset({"timeline_entry.chain_seq"}),
    frozenset({"audit_event.chain_seq"}),
    frozenset({"chain_state.id"}),
)


class StoreBusyError(DutyDeskError):
    """The store stayed busy through every retry; nothing was written."""


def transient_cause(exc: BaseException) -> str | None:
    """``busy``, ``serial`` or ``sequence`` when ``exc`` is worth retrying, else ``None``.

    Only a driver error carrying its code counts (``sqlite_errorcode`` from the sqlite3
    module, the SQLSTATE from psycopg), whether raised bare or wrapped by SQLAlchemy.
    """
    error: object = exc
    if not isinstance(exc, sqlite3.Error):  # the plain write path: no SQLAlchemy import
        from sqlalchemy.exc import DBAPIError

        error = exc.orig if isinstance(exc, DBAPIError) else exc
    sqlite_code = getattr(error, "sqlite_errorcode", None)
    if isinstance(error, sqlite3.Error) and isinstance(sqlite_code, int):
        if sqlite_code & 0xFF == _SQLITE_BUSY:
            return "busy"
        if sqlite_code in _SQLITE_CONSTRAINT_KEYS:
            return _sqlite_numbering(str(error))
        return None
    # psycopg 3 has ``sqlstate``; psycopg2 called it ``pgcode``.
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if not isinstance(sqlstate, str):
        return None
    if sqlstate in _PG_TRANSIENT:
        return "busy"
    constraint = getattr(getattr(error, "diag", None), "constraint_name", None)
    if sqlstate == _PG_UNIQUE and constraint in _SERIAL_CONSTRAINTS:
        return "serial"
    if sqlstate == _PG_UNIQUE and constraint in _SEQUENCE_CONSTRAINTS:
        return "sequence"
    return None


def _sqlite_numbering(message: str) -> str | None:
    _, _, listed = message.partition(":")
    columns = frozenset(column.strip() for column in listed.split(","))
    if columns in _SERIAL_COLUMNS:
        return "serial"
    if columns in _SEQUENCE_COLUMNS:
        return "sequence"
    return None


def write_with_retry(
    db: Database,
    work: Callable[[Session], T],
    *,
    attempts: int = ATTEMPTS,
    pause: float = 0.02,
) -> T:
    """Run ``work`` in a writing session, committing; run it again on a transient error.

    ``work`` must do the whole transaction (read what it needs, then write) so that a
    second run starts from the committed state.

    Args:
        db: the store.
        work: called with a fresh session on each try; its result is returned.
        attempts: how many tries in all.
        pause: base of the randomised exponential back-off, in seconds.

    Returns:
        What ``work`` returned on the try that committed.

    Raises:
        StoreBusyError: every try met a transient error.

    """
    for attempt in range(attempts):
        try:
            with db.session() as session:
                return work(session)
        except Exception as exc:
            cause = transient_cause(exc)
            if cause is None:
                raise
            retries[cause] += 1
            time.sleep(random.uniform(0, pause * 2**attempt))  # noqa: S311 - jitter for a retry pause, not a secret
    raise StoreBusyError(t("store.busy", where=db.describe()))
