"""A PostgreSQL server that refuses connections says why (issue 15, task pgw).

A server with as many connections as its ``max_connections`` answers a new one with
SQLSTATE 53300 ("sorry, too many clients already"); one starting up or shutting down
with 57P03. Both used to be told as "the database server cannot be reached", which
sends an administrator looking for a stopped server or a broken network. Each now has
its own line (both languages) with the same exit code 5 (nothing was written, try
again), and the console's header says it too. The server here is a real one with a
small ``max_connections``, every slot taken by the test itself.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dutydesk.cli.app import main
from dutydesk.errors import ServerUnreachable
from dutydesk.i18n import set_language, t
from dutydesk.storage.engine import (
    NOT_NOW,
    TOO_MANY,
    Database,
    server_gone,
    server_refusal,
    unreachable_error,
)
from dutydesk.storage.watch import change_watch
from tests.pg_support import _Cluster, _unavailable, find_bindir

SLOTS = 5
"""The server's max_connections: the fewest PostgreSQL starts with (3 kept for superusers)."""


@pytest.fixture
def full_server() -> Iterator[tuple[str, list[Any]]]:
    """A migrated database on a server of its own, and every one of its slots taken."""
    import psycopg

    bindir = find_bindir()
    if bindir is None:
        _unavailable("PostgreSQL refusal tests: no PostgreSQL server binaries")
    cluster = _Cluster(bindir, max_connections=SLOTS)
    held: list[Any] = []
    try:
        cluster.start()
        url = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres"
        db = Database(url)
        db.ensure_schema()
        db.close()
        while True:  # until the server says no: background workers may hold some too
            try:
                held.append(
                    psycopg.connect(
                        host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres"
                    )
                )
            except psycopg.OperationalError:
                break
        assert held, "the server took no connection at all"
        yield url, held
    finally:
        for connection in held:
            connection.close()
        cluster.stop()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_cli_says_the_server_has_too_many_connections(
    full_server: tuple[str, list[Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _held = full_server
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")
    for args in (["incident", "list"], ["incident", "add", "--summary", "幸福路燃气泄漏"]):
        code, err = _run(["--db", url, *args], capsys)
        assert code == ServerUnreachable.exit_code == 5, err
        assert len(err.strip().splitlines()) == 1, err
        assert "refuses new connections" in err and "max_connections" in err, err
        assert "cannot be reached" not in err and "Traceback" not in err, err
    code, err = _run(["--db", url, "--lang", "zh_CN", "incident", "list"], capsys)
    assert code == 5
    assert len(err.strip().splitlines()) == 1 and "连接数已达上限" in err, err


def test_store_and_console_header_name_the_refusal(
    full_server: tuple[str, list[Any]],
) -> None:
    url, held = full_server
    db = Database(url)
    try:
        with pytest.raises(ServerUnreachable) as refused:
            db.read("SELECT 1")
        assert "refuses new connections" in str(refused.value)
        assert db.refusal == TOO_MANY
        watch = change_watch(db)  # the console's own listening connection is refused too
        try:
            assert watch.lost
            assert db.lost_header == t("header.db_full")
            assert "too many connections" in db.lost_header
            held.pop().close()  # a slot free: the watch reconnects, the header forgets why
            assert watch.wait(0, threading.Event())  # back: what was missed is read again
            assert not watch.lost
            assert db.refusal is None
            assert db.lost_header == t("header.db_lost")
        finally:
            watch.close()
    finally:
        db.close()


def test_a_server_starting_or_stopping_is_said_as_such() -> None:
    # 57P03 reaches psycopg as the server's FATAL text, with no SQLSTATE (a connection
    # refused before any session): these are PostgreSQL's own words.
    import psycopg

    for words in ("the database system is starting up", "the database system is shutting down"):
        error = psycopg.OperationalError(
            f'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
            f"FATAL:  {words}"
        )
        assert server_gone(error)
        assert server_refusal(error) == NOT_NOW
        said = str(unreachable_error(error, "postgresql://db1/duty"))
        assert "starting up or shutting down" in said and "db1" in said
    silent = psycopg.OperationalError("connection failed: Connection refused")
    assert server_refusal(silent) is None
    assert "cannot be reached: nothing was written" in str(unreachable_error(silent))
    assert server_refusal(ValueError("sorry, too many clients already")) is None
