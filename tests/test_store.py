"""The store: pragmas, migrations, refusal of unusable databases, fast reads."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from dutydesk.errors import DatabaseError
from dutydesk.storage.engine import HEAD_REVISION, Database, Query, as_utc, url_for
from dutydesk.storage.migrations import head_revision, known_revisions
from dutydesk.storage.models import Incident, Person
from dutydesk.storage.watch import change_watch
from dutydesk.vocab import Category, Channel, Classification, Severity, Status
from tests.locks import HAS_PROC_LOCKS, posix_locks


def test_head_revision_constant_matches_alembic() -> None:
    # The fast start-up check compares against this constant instead of importing Alembic.
    assert head_revision() == HEAD_REVISION
    assert HEAD_REVISION in known_revisions()


def test_first_open_creates_and_migrates(db_path: Path) -> None:
    database = Database(url_for(str(db_path)))
    assert database.ensure_schema() is True
    assert database.ensure_schema() is False  # second open: nothing to do
    tables = {row[0] for row in database.read("SELECT name FROM sqlite_master WHERE type='table'")}
    expected = {
        "incident",
        "timeline_entry",
        "person",
        "person_role",
        "shift",
        "assignment",
        "leave_registration",
        "bulletin",
        "bulletin_item",
        "handover",
        "audit_event",
        "meta",
        "alembic_version",
    }
    assert expected <= tables
    database.close()


@pytest.mark.sqlite_only("SQLite's own PRAGMAs")
def test_sqlite_runs_with_wal_full_sync_foreign_keys_and_busy_timeout(db: Database) -> None:
    assert db.read("PRAGMA journal_mode")[0][0] == "wal"
    assert db.read("PRAGMA synchronous")[0][0] == 2  # FULL
    assert db.read("PRAGMA foreign_keys")[0][0] == 1
    assert db.read("PRAGMA busy_timeout")[0][0] >= 5000
    with db.engine.connect() as conn:  # the ORM's connections get the same pragmas
        raw = conn.connection.dbapi_connection
        assert raw is not None
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), db.session() as session:  # noqa: PT012 - the second flush must fail inside the same session
        session.add(Person(name="x", clearance=Classification.INTERNAL))
        session.flush()
        from dutydesk.storage.models import PersonRole

        session.add(PersonRole(person_id=9999, role="duty_officer"))
        session.flush()


def test_times_are_stored_in_utc_and_come_back_aware(db: Database) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 26, 2, 14, tzinfo=ZoneInfo("Asia/Shanghai"))
    with db.session() as session:
        session.add(_incident(local))
    raw = db.read("SELECT received_at FROM incident")[0][0]
    if db.is_sqlite:
        assert raw.startswith("2026-11-25 18:14:00")  # UTC on disk
    else:  # timestamptz: the server keeps the instant and hands back an aware datetime
        assert raw == local and raw.tzinfo is not None
    with db.session() as session:
        stored = session.exec(select(Incident)).one()
    assert stored.received_at == local
    assert stored.received_at.tzinfo is not None
    assert as_utc(raw) == local


def test_naive_times_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"), db.session() as session:  # noqa: PT012 - the naive time fails at flush, inside the session
        session.add(_incident(datetime(2026, 11, 26, 2, 14)))
        session.flush()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"hello, this is not sqlite"), "is not a SQLite database"),
    ],
)
def test_unusable_paths_are_refused_in_words(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.sqlite3"
    setup(path)
    with pytest.raises(DatabaseError, match=message):
        Database(url_for(str(path))).ensure_schema()


@pytest.mark.skipif(not HAS_PROC_LOCKS, reason="reads Linux's /proc/locks")
def test_reopening_the_schema_keeps_this_process_sqlite_locks(db_path: Path) -> None:
    # `dutydesk demo --open` loads the demo, then opens the console on the same Database:
    # ensure_schema() ran again with connections open. It once read the file's header
    # with open()/close(), which dropped every fcntl lock of the process (issue 10, defect
    # 1); the next process to close its last connection then unlinked the WAL under us.
    database = Database(url_for(str(db_path)))
    database.ensure_schema()
    database.read("SELECT count(*) FROM incident")
    assert posix_locks(os.getpid(), db_path), "a WAL reader holds a SHARED lock"
    database.ensure_schema()
    assert posix_locks(os.getpid(), db_path), "ensure_schema dropped our SQLite locks"
    other = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM incident').fetchall(); c.close()"
    subprocess.run([sys.executable, "-c", other, str(db_path)], check=True)
    assert Path(f"{db_path}-wal").exists(), "another process unlinked the WAL under a live one"
    database.close()


def test_path_under_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="not a directory"):
        Database(url_for(str(blocker / "duty.sqlite3"))).ensure_schema()


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(DatabaseError, match="not a dutydesk database"):
        Database(url_for(str(path))).ensure_schema()


def test_newer_schema_is_refused(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    db.close()
    with pytest.raises(DatabaseError, match="newer dutydesk"):
        Database(db.url).ensure_schema()


def test_another_connections_commit_wakes_the_watch_and_reads_do_not(db: Database) -> None:
    # The console's watcher (issue 15): SQLite's PRAGMA data_version, polled; on a
    # server, LISTEN on this database's channel. Reads move neither.
    watch = change_watch(db)
    cancelled = threading.Event()
    try:
        db.read("SELECT count(*) FROM meta")
        assert not watch.wait(0.2, cancelled)  # our own reads change nothing
        other = Database(db.url)  # another process's connection, as far as the store knows
        with other.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        other.close()
        # Each wait returns at the change (a server's notification) or after its tick.
        assert any(watch.wait(0.05, cancelled) for _ in range(200))
    finally:
        watch.close()


def test_time_param_compares_with_stored_times(db: Database) -> None:
    moment = datetime(2026, 11, 25, 18, 14, tzinfo=UTC)
    with db.session() as session:
        session.add(_incident(moment))
    rows = db.read(
        "SELECT count(*) FROM incident WHERE received_at <= :t", {"t": db.time_param(moment)}
    )
    assert rows[0][0] == 1


def _incident(received: datetime) -> Incident:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    return Incident(
        serial="20261126-001",
        serial_date=received.date(),
        serial_no=1,
        received_at=received,
        channel=Channel.PHONE,
        category=Category.ACCIDENT,
        severity=Severity.II,
        severity_rank=1,
        title="燃气泄漏",
        summary="幸福路12号燃气泄漏",
        classification=Classification.INTERNAL,
        status=Status.RECEIVED,
        created_at=now,
        updated_at=now,
    )


@pytest.mark.sqlite_only("SQLite's connections")
def test_snapshots_and_plain_writes_open_no_connection_of_their_own(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each new connection parses the schema (~3 ms of CPU): a CLI write opened three,
    # one per read, snapshot and write (issue 16). Now the thread's idle one is lent.
    db.read("SELECT 1")
    opened: list[object] = []
    connect = sqlite3.connect

    def counted(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(args[0])
        connection: sqlite3.Connection = connect(*args, **kwargs)
        return connection

    monkeypatch.setattr(sqlite3, "connect", counted)
    with db.snapshot() as query:
        assert next(iter(query("SELECT count(*) AS n FROM meta", None))).n >= 0
    with db.write_connection() as connection:
        db.begin_write(connection)
        connection.execute("INSERT INTO meta (key, value) VALUES ('lent', 'yes')")
        connection.execute("COMMIT")
    assert db.read("SELECT value FROM meta WHERE key = 'lent'")[0][0] == "yes"
    assert opened == []


@pytest.mark.sqlite_only("SQLite's connections")
def test_a_read_inside_a_snapshot_neither_ends_nor_joins_it(db: Database) -> None:
    other = sqlite3.connect(str(db.path))

    def keys(query: Query) -> int:
        return int(next(iter(query("SELECT count(*) FROM meta WHERE key = 'k'", None)))[0])

    with db.snapshot() as query:
        assert keys(query) == 0
        with other:
            other.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        # A read meanwhile sees the commit (the spare connection), the snapshot does not.
        assert db.read("SELECT count(*) FROM meta WHERE key = 'k'")[0][0] == 1
        assert keys(query) == 0
        with db.snapshot() as inner:  # nested: a connection of its own
            assert keys(inner) == 1
        assert keys(query) == 0
    other.close()
    assert db.read("SELECT count(*) FROM meta WHERE key = 'k'")[0][0] == 1


@pytest.mark.sqlite_only("SQLite's connections")
def test_a_plain_write_not_committed_is_rolled_back_and_the_connection_given_back(
    db: Database,
) -> None:
    with db.write_connection() as connection:
        db.begin_write(connection)
        connection.execute("INSERT INTO meta (key, value) VALUES ('left', 'open')")
    assert not connection.in_transaction
    level: str | None = connection.isolation_level
    assert level == ""  # the read connection's mode, put back
    assert db.read("SELECT count(*) FROM meta WHERE key = 'left'")[0][0] == 0

    def fails() -> None:
        with db.write_connection() as connection:
            db.begin_write(connection)
            connection.execute("INSERT INTO meta (key, value) VALUES ('left', 'raised')")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fails()
    assert db.read("SELECT count(*) FROM meta WHERE key = 'left'")[0][0] == 0
