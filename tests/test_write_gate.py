"""The writers' line (issue 16): a SQLite writer that has waited queues on an OS lock.

While the write lock is held, the first writer to wait past the first wait takes the
head of the line and the next one sleeps on the line's ``flock`` (both seen in the
kernel's ``/proc/locks``, never by timing); once the lock is let go they write in that
order. A writer that does not take the line (the ``sqlite3`` module) still rules through
SQLite's own lock, a line that cannot be had leaves writes as they were, and a wait
that runs out ends in SQLite's busy error, as before the line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dutydesk.services.incidents.intake import NewIncident, register
from dutydesk.services.retry import transient_cause
from dutydesk.storage import engine, write_gate
from dutydesk.storage.engine import Database, url_for
from tests.request_support import request

pytestmark = pytest.mark.sqlite_only("the line queues SQLite writers; a server has no file")

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)

CHILD = """
import contextlib, io, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from dutydesk.cli.app import main
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.incidents.intake import NewIncident, register
from dutydesk.services.request import Request
from dutydesk.storage.engine import Database, url_for
import sqlmodel, sqlalchemy  # noqa: imported before the write

path, how, title = sys.argv[1:4]
print("ready", flush=True)
if how == "orm":  # a console's write: the ORM session
    tz = ZoneInfo("Asia/Shanghai")
    at = datetime(2026, 11, 26, 9, 0, tzinfo=tz)
    register(
        Request(db=Database(url_for(path)), now=at, tz=tz, actor_name=title,
                rules_source=load_rules()),
        NewIncident(received_at=at, channel="phone", category="accident", severity="III",
                    classification="internal", title=title, summary=title),
    )
else:  # the command line's plain write path
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["--db", path, "--now", "2026-11-26T09:00+08:00", "incident", "add",
                  "--summary", title, "--title", title, "--operator", title])
        except SystemExit as exc:
            assert not exc.code, exc.code
print("written", flush=True)
"""


def _report(title: str) -> NewIncident:
    return NewIncident(
        received_at=AT,
        channel="phone",
        category="accident",
        severity="III",
        classification="internal",
        title=title,
        summary=title,
    )


def _flocks(path: Path) -> list[tuple[bool, int]]:
    """The ``flock`` locks the kernel lists on ``path``: (waiting?, pid) each."""
    if not path.exists():
        return []
    inode = os.stat(path).st_ino
    found = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        waiting = len(fields) > 1 and fields[1] == "->"
        if waiting:
            fields = [fields[0], *fields[2:]]
        if fields[1] == "FLOCK" and int(fields[5].rsplit(":", 1)[1]) == inode:
            found.append((waiting, int(fields[4])))
    return found


def _until(condition: Callable[[], bool], children: list[subprocess.Popen[str]]) -> None:
    """Wait for ``condition()`` (polled), failing if a child ends first.

    The bound only stops a hung run; nothing is asserted about time.
    """
    guard = time.monotonic() + 60
    while not condition():
        for child in children:
            if child.poll() is not None:
                out, err = child.communicate()
                pytest.fail(f"a child ended first: {out} {err}")
        assert time.monotonic() < guard, "the awaited lock state never came"
        time.sleep(0.005)


def _child(db_path: Path, how: str, title: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path), how, title],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    return child


def _finished(child: subprocess.Popen[str]) -> None:
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert out.strip() == "written", out + err


def _titles(db: Database) -> list[str]:
    return [row[0] for row in db.read("SELECT title FROM incident ORDER BY serial_no")]


@contextmanager
def _held_by_a_foreign_writer(db_path: Path) -> Iterator[sqlite3.Connection]:
    """SQLite's write lock, held by a connection that knows nothing of the line."""
    foreign = sqlite3.connect(db_path, isolation_level=None)  # an older dutydesk, a shell
    try:
        foreign.execute("BEGIN IMMEDIATE")
        yield foreign
        foreign.execute("COMMIT")
    finally:
        foreign.close()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["plain", "orm"])
