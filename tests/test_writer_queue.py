"""SQLite writers take the write lock in the order they asked for it (issue 16).

SQLite's busy handler let a newcomer overtake a writer that had waited seconds (8 CLI
writers: p99 6-10 s, median 0.2 s). ``Database.session`` now queues writers in ticket
order first (:mod:`dutydesk.storage.writer_queue`). Real processes, a real file: the
queue's locks belong to processes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from dutydesk.storage.engine import Database, sqlite_url
from dutydesk.storage.writer_queue import late, queue_path, tickets_taken, turn

WRITER = """
import sys
from pathlib import Path
from dutydesk.storage.engine import Database, sqlite_url
db_path, log, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
db = Database(sqlite_url(db_path))
with db.session():
    with log.open("a", encoding="utf-8") as handle:
        handle.write(name + "\\n")
db.close()
"""

HOLDER = """
import sys, time
from pathlib import Path
from dutydesk.storage.writer_queue import turn
with turn(Path(sys.argv[1]), patience=60):
    print("held", flush=True)
    sys.stdin.readline()  # killed while waiting here
"""


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    # The test's own interpreter on a fixed script: no shell, no outside input.
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_tickets(path: Path, count: int) -> None:
    """Wait until ``count`` tickets were taken (a writer is queued once it has one)."""
    deadline = time.monotonic() + 120
    while tickets_taken(path) < count:
        assert time.monotonic() < deadline, "a writer never queued"
        time.sleep(0.01)


def test_writers_get_the_lock_in_the_order_they_asked(tmp_path: Path) -> None:
    path, log = tmp_path / "desk.sqlite3", tmp_path / "order.txt"
    db = Database(sqlite_url(path))
    writers = []
    with db.session():  # this process holds the turn; the others queue behind it
        for number, name in enumerate(["first", "second", "third"], start=2):
            writers.append(_start(WRITER, str(path), str(log), name))
            _wait_for_tickets(path, number)
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    db.close()
    assert log.read_text(encoding="utf-8").split() == ["first", "second", "third"]
    assert queue_path(path).stat().st_mode & 0o777 == 0o600


def test_a_writer_that_died_holding_its_turn_holds_up_nobody(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    holder = _start(HOLDER, str(path))
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=60)
    with turn(path, patience=600):  # the kernel let go of the dead writer's locks
        assert tickets_taken(path) == 2
        assert not late()
    holder.communicate()


def test_a_stuck_writer_holds_the_next_up_for_the_patience_only(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    holder = _start(HOLDER, str(path))
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    with turn(path, patience=0.05):  # goes on, and SQLite waits no more: busy at once
        assert tickets_taken(path) == 2
        assert late()
    assert not late()
    holder.communicate(input="\n", timeout=60)
    assert holder.returncode == 0


def test_the_holder_may_open_another_writing_session(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    with (
        turn(path, patience=600),
        turn(path, patience=600),
    ):  # re-entered by its holder: no wait for itself
        assert tickets_taken(path) == 1
