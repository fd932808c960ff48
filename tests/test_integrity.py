"""The record's integrity: hash chain, ``verify``, crash safety, online backup."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest

from dutydesk.rules.chain import GENESIS, ChainHead, hashed_form, link_hash
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.accounts import audit
from dutydesk.services.incidents.followup import NewEntry, add_entry
from dutydesk.services.incidents.incident import create_incident
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.services.integrity.chain import chain_head, session_head
from dutydesk.services.integrity.verify import backup, verify
from dutydesk.storage.engine import Database, url_for
from dutydesk.storage.models import Handover
from dutydesk.vocab import EntryKind
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.request_support import request

NOW = DEMO_MOMENT


def fill(db: Database, incidents: int = 3, notes: int = 3) -> None:
    """Incidents with a few notes each, and an audit event in between."""
    rules = load_rules()
    for number in range(incidents):
        with db.session() as session:
            incident = create_incident(
                request(session, actor_name="孙丽", now=NOW, tz=SHANGHAI, rules=rules),
                NewIncident(
                    received_at=NOW,
                    channel="phone",
                    category="other",
                    severity="IV",
                    classification="internal",
                    title=f"事件{number}",
                    summary=f"事件{number}的内容",
                ),
                session=session,
            )
            for note in range(notes):
                add_entry(
                    request(session, now=NOW, rules=rules),
                    incident,
                    NewEntry(kind=EntryKind.NOTE, occurred_at=NOW, text=f"第{note}条"),
                    session=session,
                )
            audit.record(session, None, "test", "incident", incident.serial, "", NOW)


def raw(db: Database, sql: str, *params: object) -> None:
    """Tamper behind dutydesk's back, as someone with the file and sqlite3 would.

    On a server: someone with a login to it, in psql (``?`` becomes psycopg's ``%s``).
    """
    if db.path is None:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(sql.replace("?", "%s"), params)
        return
    connection = sqlite3.connect(db.path)
    connection.execute(sql, params)
    connection.commit()
    connection.close()


def test_links_cover_content_and_previous_hash(db: Database) -> None:
    fill(db, incidents=1, notes=1)
    rows = db.read("SELECT chain_seq, prev_hash, hash FROM timeline_entry ORDER BY chain_seq")
    # Issue 17: the first link says the record has state facts; the incident's fact follows.
    first = db.read("SELECT prev_hash, action FROM audit_event WHERE chain_seq = 1")
    assert first == [(GENESIS, "state_baseline")]
    hashes: dict[int, str] = dict(
        db.read(
            "SELECT chain_seq, hash FROM audit_event UNION ALL "
            "SELECT chain_seq, hash FROM timeline_entry"
        )
    )
    assert len(rows) == 2 and all(row[1] == hashes[row[0] - 1] for row in rows)
    newest = db.read("SELECT chain_seq, hash FROM audit_event ORDER BY chain_seq DESC LIMIT 1")
    assert chain_head(db) == ChainHead(newest[0][0], newest[0][1])
    content = {
        "occurred_at": NOW,
        "actor_id": None,
        "action": "a",
        "object_type": "",
        "object_id": "",
        "detail": "",
    }
    assert link_hash(GENESIS, "audit_event", 1, content) != link_hash(
        "1" * 64, "audit_event", 1, content
    )
    assert (
        hashed_form("enc:v1:k1:WRAP:SEALED")
        == hashed_form("enc:v1:k2:OTHER:SEALED")
        == "enc:v1:SEALED"
    )
    report = verify(db)
    assert report.ok and report.links == newest[0][0] and report.integrity == "ok", report.problems


def test_a_changed_middle_entry_is_named(db: Database) -> None:
    fill(db)
    raw(db, "UPDATE timeline_entry SET text = '改过的' WHERE incident_id = 2 AND seq = 3")
    entry_id = db.read("SELECT id FROM timeline_entry WHERE incident_id = 2 AND seq = 3")[0][0]
    problems = verify(db).problems
    assert problems == [
        f"timeline entry {entry_id} (20261126-002 seq 3) was changed after it was written: "
        "its hash does not match"
    ]


def test_a_deleted_middle_entry_is_found(db: Database) -> None:
    fill(db)
    raw(db, "DELETE FROM timeline_entry WHERE incident_id = 2 AND seq = 2")
    problems = verify(db).problems
    assert len(problems) == 1 and "are missing: records after " in problems[0]


def test_deleting_the_newest_records_is_found_against_the_handover(db: Database) -> None:
    fill(db)
    with db.session() as session:  # the handover acknowledges the head it saw
        head = session_head(session)
        session.add(
            Handover(
                period_start=NOW - timedelta(hours=9),
                period_end=NOW,
                generated_at=NOW,
                acknowledged_by="孙丽,王立新",
                acknowledged_at=NOW,
                chain_head=str(head),
            )
        )
    assert verify(db).ok and verify(db).acknowledged == head
    last = head.seq  # the handover's own state fact follows it (issue 17)
    raw(db, "DELETE FROM audit_event WHERE chain_seq >= ?", last - 1)
    raw(db, "DELETE FROM timeline_entry WHERE chain_seq >= ?", last - 1)
    assert any("the newest records were deleted" in p for p in verify(db).problems)
    # The careful forger also rewinds the head row: the handover still knows.
    hash_before = db.read(
        f"SELECT hash FROM timeline_entry WHERE chain_seq = {last - 2} "  # noqa: S608 - an int computed by the test
        f"UNION ALL SELECT hash FROM audit_event WHERE chain_seq = {last - 2}"
    )[0][0]
    raw(db, "UPDATE chain_state SET seq = ?, hash = ?", last - 2, hash_before)
    problems = verify(db).problems
    assert (
        "records were deleted: the handover acknowledged 2026-11-25 18:31 UTC by 孙丽,王立新 "
        f"ended at link {last}, the record now ends at link {last - 2}"
    ) in problems
    # ... and the head key's signature (issue 17) no longer fits the head row.
    assert any("is not the one this desk's head key signed" in p for p in problems)


def test_verify_command_exit_codes(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dutydesk.cli.app import main

    fill(db, incidents=1)
    main(["--db", db_arg, "verify"])
    lines = capsys.readouterr().out.splitlines()
    intact = next(line for line in lines if line.startswith("Record intact: "))
    links = db.read("SELECT seq FROM chain_state")[0][0]
    assert intact.startswith(f"Record intact: {links} links, head #{links} ")
    assert " ✓" in intact  # signed with the head key (issue 17)
    assert lines[-1].startswith("Head signed with this desk's head key: ")
    if not db.is_sqlite:  # the server's own check comes first (tests/test_pg_verify.py)
        assert lines[0].startswith("PostgreSQL amcheck: ") and lines[0].endswith(" 0 damaged.")
    raw(db, "UPDATE audit_event SET detail = 'x' WHERE action = 'test'")
    event = db.read("SELECT id FROM audit_event WHERE action = 'test'")[0][0]
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", db_arg, "verify"])
    assert exit_info.value.code == 4
    captured = capsys.readouterr()
    assert captured.err.endswith(
        "dutydesk: error: the record is NOT intact: 1 problem(s), listed above\n"
    )
    assert f"audit event {event} (test) was changed after it was written" in captured.out


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from zoneinfo import ZoneInfo
    from dutydesk.rules.deadlines import load_rules
    from dutydesk.services.incidents.followup import NewEntry, add_entry
    from dutydesk.services.incidents.incident import create_incident
    from dutydesk.services.incidents.intake import NewIncident
    from dutydesk.services.request import Request
    from dutydesk.storage.engine import Database, url_for
    now = datetime(2026, 11, 26, 2, 31, tzinfo=ZoneInfo("Asia/Shanghai"))
    db, rules = Database(url_for(sys.argv[1])), load_rules()
    req = Request(db=db, now=now, tz=ZoneInfo("Asia/Shanghai"), rules_source=rules)
    with db.session() as session:
        incident = create_incident(req, NewIncident(received_at=now, channel="phone",
            category="other", severity="IV", classification="internal", title="t",
            summary="s"), session=session)
    number = 0
    while True:
        number += 1
        with db.session() as session:
            incident = session.merge(incident)
            add_entry(req, incident, NewEntry(kind="note", occurred_at=now,
                      text=f"note {number}"), session=session)
        print(number, flush=True)
    """
)


