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
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from dutydesk.cli.runtime import ConsoleStart, prepare_console
from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.errors import DatabaseError
from dutydesk.storage.engine import Database, url_for
from dutydesk.tui.app import DutyDeskApp
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


def _damage_an_index(path: Path, index: str = "ix_audit_event_object") -> None:
    """Overwrite the page header of ``index`` (the audit events' object index) with garbage."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)
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


@pytest.mark.parametrize("command", ["add", "log"])
def test_a_plain_write_that_touches_no_damaged_page_is_refused_too(
    cli: Cli, sqlite_file: Path, command: str
) -> None:
    """The CLI's plain-SQL write path (add, log) asks the file check as the ORM's does.

    The damage is in the bulletins' index, which neither write reads or writes: SQLite
    itself would commit them on the damaged file.
    """
    code, out, err = _add(cli, "幸福路燃气泄漏")
    assert code == 0, err
    serial = out.split()[0]
    _damage_an_index(sqlite_file, "ix_bulletin_status_created")
    before = sqlite_file.read_bytes()
    if command == "add":
        code, out, err = _add(cli, "光明路积水")
    else:
        code, out, err = cli(
            "incident", "log", serial, "note", "--text", "现场已处置", "--operator", "值班员"
        )
    assert code != 0
    line = _one_line(err)
    assert f"{sqlite_file} is damaged" in line and "nothing was written" in line, line
    assert sqlite_file.read_bytes() == before


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


class _GatedCheck:
    """``Database._quick_check`` held until the verdict is asked for: a file made slow.

    Records the thread the check ran in and what the caller had by the time it started;
    it goes on (to the real check) once the database is asked to start checking now
    (a write, or the console's first frame, sets its ``_check_go``) or after 5 s (the
    old code checks inside ``prepare_console`` and would otherwise wait for ever).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked = threading.Event()
        self.threads: list[threading.Thread] = []
        self.seen: list[object] = []
        self.look: Callable[[], object] = lambda: None
        self.interrupt = False
        original = Database._quick_check
        gate = self

        def gated(database: Database, *, apart: bool = False) -> str | None:
            gate.threads.append(threading.current_thread())
            gate.asked.wait(5)
            gate.seen.append(gate.look())
            if gate.interrupt and len(gate.threads) == 1:
                database._check_unfinished = True  # as close() interrupting SQLite leaves it
                return None
            return original(database, apart=apart)

        monkeypatch.setattr(Database, "_quick_check", gated)

    def watch(self, database: Database) -> None:
        """Note when ``database`` is asked to start its check."""
        asked = self.asked

        class Asked(threading.Event):
            def set(self) -> None:
                asked.set()
                super().set()

        database._check_go = Asked()


def _console_database(path: Path, gate: _GatedCheck) -> tuple[Database, ConsoleStart]:
    database = Database(url_for(str(path)))
    gate.watch(database)
    return database, prepare_console(Settings(), database)


def test_the_console_reads_its_first_rows_before_the_file_check(
    cli: Cli, sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: quick_check (78 ms at 20 MB) no longer runs before the first frame.

    The launcher's reads come first; the check runs in a thread of its own, and the
    first write waits for its verdict: on a damaged file, refused in one line, with not
    a byte written (issue 17).
    """
    code, _, err = _add(cli, "幸福路燃气泄漏")
    assert code == 0, err
    _damage_an_index(sqlite_file)
    before = sqlite_file.read_bytes()
    gate = _GatedCheck(monkeypatch)
    database, start = _console_database(sqlite_file, gate)
    try:
        assert start.first_rows is not None and len(start.first_rows) == 1
        assert not gate.asked.is_set()  # read with no verdict asked for yet
        with pytest.raises(DatabaseError) as refused, database.session() as session:
            session.execute(text("DELETE FROM incident"))
        assert f"{sqlite_file} is damaged" in str(refused.value)
        assert gate.threads and gate.threads[0] is not threading.main_thread()
    finally:
        database.close()
    assert sqlite_file.read_bytes() == before


def test_a_sound_file_opened_by_the_console_takes_writes(
    sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = _GatedCheck(monkeypatch)
    database, _ = _console_database(sqlite_file, gate)
    try:
        assert database.write_refusal is None  # asks for the verdict, and waits for it
        assert gate.asked.is_set() and len(gate.threads) == 1
        with database.session() as session:
            session.execute(text("UPDATE chain_state SET seq = seq WHERE id = 1"))
    finally:
        database.close()


def test_closing_the_console_before_the_check_keeps_the_verdict(
    cli: Cli, sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console quit at once stops its check; a later write still waits for a verdict."""
    code, _, err = _add(cli, "幸福路燃气泄漏")
    assert code == 0, err
    _damage_an_index(sqlite_file)
    gate = _GatedCheck(monkeypatch)
    gate.interrupt = True
    database, _ = _console_database(sqlite_file, gate)
    database.close()
    try:
        refusal = database.write_refusal  # checked again, here
        assert refusal is not None and f"{sqlite_file} is damaged" in refusal
        assert gate.threads[1] is threading.main_thread()
    finally:
        database.close()


async def test_the_console_draws_its_rows_before_the_file_check(
    cli: Cli, sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check starts once the first frame with the queue's rows is drawn."""
    code, out, err = _add(cli, "幸福路燃气泄漏")
    assert code == 0, err
    serial = out.split()[0]
    gate = _GatedCheck(monkeypatch)
    database, start = _console_database(sqlite_file, gate)
    app = DutyDeskApp(
        database, Settings(), FrozenClock(datetime.fromisoformat(NOW)), "en",
        first_rows=start.first_rows,
    )  # fmt: skip

    def drawn() -> object:
        return app.main.queue.render_line(1).text

    gate.look = drawn
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            database.write_refusal  # noqa: B018 - waits for the verdict
            assert gate.seen and serial in str(gate.seen[0]), gate.seen
            assert database.write_refusal is None
    finally:
        database.close()
