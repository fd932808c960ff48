"""The store and the core services on a real PostgreSQL server (tests/pg_support.py).

The server is started by the tests themselves (one throwaway cluster per session, a
fresh database per test); ``DUTYDESK_TEST_PG_URL`` points them at another server. Where
a result can be compared, the same work is done on SQLite too and the answers must match.
"""

from __future__ import annotations

import gc
import io
import itertools
import json
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from dutydesk.cli.app import main
from dutydesk.config import Settings
from dutydesk.rules.deadlines import load_rules
from dutydesk.services import retry
from dutydesk.services.bulletins.write import (
    draft_bulletin,
    issue_bulletin,
    review_bulletin,
    sign_bulletin,
)
from dutydesk.services.demo.load import load_demo
from dutydesk.services.handover.pack import build_pack
from dutydesk.services.handover.store import acknowledge, period_start, record_pack
from dutydesk.services.incidents import queue
from dutydesk.services.incidents.daily import daily_summary
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.incident import (
    EntryRefused,
    add_entry,
    create_incident,
    update_fields,
)
from dutydesk.services.incidents.intake import register
from dutydesk.services.incidents.listing import IncidentFilter, get_incident, list_incidents
from dutydesk.services.incidents.records import ConflictError
from dutydesk.services.incidents.search import SearchFilter, search
from dutydesk.services.integrity.verify import verify
from dutydesk.storage.engine import HEAD_REVISION, Database, url_for
from dutydesk.storage.models import Incident, Meta, TimelineEntry
from dutydesk.storage.search import (
    PG_FILTER_ORDER,
    LikeSearchIndex,
    PostgresSearchIndex,
    SearchAfter,
    SearchSpec,
    filter_token,
    pg_doc_keys,
    pg_lookup_grams,
    pg_token_at,
)
from dutydesk.storage.watch import ChangeWatch, change_watch
from dutydesk.vocab import BulletinKind, Classification, EntryKind, Status
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.migration_support import migrate
from tests.pg_support import PgServer, connections_to, make_template, scratch_database, settles
from tests.request_support import intake, request

# One worker runs them all under pytest-xdist: one throwaway server for the run, not one
# per worker (each is an initdb and a start).
pytestmark = pytest.mark.xdist_group("postgresql")

RULES = load_rules()
SETTINGS = Settings()
T0 = DEMO_MOMENT - timedelta(minutes=17)