def _start_writer(db_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path)], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).parent.parent,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.sqlite_only("removes SQLite's write-ahead log after kill -9 (a server has none)")
def test_kill_9_mid_write_then_wal_removed_loses_no_committed_entry(
    db: Database, db_path: Path
) -> None:
    db.close()
    writer = _start_writer(db_path)
    assert writer.stdout is not None
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 40 and time.monotonic() < deadline:
        committed = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)  # mid-write: it loops without pause
    writer.wait()
    # The crash leaves the WAL behind; a careless restore removes it. What was committed
    # and checkpointed stays; what is only in the WAL is lost, so first reopen (which
    # recovers the WAL into the database) exactly as a console would after the crash.
    # Losing the WAL itself (only the main file copied) gives an older but consistent
    # record: integrity ok and the chain intact up to the last checkpoint.
    lost_wal = db_path.with_name("without-wal.sqlite3")
    lost_wal.write_bytes(db_path.read_bytes())
    older = Database(url_for(str(lost_wal)))
    assert verify(older).ok, verify(older).problems
    older.close()
    reopened = Database(url_for(str(db_path)))
    seen = reopened.read("SELECT count(*) FROM timeline_entry WHERE kind = 'note'")[0][0]
    assert seen >= committed  # every entry the writer reported committed is there
    reopened.read("PRAGMA wal_checkpoint(TRUNCATE)")
    reopened.close()
    Path(f"{db_path}-wal").unlink(missing_ok=True)
    Path(f"{db_path}-shm").unlink(missing_ok=True)
    after = Database(url_for(str(db_path)))
    report = verify(after)
    assert report.ok, report.problems
    assert after.read("SELECT count(*) FROM timeline_entry WHERE kind = 'note'")[0][0] == seen
    after.close()


