"""A throwaway PostgreSQL server for the tests, started once per test session.

``pg_server`` (session scope) starts a private cluster: ``initdb`` into a fresh temporary
directory (as the ``postgres`` OS user when the tests run as root, because ``initdb``
refuses root), ``pg_ctl start`` on a free TCP port of 127.0.0.1 with the socket in the
same directory, durability switched off (it is thrown away), and ``pg_ctl stop -m fast``
at the end of the session, also after a failure or an interrupt (an ``atexit`` hook
catches what the fixture's finaliser cannot). Start-up costs about a second.

``DUTYDESK_TEST_PG_URL`` (``postgresql+psycopg://user@host:port/db``) names a server to
use instead; its user needs ``CREATEDB``, because every test gets a database of its own.

Each test gets a fresh database: ``pg_url`` an empty one (created from ``template0``), and
``pg_db`` one already migrated to the head, cloned from a template migrated once per
session (``CREATE DATABASE ... TEMPLATE``: tens of milliseconds instead of running every
migration again). Both are dropped after the test.

The tests skip, saying why, only when no PostgreSQL binaries are found (``initdb`` on
``PATH``, ``pg_config --bindir``, or ``/usr/lib/postgresql/*/bin``), psycopg is missing,
or the tests run as root on a machine with no ``postgres`` user. With
``DUTYDESK_TEST_PG_REQUIRED=1`` (``.ci/run`` sets it) each of those is a failure instead.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from dutydesk.storage.engine import Database

ENV_URL = "DUTYDESK_TEST_PG_URL"
ENV_REQUIRED = "DUTYDESK_TEST_PG_REQUIRED"
"""Set (``.ci/run`` does): no server is a failure, not a skip, so CI cannot skip silently."""
TEMPLATE_DB = f"dutydesk_test_template_{os.getpid()}"
"""Per process: two test runs can share a server given by ``DUTYDESK_TEST_PG_URL``."""
_counter = itertools.count(1)


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, if any."""
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            candidates.append(Path(out))

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    candidates += [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    ]
    for directory in candidates:
        if all((directory / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def connections_to(db: Database, name: str) -> int:
    """The server processes serving database ``name`` now (``pg_stat_activity``)."""
    sql = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = :name"
    return int(db.read(sql, {"name": name})[0].n)


def settles(condition: Callable[[], bool], tries: int = 600) -> bool:
    """Whether ``condition()`` comes true, asked every 50 ms up to ``tries`` times (30 s).

    For what the server does after the client has moved on: a closed connection's server
    process leaves ``pg_stat_activity`` on its own time, a moment after the client closed
    it (CI once counted one still exiting). A leaked connection never leaves, so the
    bound ends only a failing test; a passing one returns at the event.
    """
    for _ in range(tries):
        if condition():
            return True
        threading.Event().wait(0.05)
    return condition()


def _unavailable(reason: str) -> NoReturn:
    """Skip the PostgreSQL tests, saying why; fail instead where they are required."""
    if os.environ.get(ENV_REQUIRED, "") not in {"", "0"}:
        pytest.fail(f"{reason} ({ENV_REQUIRED} is set)", pytrace=False)
    pytest.skip(reason)


def _temp_parent() -> str | None:
    """A temporary directory another OS user can reach (``None``: the default).

    As root the cluster runs as ``postgres``, who must be able to traverse every parent
    of its directory; a private ``TMPDIR`` (``/root/tmp``) would stop it, ``/tmp`` will not.
    """
    base = Path(tempfile.gettempdir()).resolve()
    for parent in (base, *base.parents):
        if not os.stat(parent).st_mode & 0o001:
            return "/tmp"  # noqa: S108 - the sticky world-writable /tmp is the point (docstring)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """A running server: where to reach it as a superuser (or the given user)."""

    url: str
    """``postgresql+psycopg://user@host:port/postgres``: the maintenance database."""
    own: bool
    """True when these tests started the server themselves."""
    templates: list[str] = field(default_factory=list)
    """Databases made by :func:`make_template`, dropped at the end of the session."""

    def url_for(self, database: str) -> str:
        """The URL of another database on the same server."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        with psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)


class _Cluster:
    """``initdb`` + ``pg_ctl start``/``stop`` of a private cluster in a temporary dir."""

    def __init__(self, bindir: Path, *, max_connections: int = 60) -> None:
        self.bindir = bindir
        self.max_connections = max_connections
        """Small for a test of a server that refuses connections (it has too many)."""
        as_root = os.geteuid() == 0
        self.root = Path(
            tempfile.mkdtemp(prefix="dutydesk-pg-", dir=_temp_parent() if as_root else None)
        )
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.started = False
        self._as_user: list[str] = []
        if as_root:
            import pwd

            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.root, ignore_errors=True)
                _unavailable(
                    "PostgreSQL tests: running as root and there is no 'postgres' OS user "
                    "to run initdb/postgres as (initdb refuses root)"
                )
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self._as_user = [runuser, "-u", "postgres", "--"]
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        os.chmod(self.root, 0o700)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_user, *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self) -> None:
        done = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        last = ""
        for _attempt in range(5):  # a free port can be taken between the probe and bind
            self.port = _free_port()
            done = self._pg_ctl_start()
            if done.returncode == 0:
                self.started = True
                return
            last = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            last = last or done.stderr
        raise RuntimeError(f"pg_ctl start failed:\n{last}")

    def _pg_ctl_start(self) -> subprocess.CompletedProcess[str]:
        options = (
            f"-c listen_addresses=127.0.0.1 -k {self.root} -F "
            f"-c full_page_writes=off -c synchronous_commit=off -c max_connections={self.max_connections} "
            "-c autovacuum=off"
        )
        return self._run(
            str(self.bindir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data),
            "-l", str(self.log), "-o", f"-p {self.port} {options}",
        )  # fmt: skip

    def crash(self) -> None:
        """``pg_ctl stop -m immediate``: the server goes away as in a power cut."""
        self._run(
            str(self.bindir / "pg_ctl"), "stop", "-m", "immediate", "-w", "-D", str(self.data)
        )
        self.started = False

    def restart(self) -> None:
        """Start again on the same port (clients reconnect to the address they know)."""
        done = self._pg_ctl_start()
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()}")
        self.started = True

    def stop(self) -> None:
        if self.started:
            self._run(
                str(self.bindir / "pg_ctl"),
                "stop",
                "-m",
                "fast",
                "-w",
                "-D",
                str(self.data),
                timeout=60,
            )
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def own_cluster() -> Iterator[_Cluster]:
    """A server of this test's own, to stop and start again (issue 15: outages)."""
    bindir = find_bindir()
    if bindir is None:
        _unavailable("PostgreSQL outage tests: no PostgreSQL server binaries")
    cluster = _Cluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL server of this test session (started here, or DUTYDESK_TEST_PG_URL)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("PostgreSQL tests: psycopg is not installed (pip install -e '.[test]')")
    given = os.environ.get(ENV_URL, "").strip()
    if given:
        server = PgServer(url=given, own=False)
        try:
            yield server
        finally:
            for name in server.templates:
                with contextlib.suppress(Exception):
                    server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return
    bindir = find_bindir()
    if bindir is None:
        _unavailable(
            "PostgreSQL tests: no PostgreSQL server binaries (initdb, pg_ctl, postgres) on "
            f"PATH, from pg_config or in /usr/lib/postgresql/*/bin; set {ENV_URL} to use a "
            "running server"
        )
    cluster = _Cluster(bindir)
    atexit.register(cluster.stop)
    try:
        cluster.start()
        yield PgServer(
            url=f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres", own=True
        )
    finally:
        cluster.stop()


def _fresh_name() -> str:
    return f"dutydesk_t{os.getpid()}_{next(_counter)}"


def make_template(
    server: PgServer, name: str, fill: Callable[[Database], object], *, source: str = "template0"
) -> str:
    """Create database ``name`` from ``source``, run ``fill`` on it, and close it again.

    The result is a template for :func:`scratch_database` (a template must have no open
    connections when it is copied, so ``fill``'s are closed here).
    """
    server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    server.admin(f"CREATE DATABASE {name} TEMPLATE {source} ENCODING 'UTF8'")
    server.templates.append(name)
    database = Database(server.url_for(name))
    try:
        fill(database)
    finally:
        database.close()
    return name


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    """A database migrated to the head once per session, cloned by :func:`pg_db`."""
    return make_template(pg_server, TEMPLATE_DB, Database.ensure_schema)


@contextlib.contextmanager
def scratch_database(server: PgServer, template: str) -> Iterator[str]:
    """A new database copied from ``template`` (tens of ms), dropped afterwards."""
    name = _fresh_name()
    server.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield server.url_for(name)
    finally:
        server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a fresh, empty database (no tables) for one test."""
    with scratch_database(pg_server, "template0") as url:
        yield url


@pytest.fixture
def pg_db(pg_server: PgServer, pg_template: str) -> Iterator[Database]:
    """A fresh database already migrated to the head, for one test."""
    with scratch_database(pg_server, pg_template) as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.close()


def pg_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``key_file`` at a fresh path: a server database has no ``<file>.key``."""
    path = tmp_path / "duty.key"
    monkeypatch.setenv("DUTYDESK_KEY_FILE", str(path))
    return path