def test_waiting_writers_queue_in_the_kernel_and_write_in_turn(
    db: Database, db_path: Path, how: str
) -> None:
    line = write_gate.gate_path(db_path)
    with db.session() as session:  # this console's write holds SQLite's lock
        session.connection()  # BEGIN IMMEDIATE now: no line taken, the lock was free
        assert _flocks(line) == []
        first = _child(db_path, how, "first")
        # Past the first wait it heads the line (asking SQLite every millisecond) ...
        _until(lambda: (False, first.pid) in _flocks(line), [first])
        second = _child(db_path, how, "second")
        # ... and the next one sleeps on the line's lock, not in SQLite's busy handler.
        _until(lambda: (True, second.pid) in _flocks(line), [first, second])
        from dutydesk.services.incidents.incident import create_incident

        create_incident(request(db, now=AT), _report("holder"), session=session)
    _finished(first)
    _finished(second)
    assert _titles(db) == ["holder", "first", "second"]
    assert _flocks(line) == []  # every place let go


@pytest.mark.slow
def test_a_writer_without_the_line_still_rules_through_sqlites_lock(
    db: Database, db_path: Path
) -> None:
    line = write_gate.gate_path(db_path)
    with _held_by_a_foreign_writer(db_path) as foreign:
        first = _child(db_path, "plain", "first")
        _until(lambda: (False, first.pid) in _flocks(line), [first])
        foreign.execute("UPDATE chain_state SET id = id")  # it writes, unqueued
        assert first.poll() is None  # the head of the line is still waiting for SQLite
    _finished(first)
    assert _titles(db) == ["first"]


def test_a_line_that_cannot_be_opened_leaves_writes_to_sqlite(db: Database, db_path: Path) -> None:
    write_gate.gate_path(db_path).mkdir()  # where the file should be: no file, as root too
    assert write_gate.enter(db_path, 1.0) is None
    register(request(db, now=AT), _report("unqueued"))
    with _held_by_a_foreign_writer(db_path):
        child = _child(db_path, "plain", "waited")  # waits in SQLite's busy handler
    _finished(child)
    assert _titles(db) == ["unqueued", "waited"]


def test_a_wait_past_the_busy_timeout_ends_in_sqlites_busy_error(
    db: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)
    assert db.path is not None
    ahead = write_gate.enter(db_path, 1.0)  # another writer heads the line meanwhile
    assert ahead is not None
    try:
        with db.write_connection() as connection, _held_by_a_foreign_writer(db_path):
            for _ in range(2):  # queued behind ``ahead``, then at the head itself
                with pytest.raises(sqlite3.OperationalError) as caught:
                    db.begin_write(connection)
                # The error the retry loop turns into today's "store busy" refusal.
                assert transient_cause(caught.value) == "busy"
                assert not connection.in_transaction
                ahead.let_go()
        busy_timeout = connection.execute("PRAGMA busy_timeout").fetchone()[0]
        assert busy_timeout == 200  # left as the store's, not the line's
    finally:
        ahead.let_go()


def test_the_lines_file_is_private_and_let_go(db_path: Path) -> None:
    held = write_gate.enter(db_path, 1.0)
    line = write_gate.gate_path(db_path)
    assert held is not None and _flocks(line) == [(False, os.getpid())]
    assert line.stat().st_mode & 0o777 == 0o600
    # flock belongs to the open file: another thread of this console queues too.
    assert write_gate.enter(db_path, 0.0) is None
    held.let_go()
    held.let_go()  # once only
    assert _flocks(line) == []
    again = write_gate.enter(db_path, 0.0)
    assert again is not None
    again.let_go()


def test_a_line_in_a_read_only_folder_is_passed_by(tmp_path: Path) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    folder.chmod(0o555)
    script = (
        "import sys; from pathlib import Path; from dutydesk.storage import write_gate; "
        "print(write_gate.enter(Path(sys.argv[1]), 1.0))"
    )
    prefix: list[str] = []
    if os.geteuid() == 0:  # root writes anywhere: drop that power for the child
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("as root this needs setpriv to drop CAP_DAC_OVERRIDE")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    try:
        # Our own interpreter and a fixed script: no shell, no user input.
        done = subprocess.run(
            [*prefix, sys.executable, "-c", script, str(folder / "duty.sqlite3")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        folder.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
    assert not write_gate.gate_path(folder / "duty.sqlite3").exists()


def test_the_line_sits_beside_the_database_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "值班 室#1" / "duty.sqlite3"
    assert Database(url_for(str(path))).path == path
    assert write_gate.gate_path(path) == tmp_path / "值班 室#1" / "duty.sqlite3-gate"
