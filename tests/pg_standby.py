"""A primary and a streaming hot standby of a test's own (issue 15, "A standby").

The set-up is the README's "Standby and failover", step by step, on one machine: each
server has its own data directory and its own socket directory (two machines, in effect;
``listen_addresses = ''``, no TCP), the primary's settings are appended to its
``postgresql.conf`` as an operator would, the standby is a ``pg_basebackup -R`` copy
started with ``pg_ctl``, and it streams synchronously (``synchronous_commit = on`` and
``synchronous_standby_names`` naming it): a commit is confirmed only once the standby has
the WAL, so no confirmed write can be lost when the primary dies.

:meth:`StandbyPair.url` is the multi-host URL dutydesk is given; :meth:`stop_primary`
is ``pg_ctl stop -m immediate`` (a power cut, no shutdown checkpoint), :meth:`promote`
is ``pg_ctl promote``. Built on :class:`tests.pg_support._Cluster` (initdb as ``postgres``
when run as root, ``pg_ctl`` through the same runner), which stays as it is.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.pg_support import _Cluster, _free_port, _unavailable, find_bindir

STANDBY_NAME = "standby1"
"""The standby's ``application_name``: what ``synchronous_standby_names`` waits for."""
READY_TRIES = 600
"""Looks (0.1 s apart) for the standby to stream in sync: a loaded machine is slow."""


def _conf(cluster: _Cluster, **settings: str | int) -> None:
    """Append settings to a cluster's ``postgresql.conf`` (a later line wins)."""
    lines = [f"{name} = '{value}'" for name, value in settings.items()]
    with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# tests/pg_standby.py\n" + "\n".join(lines) + "\n")


class StandbyPair:
    """A primary streaming synchronously to a hot standby, each with its own socket."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.primary = _Cluster(bindir)
        self.standby = _Cluster(bindir)
        self.primary.port, self.standby.port = _free_port(), _free_port()

    def _tool(self, cluster: _Cluster, *args: str) -> None:
        done = cluster._run(str(self.bindir / args[0]), *args[1:], timeout=120)
        if done.returncode != 0:
            log = cluster.log.read_text(errors="replace")[-2000:] if cluster.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}\n{log}")

    def _start(self, cluster: _Cluster) -> None:
        self._tool(cluster, "pg_ctl", "start", "-w", "-t", "120", "-D", str(cluster.data),
                   "-l", str(cluster.log))  # fmt: skip
        cluster.started = True

    def start(self) -> None:
        """initdb and start the primary, copy it with ``pg_basebackup -R``, start the copy."""
        primary, standby = self.primary, self.standby
        self._tool(primary, "initdb", "-D", str(primary.data), "-U", "postgres",
                   "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
        _conf(
            primary,
            listen_addresses="",
            unix_socket_directories=str(primary.root),
            port=primary.port,
            wal_level="replica",
            max_wal_senders=4,
            # The README's "no confirmed write may be lost": a commit waits for the standby.
            synchronous_commit="on",
            synchronous_standby_names=STANDBY_NAME,
            max_connections=60,
            autovacuum="off",
            # Processes are killed here, never the machine: the OS keeps what was
            # written, so fsync only costs time on a loaded CI machine.
            fsync="off",
        )
        self._start(primary)
        conninfo = f"host={primary.root} port={primary.port} user=postgres"
        self._tool(standby, "pg_basebackup", "-D", str(standby.data), "-R", "-X", "stream",
                   "-d", f"{conninfo} application_name={STANDBY_NAME}")  # fmt: skip
        _conf(
            standby,
            unix_socket_directories=str(standby.root),
            port=standby.port,
            # Copied from the primary, it would make the promoted standby wait for a
            # standby of its own that does not exist: every save would hang. A standby
            # ignores the setting until it is promoted.
            synchronous_standby_names="",
        )
        self._start(standby)
        self._wait_in_sync()

    def _wait_in_sync(self) -> None:
        """Return once the primary reports the standby streaming as its sync standby."""
        import psycopg

        sql = "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s"
        with psycopg.connect(self.direct_conninfo(self.primary), autocommit=True) as conn:
            for _ in range(READY_TRIES):
                row = conn.execute(sql, (STANDBY_NAME,)).fetchone()
                if row is not None and row[0] == "sync":
                    return
                threading.Event().wait(0.1)
        raise RuntimeError("the standby never streamed in sync with the primary")

    def url(self, database: str = "postgres") -> str:
        """The multi-host URL: both sockets, the read-write one chosen at each connect."""
        hosts = ",".join(quote(str(c.root), safe="") for c in (self.primary, self.standby))
        ports = f"{self.primary.port},{self.standby.port}"
        return (
            f"postgresql+psycopg://postgres@/{database}"
            f"?host={hosts}&port={ports}&target_session_attrs=read-write"
        )

    @staticmethod
    def direct_conninfo(cluster: _Cluster, database: str = "postgres") -> str:
        """A libpq connection string to one server only."""
        return f"host={cluster.root} port={cluster.port} user=postgres dbname={database}"

    def stop_primary(self) -> None:
        """``pg_ctl stop -m immediate`` on the primary: gone as in a power cut."""
        self.primary.crash()

    def promote(self) -> None:
        """``pg_ctl promote`` on the standby: it takes writes from now on."""
        self._tool(self.standby, "pg_ctl", "promote", "-w", "-t", "120", "-D",
                   str(self.standby.data))  # fmt: skip

    def stop(self) -> None:
        """Stop both servers (whichever still run) and remove their directories."""
        for cluster in (self.standby, self.primary):
            with contextlib.suppress(Exception):  # the other one must stop anyway
                cluster.stop()


@pytest.fixture
def standby_pair() -> Iterator[StandbyPair]:
    """A primary and its synchronous hot standby, both stopped at the end of the test."""
    bindir = find_bindir()
    if bindir is None:
        _unavailable("PostgreSQL standby tests: no PostgreSQL server binaries")
    # initdb can be a link on PATH (/usr/local/bin): its siblings are beside its target.
    bindir = (bindir / "initdb").resolve().parent
    if not (bindir / "pg_basebackup").exists():
        _unavailable(f"PostgreSQL standby tests: no pg_basebackup in {bindir}")
    pair = StandbyPair(bindir)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
