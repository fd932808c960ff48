"""Migrations: frozen (no live code in them), and an old database upgraded with its data.

A migration replayed on an old database must do what it did the day it was written, so
none of them imports dutydesk: the search-index DDL (0002, 0006, 0008) and the chain
encoding (0005) are copies of the code of their day. These tests build a database at
revision 0001 with rows shaped as 0001 stored them, upgrade it to head, and check that
today's code reads it: the rows, the search index, the hash chain.
"""

from __future__ import annotations

import ast
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from dutydesk.services.incidents.search import search
from dutydesk.services.integrity.verify import verify
from dutydesk.storage.engine import HEAD_REVISION, Database, url_for
from dutydesk.storage.migrations import MIGRATIONS_DIR, upgrade
from dutydesk.storage.search import SqliteSearchIndex, rebuild, sqlite_has_trigram, sqlite_schema
from tests.request_support import request

VERSIONS = MIGRATIONS_DIR / "versions"
T0 = "2026-11-20 08:00:00.000000"
"""A moment as revision 0001 stored it: naive UTC text (SQLAlchemy's SQLite form)."""
LONG_TAIL = "末尾独有词"
"""Only after the first 20,000 characters of a text, where 0008 stops indexing."""

PEOPLE = [
    (1, "张伟", "市政府总值班室", "值班员", "13800000001", "secret", 1),
    (2, "李娜", "市应急管理局", "带班领导", "13800000002", "internal", 1),
    (3, "王芳", "市政府总值班室", "", "", "internal", 0),
]
ROLES = [(1, "duty_officer"), (2, "duty_leader"), (3, "auditor")]
INCIDENTS = [
    # id, serial, received_at, title, summary, classification
    (1, "20261120-001", T0, "幸福路燃气泄漏", "临川区幸福路一处燃气管道泄漏，已疏散居民", "internal"),
    (2, "20261120-002", "2026-11-20 09:30:00.000000", "某单位涉密火灾", "机密：仓库起火", "secret"),
    (3, "20261120-003", "2026-11-20 10:00:00.000000", "长篇来文", "甲" * 20_100 + LONG_TAIL,
     "internal"),
]  # fmt: skip
ENTRIES = [
    # id, incident_id, seq, kind, occurred_at = recorded_at, actor_id, actor_name, text
    (1, 1, 1, "note", "2026-11-20 08:05:00.000000", 1, "张伟", "燃气公司已派员处置"),
    (2, 1, 2, "followup", "2026-11-20 08:40:00.000000", 2, "李娜", "续报：泄漏点已关阀"),
    (3, 2, 1, "note", "2026-11-20 09:35:00.000000", 1, "张伟", "机密续报：火势已控制"),
    (4, 3, 1, "note", "2026-11-20 10:05:00.000000", None, "", "长篇来文已登记"),
]
AUDITS = [
    # occurred_at, actor_id, action, object_type, object_id, detail
    ("2026-11-20 08:00:30.000000", 1, "incident.create", "incident", "1", '{"标题": "幸福路燃气泄漏"}'),
    ("2026-11-20 09:30:30.000000", 1, "incident.create", "incident", "2", "{}"),
    ("2026-11-20 09:40:00.000000", 2, "incident.view", "incident", "2", "带班领导查阅"),
]  # fmt: skip


def _old_rows(connection: sqlite3.Connection) -> None:
    """Rows in the columns revision 0001 had (no chain, no drill mark, no credentials)."""
    connection.executemany(
        "INSERT INTO person (id, name, unit, title, phone, clearance, active)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        PEOPLE,
    )
    connection.executemany("INSERT INTO person_role (person_id, role) VALUES (?, ?)", ROLES)
    for number, (row_id, serial, received, title, summary, level) in enumerate(INCIDENTS, 1):
        connection.execute(
            "INSERT INTO incident (id, serial, serial_date, serial_no, received_at, channel,"
            " reporter_name, reporter_unit, reporter_phone, location, category, severity,"
            " severity_rank, title, summary, classification, status, is_open, due_at, due_step,"
            " assigned_leader, assigned_department, created_by_id, created_at, updated_at,"
            " version) VALUES (?, ?, '2026-11-20', ?, ?, ?, '赵先生', '临川区幸福街道',"
            " '13900000000', '临川区幸福路', 'accident', 'III', 2, ?, ?, ?, 'received', 1,"
            " NULL, NULL, '李娜', '市应急管理局', 1, ?, ?, 1)",
            (
                row_id,
                serial,
                number,
                received,
                OLD_CHANNELS[number - 1],
                title,
                summary,
                level,
                received,
                received,
            ),
        )
    connection.executemany(
        "INSERT INTO timeline_entry (id, incident_id, seq, kind, occurred_at, recorded_at,"
        " actor_id, actor_name, text, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
        [(i, inc, seq, kind, at, at, actor, name, text) for i, inc, seq, kind, at, actor, name, text
         in ENTRIES],
    )  # fmt: skip
    connection.executemany(
        "INSERT INTO audit_event (occurred_at, actor_id, action, object_type, object_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        AUDITS,
    )


