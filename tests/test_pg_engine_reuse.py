"""Commands run one after another in a process keep the server engine, not its connections.

Issue 15 (task pgw): eight writer processes running 40 intakes each met a p99 over a
second on PostgreSQL. Every command opened a new engine: its dialect asked the server
three questions on first connect, and every statement of the write was compiled again
while the command held the record's chain lock. A closed :class:`Database` now leaves
its engine (dialect, compiled statements) to the next one of the same URL; the server's
connections still go back when the command ends
(``test_postgres.py::test_commands_run_in_one_process_give_their_connections_back``).
"""

from __future__ import annotations

import io
import sys

import pytest

from dutydesk.cli.app import main
from dutydesk.storage import engine as storage
from dutydesk.storage.engine import Database
from tests.pg_support import connections_to, settles


def test_a_closed_database_leaves_its_engine_not_its_connections(pg_db: Database) -> None:
    name = pg_db.read("SELECT current_database() AS name")[0].name
    first = Database(pg_db.url)
    engine = first.engine
    first.read("SELECT 1")
    assert first.own_backends
    before = connections_to(pg_db, name)
    first.close()
    # Its connection went back (its server process exits a moment after the close).
    assert settles(lambda: connections_to(pg_db, name) == before - 1)
    second = Database(pg_db.url)
    try:
        assert second.engine is engine  # dialect and compiled statements kept
        second.read("SELECT 1")
        assert second.own_backends and second.own_backends.isdisjoint(first.own_backends)
        other = Database(pg_db.url)  # the engine is one object's at a time
        try:
            assert other.engine is not engine
        finally:
            other.close()
    finally:
        second.close()


def test_commands_in_one_process_compile_their_statements_once(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    def intake(number: int) -> tuple[object, int]:
        """Run one ``incident add``; the engine kept after it and its compiled statements."""
        code = 0
        try:
            main(["--db", pg_db.url, "--now", "2026-11-26T02:31+08:00", "incident", "add",
                  "--summary", f"第{number}起测试接报"])  # fmt: skip
        except SystemExit as exc:
            code = int(exc.code or 0)
        assert code == 0
        kept = storage._SPARE_ENGINES.get(pg_db.url)
        assert kept is not None, "the command's engine was not kept for the next"
        return kept[0], len(kept[0]._compiled_cache or {})

    intake(0)  # the process's first: engine, dialect and statements made here
    engine, compiled = intake(1)
    assert intake(2) == (engine, compiled)  # the same engine, nothing compiled again
