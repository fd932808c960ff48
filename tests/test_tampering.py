# ruff: noqa: S608 - the SQL is the tampering, built from the tests' own constants
"""Issue 17's tampering table: direct edits of the database's rows, and the real ``verify``.

Each test copies one settled demo night (with a bulletin drafted, a handover acknowledged
and its head anchored), edits its rows behind dutydesk's back, runs ``dutydesk verify``
and checks the exit code and the sentence that names what was done. On SQLite the forger
has the file and ``sqlite3``; in the PostgreSQL pass (``DUTYDESK_TEST_DB=postgresql``) the
same edits are what someone with the database password does with ``psql``, on a database
of the test's own on the session's server. The head key and the anchor file stay where
they are on both: the forger has the database, not the key files beside it. Only losing
the ``-wal`` is SQLite's alone (a server keeps its own journal).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from dutydesk.cli.app import main
from dutydesk.rules.chain import GENESIS, document_hash
from dutydesk.services.integrity.chain_walk import chained, plain_content
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT, on_postgresql
from tests.docs_support import run_cli
from tests.hostile import shows_number
from tests.pg_support import PgServer
from tests.templates import DemoTemplates, copy_database, settle

SERIAL = "20261125-012"
"""A 机密 telegram of the demo: its title is classified and must never be printed."""
PLAIN = "20261126-004"
"""An internal incident of the demo."""
BASE_NAME = "duty.sqlite3"
SIDES = (".key", ".head-key", ".anchor")
ACK_AT = "2026-11-26T08:41+08:00"


@dataclass
class Desk:
    """One tampered desk: what ``--db`` takes, its database, and where its key file is."""

    arg: str
    db: Database
    key_stem: Path
    """``<db_path>``: its ``.key``, ``.head-key`` and ``.anchor`` sit beside it on both stores."""

    def __str__(self) -> str:
        return self.arg


def _cli(desk: Desk | Path, *args: str, now: str = ACK_AT) -> int:
    try:
        main(["--db", str(desk), "--now", now, *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _shell(where: str, *args: str, key_file: Path | None = None) -> None:
    """``dutydesk`` in its own process: it closes the database when it ends, so it can settle
    (a SQLite file) or serve as a template (a server's database)."""
    environment = {**os.environ, "DUTYDESK_OPERATOR": "李晓明", "DUTYDESK_PIN": "1111"}
    if key_file is not None:
        environment["DUTYDESK_KEY_FILE"] = str(key_file)
    command = [sys.executable, "-m", "dutydesk", "--db", where, "--now", ACK_AT, *args]
    # The interpreter running the tests, on arguments of its own making.
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _night(where: str, folder: Path, key_file: Path | None = None) -> None:
    """A drafted bulletin and an acknowledged handover on the demo at ``where``."""
    _shell(where, "bulletin", "draft", PLAIN, key_file=key_file)
    _shell(where, "handover", "-o", str(folder / "pack.txt"), key_file=key_file)
    _shell(where, "handover", "ack", "--names", "王立新", key_file=key_file)


@dataclass
class Base:
    """The settled night every test copies: a SQLite file, or a server's template database."""

    stem: Path
    """The file (SQLite), or where its key files are named after (server)."""
    template: str | None = None
    """The server's database the tests' databases are created from; ``None`` on SQLite."""
    server: PgServer | None = None


@pytest.fixture(scope="module")
def base(
    tmp_path_factory: pytest.TempPathFactory,
    demo_templates: DemoTemplates,
    request: pytest.FixtureRequest,
) -> Iterator[Base]:
    """The demo, a drafted bulletin, an acknowledged handover, with its side files."""
    stem = tmp_path_factory.mktemp("tampering-base") / BASE_NAME
    if not on_postgresql():
        demo_templates.copy_to(stem, DEMO_MOMENT)
        _night(str(stem), stem.parent)
        assert stem.with_name(stem.name + ".anchor").exists()
        yield Base(settle(stem))
        return
    server = request.getfixturevalue("pg_server")
    demo, demo_key = demo_templates.pg_template(DEMO_MOMENT)
    name = f"dutydesk_tampering_{os.getpid()}"
    server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    server.admin(f"CREATE DATABASE {name} TEMPLATE {demo}")
    server.templates.append(name)  # dropped with the session's server
    key_file = stem.with_name(stem.name + ".key")
    head_key = stem.with_name(stem.name + ".head-key")
    for side, target in ((demo_key, key_file), (demo_key.with_suffix(".head-key"), head_key)):
        if side.exists():  # the unaccredited demo seals nothing: no key file was made
            shutil.copy2(side, target)
    _night(server.url_for(name), stem.parent, key_file)
    assert stem.with_name(stem.name + ".anchor").exists()
    yield Base(stem, name, server)


def _copy_base(base: Base, db: Database, db_path: Path) -> str:
    """Make ``db`` a copy of the base night; what ``--db`` takes for it."""
    from sqlalchemy.engine import make_url

    db.close()  # reopens on next use, on the copy
    sides: tuple[str, ...] = SIDES[1:]
    if base.template is None:
        copy_database(base.stem, db_path)  # the key file comes with it
        arg = str(db_path)
    else:
        assert base.server is not None
        name = make_url(db.url).database
        base.server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        base.server.admin(f"CREATE DATABASE {name} TEMPLATE {base.template}")
        sides = SIDES
        arg = db.url
    for suffix in sides:  # the head key and the anchor: the forger does not touch them
        side = base.stem.with_name(base.stem.name + suffix)
        if side.exists():
            shutil.copy2(side, f"{db_path}{suffix}")
    return arg


@pytest.fixture
def desk(base: Base, db: Database, db_path: Path, capsys: pytest.CaptureFixture[str]) -> Desk:
    """A fresh copy of the base on the pass's store, checked intact before the tampering."""
    here = Desk(_copy_base(base, db, db_path), db, db_path)
    code, out, err = run_cli(capsys, here.arg, "verify")
    assert code == 0, out + err
    return here


def sql(desk: Desk, *statements: str) -> None:
    """Edit the rows as someone with ``sqlite3`` (the file) or ``psql`` (the password) would.

    ``PRAGMA foreign_keys = OFF`` is SQLite's way past a foreign key; on a server the same
    forger sets ``session_replication_role = replica`` (a superuser, or a role granted SET
    on it, as the test server's is), which is what the statement becomes there.
    """
    if desk.db.is_sqlite:
        connection = sqlite3.connect(desk.key_stem)
        try:
            for statement in statements:
                connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
        return
    with desk.db.session() as session:
        for statement in statements:
            if statement == "PRAGMA foreign_keys = OFF":
                statement = "SET LOCAL session_replication_role = replica"
            session.execute(text(statement))


def one(desk: Desk, query: str) -> tuple[object, ...]:
    """The first row ``query`` reads."""
    return tuple(desk.db.read(query)[0])


def stamp(at: str) -> str:
    """A UTC time as the forger writes it: SQLite keeps the text, a server wants the zone."""
    return f"{at}+00" if on_postgresql() else at


def verify_fails(capsys: pytest.CaptureFixture[str], desk: Desk | Path, *fragments: str) -> str:
    """Run ``dutydesk verify``: exit 4 and every fragment in what it printed."""
    code, out, err = run_cli(capsys, str(desk), "verify")
    assert code == 4, out + err
    assert "the record is NOT intact" in err
    for fragment in fragments:
        assert fragment in out, out
    assert "Traceback" not in out + err
    return out


def test_the_night_written_by_separate_commands_is_intact(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each step of the base ran as its own `dutydesk` process, importing only its command's
    # modules: `bulletin draft` flushed its row before the state-fact hook was installed and
    # verify called the bulletin "written around dutydesk" (the engine now installs it).
    code, out, err = run_cli(capsys, desk.arg, "verify")
    assert code == 0, out + err
    assert "Record intact" in out
    assert desk.db.read("SELECT count(*) FROM audit_event WHERE object_type = 'bulletin' "
                        "AND action = 'state'")[0][0] == 1  # fmt: skip


@pytest.mark.skipif(on_postgresql(), reason="SQLite writes the facts on SQLite only")
def test_sqlite_writes_every_watched_rows_fact_as_it_is_stored(desk: Desk) -> None:
    """``verify``'s shortcut (issue 16): the fact SQLite makes of each row of the night
    (incidents, a bulletin, the roster, leaves, accounts, a handover) is the stored one,
    byte for byte, so no intact row is read again to be compared the exact way."""
    from dutydesk.services.integrity import head_key
    from dutydesk.services.integrity.state_check import fact_functions, fact_sql
    from dutydesk.services.integrity.state_facts import WATCHED, key_of

    key = head_key.for_database(desk.db.path)
    latest = {
        (str(kind), str(row)): str(detail)
        for kind, row, detail in desk.db.read(
            "SELECT object_type, object_id, detail FROM audit_event "
            "WHERE action = 'state' ORDER BY chain_seq"
        )
    }
    compared = 0
    with desk.db.snapshot(fact_functions(key)) as query:
        for table, model in WATCHED.items():
            names = [c.name for c in model.__table__.primary_key.columns]  # type: ignore[attr-defined]
            made = f"{fact_sql(table, head_key.key_id(key))} AS made"
            for row in query(f"SELECT {', '.join(names)}, {made} FROM {table}", None):
                values = dict(zip(names, row, strict=False))
                assert row[-1] == latest[(table, key_of(model, values))], (table, values)
                compared += 1
    assert {table for table, _row in latest} == set(WATCHED)  # every kind of row was there
    assert compared == len(latest)


def test_severity(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET severity = 'I', severity_rank = 0 WHERE serial = '{PLAIN}'")
    out = verify_fails(capsys, desk, f"incident {PLAIN}: severity is I in the table but ")
    assert "on the record (link " in out


def test_severity_in_chinese(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET severity = 'I' WHERE serial = '{PLAIN}'")
    code, out, _ = run_cli(capsys, desk.arg, "--lang", "zh_CN", "verify")
    assert code == 4
    assert f"事项 {PLAIN}：事件级别 表中为 Ⅰ级，记录中为 Ⅳ级（第 " in out


def test_classification(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET classification = 'top_secret' WHERE serial = '{SERIAL}'")
    verify_fails(
        capsys,
        desk,
        f"incident {SERIAL}: classification is top_secret in the table but secret on the record",
    )


def test_status(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, f"UPDATE incident SET status = 'closed', is_open = FALSE WHERE serial = '{PLAIN}'")
    verify_fails(capsys, desk, f"incident {PLAIN}: status is closed in the table but ")


def test_received_time(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    at = stamp("2026-11-20 00:00:00")
    sql(desk, f"UPDATE incident SET received_at = '{at}' WHERE serial = '{PLAIN}'")
    verify_fails(
        capsys, desk, f"incident {PLAIN}: received_at is 2026-11-20T00:00:00.000000Z in the table"
    )


@pytest.mark.parametrize("column", ["title", "summary", "location"])
def test_classified_text(desk: Desk, capsys: pytest.CaptureFixture[str], column: str) -> None:
    old = str(one(desk, f"SELECT {column} FROM incident WHERE serial = '{SERIAL}'")[0])
    sql(desk, f"UPDATE incident SET {column} = '改写的内容' WHERE serial = '{SERIAL}'")
    out = verify_fails(
        capsys, desk, f"incident {SERIAL}: {column} in the table is not what the record holds"
    )
    assert "改写的内容" not in out
    assert not old or old not in out  # neither text is printed


def test_casualty_figures_are_not_printed(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    # A classified incident's figures are content: the line says which, not what.
    sql(desk, f"UPDATE incident SET deaths = 4242 WHERE serial = '{SERIAL}'")
    out = verify_fails(
        capsys, desk, f"incident {SERIAL}: deaths in the table is not what the record holds"
    )
    assert not shows_number(out, "4242")


def test_incident_deleted(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(
        desk,
        "PRAGMA foreign_keys = OFF",
        f"DELETE FROM incident WHERE serial = '{PLAIN}'",
    )
    verify_fails(capsys, desk, f"incident {PLAIN} was deleted from its table but is on the record")


def test_incident_written_around(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(
        desk,
        "INSERT INTO incident (serial, serial_date, serial_no, received_at, channel, "
        "reporter_name, reporter_unit, reporter_phone, location, category, severity, "
        "severity_rank, title, summary, classification, status, is_open, assigned_leader, "
        "assigned_department, created_at, updated_at, version, matter_kind, sensitive) "
        "SELECT '20261126-099', serial_date, 99, received_at, channel, '', '', '', '', "
        "category, severity, severity_rank, '假事项', '假内容', 'internal', status, is_open, "
        "'', '', created_at, updated_at, 1, matter_kind, FALSE "
        f"FROM incident WHERE serial = '{PLAIN}'",
    )
    verify_fails(
        capsys, desk, "incident 20261126-099 is in its table but not on the record: it was written"
    )


def test_bulletin(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, "UPDATE bulletin SET status = 'issued', issue_no = 7")
    verify_fails(capsys, desk, "bulletin 1: status is issued in the table but draft on the record")


def test_roster_change(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    row = one(desk, "SELECT id, person_id FROM assignment ORDER BY id LIMIT 1")
    (other,) = one(desk, f"SELECT id FROM person WHERE id != {row[1]} ORDER BY id LIMIT 1")
    sql(desk, f"UPDATE assignment SET person_id = {other} WHERE id = {row[0]}")
    verify_fails(
        capsys,
        desk,
        f"roster seat {row[0]}: person_id is {other} in the table but {row[1]} on the record",
    )


def test_leave(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    leave = one(desk, "SELECT id FROM leave_registration ORDER BY id LIMIT 1")
    at = stamp("2027-01-01 00:00:00")
    sql(desk, f"UPDATE leave_registration SET end_at = '{at}' WHERE id = {leave[0]}")
    verify_fails(capsys, desk, f"leave {leave[0]}: end_at is 2027-01-01T00:00:00.000000Z")


def test_account_clearance(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, "UPDATE person SET clearance = 'top_secret' WHERE name = '李晓明'")
    verify_fails(capsys, desk, "account 李晓明: clearance is top_secret in the table but ")


def test_account_role_added(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    (pid,) = one(desk, "SELECT id FROM person WHERE name = '李晓明'")
    sql(desk, f"INSERT INTO person_role (person_id, role) VALUES ({pid}, 'auditor')")
    verify_fails(capsys, desk, f"role {pid}:auditor is in its table but not on the record")


def _rewind(desk: Desk, links: int) -> None:
    """Delete the newest ``links`` records and set the head row to the one before them."""
    (last,) = one(desk, "SELECT seq FROM chain_state")
    cut = int(str(last)) - links
    (found,) = one(
        desk,
        f"SELECT hash FROM audit_event WHERE chain_seq = {cut} "
        f"UNION ALL SELECT hash FROM timeline_entry WHERE chain_seq = {cut}",
    )
    sql(
        desk,
        f"DELETE FROM audit_event WHERE chain_seq > {cut}",
        f"DELETE FROM timeline_entry WHERE chain_seq > {cut}",
        f"UPDATE chain_state SET seq = {cut}, hash = '{found}'",
    )


def test_head_audit_event_deleted_with_the_head_row(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    # A record written after the acknowledgement: the anchor does not cover it, the MAC does.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUTYDESK_OPERATOR", "李晓明")
        patch.setenv("DUTYDESK_PIN", "1111")
        pack = str(desk.key_stem.with_name("p2.txt"))
        assert _cli(desk, "handover", "-o", pack, now="2026-11-26T09:00+08:00") == 0
    _rewind(desk, 1)
    verify_fails(capsys, desk, "is not the one this desk's head key signed")


def test_newest_records_deleted_before_the_handover(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    _rewind(desk, 5)
    verify_fails(
        capsys,
        desk,
        "is not the one this desk's head key signed",
        "(line 1 of the anchor file)",
        "is no longer on the chain",
    )


def test_handover_row_deleted(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, "DELETE FROM handover")
    verify_fails(
        capsys,
        desk,
        "handover 1 was deleted from its table but is on the record",
        "was handover 1, which is gone from the handover table",
    )


def test_handover_unacknowledged(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    sql(desk, "UPDATE handover SET acknowledged_at = NULL, acknowledged_by = '', chain_head = NULL")
    verify_fails(
        capsys,
        desk,
        "handover 1: acknowledged_at is (nothing) in the table but 2026-11-26T00:41:00.000000Z",
        "was handover 1, which is no longer acknowledged with that head",
    )


def test_whole_chain_recomputed(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    # The forger changes an old note, then recomputes every hash after it (and the head row,
    # and the handover's stored head): every link checks, but not the signed head.
    sql(desk, "UPDATE timeline_entry SET text = '改过的记录' WHERE id = 1")
    with desk.db.snapshot() as query:
        links = list(chained(query))
    previous = GENESIS
    updates = []
    for seq, table, row in links:
        fresh = document_hash(previous, table, seq, plain_content(table, row))
        updates.append(
            f"UPDATE {table} SET prev_hash = '{previous}', hash = '{fresh}' WHERE id = {row[0]}"
        )
        previous = fresh
    sql(desk, *updates, f"UPDATE chain_state SET hash = '{previous}'")
    (ack,) = one(desk, "SELECT chain_head FROM handover")
    assert any(seq == int(str(ack).split(":")[0]) for seq, _, _ in links)  # it was rehashed
    verify_fails(
        capsys, desk, "is not the one this desk's head key signed", "is no longer on the chain"
    )


@pytest.mark.sqlite_only("loses SQLite's -wal file (a server keeps its own journal)")
def test_wal_lost(desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A second handover is acknowledged while another connection keeps the journal from being
    # folded in; then only the main file survives (a copy, a crash of the disk cache).
    path = desk.key_stem
    keeper = sqlite3.connect(path)
    keeper.execute("SELECT count(*) FROM incident").fetchone()
    later = "2026-11-26T20:41+08:00"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUTYDESK_OPERATOR", "李晓明")
        patch.setenv("DUTYDESK_PIN", "1111")
        assert _cli(desk, "handover", "-o", str(tmp_path / "p2.txt"), now=later) == 0
        assert _cli(desk, "handover", "ack", "--names", "钱磊", now=later) == 0
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    lost = tmp_path / "lost"
    lost.mkdir()
    target = lost / path.name
    shutil.copyfile(path, target)
    for suffix in SIDES:
        if path.with_name(path.name + suffix).exists():
            shutil.copy2(path.with_name(path.name + suffix), target.with_name(target.name + suffix))
    keeper.close()
    verify_fails(capsys, target, "(line 2 of the anchor file)", "is no longer on the chain")
    assert os.stat(target.with_name(target.name + ".anchor")).st_mode & 0o077 == 0
