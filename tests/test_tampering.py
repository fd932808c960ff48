# ruff: noqa: S608 - the SQL is the tampering, built from the tests' own constants
"""Issue 17's tampering table: direct edits of a real SQLite file, and the real ``verify``.

Each test copies one settled demo night (with a bulletin drafted, a handover acknowledged
and its head anchored), edits the file behind dutydesk's back as someone with the file and
``sqlite3`` would, runs ``dutydesk verify`` and checks the exit code and the sentence that
names what was done. The head key and the anchor file stay where they are: the forger has
the database, not the key file beside it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dutydesk.cli.app import main
from dutydesk.rules.chain import GENESIS, document_hash
from dutydesk.services.integrity.chain_walk import chained, plain_content
from dutydesk.storage.engine import Database, url_for
from tests.conftest import DEMO_MOMENT
from tests.docs_support import run_cli
from tests.templates import DemoTemplates, copy_database, settle

pytestmark = pytest.mark.sqlite_only("edits a SQLite file behind dutydesk's back")

SERIAL = "20261125-012"
"""A 机密 telegram of the demo: its title is classified and must never be printed."""
PLAIN = "20261126-004"
"""An internal incident of the demo."""
BASE_NAME = "duty.sqlite3"
SIDES = (".key", ".head-key", ".anchor")
ACK_AT = "2026-11-26T08:41+08:00"


def _cli(path: Path, *args: str, now: str = ACK_AT) -> int:
    try:
        main(["--db", str(path), "--now", now, *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _shell(path: Path, *args: str) -> None:
    """``dutydesk`` in its own process: it closes the file when it ends, so it can settle."""
    environment = {**os.environ, "DUTYDESK_OPERATOR": "李晓明", "DUTYDESK_PIN": "1111"}
    command = [sys.executable, "-m", "dutydesk", "--db", str(path), "--now", ACK_AT, *args]
    # The interpreter running the tests, on arguments of its own making.
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, demo_templates: DemoTemplates) -> Path:
    """The demo, a drafted bulletin, an acknowledged handover; settled, with its side files."""
    path = tmp_path_factory.mktemp("tampering-base") / BASE_NAME
    demo_templates.copy_to(path, DEMO_MOMENT)
    _shell(path, "bulletin", "draft", PLAIN)
    _shell(path, "handover", "-o", str(path.with_name("pack.txt")))
    _shell(path, "handover", "ack", "--names", "王立新")
    assert path.with_name(path.name + ".anchor").exists()
    return settle(path)


@pytest.fixture
def desk(base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A fresh copy of the base, checked intact before the test tampers with it."""
    path = copy_database(base, tmp_path / BASE_NAME)
    for suffix in SIDES[1:]:
        shutil.copy2(base.with_name(base.name + suffix), path.with_name(path.name + suffix))
    code, out, err = run_cli(capsys, path, "verify")
    assert code == 0, out + err
    return path


def sql(path: Path, *statements: str) -> None:
    """Edit the file as someone with ``sqlite3`` would."""
    connection = sqlite3.connect(path)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def verify_fails(capsys: pytest.CaptureFixture[str], path: Path, *fragments: str) -> str:
    """Run ``dutydesk verify``: exit 4 and every fragment in what it printed."""
    code, out, err = run_cli(capsys, path, "verify")
    assert code == 4, out + err
    assert "the record is NOT intact" in err
    for fragment in fragments:
        assert fragment in out, out
    assert "Traceback" not in out + err
    return out