@pytest.mark.slow
@pytest.mark.sqlite_only("SQLite's online backup API (pg_dump: tests/test_postgres.py)")
def test_backup_while_another_process_writes(db: Database, db_path: Path, tmp_path: Path) -> None:
    writer = _start_writer(db_path)
    assert writer.stdout is not None
    try:
        writer.stdout.readline()
        copies = [tmp_path / f"copy{n}.sqlite3" for n in range(3)]
        heads = [backup(db, target) for target in copies]
        time.sleep(0.05)
    finally:
        writer.kill()
        writer.wait()
    for target, head in zip(copies, heads, strict=True):
        copy = Database(url_for(str(target)))
        report = verify(copy)
        assert report.ok and report.head == head, report.problems
        copy.close()
    assert heads[0].seq <= heads[1].seq <= heads[2].seq
    with pytest.raises(Exception, match="exists already"):
        backup(db, copies[0])


def test_migration_links_existing_rows(db_path: Path) -> None:
    from dutydesk.storage.migrations import upgrade

    database = Database(url_for(str(db_path)))
    upgrade(database, "0004")
    raw(database, "INSERT INTO incident (id, serial, serial_date, serial_no, received_at, channel,"
        " reporter_name, reporter_unit, reporter_phone, location, category, severity, severity_rank,"
        " title, summary, classification, status, is_open, assigned_leader, assigned_department,"
        " created_at, updated_at, version) VALUES (1, '20261120-001', '2026-11-20', 1,"
        " '2026-11-20 08:00:00.000000', 'phone', '', '', '', '', 'other', 'IV', 3, 't', 's',"
        " 'internal', 'received', 1, '', '', '2026-11-20 08:00:00.000000',"
        " '2026-11-20 08:00:00.000000', 1)")  # fmt: skip
    for seq, minute in ((1, 0), (2, 5)):
        raw(database, "INSERT INTO timeline_entry (incident_id, seq, kind, occurred_at, recorded_at,"
            " actor_name, text, target) VALUES (1, ?, 'note', ?, ?, '', 'old', '')",
            seq, f"2026-11-20 08:0{minute}:00.000000", f"2026-11-20 08:0{minute}:00.000000")  # fmt: skip
    raw(database, "INSERT INTO audit_event (occurred_at, action, object_type, object_id, detail)"
        " VALUES ('2026-11-20 08:01:00.000000', 'old', '', '', '')")  # fmt: skip
    assert database.ensure_schema() is True
    order = database.read(
        "SELECT chain_seq FROM timeline_entry UNION ALL SELECT chain_seq FROM audit_event"
    )
    assert sorted(row[0] for row in order) == [1, 2, 3]
    assert database.read("SELECT chain_seq FROM audit_event")[0][0] == 2  # in recording order
    report = verify(database)
    assert report.ok and report.links == 3 and report.head.seq == 3, report.problems
    database.close()


_LOSES_ITS_LOCKS = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("SELECT count(*) FROM incident").fetchall()
open(sys.argv[1], "rb").close()  # the old launcher's mistake: drops this process's locks
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads Linux's /proc/<pid>/fd")
def test_verify_names_a_process_whose_journal_was_unlinked_under_it(db_path: Path) -> None:
    # Issue 10, defect 1: a console without its locks kept writing to a WAL another
    # process had checkpointed and deleted; `verify` said "intact" all the same.
    database = Database(url_for(str(db_path)))
    database.ensure_schema()
    database.close()
    console = subprocess.Popen(
        [sys.executable, "-c", _LOSES_ITS_LOCKS, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert console.stdout is not None
        assert console.stdout.readline().strip() == "ready"
        other = sqlite3.connect(db_path)
        other.execute("SELECT count(*) FROM incident").fetchall()
        other.close()  # believes it is the last: checkpoints and unlinks -wal and -shm
        assert not Path(f"{db_path}-wal").exists()
        checker = Database(url_for(str(db_path)))
        report = verify(checker)
        checker.close()
        assert not report.ok
        assert any(str(console.pid) in problem for problem in report.problems)
    finally:
        console.communicate("")
    fresh = Database(url_for(str(db_path)))
    assert verify(fresh).ok  # the orphan has gone: nothing left to warn about
    fresh.close()
