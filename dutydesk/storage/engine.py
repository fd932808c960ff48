"""The store: engine, connection pragmas, sessions, migrations and fast reads.

Everything that depends on the database product lives here behind small methods, so
services and the console never contain SQLite- or PostgreSQL-specific code:

* :meth:`Database.session` - an ORM session for writes and rich reads (imports SQLModel);
* :meth:`Database.read` - a plain-SQL read that, on SQLite, uses the standard library's
  ``sqlite3`` with no SQLAlchemy import at all, returning :class:`Row` tuples whose
  columns are also attributes (``row.serial``). The console's first screen goes through
  it, because SQLAlchemy plus SQLModel cost 0.6-0.9 s to import on this machine against a
  500 ms budget for the first rows (measured with ``python -X importtime``);
* :meth:`Database.ensure_schema` - checks the Alembic revision with one query and only
  imports Alembic when a migration is actually needed;
* :meth:`Database.change_token` - a cheap value that changes when another connection
  commits to a SQLite file (``PRAGMA data_version``), for polling from a worker; a
  server tells its consoles instead (``LISTEN``, :mod:`dutydesk.storage.watch`).

PostgreSQL (``postgresql+psycopg://...``, the ``postgres`` extra) takes the same code:
the schema comes from the same migrations, :meth:`Database.read` goes through
SQLAlchemy's ``text()``, writing sessions run at the server's default isolation (READ
COMMITTED) and the places that serialise writers read their row ``FOR UPDATE`` (the
chain head in ``services/chain.py``, an edited incident, the bulletin numbering), and
search uses :class:`dutydesk.storage.search.PostgresSearchIndex` (migration 0021).
``tests/test_postgres.py`` runs the core services on a server the tests start themselves.

SQL passed to :meth:`read` uses ``:name`` parameters, which both ``sqlite3`` and
SQLAlchemy's ``text()`` understand.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sqlite3
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from dutydesk.errors import CommitInDoubt, DatabaseError, ServerUnreachable
from dutydesk.i18n import t
from dutydesk.storage import write_gate

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from dutydesk.storage.search import SearchIndex

HEAD_REVISION = "0028"

SESSION_HOOKS = "dutydesk.services.integrity.state_facts"
"""The module whose import registers the session hooks every ORM write needs (state
facts on the hash chain, issue 17). Imported by :meth:`Database.session` itself: once the
CLI imported only the invoked command (issue 16), ``bulletin draft`` wrote its bulletin
before anything had imported the hooks, and ``verify`` then rightly called the row
"written around dutydesk". A write path can no longer run without them."""
"""The newest migration. A test keeps it equal to Alembic's head."""

BUSY_TIMEOUT_MS = 10_000
_SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


if TYPE_CHECKING:

    class Row(tuple[Any, ...]):
        """A result row: a tuple, whose columns are also attributes by their SQL names."""

        def __getattr__(self, name: str) -> Any: ...

else:
    Row = tuple  # at run time each column list has its own named tuple (see _row_maker)

_ROW_MAKERS: dict[tuple[str, ...], Any] = {}
_ROW_MAKERS_KEPT = 1024
"""Named tuple classes by column names; queries are fixed texts, so a few dozen in use."""


_BATCH = 1000
"""Rows fetched at a time by :meth:`Database.snapshot` queries."""

Query = Callable[[str, "Mapping[str, Any] | None"], Iterator["Row"]]
"""A query of :meth:`Database.snapshot`: ``query(sql, params)`` -> its rows, streamed."""

SqlFunction = tuple[int, Callable[..., Any]]
"""A function a :meth:`Database.snapshot` query can call: (number of arguments, function)."""


def _row_maker(names: Iterable[str]) -> Any:
    """A fast constructor of named rows with columns ``names``.

    A column is an attribute under its SQL name (``i.serial`` and ``serial`` are both
    ``serial``; an expression takes a name with ``AS``); a name that is not an
    identifier, or repeats, becomes ``_<position>`` and stays reachable by position.
    ``tuple.__new__`` under ``partial`` builds each row in C: no Python call per row.
    """
    key = tuple(names)
    maker = _ROW_MAKERS.get(key)
    if maker is None:
        cls = namedtuple("Row", key, rename=True)  # type: ignore[misc]
        maker = partial(tuple.__new__, cls)
        if len(_ROW_MAKERS) < _ROW_MAKERS_KEPT:
            _ROW_MAKERS[key] = maker
    return maker


def sqlite_path_from_url(url: str) -> Path | None:
    """The file of a ``sqlite:///...`` URL, ``None`` for other databases or in-memory.

    The path is percent-decoded, as SQLAlchemy decodes it when it opens the file, so both
    read the same path from a URL that :func:`sqlite_url` (or SQLAlchemy's own rendering)
    wrote: a folder named ``值班 室#1`` or ``a?b`` is that folder, not a prefix of it.
    """
    for prefix in ("sqlite+pysqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            rest = unquote(url[len(prefix) :].split("?", 1)[0])
            return None if rest in {"", ":memory:"} else Path(rest)
    return None


def sqlite_url(path: Path) -> str:
    """The ``sqlite:///`` URL of ``path``, percent-encoded so that it reads back exactly.

    A path is a path (issue 17): ``#``, ``?``, ``%``, ``@``, ``:`` and quotes in a folder's
    name would otherwise cut the URL short or be decoded into another name.
    """
    return "sqlite:///" + quote(str(path), safe="/")


def url_for(db: str) -> str:
    """Turn a ``--db`` value (a path or a URL) into a database URL."""
    if "://" in db:
        return db
    return sqlite_url(Path(db).expanduser().absolute())


def check_sqlite_file(path: Path) -> None:
    """Refuse, in words, a path that cannot hold a dutydesk SQLite database.

    Only ``stat`` and ``access`` are used, never ``open()``: on POSIX, closing *any*
    descriptor of a file drops every fcntl lock this process holds on it, including
    the locks of SQLite connections already open (SQLite's "How To Corrupt An SQLite
    Database File", section 2.2). A console that lost its locks lets the next process
    checkpoint and unlink the WAL under it, and every later save is lost. Whether the
    file holds a SQLite database is left to SQLite itself (:meth:`Database.current_revision`).

    Raises:
        DatabaseError: the path is a directory, or cannot be read, written or created.

    """
    if path.is_dir():
        raise DatabaseError(t("error.db.directory", path=path))
    if path.exists():
        if not os.access(path, os.R_OK):
            raise DatabaseError(t("error.db.no_read", path=path))
        # A file that cannot be written is still opened, read-only (issue 17):
        # :meth:`Database.ensure_schema` refuses only what would have to write.
        return
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise DatabaseError(t("error.db.parent_not_dir", path=path, parent=parent))
    if parent.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise DatabaseError(t("error.db.parent_read_only", path=path, parent=parent))


def sqlite_read_only(path: Path) -> bool:
    """True when an existing database file cannot be written here: the file or its folder.

    SQLite writes beside the file (its ``-wal`` and ``-shm``), so a read-only folder makes
    the database read-only too, whatever the file's own mode.
    """
    return path.exists() and not (
        os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)
    )


