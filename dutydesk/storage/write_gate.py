"""The writers' line: a writer that has waited for SQLite's write lock queues on an OS lock.

Issue 16: eight CLI writers on one SQLite file waited up to seconds for the write lock,
not because a transaction held it long but because SQLite's busy handler *polls* in
growing steps (1, 2, 5 ... up to 100 ms): a writer that has waited a while looks only
every 100 ms, and newcomers, looking every few ms, take the lock ahead of it again and
again. A strict first-come-first-served order was tried and measured worse on the
loaded machine (the lock then waits for the next writer to get a CPU), so today's rule
is kept for the first :data:`FIRST_WAIT` s and only the writers that wait longer queue:

* a writer asks SQLite for the lock with a busy timeout of :data:`FIRST_WAIT`: a free
  lock, or one let go soon, is taken at once, as before;
* still waiting, it takes the *line* (:func:`enter`): an ``flock`` on a small file
  beside the database (``<database>-gate``, mode 0600). Writers behind it sleep in the
  kernel, woken in turn the moment the one ahead lets go;
* the writer at the head of the line asks SQLite every :data:`HEAD_STEP` s (one process
  polling, not eight) and lets the line go as soon as it has the write lock.

The line only orders dutydesk's own long waiters; SQLite's lock still rules. A writer
that does not take it (an older dutydesk, the ``sqlite3`` shell) competes for SQLite's
lock as before; a line that cannot be had (a folder where the file can be neither made
nor opened), or not within the busy timeout, is passed by: the writer then waits in
SQLite's own busy handler for the rest of it. Every wait ends at the busy timeout with
SQLite's busy error, so a store that stays busy is refused in the same words as before.

``flock`` rather than ``fcntl``/``lockf`` locks: an ``flock`` belongs to the open file,
so two threads of one console queue too (a POSIX lock belongs to the process, which
would let its threads through together). Each wait opens the file afresh and closing
it lets go; the file is not the database, so closing it drops none of SQLite's own
locks (those are on the database file).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from dutydesk.storage.private import create_private_file

GATE_SUFFIX = "-gate"
"""Appended to the database's file name: ``duty.sqlite3-gate``."""

FIRST_WAIT = 0.15
"""Seconds a writer waits in SQLite's own busy handler before it queues. Measured on
this machine (tests/bench/README.md "The writers' line"): a line from the first moment
doubled to tripled the median; queueing after 50 ms still doubled it; after 150 ms the
median moved little and the tail was cut as much."""

HEAD_STEP = 0.01
"""Seconds between the line's head asking SQLite for the lock again: about as often as a
newcomer's busy handler asks in its first 50 ms, so the head wins about its share of the
releases, not every one (at 1 ms it took nearly all, and newcomers all queued)."""

_SQLITE_BUSY = 5


def gate_path(database: Path) -> Path:
    """The line's file beside ``database``."""
    return database.with_name(database.name + GATE_SUFFIX)


class Pass:
    """A place at the head of the line; :meth:`let_go` gives it up (once)."""

    __slots__ = ("_descriptor",)

    def __init__(self, descriptor: int) -> None:
        self._descriptor: int | None = descriptor

    def let_go(self) -> None:
        """Let the next writer in line on: closing the file drops its ``flock``."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)


def _open(path: Path) -> int | None:
    """A descriptor of the line's file, made 0600 if new; ``None`` when it cannot be had.

    ``flock`` needs no write access, so an existing file that is read-only here still
    serves; a folder where it can be neither made nor opened leaves the writer unqueued.
    """
    with contextlib.suppress(OSError):
        create_private_file(path)  # 0600 whatever the umask; one made meanwhile is kept
    try:
        return os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except PermissionError:  # a file not ours to write: flock needs no write access
        with contextlib.suppress(OSError):
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # a folder in its place, say: no line
        pass
    return None


class _Waiter:
    """Waits for the ``flock`` in a thread of its own, so the caller can stop waiting.

    ``flock`` has no timeout. The caller waits on :attr:`done` for at most what is left
    of the busy timeout; if it gives up first, the thread lets go once it gets the lock.
    """

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.done = threading.Event()
        self._mutex = threading.Lock()
        self._state = "waiting"  # then "held" (by the caller) or "abandoned"

    def run(self) -> None:
        try:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        except OSError:
            pass  # the caller then goes on unqueued, as on a timeout
        else:
            with self._mutex:
                if self._state == "waiting":
                    self._state = "held"
        finally:
            with self._mutex:
                if self._state != "held":
                    os.close(self.descriptor)
                    self._state = "abandoned"
            self.done.set()

    def take(self, timeout: float) -> bool:
        """True when the lock came within ``timeout`` s; else the thread lets go later."""
        self.done.wait(timeout)
        with self._mutex:
            if self._state == "held":
                return True
            self._state = "abandoned"
            return False


def enter(database: Path, timeout: float) -> Pass | None:
    """Wait at most ``timeout`` s for the head of the line of ``database``.

    ``None`` when the line's file cannot be had or the wait ran out: the writer then
    takes its chance with SQLite's own busy handler, as it did before the line.
    """
    descriptor = _open(gate_path(database))
    if descriptor is None:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pass
    except OSError:
        os.close(descriptor)
        return None
    else:
        return Pass(descriptor)
    if timeout <= 0:
        os.close(descriptor)
        return None
    waiter = _Waiter(descriptor)
    threading.Thread(target=waiter.run, name="dutydesk-write-line", daemon=True).start()
    return Pass(descriptor) if waiter.take(timeout) else None


def busy(exc: sqlite3.Error) -> bool:
    """True when ``exc`` is SQLite saying another connection holds the lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == _SQLITE_BUSY


def begin_immediate(
    connection: sqlite3.Connection, database: Path | None, busy_timeout: float
) -> None:
    """``BEGIN IMMEDIATE`` on ``connection``, queueing after :data:`FIRST_WAIT` s.

    Waits at most ``busy_timeout`` s in all, as SQLite's busy handler alone did, and
    leaves the connection's busy timeout at ``busy_timeout`` again. ``database``: the
    file whose line to take; ``None`` (a file nobody may write) waits as before.

    Raises:
        sqlite3.OperationalError: SQLite's busy error when the wait ran out (or any
            other error of the BEGIN).

    """
    began = time.monotonic()
    execute: Callable[[str], object] = connection.execute
    if database is None:
        execute("BEGIN IMMEDIATE")
        return
    execute(f"PRAGMA busy_timeout={int(FIRST_WAIT * 1000)}")
    try:
        try:
            execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not busy(exc):
                raise
        deadline = began + busy_timeout
        head = enter(database, deadline - time.monotonic())
        if head is None:  # no line here: SQLite's own busy handler for the rest
            execute(f"PRAGMA busy_timeout={max(0, int((deadline - time.monotonic()) * 1000))}")
            execute("BEGIN IMMEDIATE")
            return
        try:
            execute("PRAGMA busy_timeout=0")
            while True:
                try:
                    execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not busy(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(HEAD_STEP)
        finally:
            head.let_go()
    finally:
        execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
