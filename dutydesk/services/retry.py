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
"""Retries made by this process, by cause (``busy``, ``serial``): for tests and benches."""

_BUSY = ("database is locked", "database is busy", "deadlock detected", "could not serialize")
_SERIAL = (
    "incident.serial",
    "uq_incident_serial_day",
    "incident_serial_key",
    # Two consoles issuing a bulletin at once on PostgreSQL: the same 第N期, retried.
    "bulletin.kind, bulletin.year, bulletin.issue_no",
    "uq_bulletin_number",
)


class StoreBusyError(DutyDeskError):
    """The store stayed busy through every retry; nothing was written."""


def transient_cause(exc: BaseException) -> str | None:
    """``busy`` or ``serial`` when ``exc`` is worth retrying, else ``None``."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    message = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, OperationalError) and any(text in message for text in _BUSY):
        return "busy"
    if isinstance(exc, IntegrityError) and any(text in message for text in _SERIAL):
        return "serial"
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
            time.sleep(random.uniform(0, pause * 2**attempt))
    raise StoreBusyError(t("store.busy", where=db.describe()))
