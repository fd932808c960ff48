"""The store's open counter (migration 0026, issue 16): right after every kind of write.

The console's queue height and status line read one row (``open_count``) instead of a
``count(*)`` of the queue's index. Each test runs on SQLite and, in the second pass, on
PostgreSQL (the ``db`` fixture); the yardstick is always the count of the rows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from dutydesk.services.incidents.intake import register
from dutydesk.services.incidents.queue import count_open, open_counts, recount_open
from dutydesk.services.integrity.verify import verify
from dutydesk.storage.engine import Database, url_for
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.migration_support import migrate
from tests.request_support import intake
from tests.test_integrity import fill

NOW = DEMO_MOMENT


def insert(db: Database, count: int, *, is_open: bool = True, first: int = 1) -> None:
    """``count`` incidents by plain SQL, as a script or a bulk load would write them."""
    rows = [
        {
            "serial": f"20261126-{first + index:05d}",
            "serial_no": first + index,
            "day": "2026-11-26" if db.is_sqlite else NOW.date(),
            "at": db.time_param(NOW + timedelta(minutes=index)),
            "open": is_open,
            "status": "following" if is_open else "closed",
        }
        for index in range(count)
    ]
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incident (serial, serial_date, serial_no, received_at, channel, "
                "category, severity, severity_rank, title, summary, classification, status, "
                "is_open, due_at, due_step, created_at, updated_at, reporter_name, "
                "reporter_unit, reporter_phone, location, assigned_leader, "
                "assigned_department, version) VALUES (:serial, :day, :serial_no, :at, "
                "'phone', 'other', 'IV', 3, 'x', 'x', 'internal', :status, :open, :at, "
                "'continued_report', :at, :at, '', '', '', '', '', '', 1)"
            ),
            rows,
        )


def write(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def agrees(db: Database) -> int:
    """The counter, asserted equal to the count of the open rows."""
    stored = count_open(db)
    assert stored == recount_open(db)
    return stored


def test_the_counter_follows_opens_closes_and_deletes(db: Database) -> None:
    assert agrees(db) == 0
    insert(db, 30)
    insert(db, 7, is_open=False, first=100)
    assert agrees(db) == 30
    write(db, "UPDATE incident SET is_open = FALSE, status = 'closed' WHERE serial_no <= 10")
    assert agrees(db) == 20
    # Closing a closed one again, or a change to another column, moves nothing.
    write(db, "UPDATE incident SET is_open = FALSE WHERE serial_no <= 5")
    write(db, "UPDATE incident SET title = 'y', due_at = NULL")
    assert agrees(db) == 20
    write(db, "UPDATE incident SET is_open = TRUE, status = 'following' WHERE serial_no >= 100")
    assert agrees(db) == 27
    write(db, "DELETE FROM incident WHERE serial_no IN (1, 2, 20, 21, 100)")  # 2 closed, 3 open
    assert agrees(db) == 24
    # A dutydesk intake counts too, and the status line's pair agrees with the rows.
    register(*intake(db, **_report(NOW)))
    assert agrees(db) == 25
    overdue = db.read(
        "SELECT count(*) FROM incident WHERE is_open = TRUE AND due_at < :now",
        {"now": db.time_param(NOW + timedelta(minutes=15))},
    )[0][0]
    assert open_counts(db, NOW + timedelta(minutes=15)) == (25, overdue)


def _report(received: object, title: str = "燃气泄漏") -> dict[str, object]:
    return {
        "received_at": received,
        "channel": "phone",
        "category": "accident",
        "severity": "IV",
        "classification": "internal",
        "title": title,
        "summary": f"{title}，幸福路12号",
        "now": received,
        "tz": SHANGHAI,
    }


def _in_threads(url: str, work: Callable[[Database, int], None], threads: int) -> None:
    """``work(own_database, n)`` in ``threads`` threads at once, each its own connection."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def run(number: int, url: str) -> None:
        other = Database(url)
        try:
            start.wait(30)
            work(other, number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            other.close()

    running = [threading.Thread(target=run, args=(n, url)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(120)
    assert not errors, errors


def test_concurrent_writers_lose_no_change(db: Database) -> None:
    insert(db, 80)

    def close_and_open(other: Database, number: int) -> None:
        # Each thread closes its own ten and opens two new ones, one statement each.
        for serial in range(number * 20 + 1, number * 20 + 11):
            write(other, "UPDATE incident SET is_open = FALSE WHERE serial_no = :n", n=serial)
        insert(other, 2, first=1_000 + number * 10)

    _in_threads(db.url, close_and_open, 4)
    assert agrees(db) == 80 - 40 + 8

    def intakes(other: Database, number: int) -> None:
        for index in range(3):
            at = NOW + timedelta(minutes=number * 10 + index)
            register(*intake(other, **_report(at, f"第{number}-{index}起")))

    _in_threads(db.url, intakes, 3)
    assert agrees(db) == 48 + 9


def test_verify_finds_a_wrong_counter_says_so_and_sets_it_right(db: Database) -> None:
    fill(db)
    assert verify(db).ok
    # Written around the triggers (a bulk load with them off, a data-only restore).
    write(db, "UPDATE open_count SET open_count = 999")
    report = verify(db)
    # Not the record (which is intact), but said in words, and set right.
    assert report.ok and report.repaired == [
        "the queue's open count said 999 open incidents, but 3 are open (incidents were "
        "written with the store's triggers off, e.g. a bulk load or a data-only restore): "
        "it is set to 3 now"
    ]
    assert agrees(db) == 3
    again = verify(db)
    assert again.ok and again.repaired == []


@contextmanager
def read_only_copy(db: Database, place: Path) -> Iterator[Database]:
    """The test's database where nothing can be written: a server session set read-only,
    or, on SQLite, a copy on a small tmpfs remounted read-only (root ignores file modes).
    """
    if not db.is_sqlite:
        sep = "&" if "?" in db.url else "?"
        reader = Database(f"{db.url}{sep}options=-c%20default_transaction_read_only%3Don")
        yield reader
        reader.close()
        return
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs to remount read-only needs root")
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("no mount and umount commands here")
    assert db.path is not None
    place.mkdir()
    done = subprocess.run([mount, "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(place)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        # SQLite's own copy: the pages in the WAL included.
        with (
            closing(sqlite3.connect(db.path)) as source,
            closing(sqlite3.connect(place / db.path.name)) as target,
        ):
            source.backup(target)
        key = Path(f"{db.path}.key")
        if key.exists():  # made with the first classified write
            shutil.copy2(key, place)
        subprocess.run([mount, "-o", "remount,ro", str(place)], check=True)
        reader = Database(url_for(str(place / db.path.name)))
        reader.ensure_schema()  # at open: it says the file cannot be written
        yield reader
        reader.close()
    finally:
        subprocess.run([umount, "-l", str(place)], check=False)


def test_verify_where_it_cannot_write_says_so_and_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    fill(db)
    write(db, "UPDATE open_count SET open_count = 999")
    with read_only_copy(db, tmp_path / "ro") as reader:
        report = verify(reader)
        assert reader.read("SELECT open_count FROM open_count")[0][0] == 999
    # The record is intact, but the counter is wrong and stays so: a problem, in words.
    assert not report.ok and report.repaired == []
    (said,) = report.problems
    assert said.startswith(
        "the queue's open count says 999 open incidents, but 3 are open (incidents were "
        "written with the store's triggers off); it could not be set right here ("
    ), said
    assert said.endswith("): run `dutydesk verify` where the database can be written"), said
    assert count_open(db) == 999 and recount_open(db) == 3


def test_migration_0026_downgrades_and_upgrades(db: Database) -> None:
    insert(db, 5)
    migrate(db, "downgrade", "0025")
    tables = (
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE 'open_%'"
        if db.is_sqlite
        else "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'open_count%' "
        "UNION ALL SELECT tablename FROM pg_tables WHERE tablename = 'open_count'"
    )
    assert db.read(tables) == []
    insert(db, 4, first=50)  # written at 0025: the upgrade counts them
    insert(db, 3, is_open=False, first=60)
    migrate(db, "upgrade", "0026")
    assert len(db.read(tables)) == (4 if db.is_sqlite else 3)
    assert agrees(db) == 9
    insert(db, 1, first=70)
    assert agrees(db) == 10


def test_the_verify_command_says_it_set_the_count_right_and_the_record_is_intact(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dutydesk.cli.app import main

    fill(db)
    write(db, "UPDATE open_count SET open_count = 0")
    try:
        main(["--db", db_arg, "verify"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    said = capsys.readouterr().out
    assert code == 0, said
    assert "the queue's open count said 0 open incidents, but 3 are open" in said
    assert "Record intact" in said
    assert agrees(db) == 3