def _open_sqlite(path: Path) -> sqlite3.Connection:
    """A ``sqlite3`` connection to ``path`` with dutydesk's pragmas.

    SQLite opens a file it cannot write read-only by itself; but in a folder it cannot
    write, with no ``-shm`` beside the file, it cannot even read a WAL database
    (SQLITE_READONLY_CANTINIT). No writer can change the file there either (a WAL write
    needs the ``-wal`` file), so it is opened ``immutable``: read as it is on disk.
    """
    shared = Path(f"{path}-shm")
    if not os.access(path.parent, os.W_OK | os.X_OK) and not shared.exists():
        target = f"file:{quote(str(path))}?mode=ro&immutable=1"
        connection = sqlite3.connect(
            target, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
    else:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    _configure_sqlite(connection)
    return connection


QUICK_CHECK_MAX_BYTES = 32 << 20
"""Files up to this size get ``PRAGMA quick_check`` at every open (issue 17). It reads
every page once, about 9 ms per MB on this loaded 2-core machine: 1-17 ms for the demo
(0.8 MB), 4.3-5.1 s for a 200,000-incident file (525 MB), so about 0.3 s at this size
against the console's 0.5 s start budget. Larger files are checked by ``dutydesk
verify`` only (README "Limits")."""


CHECK_START_SECONDS = 1.0
"""The longest a deferred ``quick_check`` waits for the console's first frame before it
starts anyway (:meth:`Database.check_now`; a write starts it at once)."""


def as_utc(value: Any) -> datetime | None:
    """Read a timestamp column from a plain-SQL row as an aware UTC datetime."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stored_utc(value: Any) -> datetime:
    """Read a NOT NULL timestamp column as an aware UTC datetime.

    SQLite hands back UTC text, the common case, parsed directly; a server hands back a
    datetime. Raises ``ValueError`` on a missing value (the column cannot hold one).
    """
    if isinstance(value, str) and value:
        # The offset parsed with the text, not set after: replace(tzinfo=...) costs five
        # times the parse, and an export reads 4 x 10^5 of these (issue 16). Text with an
        # offset of its own, or a bare date (whose appended offset Python 3.11 drops),
        # takes the long way: its offset is replaced by UTC's, as ever.
        try:
            moment = datetime.fromisoformat(value + "+00:00")
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is UTC:
            return moment
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    moment = as_utc(value)
    if moment is None:
        raise ValueError("a NOT NULL timestamp column held no value")
    return moment


def _configure_sqlite(connection: sqlite3.Connection) -> None:
    for pragma in _SQLITE_PRAGMAS:
        connection.execute(pragma)


_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_LOW_SPACE = 1 << 20
"""Below this many free bytes, a SQLite I/O error is taken for a full disk: with nothing
free SQLite cannot even make the ``-shm`` file, and says "disk I/O error"."""


def free_bytes(path: Path) -> int | None:
    """Free bytes (for this user) on the file system holding ``path``; ``None`` if unknown."""
    import shutil

    for place in (path, *path.parents):
        if place.exists():
            try:
                return shutil.disk_usage(place).free
            except OSError:
                return None
    return None


def disk_full(exc: BaseException, path: Path | None) -> bool:
    """True when ``exc`` is SQLite failing to write ``path`` because its disk is full.

    SQLite says ``SQLITE_FULL`` ("database or disk is full") when a write finds no space,
    and only an I/O error when it cannot even create its shared-memory file; that one is
    taken for a full disk when the disk has (almost) nothing free.
    """
    error = getattr(exc, "orig", None) or exc
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return False
    if code & 0xFF == _SQLITE_FULL:
        return True
    if code & 0xFF != _SQLITE_IOERR or path is None:
        return False
    free = free_bytes(path)
    return free is not None and free < _LOW_SPACE


def disk_full_error(path: Path) -> DatabaseError:
    """The one line for a full disk under the database: what happened, what to do."""
    return DatabaseError(t("error.db.disk_full", where=path, free=size_text(free_bytes(path))))


def size_text(count: int | None) -> str:
    """A byte count as a person reads it: ``0 B``, ``84 KiB``, ``3.2 MiB``; ``?`` unknown."""
    if count is None:
        return "?"
    value, unit = float(count), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{value:.0f} {unit}" if value >= 10 or unit == "B" else f"{value:.1f} {unit}"


_CONNECTION_LOST = frozenset({"57P01", "57P02", "57P03"})
"""SQLSTATEs of a server shutting down or starting up (besides class 08, connection)."""

TOO_MANY = "too_many"
""":func:`server_refusal`: the server has as many connections as it takes (53300)."""
NOT_NOW = "not_now"
""":func:`server_refusal`: the server is starting up, shutting down or recovering (57P03)."""

_REFUSALS = {"53300": TOO_MANY, "57P03": NOT_NOW}
"""SQLSTATE too_many_connections and cannot_connect_now, when the driver has one."""

# A refused connection reaches libpq as a FATAL message before any session exists, and
# psycopg raises it with no SQLSTATE (psycopg 3.2): the server's own words are all there
# is to tell. These are PostgreSQL's (backend/utils/init/postinit.c, postmaster.c) in
# its default, English messages; a server whose lc_messages translates them is still
# "cannot be reached", as before.
_REFUSAL_WORDS = (
    ("sorry, too many clients already", TOO_MANY),
    ("remaining connection slots are reserved", TOO_MANY),
    ("too many connections for role", TOO_MANY),
    ("too many connections for database", TOO_MANY),
    ("the database system is starting up", NOT_NOW),
    ("the database system is shutting down", NOT_NOW),
    ("the database system is in recovery mode", NOT_NOW),
    ("the database system is not yet accepting connections", NOT_NOW),
    ("the database system is not accepting connections", NOT_NOW),
)


def server_refusal(exc: BaseException) -> str | None:
    """Why a server that cannot be reached refused us: :data:`TOO_MANY`, :data:`NOT_NOW`.

    ``None`` when it did not say (stopped, network gone, connection broken) or ``exc``
    is not a server's refusal at all. By the SQLSTATE where the driver has one, else by
    the server's words (see :data:`_REFUSAL_WORDS`).
    """
    if not server_gone(exc):
        return None
    from sqlalchemy.exc import DBAPIError

    error = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(error, "sqlstate", None)
    if state in _REFUSALS:
        return _REFUSALS[state]
    text = str(error)
    for words, kind in _REFUSAL_WORDS:
        if words in text:
            return kind
    return None


def unreachable_error(exc: BaseException, where: str | None = None) -> ServerUnreachable:
    """The one line for a server that cannot be reached, saying why when it said why.

    "Too many connections" and "starting up or shutting down" are the server's answer,
    not silence: the officer (or the administrator) can act on them. ``where``: the
    database described; ``None``: the line that names none (the CLI's last resort).
    Same class, same exit code (5): nothing was written, try again.
    """
    refusal = server_refusal(exc)
    # Literal keys, each in both catalogues (tests/test_cli_errors_chinese.py finds them).
    if where is None:
        if refusal == TOO_MANY:
            return ServerUnreachable(t("error.db.server_full"))
        if refusal == NOT_NOW:
            return ServerUnreachable(t("error.db.server_not_now"))
        return ServerUnreachable(t("error.db.server_gone"))
    if refusal == TOO_MANY:
        return ServerUnreachable(t("error.db.too_many_connections", where=where))
    if refusal == NOT_NOW:
        return ServerUnreachable(t("error.db.not_accepting", where=where))
    return ServerUnreachable(t("error.db.unreachable", where=where))


def lost_header(refusal: str | None) -> str:
    """The console header's words for a server that cannot be reached, by its refusal."""
    if refusal == TOO_MANY:
        return t("header.db_full")
    if refusal == NOT_NOW:
        return t("header.db_not_now")
    return t("header.db_lost")


def server_gone(exc: BaseException) -> bool:
    """True when ``exc`` says the database server could not be reached or went away.

    Decided by the driver: a psycopg ``OperationalError`` with no SQLSTATE (refused, reset,
    closed) or a connection-class one (08xxx, 57P01-03, 53300). SQLite has no server;
    :func:`server_refusal` tells a server that said why it refused.
    """
    from sqlalchemy.exc import DBAPIError

    error = exc.orig if isinstance(exc, DBAPIError) else exc
    module = type(error).__module__
    if not module.startswith("psycopg"):
        return False
    import psycopg

    if not isinstance(error, psycopg.OperationalError):
        return False
    state = getattr(error, "sqlstate", None)
    return (
        state is None or state.startswith("08") or state in _CONNECTION_LOST or state in _REFUSALS
    )


def _configure_mappers() -> None:
    """Configure every mapped class once per process (a flag test after the first)."""
    from sqlalchemy.orm import configure_mappers

    import dutydesk.storage.models  # noqa: F401 - the mapped classes, configured below

    configure_mappers()


def _note_audit_head(connection: Any) -> None:
    """Keep the newest audit event as a write transaction takes SQLite's write lock.

    With :meth:`Database._audit_head` it tells this console's own commits from another
    console's (the watcher must not reload for its own write). Before the schema exists
    (the first migration) there is none to keep.
    """
    from sqlalchemy.exc import OperationalError

    try:
        head = connection.exec_driver_sql("SELECT max(id) FROM audit_event").scalar()
    except OperationalError:
        return  # no audit table yet: SQLite keeps the transaction open after this error
    connection.info["audit_before"] = None if head is None else int(head)


_SPARE_ENGINES: dict[str, tuple[Engine, list[set[int]]]] = {}
_SPARE_KEPT = 4
"""Server engines kept for the next :class:`Database` of their URL in this process."""
_spare_lock = threading.Lock()


def _keep_spare(url: str, engine: Engine, owner: list[set[int]]) -> None:
    """Keep a closed :class:`Database`'s server engine, its connections closed, for reuse.

    A program running commands one after another in one process (a script calling
    ``main``, the benchmark's writers, the tests) opened a new engine for every command:
    its dialect asked the server three questions on first connect, and every statement
    of the write was compiled again, while the command held the record's chain lock on
    the server (issue 15: 8 writers' p99). The engine keeps its dialect and its compiled
    statements; the connections are closed (``dispose``), so the server's slots still go
    back when a command ends. Used by one object at a time (:func:`_take_spare`).
    """
    with _spare_lock:
        _SPARE_ENGINES.pop(url, None)
        _SPARE_ENGINES[url] = (engine, owner)
        while len(_SPARE_ENGINES) > _SPARE_KEPT:  # the oldest goes (many test databases)
            _SPARE_ENGINES.pop(next(iter(_SPARE_ENGINES)))


def _take_spare(url: str) -> tuple[Engine, list[set[int]]] | None:
    """The engine :func:`_keep_spare` kept for ``url``, now this caller's alone."""
    with _spare_lock:
        return _SPARE_ENGINES.pop(url, None)


class Database:
    """One database, SQLite file or server URL, and the ways to talk to it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path_from_url(url)
        self._engine: Engine | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._search_index: SearchIndex | None = None
        self._write_refusal: str | None = None
        self._checking: threading.Thread | None = None
        """The thread reaching the open's verdict (:meth:`ensure_schema` with
        ``check_in_background``); :attr:`write_refusal` waits for it."""
        self._check_connection: sqlite3.Connection | None = None
        self._check_unfinished = False
        self._check_read_only = False
        self._check_go = threading.Event()
        self._verdict_lock = threading.Lock()
        """Lets a deferred check start (:meth:`check_now`)."""
        self._known_head: int | None = None
        self._own_commits = 0
        self.own_backends: set[int] = set()
        """PostgreSQL: the server processes of this object's connections. A change
        notified by one of them is this console's own (:mod:`dutydesk.storage.watch`)."""
        self._engine_owner: list[set[int]] | None = None
        """A server engine's holder of :attr:`own_backends` (:meth:`_server_engine`)."""
        self.refusal: str | None = None
        """Why the server last refused a connection (:func:`server_refusal`), for the
        console's header; ``None`` when it did not say (or has not refused)."""

    def _unreachable(self, exc: BaseException) -> ServerUnreachable:
        """The error for a server gone, saying why where it said why (noted for the header)."""
        self.refusal = server_refusal(exc)
        return unreachable_error(exc, self.describe())

    @property
    def lost_header(self) -> str:
        """The console header's words while the server cannot be reached (issue 15)."""
        return lost_header(self.refusal)

    @property
    def write_refusal(self) -> str | None:
        """Why this SQLite file must not be written (read-only or damaged), in one line.

        Set at open; every writing session raises it instead of writing. When the open
        left ``quick_check`` to a thread (the console, so its first frame does not wait
        for a read of every page), this waits for that verdict: no write is ever begun
        before it is known.
        """
        checking = self._checking
        if checking is not None:
            self._check_go.set()
            checking.join()
            with self._verdict_lock:  # not self._lock: the check below takes that one
                if self._check_unfinished:  # stopped by close(): decide it here, now
                    self._check_unfinished = False
                    self._write_refusal = self._sqlite_refusal(self._check_read_only)
                self._checking = None
        return self._write_refusal

    @write_refusal.setter
    def write_refusal(self, refusal: str | None) -> None:
        self._write_refusal = refusal

    @property
    def is_sqlite(self) -> bool:
        """True when the store is a SQLite file."""
        return self.url.startswith("sqlite")

    def describe(self) -> str:
        """A short human description: the file path, or the URL without its password."""
        if self.path is not None:
            return str(self.path)
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    # -- connections -------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use with the SQLite pragmas applied."""
        if self._engine is None:
            from sqlalchemy import create_engine, event

            file = self.path  # the SQLite file whose writers' line BEGIN IMMEDIATE takes
            if self.is_sqlite and self.path is not None:
                path = self.path
                # The same opening as the plain reads (read-only folders included);
                # pragmas are set on connect below.
                engine = create_engine(self.url, creator=lambda: _open_sqlite(path))
            elif self.is_sqlite:
                engine = create_engine(self.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            if self.is_sqlite:

                @event.listens_for(engine, "connect")
                def _on_connect(dbapi_connection: Any, _record: Any) -> None:
                    # Take transaction control from the sqlite3 module: it would open
                    # DEFERRED transactions, which lose updates and raise "database is
                    # locked" under two writers. We issue BEGIN ourselves below.
                    dbapi_connection.isolation_level = None
                    _configure_sqlite(dbapi_connection)

                @event.listens_for(engine, "begin")
                def _on_begin(connection: Any) -> None:
                    # IMMEDIATE takes the write lock up front (waiting up to the busy
                    # timeout), so a write transaction never fails half-way; read-only
                    # sessions ask for DEFERRED.
                    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
                    if mode == "IMMEDIATE" and file is not None:
                        # Queueing after a first wait (storage.write_gate, issue 16).
                        raw = connection.connection.dbapi_connection
                        try:
                            write_gate.begin_immediate(raw, file, BUSY_TIMEOUT_MS / 1000)
                        except sqlite3.Error as exc:
                            from sqlalchemy.exc import DBAPIError

                            # Wrapped as exec_driver_sql wraps it: callers see no change.
                            raise DBAPIError.instance(
                                "BEGIN IMMEDIATE", (), exc, sqlite3.Error
                            ) from None
                    else:
                        connection.exec_driver_sql(f"BEGIN {mode}")
                    if mode == "IMMEDIATE":
                        _note_audit_head(connection)

            else:
                # A closed Database's engine of this URL when one was kept (its dialect
                # and compiled statements), else a new one.
                spare = _take_spare(self.url)
                if spare is not None:
                    engine, owner = spare
                    owner[0] = self.own_backends
                else:
                    engine, owner = self._server_engine()
                self._engine_owner = owner

            self._engine = engine
        return self._engine

    def _server_engine(self) -> tuple[Engine, list[set[int]]]:
        """A new engine for a server URL, and the holder of whose connections it opens.

        The holder's one set is :attr:`own_backends` of the object using the engine now:
        an engine kept for the next :class:`Database` of the URL (:func:`_keep_spare`)
        notes its new connections there.
        """
        from sqlalchemy import create_engine, event

        # The server's default isolation (READ COMMITTED): writers that must
        # not interleave lock their row FOR UPDATE (see the module docstring).
        engine = create_engine(self.url, pool_pre_ping=True)
        owner = [self.own_backends]
        if self.url.startswith("postgresql"):

            @event.listens_for(engine, "connect")
            def _on_pg_connect(dbapi_connection: Any, _record: Any) -> None:
                # psycopg knows its server process: no query for it.
                owner[0].add(int(dbapi_connection.info.backend_pid))
                with dbapi_connection.cursor() as cursor:
                    # One round trip for both settings (a command opens a connection;
                    # three statements cost three).
                    # jit: our statements read a page of rows; JIT compiled any plan
                    # costed high, even a search step gated off: 170 ms a search.
                    # random_page_cost: a desk's store sits in memory or on SSD: a page
                    # read out of order costs about one read in order, not the
                    # default's four (tuned for disks that seek). At 4.0 the planner
                    # walked the documents in time order for text + a filter rather
                    # than the filter's own index (migration 0027), reading five times
                    # the rows (issue 15, 1M incidents).
                    cursor.execute(
                        "SELECT set_config('jit', 'off', false), "
                        "set_config('random_page_cost', '1.1', false)"
                    )
                dbapi_connection.commit()

        return engine, owner

    def warm_writes(self) -> None:
        """Set up everything a first write needs, without taking the write lock.

        The ORM's first use configures every mapper and the engine opens its first
        connection (issue 16: 0.65 s, spent inside the first save's write transaction,
        holding the lock other desks wait on). A pooled connection is opened and put
        back unused: on SQLite no BEGIN, so no lock.
        """
        from sqlalchemy.exc import DBAPIError

        _configure_mappers()
        with contextlib.suppress(DBAPIError):  # unreachable now: the save says so in words
            self.engine.raw_connection().close()  # back to the pool, pragmas set

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """An ORM session; commits on success, rolls back on error. One per worker call.

        Args:
            write: On SQLite, a writing session starts with ``BEGIN IMMEDIATE`` (the
                write lock is taken first, so concurrent writers queue instead of
                failing); ``write=False`` starts a plain deferred read transaction.
                On PostgreSQL both are plain READ COMMITTED transactions; writers
                serialise on the rows they read ``FOR UPDATE``.

        Raises:
            ServerUnreachable: the server went away before the COMMIT: nothing written.
            CommitInDoubt: it went away during the COMMIT, which it may have stored
                (and, with synchronous replication, its standby too): look first.

        """
        from sqlmodel import Session

        # Every ORM session carries the hooks that chain a state fact for each watched
        # row. Storage may not import services (the layers), so the module that
        # registers them is named here and imported on first use (a dict lookup after).
        importlib.import_module(SESSION_HOOKS)
        if write and self.write_refusal is not None:
            raise DatabaseError(self.write_refusal)
        bind = self.engine
        if self.is_sqlite and not write:
            bind = bind.execution_options(sqlite_begin="DEFERRED")
        if write:
            # The ORM's one-time set-up (every mapper, 0.1 s of CPU, more under load)
            # happens before BEGIN IMMEDIATE takes the lock, not while other writers wait.
            _configure_mappers()
        yield from self._session(Session, bind, write)

    def _session(self, session_class: type[Session], bind: Any, write: bool) -> Iterator[Session]:
        with session_class(bind, expire_on_commit=False) as session:
            committing = False
            try:
                yield session
                session.flush()  # every statement sent: what fails now is the COMMIT
                head = self._audit_head(session) if write and self.path is not None else None
                if head is not None:
                    # Noted before the COMMIT, so the watcher never sees the commit first;
                    # a COMMIT that then fails leaves a head no one wrote: reported.
                    self._own_commit(*head)
                committing = True
                session.commit()
            except BaseException as exc:
                with contextlib.suppress(Exception):  # a dead connection cannot roll back
                    session.rollback()
                if not self.is_sqlite and "cannot contain NUL" in str(exc):
                    # PostgreSQL text cannot hold U+0000 (SQLite stores it): say so.
                    raise DatabaseError(t("error.db.nul", where=self.describe())) from None
                if server_gone(exc) and committing:
                    # The COMMIT may have reached the server (and its standby) before
                    # the connection broke: not "nothing was written" (issue 15).
                    raise CommitInDoubt(t("error.db.in_doubt", where=self.describe())) from None
                if server_gone(exc):
                    raise self._unreachable(exc) from None
                if self.path is not None and disk_full(exc, self.path):
                    raise disk_full_error(self.path) from None
                raise

    # -- own commits (a console does not reload for its own write) ---------------------

    def _audit_head(self, session: Session) -> tuple[int | None, int | None] | None:
        """SQLite, before the COMMIT: the newest audit event at the lock, and now.

        The first was read as the write lock was taken (``_on_begin``); ``None`` when
        it was not (no audit table yet). The lock is held from the first read to the
        COMMIT, so every event between the two is this transaction's own.
        """
        from sqlalchemy import text

        if not session.in_transaction():
            return None
        info = session.connection().info
        if "audit_before" not in info:
            return None
        before = info.pop("audit_before")
        newest = session.execute(text("SELECT max(id) FROM audit_event")).scalar()
        return before, None if newest is None else int(newest)

    def _own_commit(self, before: int | None, newest: int | None) -> None:
        with self._lock:
            self._own_commits += 1
            # Everything up to ``newest`` is accounted for only if nothing but this
            # console wrote since the watcher (or this console) last looked.
            if before == self._known_head:
                self._known_head = newest

    def note_head(self) -> None:
        """Take the newest audit event as seen (the watcher, as it starts)."""
        rows = self.read("SELECT max(id) FROM audit_event")
        with self._lock:
            self._known_head = None if not rows or rows[0][0] is None else int(rows[0][0])
            self._own_commits = 0

    def others_wrote(self) -> bool:
        """Whether a connection other than ours committed (SQLite, after a change).

        Compares the newest audit event (every write through the ORM chains one) with
        the newest this object wrote itself while nothing else had been written. Every
        change is reported except one made wholly by this object since the last look.
        """
        rows = self.read("SELECT max(id) FROM audit_event")
        newest = None if not rows or rows[0][0] is None else int(rows[0][0])
        with self._lock:
            own = self._own_commits
            self._own_commits = 0
            if own and newest is not None and newest == self._known_head:
                return False
            self._known_head = newest
            return True

    def _sqlite_connection(self) -> sqlite3.Connection:
        """The thread's connection for a read; a spare one while the first is lent."""
        name = "spare" if getattr(self._local, "lent", False) else "connection"
        connection: sqlite3.Connection | None = getattr(self._local, name, None)
        if connection is None:
            assert self.path is not None
            connection = _open_sqlite(self.path)
            setattr(self._local, name, connection)
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def _lent_connection(self) -> Iterator[sqlite3.Connection]:
        """The thread's idle connection, for the caller's own BEGIN ... COMMIT or ROLLBACK.

        In autocommit mode (``isolation_level = None``) while lent, put back as it was after,
        any transaction left open rolled back. Opening a connection parses the schema (its
        41 kB of trigger text): ~3 ms of CPU each, and a CLI write opened three, one per
        read, snapshot and write (issue 16). A :meth:`read` meanwhile takes the thread's
        spare connection, so it neither ends nor joins the caller's transaction; a second
        lender (nested), or a connection caught inside a transaction, gets a new one, closed
        after.
        """
        assert self.path is not None
        connection = None if getattr(self._local, "lent", False) else self._sqlite_connection()
        if connection is None or connection.in_transaction:
            fresh = _open_sqlite(self.path)
            fresh.isolation_level = None
            try:
                yield fresh
            finally:
                with contextlib.suppress(sqlite3.Error):
                    if fresh.in_transaction:
                        fresh.execute("ROLLBACK")
                fresh.close()
            return
        level = connection.isolation_level
        connection.isolation_level = None
        self._local.lent = True
        try:
            yield connection
        finally:
            self._local.lent = False
            with contextlib.suppress(sqlite3.Error):
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                connection.isolation_level = level

    @contextmanager
    def write_connection(self) -> Iterator[sqlite3.Connection]:
        """A ``sqlite3`` connection to this SQLite file for a plain-SQL write.

        With dutydesk's pragmas and no implicit transactions: the caller begins
        (:meth:`begin_write`) and commits; a transaction left open is rolled back at the
        end of the block (issue 16: the CLI's plain write path). The thread's own
        connection when it is idle (:meth:`_lent_connection`), so that a write opens no
        connection of its own.

        Raises:
            DatabaseError: the file takes no write (damaged, read-only), as for the ORM's
                sessions: a plain write need not touch a damaged page to build on it.

        """
        assert self.path is not None, "a plain write needs a SQLite file"
        if self.write_refusal is not None:
            raise DatabaseError(self.write_refusal)
        with self._lent_connection() as connection:
            yield connection

    def begin_write(self, connection: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE`` on a ``sqlite3`` connection to this file, as the ORM begins.

        Waits for the write lock up to the busy timeout, queueing behind the writers'
        line after a first wait (:mod:`dutydesk.storage.write_gate`).

        Raises:
            sqlite3.OperationalError: SQLite's busy error when the wait ran out.

        """
        write_gate.begin_immediate(connection, self.path, BUSY_TIMEOUT_MS / 1000)

    def read(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a read-only query and return its rows, by position or by column name.

        Each row is a tuple (``serial, title = row`` and ``row[0]`` work as ever) whose
        columns are also attributes: ``row.serial``, the name being the column's name in
        the result (``e.seq`` is ``seq``; name an expression with ``AS``).

        Raises:
            DatabaseError: the database cannot be read.

        """
        try:
            if self.is_sqlite and self.path is not None:
                connection = self._sqlite_connection()
                cursor = connection.execute(sql, dict(params or {}))
                rows = cursor.fetchall()
                connection.commit()  # end the read transaction: do not pin an old snapshot
                if cursor.description is None:
                    return []
                make = _row_maker(column[0] for column in cursor.description)
                return list(map(make, rows))
        except sqlite3.DatabaseError as exc:
            if self.path is not None and disk_full(exc, self.path):
                raise disk_full_error(self.path) from None
            raise DatabaseError(
                t("error.db.cannot_read", where=self.describe(), detail=exc)
            ) from None
        # Other databases (and in-memory SQLite): SQLAlchemy's text() takes the same
        # :name parameters and escapes a literal % for the driver.
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as conn:
                result = conn.execute(text(sql), dict(params or {}))
                if not result.returns_rows:
                    return []
                make = _row_maker(result.keys())
                return [make(row) for row in result]
        except DBAPIError as exc:
            if server_gone(exc):
                raise self._unreachable(exc) from None
            raise DatabaseError(
                t("error.db.cannot_read", where=self.describe(), detail=exc.orig)
            ) from None

    @contextmanager
    def snapshot(self, functions: Mapping[str, SqlFunction] | None = None) -> Iterator[Query]:
        """Read-only queries that all see one state of the database, rows streamed.

        Yields ``query(sql, params)``, an iterator of :class:`Row` fetched a batch at a
        time: a 100,000-row export never holds its rows, and the totals counted by one
        query match the rows listed by the next (one read transaction: SQLite's snapshot,
        PostgreSQL's REPEATABLE READ). A connection no other statement uses meanwhile (on
        SQLite the thread's idle one, lent: a :meth:`read` meanwhile takes a spare one,
        a write or another snapshot one of its own), so that a read or a write meanwhile
        neither ends the snapshot nor waits for it (WAL). Leave the block before writing
        what the rows caused (an audit event), so no reader is left open.

        ``functions``: SQL functions of this connection, by name (a SQLite file only:
        :attr:`has_functions`; elsewhere they are not there to call).

        Raises:
            DatabaseError: the database cannot be read.

        """
        if self.is_sqlite and self.path is not None:
            with self._sqlite_snapshot(functions or {}) as query:
                yield query
            return
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        bind = self.engine
        if self.is_sqlite:  # in memory: the engine's connection, read transaction
            bind = bind.execution_options(sqlite_begin="DEFERRED")
        else:
            bind = bind.execution_options(isolation_level="REPEATABLE READ")

        def streamed(sql: str, params: Mapping[str, Any] | None = None) -> Iterator[Row]:
            try:
                result = conn.execution_options(stream_results=True, yield_per=_BATCH).execute(
                    text(sql), dict(params or {})
                )
                make = _row_maker(result.keys())
                for row in result:
                    yield make(row)
            except DBAPIError as exc:
                raise self._read_error(exc, exc.orig) from None

        try:
            with bind.connect() as conn, conn.begin():
                yield streamed
        except DBAPIError as exc:
            raise self._read_error(exc, exc.orig) from None

    @property
    def has_functions(self) -> bool:
        """:meth:`snapshot` can give its connection SQL functions: a SQLite file."""
        return self.is_sqlite and self.path is not None

    @contextmanager
    def _sqlite_snapshot(self, functions: Mapping[str, SqlFunction]) -> Iterator[Query]:
        assert self.path is not None
        with contextlib.ExitStack() as stack:
            try:
                if functions:
                    # Its own connection, closed after: the functions (verify's, holding a
                    # key) go with it. Opened as every read is (_open_sqlite): a file in a
                    # read-only folder is read immutable, where a plain connect could not
                    # even begin (verify there).
                    connection = stack.enter_context(contextlib.closing(_open_sqlite(self.path)))
                    for name, (arguments, function) in functions.items():
                        connection.create_function(name, arguments, function, deterministic=True)
                    connection.isolation_level = None  # BEGIN and COMMIT are ours
                else:  # the thread's idle connection: no schema parsed again (issue 16)
                    connection = stack.enter_context(self._lent_connection())
            except sqlite3.DatabaseError as exc:
                raise self._read_error(exc, exc) from None

            def query(sql: str, params: Mapping[str, Any] | None = None) -> Iterator[Row]:
                try:
                    cursor = connection.execute(sql, dict(params or {}))
                    if cursor.description is None:
                        return
                    make = _row_maker(column[0] for column in cursor.description)
                    while batch := cursor.fetchmany(_BATCH):
                        yield from map(make, batch)
                except sqlite3.DatabaseError as exc:
                    raise self._read_error(exc, exc) from None

            try:
                connection.execute("BEGIN")
                yield query
            except sqlite3.DatabaseError as exc:
                raise self._read_error(exc, exc) from None
            finally:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")  # nothing was written: just let go

    def _read_error(self, exc: BaseException, detail: object) -> Exception:
        """The one-line error for a failed read (a full disk, a server gone, or else)."""
        if self.path is not None and disk_full(exc, self.path):
            return disk_full_error(self.path)
        if not self.is_sqlite and server_gone(exc):
            return self._unreachable(exc)
        return DatabaseError(t("error.db.cannot_read", where=self.describe(), detail=detail))

    @property
    def search_index(self) -> SearchIndex:
        """Full-text search for this database (FTS5 on SQLite, LIKE elsewhere).

        Chosen on first use from what the schema holds; see :mod:`dutydesk.storage.search`.
        """
        if self._search_index is None:
            from dutydesk.storage.search import index_for

            self._search_index = index_for(self)
        return self._search_index

    def rebuild_search_index(self) -> None:
        """Recreate the search index from the tables (repair, or after a bulk load).

        On SQLite this also installs the FTS5 index where an older library had left it
        out; elsewhere it does nothing.
        """
        from dutydesk.storage.search import rebuild

        rebuild(self)
        self._search_index = None

    def time_param(self, moment: datetime) -> Any:
        """A UTC moment as a query parameter comparable with stored timestamp columns.

        SQLite holds timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` text in UTC (the form
        SQLAlchemy writes); other databases take the aware datetime itself.
        """
        utc = moment.astimezone(UTC)
        if self.is_sqlite:
            return utc.strftime("%Y-%m-%d %H:%M:%S.%f")
        return utc

    def list_agg(self, expression: str) -> str:
        """SQL aggregating ``expression`` into one comma-separated string per group.

        ``group_concat`` on SQLite, ``string_agg`` (text) elsewhere; the order within a
        group is unspecified on both.
        """
        if self.is_sqlite:
            return f"group_concat({expression})"
        return f"string_agg(CAST({expression} AS TEXT), ',')"

    def change_token(self) -> int:
        """A number that changes when another connection commits to this SQLite file.

        ``PRAGMA data_version`` on this thread's connection: one pragma, no table read.
        A server store has no token (0): its consoles are told of each commit by
        ``LISTEN``/``NOTIFY`` on a channel of their own database
        (:func:`dutydesk.storage.watch.change_watch`, issue 15), never by polling the
        server's snapshot, which any database's write on the server moved.
        """
        if self.is_sqlite and self.path is not None:
            connection = self._sqlite_connection()
            return int(connection.execute("PRAGMA data_version").fetchone()[0])
        return 0

    def close(self) -> None:
        """Close every connection this object opened (stopping an unfinished check)."""
        checking = self._checking
        if checking is not None:
            self._check_go.set()
            with self._lock:
                if self._check_connection is not None:
                    # quick_check of a large file may have a second to go; the console
                    # quits now. The verdict is taken again if this object writes later.
                    self._check_connection.interrupt()
            checking.join()
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
        if self._engine is not None:
            self._engine.dispose()  # every connection closed: the server's slots go back
            if self._engine_owner is not None:
                _keep_spare(self.url, self._engine, self._engine_owner)
            self._engine = None
            self._engine_owner = None

    # -- schema ------------------------------------------------------------------------

    def _sqlite_refusal(self, read_only: bool, *, apart: bool = False) -> str | None:
        """Why this SQLite file must not be written, in one line; ``None`` if it may.

        A damaged file keeps serving reads (and ``verify``, ``backup``) but takes no new
        write, which would build on broken pages (issue 17): ``PRAGMA quick_check`` at
        open, on files up to :data:`QUICK_CHECK_MAX_BYTES`. ``apart``: as
        :meth:`_quick_check`'s.
        """
        assert self.path is not None
        damage = self._quick_check(apart=apart)
        if damage is not None:
            return t("error.db.damaged", path=self.path, detail=damage)
        if read_only:
            return t("error.db.read_only", path=self.path)
        return None

    def _check_in_background(self, read_only: bool) -> None:
        """Start reaching :attr:`write_refusal`'s verdict in a thread; writes wait for it.

        ``PRAGMA quick_check`` reads every page (78 ms of CPU for a 20 MB file, about
        0.3 s at :data:`QUICK_CHECK_MAX_BYTES`): at open it delayed the console's first
        frame by as much (issue 16). SQLite lets go of the GIL while it reads, so on a
        second core the check costs the first frame nothing; its verdict is only needed
        by the first write, which waits for it (:attr:`write_refusal`).

        It starts when the console has drawn its first frame (:meth:`check_now`), or
        after :data:`CHECK_START_SECONDS` at the latest, so that on a loaded machine it
        does not take the core the first frame is drawn on; a write starts it at once.
        """
        self._check_read_only = read_only

        def check() -> None:
            self._check_go.wait(CHECK_START_SECONDS)
            try:
                refusal = self._sqlite_refusal(read_only, apart=True)
            except Exception as exc:  # never a silent "sound": refuse, saying why
                assert self.path is not None
                refusal = t("error.db.damaged", path=self.path, detail=" ".join(str(exc).split()))
            self._write_refusal = refusal

        self._checking = threading.Thread(target=check, name="dutydesk-quick-check")
        self._checking.start()

    def check_now(self) -> None:
        """Let the open's deferred ``quick_check`` start (the console drew its first frame)."""
        self._check_go.set()

    def _quick_check(self, *, apart: bool = False) -> str | None:
        """SQLite's first complaint about the file's structure, ``None`` when it is sound.

        ``apart``: on a connection of its own, closed after, for a check in a thread of
        its own (:meth:`_check_in_background`), which :meth:`close` interrupts through
        it. Otherwise on the thread's connection, which the command reads through next:
        a CLI command opens one connection (issue 16; each parses the schema again).
        """
        assert self.path is not None
        try:
            if self.path.stat().st_size > QUICK_CHECK_MAX_BYTES:
                return None
            if not apart:
                connection = self._sqlite_connection()
                rows = connection.execute("PRAGMA quick_check(1)").fetchall()
                connection.commit()
            else:
                connection = _open_sqlite(self.path)
                with self._lock:
                    self._check_connection = connection
                try:
                    rows = connection.execute("PRAGMA quick_check(1)").fetchall()
                finally:
                    with self._lock:
                        self._check_connection = None
                    connection.close()
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                self._check_unfinished = True  # by close(): no verdict yet
                return None
            return " ".join(str(exc).split())
        except sqlite3.DatabaseError as exc:
            return " ".join(str(exc).split())
        except OSError:
            return None  # gone between the calls: the next read says so in its words
        first = str(rows[0][0]) if rows else "ok"
        # SQLite may say it on several lines ("*** in database main ***" first): one line.
        return None if first == "ok" else " ".join(first.split())

    def current_revision(self) -> str | None:
        """The Alembic revision the database is at, ``None`` for an empty database.

        Raises:
            DatabaseError: the file is not a SQLite database, or holds tables that are
                not dutydesk's.

        """
        if self.is_sqlite and self.path is not None:
            try:
                connection = self._sqlite_connection()
                names = connection.execute("SELECT name FROM sqlite_master").fetchall()
                connection.commit()
            except sqlite3.DatabaseError as exc:
                if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
                    raise DatabaseError(t("error.db.not_sqlite", path=self.path)) from None
                if disk_full(exc, self.path):
                    raise disk_full_error(self.path) from None
                raise DatabaseError(
                    t("error.db.cannot_read", where=self.path, detail=exc)
                ) from None
            tables = {row[0] for row in names}
        else:
            from sqlalchemy import inspect
            from sqlalchemy.exc import DBAPIError

            try:
                tables = set(inspect(self.engine).get_table_names())
            except DBAPIError as exc:
                # A command's first connection: why the server refused it is said here.
                if server_gone(exc):
                    raise self._unreachable(exc) from None
                raise
        if "alembic_version" not in tables:
            if tables - {"sqlite_sequence"}:
                raise DatabaseError(t("error.db.not_ours", where=self.describe()))
            return None
        rows = self.read("SELECT version_num FROM alembic_version")
        return str(rows[0][0]) if rows else None

    def ensure_schema(self, *, check_in_background: bool = False) -> bool:
        """Create or migrate the schema to :data:`HEAD_REVISION`; True if it changed.

        Args:
            check_in_background: On a SQLite file already at the head revision, leave
                ``quick_check`` to a thread (:meth:`_check_in_background`): the console's
                launcher, whose first frame needs only reads. A file to migrate is still
                checked first, before anything is written to it. Not for a process that
                forks (``verify``'s workers): a fork must not copy a thread inside SQLite.

        Raises:
            DatabaseError: the path is unusable, the database is not dutydesk's, or it was
                written by a newer dutydesk.

        """
        read_only = False
        if self.path is not None:
            from dutydesk.storage.private import create_private_file, make_private_dirs

            check_sqlite_file(self.path)
            read_only = sqlite_read_only(self.path)
            if not read_only:
                make_private_dirs(self.path.parent)
                # 0600 before SQLite first opens it; its -wal/-shm then follow this mode.
                # Safe to open here: the file did not exist, so no connection holds its locks.
                create_private_file(self.path)
        revision = self.current_revision()
        if read_only and revision != HEAD_REVISION:  # migrating would write
            raise DatabaseError(t("error.db.no_write", path=self.path))
        if self.path is not None:
            if check_in_background and revision == HEAD_REVISION:
                self._check_in_background(read_only)
            else:
                self.write_refusal = self._sqlite_refusal(read_only)
        if revision == HEAD_REVISION:
            return False
        from dutydesk.storage.migrations import known_revisions, upgrade

        if revision is not None and revision not in known_revisions():
            raise DatabaseError(t("error.db.newer", where=self.describe(), revision=revision))
        try:
            if self.is_sqlite and self.path is not None:
                # WAL is a property of the file: set once, kept by every later connection.
                self._sqlite_connection().execute("PRAGMA journal_mode=WAL")
            upgrade(self)
        except Exception as exc:
            if self.path is not None and disk_full(exc, self.path):
                raise disk_full_error(self.path) from None
            raise
        self._search_index = None  # the migration may have added the search tables
        return True