@pytest.fixture
def upgraded(db_path: Path) -> Iterator[Database]:
    """A database built at revision 0001, given old-shaped rows, then opened (migrated)."""
    database = Database(url_for(str(db_path)))
    database._sqlite_connection().execute("PRAGMA journal_mode=WAL")
    upgrade(database, "0001")
    assert database.current_revision() == "0001"
    with database._sqlite_connection() as connection:
        _old_rows(connection)
    assert database.ensure_schema() is True
    yield database
    database.close()


OLD_CHANNELS = ("phone", "letter", "cipher")
"""The channels of the three old incidents: an emergency, a request, a document (0009)."""


def _dutydesk_imports(path: Path) -> list[str]:
    """``file:line module`` for every import of dutydesk (or relative import) in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = ["." * node.level + (node.module or "")]
        else:
            continue
        found += [
            f"{path.name}:{node.lineno} {module}"
            for module in modules
            if module.split(".")[0] == "dutydesk" or module.startswith(".")
        ]
    return found


def test_no_migration_imports_dutydesk() -> None:
    scripts = sorted(VERSIONS.glob("*.py"))
    assert len(scripts) >= 8
    assert [hit for path in scripts for hit in _dutydesk_imports(path)] == []


def test_an_old_database_keeps_its_rows(upgraded: Database) -> None:
    assert upgraded.current_revision() == HEAD_REVISION
    read = upgraded.read
    people = read("SELECT id, name, unit, title, phone, clearance, active FROM person ORDER BY id")
    assert people == PEOPLE
    assert read("SELECT person_id, role FROM person_role ORDER BY person_id") == ROLES
    incidents = read(
        "SELECT id, serial, received_at, title, summary, classification FROM incident ORDER BY id"
    )
    assert incidents == INCIDENTS
    entries = read(
        "SELECT id, incident_id, seq, kind, recorded_at, actor_id, actor_name, text"
        " FROM timeline_entry ORDER BY id"
    )
    assert entries == ENTRIES
    audits = read(
        "SELECT occurred_at, actor_id, action, object_type, object_id, detail"
        " FROM audit_event ORDER BY id"
    )
    assert audits == AUDITS
    assert read("SELECT drill_run_id FROM incident") == [(None,)] * 3  # not drills
    # 0009: each old row takes the kind its channel starts as; nothing else is invented.
    kinds = read(
        "SELECT matter_kind, occurred_at, sensitive, report_every_minutes, deaths"
        " FROM incident ORDER BY id"
    )
    assert [tuple(row) for row in kinds] == [
        ("emergency", None, 0, None, None),
        ("request", None, 0, None, None),
        ("document", None, 0, None, None),
    ]


def test_an_old_database_verifies_from_its_first_record(upgraded: Database) -> None:
    report = verify(upgraded)
    assert report.ok, report.problems
    assert report.integrity == "ok"
    assert report.links == len(ENTRIES) + len(AUDITS)
    assert report.head.seq == report.links
    # Linked in order of recording, entries and audit events on one chain.
    chain = upgraded.read(
        "SELECT 'e' || id, chain_seq FROM timeline_entry UNION ALL "
        "SELECT 'a' || id, chain_seq FROM audit_event ORDER BY 2"
    )
    assert [name for name, _ in chain] == ["a1", "e1", "e2", "a2", "e3", "a3", "e4"]


def titles(db: Database, query: str, clearance: str = "internal") -> list[str | None]:
    return [row.title for row in search(request(db, clearance=clearance), query).rows]


def serials(db: Database, query: str, clearance: str) -> list[str]:
    return [row.serial for row in search(request(db, clearance=clearance), query).rows]


@pytest.mark.skipif(
    not sqlite_has_trigram(sqlite3.connect(":memory:")), reason="SQLite without FTS5 trigram"
)
def test_an_old_database_is_found_by_chinese_words(upgraded: Database) -> None:
    assert isinstance(upgraded.search_index, SqliteSearchIndex)
    assert titles(upgraded, "燃气") == ["幸福路燃气泄漏"]  # 2 characters: the gram table
    assert titles(upgraded, "幸福路") == ["长篇来文", "幸福路燃气泄漏"]  # 3+: trigrams
    assert titles(upgraded, "关阀") == ["幸福路燃气泄漏"]  # in a timeline entry
    assert titles(upgraded, "派员处置") == ["幸福路燃气泄漏"]
    assert titles(upgraded, "燃气 关阀") == ["幸福路燃气泄漏"]
    # Classified content is indexed by serial only (0006), whoever searches.
    assert titles(upgraded, "火灾", clearance="top_secret") == []
    assert titles(upgraded, "火势已控制", clearance="top_secret") == []
    assert serials(upgraded, "20261120-002", clearance="secret") == ["20261120-002"]
    # Only the first 20,000 characters of a text are indexed (0008).
    assert titles(upgraded, LONG_TAIL) == []
    assert titles(upgraded, "甲甲甲") == ["长篇来文"]


@pytest.mark.skipif(
    not sqlite_has_trigram(sqlite3.connect(":memory:")), reason="SQLite without FTS5 trigram"
)
def test_an_upgraded_index_is_the_one_todays_code_builds(upgraded: Database) -> None:
    # Before the freeze, 0006 ran today's capped index code and 0008 then deleted the
    # uncapped documents 0006 had written in its day: opening a pre-0006 database with a
    # text over 20,000 characters failed in 0008 with "database disk image is malformed".
    # Every token of every document, as FTS5 holds it: a contentless index that a
    # migration wrote with other expressions than it deletes with differs from a rebuild.
    def tokens() -> dict[str, list[tuple[object, ...]]]:
        connection = upgraded._sqlite_connection()
        found = {}
        for table in ("search_tri", "search_bi"):
            connection.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_{table}"
                f" USING fts5vocab(main, {table}, 'row')"
            )
            found[table] = connection.execute(f"SELECT * FROM temp.v_{table} ORDER BY 1").fetchall()  # noqa: S608 - table names are the index constants
            connection.execute(f"DROP TABLE temp.v_{table}")
        return found

    migrated = tokens()
    rebuild(upgraded)
    assert migrated == tokens()
    triggers = upgraded.read(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search%' ORDER BY name"
    )
    expected = sorted(s for s in sqlite_schema() if s.startswith("CREATE TRIGGER"))
    assert sorted(row[0] for row in triggers) == expected


def test_a_new_database_has_todays_search_triggers(db: Database) -> None:
    # The migrations are frozen: a change to the live index layout needs a new migration,
    # or new databases would keep the old triggers.
    if not isinstance(db.search_index, SqliteSearchIndex):
        pytest.skip("no FTS5 index on this database")
    triggers = db.read(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search%' ORDER BY name"
    )
    expected = sorted(s for s in sqlite_schema() if s.startswith("CREATE TRIGGER"))
    assert sorted(row[0] for row in triggers) == expected


def test_an_upgraded_store_s_open_clocks_follow_today_s_rules(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A demo kept from an earlier release showed every open letter owing a "first
    # report": the clocks stored on the rows were the old rules' until the next write.
    import json

    from dutydesk.cli.app import main

    database = Database(url_for(str(db_path)))
    upgrade(database, "0001")
    with database._sqlite_connection() as connection:
        _old_rows(connection)
        connection.execute("UPDATE incident SET due_step = 'first_report'")  # the old rules'
    database.close()
    monkeypatch.delenv("DUTYDESK_OPERATOR", raising=False)
    capsys.readouterr()
    main(["--db", str(db_path), "--now", "2026-11-20T10:00+08:00", "incident", "list",
          "--format", "json"])  # fmt: skip
    steps = {row["serial"][-3:]: row["due_step"] for row in json.loads(capsys.readouterr().out)}
    kinds = dict(zip(("001", "002", "003"), OLD_CHANNELS, strict=True))
    assert kinds["002"] == "letter" and steps["002"] != "first_report"  # a request: 转办
    assert kinds["003"] == "cipher" and steps["003"] != "first_report"  # a document: 登记
