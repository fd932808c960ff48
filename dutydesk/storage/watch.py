"""How a console learns that another desk wrote: waited for, on one thread.

* SQLite: ``PRAGMA data_version`` on the watching thread's connection, read each tick
  (a file has no one to tell us; one pragma costs microseconds).
* PostgreSQL: ``LISTEN dutydesk_changed`` on a connection of its own. Every dutydesk
  table notifies that channel on commit (migration 0020's trigger), and PostgreSQL
  delivers a notification only within the database it was sent in: another database on
  the same server never wakes this console, and a write wakes it at once instead of at
  the next poll. When the server goes away the watch says so (:attr:`ChangeWatch.lost`),
  tries again on the following ticks, and reports a change once it is back: whatever
  was written meanwhile must be read.

Issue 15, "Live updates by LISTEN/NOTIFY".
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

from dutydesk.errors import DatabaseError

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database

CHANNEL = "dutydesk_changed"
"""The channel migration 0020's trigger notifies (see its docstring)."""

RECONNECT_SECONDS = 0.4
"""How often to try the server again once it went away."""

CONNECT_TIMEOUT_SECONDS = 2
"""How long one reconnection attempt may take: the watcher must stay responsive."""


class ChangeWatch:
    """Waits for another connection's commit to the database; one per watching thread."""

    lost: bool = False
    """True while the server cannot be reached (PostgreSQL only)."""

    def wait(self, timeout: float, cancelled: threading.Event) -> bool:
        """Wait up to ``timeout`` seconds; True if the database changed meanwhile.

        Returns early (False) when ``cancelled`` is set.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection the watch holds."""


class _PollWatch(ChangeWatch):
    """SQLite (and any store without notifications): compare change tokens each tick.

    A change made wholly by this console's own writes (``Database.others_wrote``) is not
    reported: the console already reloaded what it wrote (issue 16: one save was two
    reloads, the second 0.4 s later).
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._token: int | None = self._reading()
        with contextlib.suppress(DatabaseError):
            db.note_head()

    def _reading(self) -> int | None:
        try:
            return self._db.change_token()
        except DatabaseError:
            return None  # a busy or briefly unreadable store: look again next time

    def wait(self, timeout: float, cancelled: threading.Event) -> bool:
        """Sleep a tick, then compare the change token with the last one read."""
        if cancelled.wait(timeout):
            return False
        reading = self._reading()
        changed = self._token is not None and reading is not None and reading != self._token
        if reading is not None:
            self._token = reading
        if changed and self._db.path is not None:
            try:
                return self._db.others_wrote()
            except DatabaseError:
                return True  # cannot tell: read again rather than miss a change
        return changed


class _ListenWatch(ChangeWatch):
    """PostgreSQL: a LISTENing connection of the watch's own, reconnected when lost."""

    def __init__(
        self, conninfo: str, own: set[int] | None = None, db: Database | None = None
    ) -> None:
        self._conninfo = conninfo
        self._db = db
        """Told why the server refused (:attr:`Database.refusal`): the header says it."""
        self._own = own if own is not None else set()
        """The server processes of this console's own connections: their notifications
        are its own commits, already reloaded (issue 16)."""
        self._connection: Any = None
        self._connect()

    def _connect(self) -> bool:
        import psycopg

        try:
            connection = psycopg.connect(
                self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
            connection.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            from dutydesk.storage.engine import server_refusal

            self.lost = True
            self._note(server_refusal(exc))
            return False
        self._connection, self.lost = connection, False
        self._note(None)
        return True

    def _note(self, refusal: str | None) -> None:
        if self._db is not None:
            self._db.refusal = refusal

    def wait(self, timeout: float, cancelled: threading.Event) -> bool:
        """Wait for a notification; reconnect first if the server went away."""
        import psycopg

        if cancelled.is_set():
            return False
        if self._connection is None:
            # Back (True): what was written while the server was away must be read.
            # Tried at a slower pace than the watcher's ticks: a refused connection
            # returns at once, and a server coming back needs no hammering.
            return not cancelled.wait(max(timeout, RECONNECT_SECONDS)) and self._connect()
        try:
            # Every notification that arrived, without waiting once one is in hand.
            pids = [n.pid for n in self._connection.notifies(timeout=timeout, stop_after=1)]
            if pids:
                # Several commits at once are one reload.
                pids += [n.pid for n in self._connection.notifies(timeout=0)]
            seen = any(pid not in self._own for pid in pids)
        except psycopg.Error:
            self._drop()
            self.lost = True
            return False
        return seen

    def _drop(self) -> None:
        import psycopg

        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):  # already broken: nothing to release
                connection.close()

    def close(self) -> None:
        """Stop listening."""
        self._drop()


def change_watch(db: Database) -> ChangeWatch:
    """The way this store tells a waiting thread of another connection's commit."""
    if db.url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        # libpq's own URL: SQLAlchemy's names the driver (postgresql+psycopg://).
        url = make_url(db.url).set(drivername="postgresql")
        return _ListenWatch(url.render_as_string(hide_password=False), db.own_backends, db)
    return _PollWatch(db)


__all__ = ["CHANNEL", "ChangeWatch", "change_watch"]
