"""Which commands may create a database: ``init``, ``demo`` and the console; no other."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dutydesk.cli.app import main

NOW = "2026-11-26T02:31+08:00"

READS_AND_WRITES = [
    ("incident", "list"),
    ("incident", "show", "20261126-001"),
    ("incident", "add", "--summary", "市民来电反映停电"),
    ("handover", "--preview"),
    ("export", "daily"),
    ("verify",),
    ("backup", "copy.sqlite3"),
    ("user", "list"),
    ("audit", "list"),
    ("roster", "show"),
    ("leave", "list"),
    ("bulletin", "list"),
    ("trends",),
    ("report", "weekly"),
    ("drill", "report"),
]


Run = Callable[..., tuple[int, str, str]]
"""The ``run`` fixture: ``dutydesk ARGS`` in-process; (exit code, stdout, stderr)."""


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")
    monkeypatch.setenv("DUTYDESK_PIN", "1111")
    monkeypatch.setenv("DUTYDESK_NEW_PIN", "2468")

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        try:
            main(["--now", NOW, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.mark.parametrize("args", READS_AND_WRITES, ids=" ".join)
def test_a_mistyped_db_is_refused_and_not_created(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "dutty.sqlite3"
    code, out, err = run("--db", str(typo), *args)
    assert code == 6, err  # its own exit code (issue 17): not a damaged or refused input
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dutydesk: error: no database at {typo}:"), lines[0]
    assert "No incidents match" not in out + err
    assert not typo.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no -wal, -shm, key or copy


def test_the_default_database_is_not_created_by_a_read(run: Run, tmp_path: Path) -> None:
    code, _, err = run("incident", "list")
    assert code == 6 and len(err.strip().splitlines()) == 1, err
    assert "dutydesk init" in err  # says how to make one
    assert not any(Path(tmp_path).rglob("dutydesk.sqlite3"))


def test_in_chinese_the_refusal_is_chinese(run: Run, tmp_path: Path) -> None:
    code, _, err = run("--lang", "zh_CN", "--db", str(tmp_path / "x.sqlite3"), "incident", "list")
    assert code == 6
    assert "数据库" in err


def test_init_demo_still_create(run: Run, tmp_path: Path) -> None:
    fresh = tmp_path / "new.sqlite3"
    code, _, err = run("--db", str(fresh), "init", "--name", "赵建国")
    assert code == 0, err
    assert fresh.is_file()
    demo = tmp_path / "demo.sqlite3"
    code, _, err = run("demo", "--db", str(demo))
    assert code == 0, err
    assert demo.is_file()
    # and once it exists, a read works
    code, out, err = run("--db", str(demo), "incident", "list", "--operator", "李晓明")
    assert code == 0, err
    assert "20261126" in out


@pytest.mark.parametrize("args", [("verify",), ("backup", "copy.sqlite3")], ids=" ".join)
def test_an_empty_file_is_no_database_for_verify_and_backup(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    """A 0-byte file (a full disk leaves one) is not migrated and called "intact"."""
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "duty.sqlite3"
    empty.touch()
    code, out, err = run("--db", str(empty), *args)
    assert code == 6, err
    assert err.strip().splitlines() == [err.strip()]
    assert f"no database at {empty}" in err and "empty" in err
    assert "intact" not in out + err
    assert empty.stat().st_size == 0  # nothing written into it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["duty.sqlite3"]


def test_a_file_with_no_tables_is_no_database(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a creation on a full disk leaves: a SQLite file (4 KiB, WAL) with no schema."""
    import sqlite3

    monkeypatch.chdir(tmp_path)
    half = tmp_path / "duty.sqlite3"
    connection = sqlite3.connect(half)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    size = half.stat().st_size
    assert size > 0
    for args in (("verify",), ("incident", "list")):
        code, out, err = run("--db", str(half), *args)
        assert code == 6, err
        assert f"no database at {half}" in err and "intact" not in out + err
    assert half.stat().st_size == size  # not migrated
    # SQLite's own -wal/-shm of a read (WAL mode), nothing of ours: no key, no copy.
    made = {p.name for p in tmp_path.iterdir()} - {"duty.sqlite3-wal", "duty.sqlite3-shm"}
    assert made == {"duty.sqlite3"}
