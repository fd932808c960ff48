"""First come, first served for SQLite's write lock, across processes (issue 16).

SQLite's busy handler polls: a writer waiting for the lock sleeps 1, 2, 5, ... then 100 ms
between tries, so one that has waited a while looks rarely, and a writer that arrives
just as the lock comes free takes it first. Under eight CLI writers (bench_concurrency)
the median wait was 0.2 s but the longest 3.8-10 s, and one wait ran out the busy timeout
(a "busy" retry): the p99 of 6-10 s was this starvation, not the work.

Writers therefore queue in ticket order before ``BEGIN IMMEDIATE``, with byte-range locks
on a small file beside the database (``<db>-writers``, mode 0600):

* the turnstile (byte 0) is held only to take the next ticket (the 8-byte counter at the
  start of the file) and to lock the ticket's own byte;
* a writer then waits for the byte of the ticket before its own, which its holder
  releases when its transaction ends. Only the next writer looks (every millisecond), so
  the order is the tickets', not who happens to look first.

The kernel drops a dead process's locks, so a writer that crashes holds up nobody.
Byte-range (POSIX) locks belong to a process, so the threads of one process queue on a
plain lock first. A writer that does not go through here (the ``sqlite3`` shell, a
migration) still meets SQLite's own busy timeout, as before. Where the file cannot be
made (a read-only folder, where nothing is written anyway) writers do not queue.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dutydesk.storage.private import PRIVATE_FILE

_SLOTS = 1 << 20
"""Ticket bytes, used round: far more than writers that can ever wait at once."""
_FIRST_SLOT = 8
"""The counter takes bytes 0-7 (byte 0 doubles as the turnstile); slots follow."""

_POLL = 0.001
"""Seconds between looks at the writer before: the lock's hand-over takes at most this."""

_process_lock = threading.Lock()
_held = threading.local()


def queue_path(database: Path) -> Path:
    """The queue file of the SQLite database ``database``."""
    return Path(f"{database}-writers")


def _lock(descriptor: int, offset: int) -> None:
    fcntl.lockf(descriptor, fcntl.LOCK_EX, 1, offset, os.SEEK_SET)


def _unlock(descriptor: int, offset: int) -> None:
    fcntl.lockf(descriptor, fcntl.LOCK_UN, 1, offset, os.SEEK_SET)


def _slot(ticket: int) -> int:
    return _FIRST_SLOT + ticket % _SLOTS


def take_ticket(descriptor: int) -> int:
    """Take the next ticket and lock its byte; returns the ticket."""
    _lock(descriptor, 0)
    try:
        raw = os.pread(descriptor, 8, 0)
        ticket = int.from_bytes(raw, "little") if len(raw) == 8 else 0
        os.pwrite(descriptor, (ticket + 1).to_bytes(8, "little"), 0)
        _lock(descriptor, _slot(ticket))
    finally:
        _unlock(descriptor, 0)
    return ticket


def tickets_taken(database: Path) -> int:
    """How many tickets were ever taken on ``database`` (for tests: who is queued)."""
    try:
        raw = queue_path(database).read_bytes()[:8]
    except OSError:
        return 0
    return int.from_bytes(raw, "little") if len(raw) == 8 else 0


def _open(database: Path) -> int | None:
    try:
        return os.open(queue_path(database), os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError:
        return None


def _wait_for(descriptor: int, offset: int, deadline: float) -> bool:
    """Wait until nobody holds byte ``offset``; False when ``deadline`` passed first.

    Polled every millisecond rather than blocked on: a writer stuck holding its turn
    must not hold up the rest for longer than SQLite's busy timeout would have.
    """
    while True:
        try:
            fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
        except OSError:  # EACCES or EAGAIN: held by the writer before us
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)
            continue
        _unlock(descriptor, offset)
        return True


def late() -> bool:
    """True in a turn whose wait ran out: the busy timeout is spent, SQLite waits no more."""
    return bool(getattr(_held, "late", False))


@contextmanager
def turn(database: Path, *, patience: float) -> Iterator[None]:
    """Wait for this writer's turn at ``database``, in arrival order; hold it in the block.

    After ``patience`` seconds of waiting (the busy timeout) the writer goes on without
    its turn and :func:`late` says so: the engine then tries SQLite's lock once, without
    waiting again, and a lock still held is "busy" after one busy timeout, as before
    the queue (the retry takes a new ticket). Re-entered by the thread that holds
    the turn, it passes straight through.
    """
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    deadline = time.monotonic() + patience
    if not _process_lock.acquire(timeout=patience):
        # Another thread of this process is stuck in its write: late, as below.
        _held.late = True
        try:
            yield
        finally:
            _held.late = False
        return
    try:
        descriptor = _open(database)
        if descriptor is None:
            yield
            return
        try:
            ticket = take_ticket(descriptor)
            # The one before us holds its byte until its transaction ends.
            _held.late = bool(ticket) and not _wait_for(descriptor, _slot(ticket - 1), deadline)
            _held.depth = 1
            try:
                yield
            finally:
                _held.depth = 0
                _held.late = False
        finally:
            os.close(descriptor)  # drops this process's locks on the file: our slot
    finally:
        _process_lock.release()
