"""A damaged or read-only SQLite file (issue 17, item 16): read it, verify it, write nothing.

Real files: the damage is bytes overwritten in a b-tree page of a real database (after a
checkpoint, so the page is in the main file), and a read-only database is one the child
process really cannot write (as root, ``setpriv`` drops the capability that lets root
write any file).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.docs_support import run_cli

pytestmark = pytest.mark.sqlite_only("the damage is to a SQLite file's pages")

PYTHON = sys.executable
NOW = "2026-11-26T02:31+08:00"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], sqlite_file: Path) -> Cli:
    """``dutydesk --db <file> ARGS`` in-process: (exit code, stdout, stderr)."""
    return lambda *args: run_cli(capsys, sqlite_file, *args, now=NOW)


def _add(cli: Cli, summary: str) -> tuple[int, str, str]:
    return cli("incident", "add", "--summary", summary, "--operator", "值班员")


def _damage_an_index(path: Path) -> None:
    """Overwrite the page header of the audit events' object index with garbage."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'ix_audit_event_object'"
        ).fetchone()[0]
    connection.close()
    with path.open("r+b") as file:
        file.seek((root - 1) * size)
        file.write(b"\xff" * 16)  # no b-tree page starts with type 0xff


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_damaged_file_refuses_writes_and_keeps_serving_reads(cli: Cli, sqlite_file: Path) -> None:
    code, out, err = _add(cli, "幸福路燃气泄漏")
    assert code == 0, err
    serial = out.split()[0]
    _damage_an_index(sqlite_file)
    before = sqlite_file.read_bytes()

    code, out, err = _add(cli, "光明路积水")
    assert code != 0
    line = _one_line(err)
    assert f"{sqlite_file} is damaged" in line, line
    assert "nothing was written" in line and "dutydesk verify" in line, line
    assert "backup" in line, line
    assert sqlite_file.read_bytes() == before  # not a byte written

    code, out, err = cli("incident", "list")
    assert code == 0, err
    assert serial in out and "光明路" not in out

    code, out, err = cli("verify")
    assert code != 0  # damaged: verify says so, in words
    assert "Traceback" not in out + err
    assert (
        "ix_audit_event_object" in out + err or "malformed" in out + err or "corrupt" in (out + err)
    ), out + err


def test_a_sound_file_is_written_as_before(cli: Cli) -> None:
    code, _, err = _add(cli, "幸福路燃气泄漏")
    assert code == 0, err
    code, _, err = _add(cli, "光明路积水")
    assert code == 0, err


def _child(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m dutydesk`` unable to override file modes, even as root."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("as root this needs setpriv to drop CAP_DAC_OVERRIDE")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    # Our own interpreter and module, fixed arguments: no shell, no user input.
    return subprocess.run(
        [*prefix, PYTHON, "-m", "dutydesk", "--now", NOW, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_can_be_listed_and_verified(
    cli: Cli, sqlite_file: Path, what: str
) -> None:
    code, out, err = _add(cli, "幸福路燃气泄漏")
    assert code == 0, err
    serial = out.split()[0]
    with sqlite3.connect(sqlite_file) as connection:  # the -wal folded in, -shm left
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    folder = sqlite_file.parent
    if what == "folder":  # a copy on read-only media: the file alone, no -shm beside it
        folder = sqlite_file.parent / "media"
        folder.mkdir()
        sqlite_file = Path(shutil.copy2(sqlite_file, folder / sqlite_file.name))
        folder.chmod(0o555)
    else:
        # Read-only for its owner and private, as dutydesk keeps it (0444 would also be
        # world-readable, which is warned about: issue 17 item 6).
        sqlite_file.chmod(0o400)
    try:
        listed = _child("--db", str(sqlite_file), "incident", "list")
        assert listed.returncode == 0, listed.stderr
        assert serial in listed.stdout
        verified = _child("--db", str(sqlite_file), "verify")
        assert verified.returncode == 0, verified.stderr + verified.stdout
        assert "Record intact" in verified.stdout + verified.stderr
        added = _child(
            "--db", str(sqlite_file), "incident", "add", "--summary", "光明路积水",
            "--operator", "值班员",
        )  # fmt: skip
        assert added.returncode != 0
        line = added.stderr.strip()
        assert "\n" not in line and "Traceback" not in line, added.stderr
        assert f"{sqlite_file} is read-only" in line, line
    finally:
        folder.chmod(0o755)
        sqlite_file.chmod(0o600)