def test_severity(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET severity = 'I', severity_rank = 0 WHERE serial = '{PLAIN}'")
    out = verify_fails(capsys, desk, f"incident {PLAIN}: severity is I in the table but ")
    assert "on the record (link " in out


def test_severity_in_chinese(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET severity = 'I' WHERE serial = '{PLAIN}'")
    code, out, _ = run_cli(capsys, desk, "--lang", "zh_CN", "verify")
    assert code == 4
    assert f"事项 {PLAIN}：事件级别 表中为 Ⅰ级，记录中为 Ⅳ级（第 " in out


def test_classification(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET classification = 'top_secret' WHERE serial = '{SERIAL}'")
    verify_fails(
        capsys,
        desk,
        f"incident {SERIAL}: classification is top_secret in the table but secret on the record",
    )


def test_status(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET status = 'closed', is_open = 0 WHERE serial = '{PLAIN}'")
    verify_fails(capsys, desk, f"incident {PLAIN}: status is closed in the table but ")


def test_received_time(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET received_at = '2026-11-20 00:00:00' WHERE serial = '{PLAIN}'")
    verify_fails(
        capsys, desk, f"incident {PLAIN}: received_at is 2026-11-20T00:00:00.000000Z in the table"
    )


@pytest.mark.parametrize("column", ["title", "summary", "location"])
def test_classified_text(desk: Path, capsys: pytest.CaptureFixture[str], column: str) -> None:
    before = sqlite3.connect(desk).execute(
        f"SELECT {column} FROM incident WHERE serial = '{SERIAL}'"
    )
    old = str(before.fetchone()[0])
    sql(desk, f"UPDATE incident SET {column} = '改写的内容' WHERE serial = '{SERIAL}'")
    out = verify_fails(
        capsys, desk, f"incident {SERIAL}: {column} in the table is not what the record holds"
    )
    assert "改写的内容" not in out
    assert not old or old not in out  # neither text is printed


def test_casualty_figures_are_not_printed(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A classified incident's figures are content: the line says which, not what.
    sql(desk, f"UPDATE incident SET deaths = 4242 WHERE serial = '{SERIAL}'")
    out = verify_fails(
        capsys, desk, f"incident {SERIAL}: deaths in the table is not what the record holds"
    )
    assert "4242" not in out


def test_incident_deleted(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(
        desk,
        "PRAGMA foreign_keys = OFF",
        f"DELETE FROM incident WHERE serial = '{PLAIN}'",
    )
    verify_fails(capsys, desk, f"incident {PLAIN} was deleted from its table but is on the record")


def test_incident_written_around(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(
        desk,
        "INSERT INTO incident (serial, serial_date, serial_no, received_at, channel, "
        "reporter_name, reporter_unit, reporter_phone, location, category, severity, "
        "severity_rank, title, summary, classification, status, is_open, assigned_leader, "
        "assigned_department, created_at, updated_at, version, matter_kind, sensitive) "
        "SELECT '20261126-099', serial_date, 99, received_at, channel, '', '', '', '', "
        "category, severity, severity_rank, '假事项', '假内容', 'internal', status, is_open, "
        "'', '', created_at, updated_at, 1, matter_kind, 0 "
        f"FROM incident WHERE serial = '{PLAIN}'",
    )
    verify_fails(
        capsys, desk, "incident 20261126-099 is in its table but not on the record: it was written"
    )


def test_bulletin(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, "UPDATE bulletin SET status = 'issued', issue_no = 7")
    verify_fails(capsys, desk, "bulletin 1: status is issued in the table but draft on the record")


def test_roster_change(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = sqlite3.connect(desk).execute("SELECT id, person_id FROM assignment LIMIT 1").fetchone()
    other = (
        sqlite3.connect(desk)
        .execute("SELECT id FROM person WHERE id != ? LIMIT 1", (row[1],))
        .fetchone()[0]
    )
    sql(desk, f"UPDATE assignment SET person_id = {other} WHERE id = {row[0]}")
    verify_fails(
        capsys,
        desk,
        f"roster seat {row[0]}: person_id is {other} in the table but {row[1]} on the record",
    )


def test_leave(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leave = sqlite3.connect(desk).execute("SELECT id FROM leave_registration LIMIT 1").fetchone()
    sql(desk, f"UPDATE leave_registration SET end_at = '2027-01-01 00:00:00' WHERE id = {leave[0]}")
    verify_fails(capsys, desk, f"leave {leave[0]}: end_at is 2027-01-01T00:00:00.000000Z")


def test_account_clearance(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, "UPDATE person SET clearance = 'top_secret' WHERE name = '李晓明'")
    verify_fails(capsys, desk, "account 李晓明: clearance is top_secret in the table but ")


def test_account_role_added(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    person = sqlite3.connect(desk).execute("SELECT id FROM person WHERE name = '李晓明'")
    pid = person.fetchone()[0]
    sql(desk, f"INSERT INTO person_role (person_id, role) VALUES ({pid}, 'auditor')")
    verify_fails(capsys, desk, f"role {pid}:auditor is in its table but not on the record")


def _rewind(path: Path, links: int) -> None:
    """Delete the newest ``links`` records and set the head row to the one before them."""
    connection = sqlite3.connect(path)
    try:
        last = connection.execute("SELECT seq FROM chain_state").fetchone()[0]
        cut = last - links
        for table in ("audit_event", "timeline_entry"):
            connection.execute(f"DELETE FROM {table} WHERE chain_seq > ?", (cut,))
        found = connection.execute(
            "SELECT hash FROM audit_event WHERE chain_seq = ? "
            "UNION ALL SELECT hash FROM timeline_entry WHERE chain_seq = ?",
            (cut, cut),
        ).fetchone()
        connection.execute("UPDATE chain_state SET seq = ?, hash = ?", (cut, found[0]))
        connection.commit()
    finally:
        connection.close()


def test_head_audit_event_deleted_with_the_head_row(
    desk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A record written after the acknowledgement: the anchor does not cover it, the MAC does.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUTYDESK_OPERATOR", "李晓明")
        patch.setenv("DUTYDESK_PIN", "1111")
        pack = str(desk.with_name("p2.txt"))
        assert _cli(desk, "handover", "-o", pack, now="2026-11-26T09:00+08:00") == 0
    _rewind(desk, 1)
    verify_fails(capsys, desk, "is not the one this desk's head key signed")


def test_newest_records_deleted_before_the_handover(
    desk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _rewind(desk, 5)
    verify_fails(
        capsys,
        desk,
        "is not the one this desk's head key signed",
        "(line 1 of the anchor file)",
        "is no longer on the chain",
    )


def test_handover_row_deleted(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, "DELETE FROM handover")
    verify_fails(
        capsys,
        desk,
        "handover 1 was deleted from its table but is on the record",
        "was handover 1, which is gone from the handover table",
    )


def test_handover_unacknowledged(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, "UPDATE handover SET acknowledged_at = NULL, acknowledged_by = '', chain_head = NULL")
    verify_fails(
        capsys,
        desk,
        "handover 1: acknowledged_at is (nothing) in the table but 2026-11-26T00:41:00.000000Z",
        "was handover 1, which is no longer acknowledged with that head",
    )


def test_whole_chain_recomputed(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The forger changes an old note, then recomputes every hash after it (and the head row,
    # and the handover's stored head): every link checks, but not the signed head.
    sql(desk, "UPDATE timeline_entry SET text = '改过的记录' WHERE id = 1")
    db = Database(url_for(str(desk)))
    with db.snapshot() as query:
        links = list(chained(query))
    db.close()
    connection = sqlite3.connect(desk)
    previous = GENESIS
    for seq, table, row in links:
        fresh = document_hash(previous, table, seq, plain_content(table, row))
        connection.execute(
            f"UPDATE {table} SET prev_hash = ?, hash = ? WHERE id = ?",
            (previous, fresh, row[0]),
        )
        previous = fresh
    head = f"{links[-1][0]}:{previous}"
    connection.execute("UPDATE chain_state SET hash = ?", (previous,))
    ack = connection.execute("SELECT chain_head FROM handover").fetchone()[0]
    seq = int(ack.split(":")[0])
    rehashed = next(x for x in links if x[0] == seq)
    assert rehashed is not None and head
    connection.commit()
    connection.close()
    verify_fails(
        capsys, desk, "is not the one this desk's head key signed", "is no longer on the chain"
    )


def test_wal_lost(desk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A second handover is acknowledged while another connection keeps the journal from being
    # folded in; then only the main file survives (a copy, a crash of the disk cache).
    keeper = sqlite3.connect(desk)
    keeper.execute("SELECT count(*) FROM incident").fetchone()
    later = "2026-11-26T20:41+08:00"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUTYDESK_OPERATOR", "李晓明")
        patch.setenv("DUTYDESK_PIN", "1111")
        assert _cli(desk, "handover", "-o", str(tmp_path / "p2.txt"), now=later) == 0
        assert _cli(desk, "handover", "ack", "--names", "钱磊", now=later) == 0
    assert desk.with_name(desk.name + "-wal").stat().st_size > 0
    lost = tmp_path / "lost"
    lost.mkdir()
    target = lost / desk.name
    shutil.copyfile(desk, target)
    for suffix in SIDES:
        if desk.with_name(desk.name + suffix).exists():
            shutil.copy2(desk.with_name(desk.name + suffix), target.with_name(target.name + suffix))
    keeper.close()
    verify_fails(capsys, target, "(line 2 of the anchor file)", "is no longer on the chain")
    assert os.stat(target.with_name(target.name + ".anchor")).st_mode & 0o077 == 0