@pytest.fixture(scope="session")
def session_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The key file of every server database of the session (the demo's is sealed with it)."""
    return tmp_path_factory.mktemp("pg-key") / "duty.key"


@pytest.fixture(autouse=True)
def _key_file(session_key: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A server database has no ``<file>.key``: ``key_file`` names one (README).

    Each test gets its own copy of the session's key file and head key, so the anchor file
    beside them (issue 17: acknowledged heads) holds this test's database's heads only:
    one shared anchor would list other databases' heads, which are on no chain here.
    """
    own = tmp_path / "keys" / session_key.name
    own.parent.mkdir(mode=0o700)
    for name in (session_key.name, f"{session_key.stem}.head-key"):
        source = session_key.with_name(name)
        if source.exists():
            shutil.copy2(source, own.with_name(name))  # keeps mode 0600
    monkeypatch.setenv("DUTYDESK_KEY_FILE", str(own))
    return own


@pytest.fixture(scope="session")
def pg_demo_template(pg_server: PgServer, pg_template: str, session_key: Path) -> str:
    """The demo night loaded once into a template database; each test gets a copy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUTYDESK_KEY_FILE", str(session_key))
        return make_template(
            pg_server,
            f"dutydesk_test_demo_{os.getpid()}",
            lambda database: load_demo(database, DEMO_MOMENT),
            source=pg_template,
        )


@pytest.fixture
def pg_demo(pg_server: PgServer, pg_demo_template: str) -> Iterator[Database]:
    """A fresh copy of the demo night on the server."""
    with scratch_database(pg_server, pg_demo_template) as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.close()


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The demo night on SQLite, to compare answers with (read only: shared by the tests)."""
    path = tmp_path_factory.mktemp("sqlite-demo") / "demo.sqlite3"
    database = Database(url_for(str(path)))
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DUTYDESK_KEY_FILE", raising=False)  # <file>.key beside it
        load_demo(database, DEMO_MOMENT)
    yield database
    database.close()


def fire(session: Session, **extra: Any) -> Incident:
    fields: dict[str, Any] = {
        "session": session,
        "received_at": T0,
        "channel": "phone",
        "category": "accident",
        "severity": "IV",
        "classification": "internal",
        "title": "燃气泄漏",
        "summary": "幸福路12号燃气泄漏，100%_确认",
        "location": "幸福路12号",
        "actor_name": "李四",
        "now": T0,
        "tz": SHANGHAI,
        "rules": RULES,
    }
    fields.update(extra)
    req, report = intake(fields.pop("session"), **fields)
    return create_incident(req, report, session=session)


# -- schema -------------------------------------------------------------------------------


def test_migrations_create_the_schema_at_head(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        assert db.current_revision() is None
        assert db.ensure_schema() is True
        assert db.current_revision() == HEAD_REVISION
        assert db.read("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
        assert db.ensure_schema() is False
        assert db.read("SELECT id, seq FROM chain_state") == [(1, 0)]
        assert db.search_index.name == "postgresql-gin"
        from sqlalchemy import inspect

        tables = set(inspect(db.engine).get_table_names())
        assert {"incident", "timeline_entry", "bulletin", "drill_run", "credential"} <= tables
    finally:
        db.close()


def test_read_time_param_and_no_snapshot_polling(pg_db: Database) -> None:
    assert pg_db.read("SELECT :a + 1, :b", {"a": 1, "b": "火灾"}) == [(2, "火灾")]
    assert pg_db.read("SELECT '100%'") == [("100%",)]
    # Consoles on a server are told by LISTEN (below), not by polling a token: the
    # server's snapshot moved with any database's write (issue 15).
    assert pg_db.change_token() == 0
    other = Database(pg_db.url)  # another console
    try:
        incident = register(*intake(other, **_fire_fields()))
        assert incident.id is not None
    finally:
        other.close()
    moment = pg_db.read(
        "SELECT received_at FROM incident WHERE received_at >= :t",
        {"t": pg_db.time_param(T0 - timedelta(seconds=1))},
    )[0][0]
    assert moment == T0.astimezone(UTC)


def _fire_fields(**extra: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "received_at": T0,
        "channel": "phone",
        "category": "accident",
        "severity": "II",
        "classification": "internal",
        "title": "燃气爆炸",
        "summary": "幸福路12号居民楼发生燃气爆炸，3人受伤",
        "location": "幸福路12号",
        "now": T0,
        "tz": SHANGHAI,
        "rules": RULES,
    }
    fields.update(extra)
    received = fields["received_at"]
    assert isinstance(received, datetime)
    fields.setdefault("occurred_at", received - timedelta(minutes=10))  # a report says when
    return fields


# -- intake, follow-up, edits -------------------------------------------------------------


WATCH_TIMEOUT = 60.0
"""Longer than any test waits: a watch that returns True before it was notified."""


def _wait_in_thread(watch: ChangeWatch) -> tuple[threading.Thread, list[bool]]:
    """Wait once on ``watch`` in a thread (as the console's watcher does)."""
    seen: list[bool] = []
    thread = threading.Thread(
        target=lambda: seen.append(watch.wait(WATCH_TIMEOUT, threading.Event()))
    )
    thread.start()
    return thread, seen


def test_a_commit_wakes_a_listening_console_at_once(pg_db: Database) -> None:
    """Issue 15: LISTEN/NOTIFY, not a poll of the server's snapshot."""
    watch = change_watch(pg_db)
    try:
        assert not watch.lost
        thread, seen = _wait_in_thread(watch)
        other = Database(pg_db.url)  # another desk
        try:
            with other.session() as session:  # a table outside the chain wakes it too
                session.add(Meta(key="probe", value="x"))
        finally:
            other.close()
        thread.join(WATCH_TIMEOUT / 2)  # woken by the commit, long before its timeout
        assert seen == [True]
    finally:
        watch.close()


def test_another_database_on_the_server_does_not_wake_it(
    pg_db: Database, pg_server: PgServer, pg_template: str
) -> None:
    watch = change_watch(pg_db)
    cancel = threading.Event()
    try:
        with scratch_database(pg_server, pg_template) as url:
            neighbour = Database(url)
            try:
                with neighbour.session() as session:
                    session.add(Meta(key="probe", value="x"))
            finally:
                neighbour.close()
        # The neighbour's commit moved pg_current_snapshot (the old token woke us);
        # the channel is this database's: two quiet ticks.
        assert not watch.wait(0.5, cancel)
        assert not watch.wait(0.5, cancel)
    finally:
        watch.close()


SEALED_COLUMNS = {
    ("incident", "title"), ("incident", "location"), ("incident", "reporter_name"),
    ("incident", "reporter_unit"), ("incident", "reporter_phone"),
    ("incident", "assigned_leader"), ("incident", "assigned_department"),
    ("timeline_entry", "target"), ("leave_registration", "destination"),
    ("leave_registration", "reason"), ("leave_registration", "contact_phone"),
}  # fmt: skip
"""Columns that hold a sealed envelope on a classified network (migrations 0017, 0019)."""


def test_every_sealed_column_holds_an_envelope(pg_db: Database) -> None:
    """An envelope is 100+ characters: a VARCHAR(32) phone column refused the save."""
    types = {
        (str(row[0]), str(row[1])): str(row[2])
        for row in pg_db.read(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
    }
    assert {column: types[column] for column in SEALED_COLUMNS} == dict.fromkeys(
        SEALED_COLUMNS, "text"
    )


def test_every_table_notifies_its_consoles(pg_db: Database) -> None:
    """A table added without migration 0020's trigger would leave consoles stale."""
    tables = {
        str(row[0])
        for row in pg_db.read(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename <> 'alembic_version'"
        )
    }
    notifying = {
        str(row[0])
        for row in pg_db.read(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'dutydesk_changed'"
        )
    }
    assert tables and tables == notifying, sorted(tables - notifying)


def test_intake_followup_and_edit_conflict(pg_db: Database) -> None:
    first = register(*intake(pg_db, **_fire_fields()))
    second = register(
        *intake(pg_db, **_fire_fields(title="第二起", received_at=T0 + timedelta(minutes=1)))
    )
    assert first.serial.endswith("-001") and second.serial.endswith("-002")
    assert first.id is not None
    with pg_db.session() as session:
        incident = session.get(Incident, first.id)
        assert incident is not None
        at = T0 + timedelta(minutes=5)
        add_entry(
            request(session, now=at, rules=RULES),
            incident,
            NewEntry(kind=EntryKind.PHONE_REPORT, occurred_at=at, target="市应急管理局"),
            session=session,
        )
        at = T0 + timedelta(minutes=20)
        add_entry(
            request(session, now=at, rules=RULES),
            incident,
            NewEntry(kind=EntryKind.FIRST_REPORT, occurred_at=at),
            session=session,
        )
        at = T0 + timedelta(minutes=40)
        one = add_entry(
            request(session, now=at, rules=RULES),
            incident,
            NewEntry(kind=EntryKind.CONTINUED_REPORT, occurred_at=at, text="伤员已送医"),
            session=session,
        )
        assert one.report_no == 1
        with pytest.raises(EntryRefused):
            add_entry(
                request(session, now=at, rules=RULES),
                incident,
                NewEntry(kind=EntryKind.REOPENED, occurred_at=at, text="x"),
                session=session,
            )
    with pg_db.session() as session:
        edited = update_fields(
            request(session, actor_name="李四", now=T0 + timedelta(minutes=45), rules=RULES),
            session=session,
            incident_id=first.id,
            expected_version=first.version + 3,
            changes={"severity": "I"},
        )
        version = edited.version
    assert edited.severity == "I"
    with pg_db.session() as session, pytest.raises(ConflictError, match="changed"):
        update_fields(
            request(session, actor_name="王五", now=T0 + timedelta(minutes=46), rules=RULES),
            session=session,
            incident_id=first.id,
            expected_version=version - 1,  # someone else's edit came first
            changes={"title": "过时的修改"},
        )
    with pg_db.session(write=False) as session:
        entries = session.exec(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == first.id)
            .order_by(TimelineEntry.seq)  # type: ignore[arg-type]
        ).all()
    kinds = [entry.kind for entry in entries]
    assert kinds == [
        EntryKind.RECEIVED,
        EntryKind.PHONE_REPORT,
        EntryKind.FIRST_REPORT,
        EntryKind.CONTINUED_REPORT,
        EntryKind.FIELD_CHANGE,
    ]
    assert all(entry.occurred_at.tzinfo is not None for entry in entries)
    record = get_incident(request(pg_db), first.serial)
    assert record.status is Status.FOLLOWING and record.version == version
    assert verify(pg_db).ok


def test_nul_in_text_is_refused_in_words(pg_db: Database) -> None:
    from dutydesk.errors import DatabaseError

    with pytest.raises(DatabaseError, match=r"cannot store the NUL character \(U\+0000\)"):
        register(*intake(pg_db, **_fire_fields(summary="a\x00b")))
    assert pg_db.read("SELECT count(*) FROM incident") == [(0,)]


def test_concurrent_intake_gets_gapless_serials(pg_db: Database) -> None:
    from dutydesk.services.retry import retries

    errors: list[BaseException] = []
    serial_retries = retries["serial"]

    def worker(n: int) -> None:
        other = Database(pg_db.url)
        try:
            for i in range(8):
                register(*intake(other, **_fire_fields(title=f"{n}-{i}")))
        except BaseException as exc:
            errors.append(exc)
        finally:
            other.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    # Writers wait for each other on the chain lock instead of racing for a number: no
    # try is lost to the serial constraint (under load they once ran out of retries).
    assert retries["serial"] == serial_retries
    numbers = sorted(row[0] for row in pg_db.read("SELECT serial_no FROM incident"))
    assert numbers == list(range(1, 25))
    assert verify(pg_db).ok


def test_a_serialization_failure_is_retried_by_its_sqlstate(pg_db: Database) -> None:
    from sqlalchemy import text

    with pg_db.session() as session:
        session.add(Meta(key="probe", value="start"))
    other = Database(pg_db.url)  # another console, with its own connections
    calls: list[int] = []

    def work(session: Session) -> None:
        calls.append(1)
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(text("SELECT value FROM meta WHERE key = 'probe'")).one()  # the snapshot
        if len(calls) == 1:
            with other.session() as meanwhile:
                meanwhile.execute(text("UPDATE meta SET value = 'other' WHERE key = 'probe'"))
        # On the first try: "could not serialize access due to concurrent update" (40001).
        session.execute(text("UPDATE meta SET value = value || '+mine' WHERE key = 'probe'"))

    try:
        before = retry.retries["busy"]
        retry.write_with_retry(pg_db, work, pause=0.001)
    finally:
        other.close()
    assert len(calls) == 2 and retry.retries["busy"] - before == 1
    assert pg_db.read("SELECT value FROM meta WHERE key = 'probe'") == [("other+mine",)]


def test_a_stored_value_that_names_a_constraint_is_no_reason_to_retry(pg_db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    from dutydesk.storage.models import Person

    # PostgreSQL's message quotes the value ("Key (name)=(uq_bulletin_number) already
    # exists"); the retry decision reads the constraint's name, person_name_key here.
    calls: list[int] = []

    def add_twice(session):  # type: ignore[no-untyped-def]
        calls.append(1)
        session.add(Person(name="uq_bulletin_number"))
        session.flush()
        session.add(Person(name="uq_bulletin_number"))
        session.flush()

    with pytest.raises(IntegrityError) as caught:
        retry.write_with_retry(pg_db, add_twice, pause=0.001)
    assert caught.value.orig.sqlstate == "23505"  # type: ignore[union-attr]
    assert calls == [1]


# -- the demo night and what reads it -------------------------------------------------------


def test_demo_loads_once(pg_db: Database) -> None:
    report = load_demo(pg_db, DEMO_MOMENT)
    assert not report.already_loaded
    assert report.incidents >= 25 and report.entries > 3 * report.incidents
    assert report.database == pg_db.describe() and "@127.0.0.1" in report.database
    again = load_demo(pg_db, DEMO_MOMENT)
    assert again.already_loaded and again.incidents == report.incidents


def test_queue_matches_sqlite(pg_demo: Database, sqlite_demo: Database) -> None:
    now = DEMO_MOMENT
    counts = queue.open_counts(pg_demo, now)
    assert counts == queue.open_counts(sqlite_demo, now) and counts[1] > 0
    pg_rows = queue.fetch_window(pg_demo, 0, 100)
    lite_rows = queue.fetch_window(sqlite_demo, 0, 100)
    assert [r.serial for r in pg_rows] == [r.serial for r in lite_rows]
    assert [r.due_at for r in pg_rows] == [r.due_at for r in lite_rows]
    assert [r.title for r in pg_rows] == [r.title for r in lite_rows]
    assert queue.fetch_window(pg_demo, 5, 3) == pg_rows[5:8]
    third = pg_rows[2]
    assert queue.position_of(pg_demo, third.id) == 2
    passed = queue.deadlines_passed(pg_demo, now - timedelta(hours=6), now)
    assert [p.serial for p in passed] == [
        p.serial for p in queue.deadlines_passed(sqlite_demo, now - timedelta(hours=6), now)
    ]


def test_listing_matches_sqlite(pg_demo: Database, sqlite_demo: Database) -> None:
    def serials(db: Database, **kw: object) -> list[str]:
        return [r.serial for r in list_incidents(request(db), IncidentFilter(**kw))]  # type: ignore[arg-type]

    assert serials(pg_demo) == serials(sqlite_demo)
    assert serials(pg_demo, include_closed=True) == serials(sqlite_demo, include_closed=True)
    since = DEMO_MOMENT - timedelta(hours=3)
    assert serials(pg_demo, since=since, include_closed=True) == serials(
        sqlite_demo, since=since, include_closed=True
    )
    assert serials(pg_demo, statuses=(Status.CLOSED,)) == serials(
        sqlite_demo, statuses=(Status.CLOSED,)
    )


def test_daily_summary_matches_sqlite(pg_demo: Database, sqlite_demo: Database) -> None:
    day = DEMO_MOMENT.date() - timedelta(days=1)  # the 25th's 值班日 holds the demo night
    pg = daily_summary(request(pg_demo, tz=SHANGHAI, now=DEMO_MOMENT), day, day_start=time(8, 30))
    lite = daily_summary(
        request(sqlite_demo, tz=SHANGHAI, now=DEMO_MOMENT), day, day_start=time(8, 30)
    )
    assert pg.rows and pg.rows == lite.rows
    assert (pg.by_category, pg.by_severity, pg.by_channel) == (
        lite.by_category,
        lite.by_severity,
        lite.by_channel,
    )


def test_handover_pack_build_record_acknowledge(pg_demo: Database, sqlite_demo: Database) -> None:
    def pack_of(db: Database):  # type: ignore[no-untyped-def]
        start = period_start(db, DEMO_MOMENT, SETTINGS)
        return build_pack(
            request(db, now=DEMO_MOMENT, rules=RULES, clearance=Classification.INTERNAL),
            start=start,
            at=DEMO_MOMENT,
            settings=SETTINGS,
        )

    pg, lite = pack_of(pg_demo), pack_of(sqlite_demo)
    assert pg.received_total == lite.received_total > 0
    assert pg.open == lite.open and pg.overdue == lite.overdue
    assert pg.instructions == lite.instructions
    assert pg.roster == lite.roster and pg.away == lite.away
    stored = record_pack(pg_demo, pg, actor=None)
    assert stored.handover_id is not None
    acknowledge(pg_demo, stored.handover_id, ["黄雨婷", "杨帆"], DEMO_MOMENT, actor="黄雨婷")
    assert period_start(pg_demo, DEMO_MOMENT + timedelta(hours=1), SETTINGS) == DEMO_MOMENT
    report = verify(pg_demo)
    assert report.ok, report.problems
    assert report.acknowledged is not None


# -- bulletins --------------------------------------------------------------------------------


def test_bulletins_issued_concurrently_get_gapless_numbers(pg_demo: Database) -> None:
    serial = pg_demo.read(
        "SELECT serial FROM incident WHERE classification = 'internal' "
        "AND drill_run_id IS NULL ORDER BY id LIMIT 1"
    )[0][0]
    ids = []
    for _ in range(20):
        bulletin_id = draft_bulletin(pg_demo, kind=BulletinKind.EXPRESS, serials=(serial,),
                                     actor="杨帆", now=DEMO_MOMENT, tz=SHANGHAI)  # fmt: skip
        review_bulletin(pg_demo, bulletin_id, actor="杨帆", now=DEMO_MOMENT)
        sign_bulletin(pg_demo, bulletin_id, signer="张振华", actor="杨帆", now=DEMO_MOMENT)
        ids.append(bulletin_id)
    already = [
        row[0]
        for row in pg_demo.read(
            "SELECT issue_no FROM bulletin WHERE status = 'issued' AND kind = 'express'"
        )
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(2)
    collisions = retry.retries["serial"]

    def worker(mine: list[int]) -> None:
        other = Database(pg_demo.url)  # a console of its own, with its own connections
        try:
            start.wait()
            for bulletin_id in mine:
                issue_bulletin(
                    request(other, actor_name="杨帆", now=DEMO_MOMENT, tz=SHANGHAI), bulletin_id
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            other.close()

    threads = [threading.Thread(target=worker, args=(half,)) for half in (ids[0::2], ids[1::2])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    numbers = sorted(
        row[0]
        for row in pg_demo.read(
            "SELECT issue_no FROM bulletin WHERE status = 'issued' AND kind = 'express'"
        )
    )
    assert numbers == list(range(1, len(already) + 21))
    assert retry.retries["serial"] == collisions  # they queued on the lock, never collided
    assert verify(pg_demo).ok


# -- search -----------------------------------------------------------------------------------


def test_search_through_the_pg_index(pg_demo: Database, sqlite_demo: Database) -> None:
    assert pg_demo.search_index.name == "postgresql-gin"
    for query in ("火灾", "燃气", "火", "市", "20"):
        pg = search(request(pg_demo, clearance=Classification.INTERNAL), query, limit=200)
        lite = search(request(sqlite_demo, clearance=Classification.INTERNAL), query, limit=200)
        assert {r.serial for r in pg.rows} == {r.serial for r in lite.rows}, query
    filtered = search(
        request(pg_demo, clearance=Classification.INTERNAL),
        "",
        SearchFilter(open_only=True),
        limit=200,
    )
    assert {r.serial for r in filtered.rows} == {
        r.serial
        for r in search(
            request(sqlite_demo, clearance=Classification.INTERNAL),
            "",
            SearchFilter(open_only=True),
            limit=200,
        ).rows
    }
    assert not search(request(pg_demo, clearance=Classification.INTERNAL), "不存在的词语").rows
    secret = search(
        request(pg_demo, clearance=Classification.SECRET),
        "",
        SearchFilter(category="accident"),
        limit=200,
    )
    assert secret.rows


EDGE_NIGHT: list[dict[str, Any]] = [
    # 1- and 2-character words, wildcards, a backslash, mixed ASCII, a classified item.
    {"title": "火", "summary": "灾", "location": "A区"},
    {"title": "Gas Leak 燃气", "summary": "100%_确认，见C:\\路径\\文件", "location": "x_y"},
    {"title": "50%停电", "summary": "a\\b反斜杠_结尾%", "location": "东湖县"},
    {"title": "机密火灾批示", "summary": "机密内容不入索引", "classification": "secret"},
    {
        "title": "普通来电",
        "summary": "群众反映噪音",
        "reporter_name": "王Ab",
        "reporter_unit": "%单位_",
    },
]
"""Incidents added to the demo night on both stores before comparing searches."""

EDGE_QUERIES = (
    "火", "灾", "火灾", "幸福路", "燃气泄漏", "燃气", "gas", "GAS", "Leak", "a", "A", "ab",
    "%", "_", "\\", "0%", "%_", "100%_", "50%", "x_y", "x_", "_y", "a\\b", "\\b",
    "C:\\", "%单位", "机密", "批示", "不入索引", "派员", "市应急", "20", "2026", "-0", "0_",
    "1%0", "不存在的词语", "火灾 派员", "燃气 幸福路", "王a", "噪音 A区", "报",
    # Two words of 3+ characters (GIN asks for one pair of each: issue 15), hits, words
    # never together, and pairs of a word present apart ("应急" and "急管" without "应急管").
    "市应急 幸福路", "应急管理局 燃气泄漏", "幸福路 不存在", "燃气泄漏 反斜杠_结尾",
    "应急管 群众反映", "市应急管理局0 普通来电", "50%停电 东湖县", "%单位_ 王Ab",
)  # fmt: skip
"""Queries compared between SQLite and PostgreSQL (issue 15)."""


def _edge_night(db: Database) -> list[str]:
    """Register :data:`EDGE_NIGHT` (one entry with a target each) and return the serials."""
    serials = []
    for number, extra in enumerate(EDGE_NIGHT):
        at = T0 + timedelta(minutes=2 * number + 1)
        fields = {**_fire_fields(received_at=at, now=at), **extra}
        made = register(*intake(db, **fields))
        serials.append(made.serial)
        with db.session() as session:
            incident = session.get(Incident, made.id)
            assert incident is not None
            later = at + timedelta(minutes=1)
            add_entry(
                request(session, now=later, rules=RULES),
                incident,
                NewEntry(
                    kind=EntryKind.PHONE_REPORT, occurred_at=later, target=f"市应急管理局{number}"
                ),
                session=session,
            )
    return serials


def test_search_gives_sqlite_answers_on_the_demo_and_edge_strings(
    pg_demo: Database, tmp_path: Path
) -> None:
    lite = Database(url_for(str(tmp_path / "demo.sqlite3")))
    try:
        load_demo(lite, DEMO_MOMENT)
        serials = _edge_night(lite)
        assert _edge_night(pg_demo) == serials
        with pg_demo.session() as session:  # statistics: GIN's keys are chosen by them
            from sqlalchemy import text

            session.execute(text("ANALYZE search_doc"))
        assert pg_demo.search_index.name == "postgresql-gin"
        secret = serials[3]
        queries = (*EDGE_QUERIES, secret, secret[-5:])
        for clearance in (Classification.INTERNAL, Classification.TOP_SECRET):
            for query in queries:
                for extra in (SearchFilter(), SearchFilter(open_only=True, category="accident")):
                    got = [
                        [(r.serial, r.restricted) for r in search(
                            request(db, clearance=clearance), query, extra, limit=500).rows]
                        for db in (pg_demo, lite)
                    ]  # fmt: skip
                    assert got[0] == got[1], (clearance, query, extra)
        found = search(request(pg_demo, clearance=Classification.TOP_SECRET), "机密").rows
        assert secret not in [r.serial for r in found]  # sealed content is not searchable
        paged = search(request(pg_demo, clearance=Classification.INTERNAL), "报", offset=3).rows
        lite_paged = search(request(lite, clearance=Classification.INTERNAL), "报", offset=3).rows
        assert [r.serial for r in paged] == [r.serial for r in lite_paged]
    finally:
        lite.close()


def test_search_index_follows_every_writer(pg_db: Database) -> None:
    made = register(*intake(pg_db, **_fire_fields(title="燃气爆炸", summary="三人受伤")))

    def docs() -> dict[int, str]:
        return {int(i): str(d) for i, d in pg_db.read("SELECT incident_id, doc FROM search_doc")}

    def titles(query: str) -> list[str]:
        rows = search(request(pg_db, clearance=Classification.INTERNAL), query).rows
        return [r.title or "" for r in rows]

    assert made.id is not None and docs()[made.id].startswith(made.serial.lower() + "\n燃气爆炸")
    # A raw-SQL writer (a psql session, a bulk load) is followed by the triggers too.
    with pg_db.session() as session:
        from sqlalchemy import text

        run = session.execute
        run(text("UPDATE incident SET title = 'Riverside 泄漏', status = 'closed' WHERE id = :i"),
            {"i": made.id})  # fmt: skip
        run(
            text("UPDATE timeline_entry SET text = '派员前往' WHERE incident_id = :i"),
            {"i": made.id},
        )
    assert titles("riverSIDE") == titles("派员") == ["Riverside 泄漏"]
    assert titles("燃气爆炸") == titles("燃") == []
    with pg_db.session() as session:
        session.execute(text("DELETE FROM timeline_entry WHERE incident_id = :i"), {"i": made.id})
    assert titles("派员") == [] and titles("泄漏") == ["Riverside 泄漏"]
    with pg_db.session() as session:
        session.execute(
            text("UPDATE incident SET classification = 'secret' WHERE id = :i"), {"i": made.id}
        )
    assert docs()[made.id] == made.serial.lower()  # classified: its serial only, no content
    assert titles("泄漏") == titles("Riverside") == []
    # rebuild() recomputes the documents from the tables.
    again = register(*intake(pg_db, **_fire_fields(title="第二起")))
    assert again.id is not None
    pg_db.read("SELECT 1")
    with pg_db.session() as session:
        session.execute(text("UPDATE search_doc SET doc = 'stale'"))
    pg_db.search_index.rebuild()
    assert titles("第二起") == ["第二起"]


def test_search_escapes_like_wildcards(pg_db: Database) -> None:
    with pg_db.session() as session:
        fire(session)
        fire(session, summary="另一起", title="普通", received_at=T0 + timedelta(minutes=1))

    def found(query: str) -> list[str]:
        return [r.title or "" for r in search(request(pg_db, clearance="internal"), query).rows]

    assert found("100%_") == ["燃气泄漏"]
    assert found("0%") == ["燃气泄漏"]
    assert found("%_确") == ["燃气泄漏"]
    assert found("0_") == []  # "_" is itself, not any one character
    assert found("1%0") == []  # "%" is itself, not any run of characters
    assert found("幸福路 泄漏") == ["燃气泄漏"]
    assert found("LEAK") == []
    assert found("a\x00b") == []  # PostgreSQL text holds no NUL: nothing can match


def test_search_filters_follow_a_status_change(pg_db: Database) -> None:
    # Filters are tokens in search_doc.keys (migration 0025): a raw status change must
    # rewrite them, or a filtered search answers from the old status.
    with pg_db.session() as session:
        made = fire(session)
    reader = request(pg_db, clearance="internal")

    def found(status: str) -> list[str]:
        rows = search(reader, "泄漏", SearchFilter(status=status)).rows
        return [r.title or "" for r in rows]

    assert found("received") == ["燃气泄漏"] and found("closed") == []
    with pg_db.session() as session:
        from sqlalchemy import text

        session.execute(
            text("UPDATE incident SET status = 'closed', is_open = false WHERE id = :i"),
            {"i": made.id},
        )
    assert found("received") == [] and found("closed") == ["燃气泄漏"]
    closed = search(reader, "泄漏", SearchFilter(open_only=True)).rows
    assert closed == []


def _gin_scans(db: Database, spec: SearchSpec) -> list[tuple[str, bool]]:
    """The GIN scans of the search statement: each one's condition, and whether it ran.

    Sequential scans off: a table of a dozen rows is otherwise read whole.
    """
    from sqlalchemy import text

    sql, params = PostgresSearchIndex(db)._steps_sql(spec)
    with db.session() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}"), params)
        plan = [str(row[0]) for row in rows]
    return [
        (following.split("Index Cond: ", 1)[1], "never executed" not in line)
        for line, following in itertools.pairwise(plan)
        if "Bitmap Index Scan on search_doc_keys" in line
    ]


def test_two_words_ask_gin_for_the_rarest_pair_of_each(pg_db: Database) -> None:
    # Issue 15: two common words that never meet cost GIN every list it reads. With
    # statistics, each word of 3+ characters is looked up by its rarest pair only (its
    # other pairs are found in the same documents) when no newest document holds those
    # pairs together; one word alone keeps all its pairs.
    with pg_db.session() as session:
        for number in range(12):
            place = "幸福路12号" if number % 2 else "北山乡路北侧"
            fire(session, title=f"{place}燃气泄漏", summary=f"据报，{place}燃气泄漏",
                 location=place, received_at=T0 + timedelta(minutes=number))  # fmt: skip
    with pg_db.session() as session:
        from sqlalchemy import text

        session.execute(text("ANALYZE search_doc"))  # committed: a read rolls back
    visible = ("public", "internal")
    never = SearchSpec(terms=("幸福路", "北山乡"), visible=visible)
    assert PostgresSearchIndex(pg_db).find(never) == []
    ran = [condition for condition, executed in _gin_scans(pg_db, never) if executed]
    assert len(ran) == 1 and "{幸福}" in ran[0] and "{北山}" in ran[0], ran
    assert "福路" not in ran[0] and "山乡" not in ran[0]
    # 福路北 is nowhere, though 福路 and 路北 are each in half the documents, and 福路
    # meets 燃气 in the newest: every pair, or LIKE would check all those documents.
    absent = SearchSpec(terms=("福路北", "燃气"), visible=visible)
    assert PostgresSearchIndex(pg_db).find(absent) == []
    ran = [condition for condition, executed in _gin_scans(pg_db, absent) if executed]
    assert len(ran) == 1 and "福路" in ran[0] and "路北" in ran[0], ran
    one = SearchSpec(terms=("幸福路",), visible=visible)
    assert len(PostgresSearchIndex(pg_db).find(one)) == 6
    assert [c for c, _ in _gin_scans(pg_db, one) if "幸福" in c and "福路" in c]
    # Without statistics (a new database before autovacuum's ANALYZE): every pair.
    assert pg_lookup_grams(["幸福路", "北山乡"], None) == [["幸福", "福路"], ["北山", "山乡"]]


@pytest.mark.parametrize(
    "doc",
    ["", "a", "燃气 泄漏\n幸福路\u3000 12号", "x\ty\r\nz", 'q"uo\\te{},', "🚒火\u0301", "  "],
)
def test_bulk_keys_equal_the_trigger_keys(pg_db: Database, doc: str) -> None:
    # tests/bench/build_pg.py loads keys computed by pg_doc_keys: they must be the
    # SQL function's (what every trigger writes), as sets.
    args = ("follow_up", "public_health", "IV", "online_opinion", True)
    sql = pg_db.read(
        "SELECT dutydesk_search_keys(:d, :s, :c, :v, :h, :o)",
        dict(zip(("d", "s", "c", "v", "h", "o"), (doc, *args), strict=True)),
    )[0][0]
    python = pg_doc_keys(doc, *args)
    assert sorted(python) == sorted(sql) and len(python) == len(set(python))
    # The filter tokens last, in one order: migration 0027's indexes read them by place.
    assert (
        python[-5:]
        == sql[-5:]
        == [
            filter_token(column, value)
            for column, value in zip(PG_FILTER_ORDER, (*args[:4], "1"), strict=True)
        ]
    )


def test_each_filter_token_is_where_the_walks_index_reads_it(pg_demo: Database) -> None:
    # A filtered walk reads one token's index (migration 0027): on every document, the
    # token at each filter's place must be its incident's value, or a walk would skip
    # matches (or take others).
    places = ", ".join(f"{pg_token_at(column)} AS {column}" for column in PG_FILTER_ORDER)
    rows = pg_demo.read(
        f"SELECT i.status, i.category, i.severity, i.channel, i.is_open, {places} "  # noqa: S608 - constants
        "FROM search_doc d JOIN incident i ON i.id = d.incident_id"
    )
    assert len(rows) == pg_demo.read("SELECT count(*) FROM incident")[0][0] > 20
    for row in rows:
        values = (*row[:4], "1" if row[4] else "0")
        expected = [filter_token(c, v) for c, v in zip(PG_FILTER_ORDER, values, strict=True)]
        assert list(row[5:]) == expected


def test_migration_0025_downgrades_and_upgrades(pg_db: Database) -> None:
    with pg_db.session() as session:
        fire(session)
    indexes = "SELECT indexname FROM pg_indexes WHERE tablename = 'search_doc' ORDER BY 1"
    migrate(pg_db, "downgrade", "0024")
    assert [r[0] for r in pg_db.read(indexes)] == [
        "search_doc_grams", "search_doc_order", "search_doc_pkey", "search_doc_trgm",
    ]  # fmt: skip
    migrate(pg_db, "upgrade", "0025")
    assert [r[0] for r in pg_db.read(indexes)] == [
        "search_doc_keys", "search_doc_order", "search_doc_pkey",
    ]  # fmt: skip
    keys = pg_db.read("SELECT keys FROM search_doc")[0][0]
    assert "燃气" in keys and filter_token("status", "received") in keys
    found = search(request(pg_db, clearance="internal"), "燃气", SearchFilter(category="accident"))
    assert [r.title for r in found.rows] == ["燃气泄漏"]


def test_migration_0027_downgrades_and_upgrades(pg_db: Database) -> None:
    with pg_db.session() as session:
        fire(session)
    indexes = (
        "SELECT indexname FROM pg_indexes WHERE tablename = 'search_doc' "
        "AND indexname LIKE 'search_doc_by_%' ORDER BY 1"
    )
    by = ["search_doc_by_category", "search_doc_by_channel", "search_doc_by_open",
          "search_doc_by_severity", "search_doc_by_status"]  # fmt: skip
    assert [r[0] for r in pg_db.read(indexes)] == by
    migrate(pg_db, "downgrade", "0026")
    assert pg_db.read(indexes) == []
    reader = request(pg_db, clearance="internal")
    assert [r.title for r in search(reader, "燃气", SearchFilter(category="accident")).rows] == [
        "燃气泄漏"
    ]
    migrate(pg_db, "upgrade", "0027")
    assert [r[0] for r in pg_db.read(indexes)] == by
    assert [r.title for r in search(reader, "燃气", SearchFilter(category="accident")).rows] == [
        "燃气泄漏"
    ]


def test_migration_0028_keeps_the_search_answers(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 15: 0028 indexes every document's grams under its day (an expression, so
    # no document is rewritten). On a filled database at 0027 the upgrade makes the
    # day walk's answers those of the plain tables, page by page; the downgrade drops it.
    monkeypatch.setattr("dutydesk.storage.search.PG_WINDOW", 4)
    monkeypatch.setattr(PostgresSearchIndex, "_key_share", lambda self: lambda key: 0.5)
    fire_old_and_new(pg_db)
    day_index = "SELECT indexname FROM pg_indexes WHERE indexname = 'search_doc_day_keys'"
    migrate(pg_db, "downgrade", "0027")
    assert pg_db.read(day_index) == []
    visible = ("public", "internal")
    specs = [
        SearchSpec(terms=(term,), visible=visible, limit=limit, offset=offset)
        for term in ("泄漏", "燃气泄漏", "停电")
        for limit, offset in ((3, 0), (4, 2), (50, 0))
    ]
    plain = LikeSearchIndex(pg_db)
    expected = [[row.id for row in plain.find(spec)] for spec in specs]
    migrate(pg_db, "upgrade", "0028")
    assert [r[0] for r in pg_db.read(day_index)] == ["search_doc_day_keys"]
    # No pending list: a search would read it whole at every day it walks.
    options = "SELECT reloptions FROM pg_class WHERE relname = 'search_doc_day_keys'"
    assert pg_db.read(options)[0][0] == ["fastupdate=off"]
    index = PostgresSearchIndex(pg_db)
    assert [[row.id for row in index.find(spec)] for spec in specs] == expected
    assert "win_days" in _gin_step(index, specs[0])[0]
    # A document moves to its new day when its received time is edited.
    moved = pg_db.read("SELECT min(id) FROM incident WHERE title LIKE '燃气泄漏旧%'")[0][0]
    from sqlalchemy import text

    with pg_db.session() as session:
        session.execute(
            text("UPDATE incident SET received_at = :at WHERE id = :id"),
            {"at": T0 + timedelta(hours=1), "id": moved},
        )
    first = index.find(SearchSpec(terms=("泄漏",), visible=visible, limit=1))
    assert [row.id for row in first] == [moved]


# -- accounts -----------------------------------------------------------------------------


def test_sign_in_accounts_and_audit_trail(pg_demo: Database) -> None:
    from dutydesk.services.accounts.audit import list_events
    from dutydesk.services.accounts.auth import authenticate
    from dutydesk.services.accounts.users import list_users

    admin = authenticate(pg_demo, "李晓明", "1111", DEMO_MOMENT)
    accounts = {row.name: row for row in list_users(pg_demo, admin)}
    assert accounts["李晓明"].roles == ("admin", "duty_officer")
    assert accounts["李晓明"].has_pin and accounts["李晓明"].active
    auditor = authenticate(pg_demo, "许文博", "5555", DEMO_MOMENT)
    events = list_events(pg_demo, auditor)
    assert events and any(event.action == "sign_in" for event in events)


# -- integrity ----------------------------------------------------------------------------------


def test_verify_finds_a_changed_record(pg_demo: Database) -> None:
    report = verify(pg_demo)
    assert report.ok and report.links > 50
    with pg_demo.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE timeline_entry SET text = text || '（改）' WHERE id = 3"))
    report = verify(pg_demo)
    assert not report.ok
    assert any("changed" in problem for problem in report.problems)


# -- the command line ---------------------------------------------------------------------------


def test_commands_run_in_one_process_give_their_connections_back(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Eight writers each running 40 commands in one process (bench_concurrency) met the
    # server's max_connections: every command's engine kept its connection until the
    # collector found it, and the refusal was told as "cannot be reached".
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    name = pg_db.read("SELECT current_database() AS name")[0].name

    before = connections_to(pg_db, name)
    was_enabled = gc.isenabled()
    gc.disable()  # the leak hid behind the collector: it must not close them here
    try:
        for number in range(5):
            add = ["incident", "add", "--summary", f"第{number}起测试接报"]
            for args in (add, ["incident", "list"]):
                code = 0
                try:
                    main(["--db", pg_db.url, "--now", "2026-11-26T02:31+08:00", *args])
                except SystemExit as exc:
                    code = int(exc.code or 0)
                assert code == 0, args
        # Ten commands, no connection left open (once their server processes have exited).
        assert settles(lambda: connections_to(pg_db, name) == before), (
            f"{connections_to(pg_db, name)} connections, {before} before"
        )
    finally:
        if was_enabled:
            gc.enable()


def test_cli_incident_add_and_list(
    pg_db: Database,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main(["--db", pg_db.url, "--now", "2026-11-26T02:31+08:00", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = run("incident", "add", "--summary", "幸福路12号燃气爆炸，3人受伤",
                         "--received", "02:14", "--category", "accident", "--severity", "II",
                         "--location", "幸福路12号")  # fmt: skip
    assert code == 0, err
    serial = out.strip()
    assert serial == "20261126-001"
    code, out, err = run("incident", "list", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [row["serial"] for row in rows] == [serial]
    code, out, err = run("incident", "log", serial, "phone-report", "--to", "市应急管理局")
    assert code == 0, err
    code, out, err = run("incident", "edit", serial, "--severity", "I", "--expected-version", "1")
    assert code != 0 and "changed" in err  # the entry above moved it to version 2
    code, out, err = run("incident", "edit", serial, "--severity", "I", "--expected-version", "2")
    assert code == 0, err
    code, out, err = run("incident", "show", serial)
    assert code == 0, err
    assert "幸福路12号" in out
    code, out, err = run("verify")
    assert code == 0, err


def test_cli_init_user_list_and_backup_by_pg_dump(
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    key_file = tmp_path / "new.key"
    monkeypatch.setenv("DUTYDESK_KEY_FILE", str(key_file))
    monkeypatch.setenv("DUTYDESK_DATABASE_URL", pg_url)  # the URL setting, not --db

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main(["--now", "2026-11-26T02:31+08:00", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    monkeypatch.setenv("DUTYDESK_NEW_PIN", "2468")
    code, _, err = run("init", "--name", "赵建国")  # an administrator holds no clearance
    assert code == 0, err
    assert key_file.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("DUTYDESK_PIN", "2468")
    code, out, err = run("user", "list", "--format", "csv", "--operator", "赵建国")
    assert code == 0, err
    assert "赵建国" in out and "admin" in out
    # Issue 15: a server database is backed up by pg_dump (custom format), checked by
    # pg_restore --list, its head the archive's own; the verify head matches it.
    archive = tmp_path / "desk.dump"
    code, _, err = run("backup", str(archive))
    assert code == 0, err
    assert "pg_dump" in err and archive.read_bytes()[:5] == b"PGDMP"
    assert not archive.with_name("desk.dump.partial").exists()
    code, out, verified = run("verify")
    assert code == 0, verified
    head = err.split("(chain head ")[1].split(")")[0]
    assert head in out or head in verified
    code, _, again = run("backup", str(archive))  # never over an existing file
    assert code == 2 and len(again.strip().splitlines()) == 1, again
    monkeypatch.delenv("DUTYDESK_KEY_FILE")  # a server database has no <file>.key
    code, _, err = run("incident", "list", "--operator", "赵建国")
    assert code == 0, err  # nothing sealed to open
    # An accredited desk stores classified content sealed, with a key every desk reads:
    # without key_file it refuses (a register-mode desk refuses the content itself).
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")
    code, _, err = run("user", "add", "孙丽", "--role", "duty_officer", "--operator", "赵建国")
    assert code == 0, err  # the administrator writes no record (issue 17): a duty officer
    code, _, err = run("incident", "add", "--summary", "密电", "--classification", "secret",
                       "--operator", "孙丽")  # fmt: skip
    assert code != 0 and "key_file" in err, err


def test_no_server_is_a_skip_or_in_ci_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import pg_support

    monkeypatch.setattr("tests.pg_support.shutil.which", lambda _name: None)
    monkeypatch.setattr("tests.pg_support.glob.glob", lambda _pattern: [])
    assert pg_support.find_bindir() is None
    monkeypatch.delenv(pg_support.ENV_REQUIRED, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL"):
        pg_support._unavailable("PostgreSQL tests: no PostgreSQL server binaries")
    monkeypatch.setenv(pg_support.ENV_REQUIRED, "1")
    with pytest.raises(pytest.fail.Exception, match="DUTYDESK_TEST_PG_REQUIRED"):
        pg_support._unavailable("PostgreSQL tests: no PostgreSQL server binaries")


# Commands run in order on the demo night, as the operator named (PINs of the demo).
_NIGHT = [
    ("李晓明", "1111", ["roster", "generate", "--from", "2026-12-10", "--to", "2026-12-16", "--apply"]),
    ("李晓明", "1111", ["roster", "special", "--from", "2026-12-12", "--to", "2026-12-13", "--note", "测试"]),
    ("李晓明", "1111", ["roster", "show"]),
    ("黄雨婷", "4444", ["leave", "add", "--leader", "周文斌", "--from", "2026-11-27T07:00",
                      "--to", "2026-11-30T20:00", "--acting", "陈国华"]),
    ("黄雨婷", "4444", ["leave", "list"]),
    ("黄雨婷", "4444", ["incident", "list", "--all"]),
    ("韩冬", "666666", ["incident", "list", "--clearance", "top_secret"]),
    # The written report must say when it happened: the officer fills it in first.
    ("黄雨婷", "4444", ["incident", "edit", "20261126-004", "--occurred", "01:20"]),
    ("黄雨婷", "4444", ["bulletin", "draft", "20261126-004"]),
    ("黄雨婷", "4444", ["bulletin", "review", "1"]),
    ("王立新", "777777", ["bulletin", "sign", "1", "--sms-ok", "20261126-004"]),  # 可发短信/微信
    ("黄雨婷", "4444", ["bulletin", "issue", "1"]),
    ("黄雨婷", "4444", ["bulletin", "sms", "1"]),
    ("黄雨婷", "4444", ["bulletin", "list"]),
    ("黄雨婷", "4444", ["export", "daily", "--format", "json"]),
    ("黄雨婷", "4444", ["handover", "--format", "md"]),
    ("黄雨婷", "4444", ["handover", "ack", "--names", "赵静,黄雨婷"]),
    ("黄雨婷", "4444", ["trends", "--window", "week", "--by", "location"]),
    ("黄雨婷", "4444", ["drill", "start", "chemical_fire"]),
    ("黄雨婷", "4444", ["drill", "stop"]),
    ("黄雨婷", "4444", ["drill", "report"]),
    ("李晓明", "1111", ["key", "rotate"]),
    ("许文博", "5555", ["audit", "list"]),
    ("韩冬", "666666", ["incident", "list", "--clearance", "top_secret"]),
    ("黄雨婷", "4444", ["verify"]),
]  # fmt: skip


def test_cli_a_night_of_commands(
    pg_demo: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setenv("DUTYDESK_DATABASE_URL", pg_demo.url)
    monkeypatch.setenv("DUTYDESK_OUTBOX_DIR", str(tmp_path / "outbox"))
    for operator, pin, args in _NIGHT:
        monkeypatch.setenv("DUTYDESK_OPERATOR", operator)
        monkeypatch.setenv("DUTYDESK_PIN", pin)
        capsys.readouterr()
        try:
            main(["--now", "2026-11-26T02:31+08:00", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        _, err = capsys.readouterr()
        assert code == 0, (args, err)
    assert pg_demo.read("SELECT issue_no FROM bulletin WHERE id = 1") == [(1,)]
    assert (
        pg_demo.read("SELECT count(*) FROM handover WHERE acknowledged_at IS NOT NULL")[0][0] == 1
    )
    assert verify(pg_demo).ok


# -- the console --------------------------------------------------------------------------------


async def test_console_shows_the_queue_and_notices_another_desk(
    pg_db: Database, tmp_path: Path
) -> None:
    import asyncio

    from dutydesk.clock import FrozenClock
    from dutydesk.tui.app import DutyDeskApp
    from tests.tui.conftest import NOW, seed_night
    from tests.tui.test_console import SIZE, settle

    seed_night(pg_db)
    lite = Database(url_for(str(tmp_path / "night.sqlite3")))
    try:
        lite.ensure_schema()
        seed_night(lite)  # the same night on SQLite: the same queue, row for row
        assert [r.serial for r in queue.fetch_window(pg_db, 0, 100)] == [
            r.serial for r in queue.fetch_window(lite, 0, 100)
        ]
    finally:
        lite.close()
    settings = Settings(timezone="Asia/Shanghai")
    app = DutyDeskApp(
        pg_db, settings, FrozenClock(NOW.astimezone(UTC)), "en", Classification.INTERNAL
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue_pane = app.main.queue
        assert queue_pane.count == 29
        assert [queue_pane.row(i).serial for i in range(3)] == [  # type: ignore[union-attr]
            "20261126-004",
            "20261126-002",
            "20261126-003",
        ]
        other = Database(pg_db.url)  # another desk registers a call
        try:
            register(*intake(other, **_fire_fields(received_at=NOW, now=NOW)))
        finally:
            other.close()
        for _ in range(40):  # the watcher polls every 0.4 s
            await asyncio.sleep(0.1)
            await settle(pilot)
            if queue_pane.count == 30:
                break
        assert queue_pane.count == 30


def _outage_db(cluster: Any) -> Database:
    """A migrated dutydesk database on a server of the test's own."""
    database = Database(f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres")
    database.ensure_schema()
    return database


def test_a_watch_says_the_server_went_away_and_reconnects_by_itself(own_cluster: Any) -> None:
    """Issue 15: ``pg_ctl stop -m immediate``, then the server back on its port."""
    db = _outage_db(own_cluster)
    watch = change_watch(db)
    cancel = threading.Event()
    try:
        own_cluster.crash()
        for _ in range(100):
            watch.wait(0.1, cancel)
            if watch.lost:
                break
        assert watch.lost
        own_cluster.restart()
        back = False
        for _ in range(100):  # each try waits a tick, then connects in up to 2 s
            back = watch.wait(0.1, cancel)
            if back:
                break
        assert back and not watch.lost  # back, and a change reported: read everything
        other = Database(db.url)
        try:
            thread, seen = _wait_in_thread(watch)
            with other.session() as session:
                session.add(Meta(key="after", value="outage"))
            thread.join(WATCH_TIMEOUT / 2)
            assert seen == [True]  # listening again, not polling
        finally:
            other.close()
    finally:
        watch.close()
        db.close()


async def test_the_console_header_says_the_server_is_gone_then_back(own_cluster: Any) -> None:
    from dutydesk.clock import FrozenClock
    from dutydesk.tui.app import DutyDeskApp
    from dutydesk.tui.widgets.status import StatusLine
    from tests.tui.conftest import NOW, seed_night
    from tests.tui.test_console import SIZE, settle

    db = _outage_db(own_cluster)
    seed_night(db)
    app = DutyDeskApp(
        db, Settings(timezone="Asia/Shanghai"), FrozenClock(NOW.astimezone(UTC)), "en"
    )
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            header = app.main.query_one(StatusLine)
            assert "Open 29" in str(header.content)
            own_cluster.crash()
            for _ in range(200):
                await pilot.pause(0.05)
                if header.lost:
                    break
            assert "Database unreachable" in str(header.content)
            assert "Open" not in str(header.content)  # no stale counts while away
            own_cluster.restart()
            for _ in range(300):
                await pilot.pause(0.05)
                if not header.lost:
                    break
            await settle(pilot)
            assert "Database unreachable" not in str(header.content)
            said = [str(n.message) for n in app._notifications]
            assert any("cannot be reached" in m for m in said), said
            assert any("is back" in m for m in said), said
    finally:
        db.close()


async def test_a_save_while_the_server_is_away_is_refused_in_one_line_and_kept(
    own_cluster: Any,
) -> None:
    """Issue 15 (and 17, item 10): the intake form said "Saving…" for ever."""
    from textual.widgets import TextArea

    from dutydesk.clock import FrozenClock
    from dutydesk.tui.app import DutyDeskApp
    from dutydesk.tui.screens.intake import IntakeScreen
    from dutydesk.tui.screens.main import MainScreen
    from tests.tui.conftest import NOW, seed_night
    from tests.tui.test_console import SIZE, settle

    db = _outage_db(own_cluster)
    seed_night(db)
    app = DutyDeskApp(
        db, Settings(timezone="Asia/Shanghai"), FrozenClock(NOW.astimezone(UTC)), "en"
    )
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, IntakeScreen)
            summary = form.query_one("#field-summary TextArea", TextArea)
            summary.focus()
            await pilot.press(*"Tanker fire")
            own_cluster.crash()
            await pilot.press("ctrl+s")
            for _ in range(200):
                await pilot.pause(0.05)
                if "cannot be reached" in form.status_text:
                    break
            assert "cannot be reached" in form.status_text, form.status_text
            assert "nothing was written" in form.status_text
            assert app.screen is form and summary.text == "Tanker fire"  # kept
            own_cluster.restart()
            await pilot.press("ctrl+s")
            for _ in range(200):
                await pilot.pause(0.05)
                if isinstance(app.screen, MainScreen):
                    break
            assert isinstance(app.screen, MainScreen), app.screen
    finally:
        db.close()
    db = Database(db.url)
    try:
        titles = [str(r[0]) for r in db.read("SELECT summary FROM incident")]
        assert titles.count("Tanker fire") == 1  # saved once, after the server came back
    finally:
        db.close()


def test_cli_says_the_server_is_away_in_one_line_with_its_own_exit_code(
    own_cluster: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _outage_db(own_cluster)
    db.close()
    own_cluster.crash()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["--db", db.url, "incident", "list"])
    _out, err = capsys.readouterr()
    assert done.value.code == 5
    assert len(err.strip().splitlines()) == 1 and "cannot be reached" in err, err
    assert "Traceback" not in err and "OperationalError" not in err


def test_gin_candidates_are_joined_to_incidents_only_for_the_page(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 15: a phrase common in older documents but in none of the newest is read
    # through GIN; its candidates are sorted first and incidents looked up only until
    # the page is full (at 1M: 13,815 look-ups for a page of 50 before, 415-483 ms).
    monkeypatch.setattr("dutydesk.storage.search.PG_WINDOW", 4)
    with pg_db.session() as session:
        for number in range(8):
            fire(session, title=f"燃气泄漏{number}", received_at=T0 + timedelta(minutes=number))
        for number in range(8, 14):
            fire(session, title=f"停电{number}", summary="某街道停电", location="南城街道",
                 received_at=T0 + timedelta(minutes=number))  # fmt: skip
    spec = SearchSpec(terms=("燃气泄漏",), visible=("public", "internal"), limit=3)
    found = PostgresSearchIndex(pg_db).find(spec)
    assert [row.title for row in found] == ["燃气泄漏7", "燃气泄漏6", "燃气泄漏5"]
    from sqlalchemy import text

    sql, params = PostgresSearchIndex(pg_db)._steps_sql(spec)
    with pg_db.session() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        session.execute(text("SET LOCAL enable_hashjoin = off"))
        session.execute(text("SET LOCAL enable_mergejoin = off"))
        plan = [str(row[0]) for row in session.execute(text(f"EXPLAIN ANALYZE {sql}"), params)]
    gin = [line for line in plan if "Bitmap Index Scan on search_doc_keys" in line]
    assert gin and "never executed" not in gin[0], plan
    lookups = [
        int(line.rsplit("loops=", 1)[1].rstrip(")"))
        for line in plan
        if "incident_pkey" in line and "never executed" not in line and "loops=" in line
    ]
    # At most a page of look-ups in any step (before: one per GIN candidate, 8 here).
    assert lookups and max(lookups) <= 3, plan


def fire_old_and_new(db: Database) -> None:
    """30 燃气泄漏 half a year ago, 5 twenty days ago, and the newest 6 of another word."""
    with db.session() as session:
        for number in range(30):
            at = T0 - timedelta(days=200) + timedelta(minutes=number)
            fire(session, title=f"燃气泄漏旧{number}", received_at=at)
        for number in range(5):
            fire(session, title=f"燃气泄漏{number}",
                 received_at=T0 - timedelta(days=20) + timedelta(minutes=number))  # fmt: skip
        for number in range(6):
            fire(session, title=f"停电{number}", summary="某街道停电", location="南城街道",
                 received_at=T0 + timedelta(minutes=number))  # fmt: skip


@pytest.mark.parametrize("share", [0.01, 0.5], ids=["some", "common-keys"])
def test_gin_reads_a_word_common_only_in_older_documents_day_by_day(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    # Issue 15: a word common last month but in none of the newest documents was read
    # through GIN over all its candidates, each one's row visited for its text (13,815
    # at 1M, about 100 ms). Now GIN's candidates are read day by day from the newest
    # document, and older days only if the page is not full: here the 30 candidates of
    # half a year ago are never read.
    monkeypatch.setattr("dutydesk.storage.search.PG_WINDOW", 4)
    # A key in 1% of the documents or in half: the days, by every pair of the term.
    monkeypatch.setattr(PostgresSearchIndex, "_key_share", lambda self: lambda key: share)
    fire_old_and_new(pg_db)
    visible = ("public", "internal")
    index = PostgresSearchIndex(pg_db)
    pages, after = [], None
    for _ in range(13):  # pages of 3 across the days, then none
        spec = SearchSpec(terms=("燃气泄漏",), visible=visible, limit=3, after=after)
        page = index.find(spec)
        pages.append([row.title for row in page])
        after = SearchAfter(page[-1].received_at, page[-1].id) if page else None
    older = [f"燃气泄漏旧{number}" for number in reversed(range(30))]
    expected = [f"燃气泄漏{number}" for number in reversed(range(5))] + older
    assert pages == [expected[at : at + 3] for at in range(0, 39, 3)]
    offset = SearchSpec(terms=("燃气泄漏",), visible=visible, limit=4, offset=2)
    assert [row.title for row in index.find(offset)] == expected[2:6]
    steps = _gin_step(index, SearchSpec(terms=("燃气泄漏",), visible=visible))[0]
    _assert_the_days_bound_the_rows_read(pg_db, index, visible)
    assert "win_days" in steps


def _gin_step(index: PostgresSearchIndex, spec: SearchSpec) -> tuple[str, dict[str, Any]]:
    """The GIN step's statement as :meth:`PostgresSearchIndex.find` runs it (by day: apart)."""
    from dutydesk.storage.search import _Params

    params = _Params()
    by_day = index._reads_by_day(spec, index._key_share())
    return index._gin_sql(spec, params, by_day=by_day), params.values


def _assert_the_days_bound_the_rows_read(
    db: Database, index: PostgresSearchIndex, visible: tuple[str, ...]
) -> None:
    from sqlalchemy import text

    first = SearchSpec(terms=("燃气泄漏",), visible=visible, limit=3)
    sql, params = _gin_step(index, first)
    with db.session() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = [str(row[0]) for row in session.execute(text(f"EXPLAIN ANALYZE {sql}"), params)]
    # The 5 of the day that fills the page, and the newest and oldest document (the
    # days' ends). Before 0027's windows: every one of the 35 candidates.
    assert 0 < _rows_fetched(db, sql, params) <= 5 + 2, "\n".join(plan)


def _key_reads(plan: list[str]) -> int:
    """Executed plan nodes that read ``search_doc`` by its keys: each GIN list read
    (``Index Cond``) or walk checking them (``Filter``); a bitmap's recheck is not one."""
    reads, executed = 0, False
    for line in plan:
        if "->" in line or not line.startswith(" "):  # a node
            executed = "never executed" not in line
        elif executed and "keys @>" in line:
            reads += line.split(":", 1)[0].strip() in ("Index Cond", "Filter")
    return reads


def _day_list_reads(plan: list[str]) -> tuple[int, int]:
    """Executed reads of GIN in a plan: of the plain lists, then of day lists.

    Each executed ``Bitmap Index Scan`` counts once per loop (a day walk loops a day).
    """
    plain = days = 0
    for line in plan:
        if "Bitmap Index Scan on search_doc_" not in line or "never executed" in line:
            continue
        loops = int(line.rsplit("loops=", 1)[1].rstrip(")"))
        if "search_doc_day_keys" in line:
            days += loops
        elif "search_doc_keys" in line:
            plain += loops
    return plain, days


def _rows_fetched(db: Database, sql: str, params: dict[str, Any]) -> int:
    """Rows of ``search_doc`` a statement fetched from the table, by the server's count.

    Exact where EXPLAIN's rows are an average per loop (a day walk's 5 rows in 21 days
    print as 0).
    """
    from sqlalchemy import text

    fetched = "SELECT pg_stat_get_xact_tuples_fetched('search_doc'::regclass)"
    with db.session() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        before = session.execute(text(fetched)).scalar_one()
        session.execute(text(sql), params).all()
        return int(session.execute(text(fetched)).scalar_one()) - int(before)


@pytest.mark.parametrize("term", ["泄漏", "燃气泄漏"])
def test_a_key_in_many_documents_is_read_by_day_until_the_page_is_full(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch, term: str
) -> None:
    # Issue 15: a key in a sixth of the documents but none of the newest (县 at 1M, a
    # GIN list of 159,000: 30-50 ms a read whatever the time window) was read whole, a
    # window being a filter after GIN. Migration 0028 indexes each document's grams
    # under its day too: the days are walked newest first, one short list a day, and
    # the walk stops when the page is full; the 30 candidates of half a year ago and
    # the plain list are never read (nor, for a longer term, probed by every pair).
    monkeypatch.setattr("dutydesk.storage.search.PG_WINDOW", 4)
    monkeypatch.setattr(PostgresSearchIndex, "_key_share", lambda self: lambda key: 0.5)
    fire_old_and_new(pg_db)
    visible = ("public", "internal")
    index = PostgresSearchIndex(pg_db)
    pages, after = [], None
    for _ in range(13):  # pages of 3 across the days, then none
        page = index.find(SearchSpec(terms=(term,), visible=visible, limit=3, after=after))
        pages.append([row.title for row in page])
        after = SearchAfter(page[-1].received_at, page[-1].id) if page else None
    older = [f"燃气泄漏旧{number}" for number in reversed(range(30))]
    expected = [f"燃气泄漏{number}" for number in reversed(range(5))] + older
    assert pages == [expected[at : at + 3] for at in range(0, 39, 3)]
    offset = SearchSpec(terms=(term,), visible=visible, limit=4, offset=2)
    assert [row.title for row in index.find(offset)] == expected[2:6]
    from sqlalchemy import text

    spec = SearchSpec(terms=(term,), visible=visible, limit=3)
    sql, params = _gin_step(index, spec)
    with pg_db.session() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = [str(row[0]) for row in session.execute(text(f"EXPLAIN ANALYZE {sql}"), params)]
    plain, days = _day_list_reads(plan)
    # The 21 days from the newest document back to the day of the 5 that fill the
    # page, whose rows alone are fetched (and the newest and oldest document's, for
    # the series' ends). Before: the plain list once or more, every candidate fetched.
    assert (plain, days) == (0, 21), "\n".join(plan)
    assert _rows_fetched(pg_db, sql, params) <= 5 + 2


def test_days_older_than_the_walk_are_read_by_the_plain_step_only_if_needed(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The day walk stops after PG_DAY_WALK_DAYS: a word on none of ten years' days
    # would otherwise read 3,650 day lists. Older documents come from the plain GIN
    # step, and only when the days walked left the page short.
    monkeypatch.setattr("dutydesk.storage.search.PG_WINDOW", 4)
    monkeypatch.setattr("dutydesk.storage.search.PG_DAY_WALK_DAYS", 30)
    monkeypatch.setattr(PostgresSearchIndex, "_key_share", lambda self: lambda key: 0.5)
    fire_old_and_new(pg_db)
    visible = ("public", "internal")
    index = PostgresSearchIndex(pg_db)
    older = [f"燃气泄漏旧{number}" for number in reversed(range(30))]
    expected = [f"燃气泄漏{number}" for number in reversed(range(5))] + older
    pages, after = [], None
    for _ in range(13):  # pages of 3: the days, then the plain step, then none
        page = index.find(SearchSpec(terms=("泄漏",), visible=visible, limit=3, after=after))
        pages.append([row.title for row in page])
        after = SearchAfter(page[-1].received_at, page[-1].id) if page else None
    assert pages == [expected[at : at + 3] for at in range(0, 39, 3)]
    from sqlalchemy import text

    reads = []
    for limit in (3, 8):  # the 5 of twenty days ago fill the first; not the second
        spec = SearchSpec(terms=("泄漏",), visible=visible, limit=limit)
        assert [row.title for row in index.find(spec)] == expected[:limit]
        sql, params = _gin_step(index, spec)
        with pg_db.session() as session:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = [str(r[0]) for r in session.execute(text(f"EXPLAIN ANALYZE {sql}"), params)]
        reads.append(_day_list_reads(plan))
    # (plain lists read, day lists read): 21 days for the first page, the 30 days of
    # the walk and then the plain list for the second.
    assert reads == [(0, 21), (1, 30)]


def test_a_page_by_offset_brings_only_its_rows_from_the_server(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 15: page 21 by offset 1,000 (an API caller) had the server send the first
    # 1,050 matches and this process convert them all to keep the last 50 (33.8 ms p95
    # at 1M). The server now skips the offset; a page past the end is still empty.
    monkeypatch.setattr("dutydesk.storage.search.PG_WINDOW", 4)
    with pg_db.session() as session:
        for number in range(12):
            fire(session, title=f"燃气泄漏{number}", received_at=T0 + timedelta(minutes=number))
    index = PostgresSearchIndex(pg_db)
    returned: list[int] = []
    read = pg_db.read

    def counting(sql: str, params: Any = None) -> Any:
        rows = read(sql, params)
        returned.append(len(rows))
        return rows

    monkeypatch.setattr(pg_db, "read", counting)
    titles = [f"燃气泄漏{number}" for number in reversed(range(12))]
    visible = ("public", "internal")
    for offset, limit in ((6, 3), (1, 3), (9, 5), (3, 2)):  # the walk, then the GIN step
        returned.clear()
        spec = SearchSpec(terms=("燃气泄漏",), visible=visible, limit=limit, offset=offset)
        assert [row.title for row in index.find(spec)] == titles[offset : offset + limit]
        assert returned and max(returned) <= limit, (offset, returned)  # before: offset + limit
    past = SearchSpec(terms=("燃气泄漏",), visible=visible, limit=3, offset=20)
    assert index.find(past) == []
