"""Concurrent command-line writers on one store (issue 17, item 9), on both stores.

Real processes running the real CLI (``tests/concurrency_support.py``): four logging
follow-ups on one incident, eight registering incidents. On PostgreSQL the follow-ups
failed 287 of 400 with ``unexpected error (IntegrityError)``: two writers numbered their
entry from the same timeline. Every command must succeed, serials and timeline numbers
must run without a gap, and the record must verify. The PostgreSQL pass of the suite
(``DUTYDESK_TEST_DB=postgresql``) runs the same tests on a server; the full sizes are
measured by ``tests/bench/bench_concurrency.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dutydesk.storage.engine import Database
from tests.concurrency_support import run_writers
from tests.docs_support import run_cli

NOW = "2026-11-26T08:00+08:00"
FOLLOW_UPS = 20
"""Per process, four processes: on PostgreSQL before the fix a third of them failed."""
INTAKES = 10
"""Per process, eight processes."""


def _verified(capsys: pytest.CaptureFixture[str], db_arg: str) -> None:
    code, out, err = run_cli(capsys, db_arg, "verify", now=NOW)
    assert code == 0, out + err
    assert "Record intact" in out + err


def _gapless(numbers: list[int]) -> bool:
    return numbers == list(range(1, len(numbers) + 1))


def _chain_gapless(db: Database) -> bool:
    """Whether the links of entries and audit events together number 1..n, each once."""
    chain = db.read(
        "SELECT chain_seq FROM timeline_entry WHERE chain_seq IS NOT NULL "
        "UNION ALL SELECT chain_seq FROM audit_event WHERE chain_seq IS NOT NULL ORDER BY 1"
    )
    return _gapless([row[0] for row in chain])


@pytest.mark.slow
def test_four_processes_log_on_one_incident_without_a_failure(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys, db_arg, "incident", "add", "--summary", "幸福路燃气泄漏", "--operator", "值班员",
        now=NOW,
    )  # fmt: skip
    assert code == 0, err
    serial = out.split()[0]

    outcome = run_writers(db_arg, "log", 4, FOLLOW_UPS, tmp_path / "go", serial=serial)

    assert outcome.failures == []
    rows = db.read("SELECT seq, text FROM timeline_entry ORDER BY seq")
    assert _gapless([row.seq for row in rows])
    written = {row.text for row in rows[1:]}
    assert written == {f"P{p} {n}" for p in range(4) for n in range(FOLLOW_UPS)}
    version = db.read("SELECT version FROM incident")[0][0]
    assert version == 1 + 4 * FOLLOW_UPS  # no update lost
    _verified(capsys, db_arg)


@pytest.mark.slow
def test_eight_processes_register_without_a_failure_or_a_gap(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_writers(db_arg, "add", 8, INTAKES, tmp_path / "go")

    assert outcome.failures == []
    rows = db.read("SELECT serial_no, title FROM incident ORDER BY serial_no")
    assert _gapless([row.serial_no for row in rows])
    assert {row.title for row in rows} == {f"P{p}-{n}" for p in range(8) for n in range(INTAKES)}
    assert _chain_gapless(db)
    _verified(capsys, db_arg)


@pytest.mark.slow
def test_plain_and_orm_writers_at_once_leave_one_gapless_record(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 16: on SQLite `incident add` writes with plain SQL; a classified item's
    # register goes the ORM way. Both append to one chain under one lock: no gap, no fork, no failure.
    outcome = run_writers(db_arg, "mixed", 6, INTAKES, tmp_path / "go")

    assert outcome.failures == []
    rows = db.read("SELECT serial_no, title FROM incident ORDER BY serial_no")
    assert _gapless([row.serial_no for row in rows])
    assert len(rows) == 6 * INTAKES
    registered = db.read("SELECT count(*) FROM incident WHERE classification = 'secret'")
    assert registered[0][0] == 3 * INTAKES  # the ORM's writers did write
    assert _chain_gapless(db)
    _verified(capsys, db_arg)
