"""Search: every query length, English and Chinese, timelines, filters, need-to-know."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from dutydesk.services.incidents.search import (
    SearchAfter,
    SearchError,
    SearchFilter,
    SearchResult,
    search,
)
from dutydesk.storage.engine import HEAD_REVISION, Database, url_for
from dutydesk.storage.migrations import upgrade
from dutydesk.storage.models import Incident, IncidentReader, Person, TimelineEntry
from dutydesk.storage.search import (
    PG_CHEAP_KEY,
    LikeSearchIndex,
    PostgresSearchIndex,
    SqliteSearchIndex,
    pg_lookup_grams,
)
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status
from tests.migration_support import migrate
from tests.request_support import request

BASE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
_numbers = count(1)


def add(
    db: Database,
    title: str,
    summary: str = "",
    *,
    hours: float = 0,
    classification: str = "internal",
    category: str = "accident",
    severity: str = "III",
    status: str = "received",
    channel: str = "phone",
    location: str = "",
    reporter_unit: str = "",
    entries: tuple[str, ...] = (),
) -> Incident:
    """One incident received ``hours`` after BASE, with optional timeline texts."""
    number = next(_numbers)
    received = BASE + timedelta(hours=hours)
    incident = Incident(
        serial=f"{received:%Y%m%d}-{number:03d}",
        serial_date=received.date(),
        serial_no=number,
        received_at=received,
        channel=Channel(channel),
        category=Category(category),
        severity=Severity(severity),
        severity_rank=2,
        title=title,
        summary=summary or title,
        location=location,
        reporter_unit=reporter_unit,
        classification=Classification(classification),
        status=Status(status),
        is_open=status != "closed",
        created_at=received,
        updated_at=received,
    )
    with db.session() as session:
        session.add(incident)
        session.flush()
        assert incident.id is not None  # the flush assigned it
        for seq, text in enumerate(entries, 1):
            session.add(
                TimelineEntry(
                    incident_id=incident.id,
                    seq=seq,
                    kind=EntryKind.NOTE,
                    occurred_at=received,
                    recorded_at=received,
                    text=text,
                )
            )
    return incident


def find(db: Database, query: str, **kwargs: Any) -> SearchResult:
    """Search with the reader's, the filters' and the page's keywords given flat."""
    reader = {name: kwargs.pop(name) for name in ("clearance", "viewer", "now") if name in kwargs}
    wanted = {field.name for field in dataclasses.fields(SearchFilter)}
    narrow = SearchFilter(**{name: kwargs.pop(name) for name in list(kwargs) if name in wanted})
    return search(request(db, **reader), query, narrow, **kwargs)


def titles(db: Database, query: str, **kwargs: object) -> list[str | None]:
    kwargs.setdefault("clearance", Classification.INTERNAL)
    return [row.title for row in find(db, query, **kwargs).rows]


@pytest.fixture
def desk(db: Database) -> Database:
    add(db, "幸福路12号火灾", "据报，幸福路12号民房起火，无人员伤亡。", hours=1, location="临川区")
    add(db, "南城街道停电", "南城街道大面积停电，供电公司正在抢修。", hours=2)
    add(db, "Gas leak at Riverside Mall", "Reported by mall security.", hours=3)
    add(db, "东湖县交通事故", "G320国道两车相撞", hours=4, entries=("县应急局已派员赶赴现场",))
    add(db, "北山乡山体滑坡", "暂无伤亡", hours=5, category="natural_disaster", severity="II")
    add(db, "化工厂异味", "群众反映有刺鼻气味", hours=6, status="closed", channel="online_opinion")
    return db


@pytest.mark.sqlite_only("SQLite's FTS5 index")
def test_the_store_uses_fts5(desk: Database) -> None:
    assert isinstance(desk.search_index, SqliteSearchIndex)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("火", ["幸福路12号火灾"]),  # 1 character: prefix of the gram index
        ("灾", ["幸福路12号火灾"]),  # 1 character at the end of a field
        ("火灾", ["幸福路12号火灾"]),  # 2 characters: one gram token
        ("停电", ["南城街道停电"]),
        ("幸福路", ["幸福路12号火灾"]),  # 3 characters: trigram
        ("大面积停电", ["南城街道停电"]),
        ("供电公司正在", ["南城街道停电"]),  # 6 characters
        ("gas", ["Gas leak at Riverside Mall"]),  # English, case-insensitive both ways
        ("RIVERSIDE", ["Gas leak at Riverside Mall"]),
        ("mall SECURITY", ["Gas leak at Riverside Mall"]),  # two words, both required
        ("g320国道", ["东湖县交通事故"]),  # mixed, folded
        ("12号", ["幸福路12号火灾"]),
        ("号火", ["幸福路12号火灾"]),
        ("临川", ["幸福路12号火灾"]),  # location
        ("火灾 临川区", ["幸福路12号火灾"]),  # 2-char term and 3-char term together
        ("赶赴现场", ["东湖县交通事故"]),  # a hit in a timeline entry returns its incident
        ("派员", ["东湖县交通事故"]),
    ],
)
def test_query_lengths_and_languages(desk: Database, query: str, expected: list[str]) -> None:
    assert titles(desk, query) == expected


@pytest.mark.parametrize("query", ["地震", "震", "洪水灾害", "earthquake", "火灾 停电", "xq"])
def test_no_hits(desk: Database, query: str) -> None:
    assert titles(desk, query) == []


def test_newest_first_and_paging(desk: Database) -> None:
    everything = titles(desk, "")
    assert everything[0] == "化工厂异味" and everything[-1] == "幸福路12号火灾"
    first = search(request(desk, clearance="internal"), "", limit=4)
    second = search(request(desk, clearance="internal"), "", limit=4, offset=4)
    assert first.has_more and not second.has_more
    assert [r.title for r in first.rows + second.rows] == everything
    # The same order through the text index (rowids carry the received second).
    assert titles(desk, "据", limit=1) == ["幸福路12号火灾"]
    assert titles(desk, "据报") == ["幸福路12号火灾"]


def every_page(db: Database, query: str, limit: int, **kwargs: Any) -> list[int]:
    """The ids of a search read one page at a time, each page after the last's end."""
    ids: list[int] = []
    after = None
    while True:
        page = find(db, query, limit=limit, after=after, **kwargs)
        assert page.follows is (after is not None)
        assert page.continues is (after is not None)
        ids += [row.id for row in page.rows]
        if page.next_after is None:
            assert not page.has_more
            return ids
        assert page.has_more and page.next_after.id == page.rows[-1].id
        after = page.next_after


@pytest.mark.parametrize(
    ("query", "narrow"),
    [
        ("火灾", {}),  # 2 characters: the gram table (SQLite), the walk then GIN (PostgreSQL)
        ("火", {}),  # 1 character
        ("同一秒", {}),  # 3 characters: the trigram table
        ("火灾", {"severity": "III"}),  # text and a filter
        ("", {"category": "accident"}),  # filters only: the incident table, by time
        ("", {}),  # no text, no filter
        ("20261120", {}),  # a serial: classified rows too, restricted
    ],
)
def test_next_pages_continue_after_the_last_row(
    db: Database, query: str, narrow: dict[str, str]
) -> None:
    # Ties in one second (ordered by id) on both sides of every page boundary, rows out of
    # insertion order, and a classified row found by its serial only.
    for n in range(7):
        add(db, f"同一秒火灾{n}", hours=1)
    for n in range(5):
        add(db, f"其他火灾{n}", hours=-n - 0.5, severity="II" if n % 2 else "III")
    add(db, "某涉密火灾", hours=2, classification="secret")
    add(db, "同一秒之后的火灾", hours=1 + 1 / 3600)
    whole = [row.id for row in find(db, query, limit=500, **narrow).rows]
    assert len(whole) >= 5
    for limit in (1, 2, 3, 5):
        assert every_page(db, query, limit, **narrow) == whole, limit


def test_next_pages_by_like_equal_its_own_order(desk: Database) -> None:
    for n in range(4):
        add(desk, f"同一秒火灾{n}", hours=7)
    desk._search_index = LikeSearchIndex(desk)
    try:
        whole = [row.id for row in find(desk, "火灾", limit=500).rows]
        assert len(whole) == 5 and every_page(desk, "火灾", 2) == whole
    finally:
        desk._search_index = None


def test_order_follows_received_time_not_insertion(db: Database) -> None:
    add(db, "较晚登记的传真火灾", hours=10)
    add(db, "补录的早先火灾", hours=-10)  # registered later, received earlier
    assert titles(db, "火灾") == ["较晚登记的传真火灾", "补录的早先火灾"]


def test_filters_combine_with_text(desk: Database) -> None:
    assert titles(desk, "", category="natural_disaster") == ["北山乡山体滑坡"]
    assert titles(desk, "", severity=["II"]) == ["北山乡山体滑坡"]
    assert titles(desk, "", channel="online_opinion") == ["化工厂异味"]
    assert titles(desk, "", status="closed") == ["化工厂异味"]
    assert "化工厂异味" not in titles(desk, "", open_only=True)
    assert titles(desk, "异味", open_only=True) == []
    assert titles(desk, "街道", category="accident") == ["南城街道停电"]
    window = {"received_from": BASE + timedelta(hours=2), "received_to": BASE + timedelta(hours=4)}
    assert titles(desk, "", **window) == ["Gas leak at Riverside Mall", "南城街道停电"]
    assert titles(desk, "电", **window) == ["南城街道停电"]
    assert titles(desk, "火灾", **window) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "burning"}, "unknown status 'burning'"),
        ({"category": ["accident", "ufo"]}, "unknown category 'ufo'"),
        ({"severity": "V"}, "unknown severity"),
        ({"channel": "pigeon"}, "unknown channel"),
        ({"received_from": datetime(2026, 1, 1)}, "no time zone"),
        ({"received_from": BASE, "received_to": BASE}, "date range is empty"),
        ({"limit": 0}, "page size"),
        ({"offset": -1}, "page offset"),
        ({"after": 3}, "starts after a result"),
        ({"after": SearchAfter(datetime(2026, 1, 1), 3)}, "no time zone"),
        ({"clearance": "cosmic"}, "unknown clearance"),
    ],
)
def test_bad_filters_are_refused_in_words(
    desk: Database, kwargs: dict[str, object], message: str
) -> None:
    kwargs.setdefault("clearance", "internal")
    with pytest.raises(SearchError, match=message):
        find(desk, "火灾", **kwargs)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"火灾',
        "火灾*",
        "NEAR(火灾 停电)",
        "title:火灾",
        "(",
        "a OR b",
        "[/]",
        "[b]x[/b]",
        "-火",
        "^",
        "'; DROP TABLE incident; --",
        "%",
        "_",
        "\x1b[31m",
        pytest.param(
            "a\x00b",
            marks=pytest.mark.sqlite_only(
                "PostgreSQL text cannot hold U+0000: refused in words there (README Limits)"
            ),
        ),
    ],
)
def test_special_characters_are_literal(db: Database, query: str) -> None:
    add(db, "普通事项", "nothing special")
    add(db, "特殊字符", f"text with {query} inside")
    result = search(request(db, clearance="internal"), query)
    assert all(row.title == "特殊字符" for row in result.rows)


def test_special_characters_are_found_when_present(db: Database) -> None:
    add(db, "标记", "note [/] end and NEAR(x) and 100% and a*b")
    add(db, "其他", "note end")
    for query in ("[/]", "NEAR(x)", "100%", "a*b", "(x)"):
        assert titles(db, query) == ["标记"], query
    ignored = search(request(db, clearance="internal"), "火 ！")
    assert ignored.ignored_terms == ("！",) and ignored.terms == ("火",)
    assert search(request(db, clearance="internal"), "?").rows == []


@pytest.mark.sqlite_only(
    "a plain sqlite3 connection writes behind the store (SQLite's triggers keep FTS5 right)"
)
def test_edits_and_new_entries_are_reindexed(desk: Database) -> None:
    with desk.session() as session:
        incident = session.exec(select(Incident).where(Incident.title == "南城街道停电")).one()
        incident.title = "南城街道停水"
        incident.summary = "自来水管爆裂"
        incident.received_at = BASE + timedelta(days=3)
        assert incident.id is not None  # read back from the database
        session.add(
            TimelineEntry(
                incident_id=incident.id,
                seq=1,
                kind=EntryKind.NOTE,
                occurred_at=BASE,
                recorded_at=BASE,
                text="抢修队伍已到达",
                target="水务集团",
            )
        )
    assert titles(desk, "停电") == []
    assert titles(desk, "停水") == ["南城街道停水"]
    assert titles(desk, "爆裂") == ["南城街道停水"]
    assert titles(desk, "已到达") == ["南城街道停水"]
    assert titles(desk, "水务") == ["南城街道停水"]
    assert titles(desk, "")[0] == "南城街道停水"  # moved to the top by its new time
    # A plain sqlite3 connection (a shell, a bulk loader) keeps the index right too.
    assert desk.path is not None
    raw = sqlite3.connect(desk.path)
    with raw:
        raw.execute("UPDATE incident SET title = '北山乡泥石流' WHERE title = '北山乡山体滑坡'")
        raw.execute("UPDATE timeline_entry SET text = '已撤离' WHERE text = '抢修队伍已到达'")
        raw.execute("DELETE FROM timeline_entry WHERE text = '县应急局已派员赶赴现场'")
    raw.close()
    assert titles(desk, "滑坡") == [] and titles(desk, "泥石流") == ["北山乡泥石流"]
    assert titles(desk, "已到达") == [] and titles(desk, "撤离") == ["南城街道停水"]
    assert titles(desk, "赶赴") == [] and titles(desk, "派") == []
    # After all that, a full rebuild finds exactly the same.
    before = {q: titles(desk, q) for q in ("水", "泥石流", "撤离", "gas", "火灾", "12")}
    desk.rebuild_search_index()
    assert {q: titles(desk, q) for q in before} == before


def test_classified_content_is_matched_only_by_serial(db: Database) -> None:
    secret = add(db, "某涉密火灾", "绝密内容", classification="secret", entries=("机密批示",))
    add(db, "普通火灾", hours=1)
    assert titles(db, "火灾") == ["普通火灾"]
    assert titles(db, "机密批示") == []
    assert titles(db, "密") == []
    found = search(request(db, clearance="internal"), secret.serial).rows
    assert [(r.serial, r.restricted, r.title) for r in found] == [(secret.serial, True, None)]
    partial = search(request(db, clearance=Classification.CONFIDENTIAL), secret.serial[-6:]).rows
    assert [r.serial for r in partial] == [secret.serial] and partial[0].restricted
    # A content filter would reveal the category: restricted rows never pass one.
    assert (
        search(
            request(db, clearance="internal"), secret.serial, SearchFilter(category="accident")
        ).rows
        == []
    )
    # A filters-only list shows the row restricted, like the queue does.
    listed = search(request(db, clearance="internal"), "").rows
    assert [r.restricted for r in listed] == [False, True]
    # Classified content is sealed at rest and kept out of the index: cleared viewers,
    # too, find a classified incident by its serial only (and then read it decrypted).
    assert titles(db, "机密批示", clearance="secret") == []
    assert titles(db, "火灾", clearance="top_secret") == ["普通火灾"]
    # ... if named in its 知悉范围 (issue 13): a level alone opens nothing.
    assert titles(db, secret.serial, clearance="secret") == [None]
    with db.session() as session:
        session.add(Person(name="张三", clearance=Classification.SECRET))
        session.flush()
        assert secret.id is not None
        session.add(IncidentReader(incident_id=secret.id, person_id=session.exec(
            select(Person.id).where(Person.name == "张三")).one(), added_at=BASE))  # fmt: skip
    assert titles(db, secret.serial, clearance="secret", viewer="张三") == ["某涉密火灾"]


def test_like_fallback_gives_the_same_answers(desk: Database) -> None:
    fts = desk.search_index
    like = LikeSearchIndex(desk)
    for query in ("火", "火灾", "幸福路", "gas", "RIVERSIDE", "派员", "火灾 临川区", "地震"):
        desk._search_index = fts
        expected = titles(desk, query)
        desk._search_index = like
        assert titles(desk, query) == expected, query
    desk._search_index = None


def test_migration_backfills_existing_rows(db_path: Path) -> None:
    database = Database(url_for(str(db_path)))
    database._sqlite_connection().execute("PRAGMA journal_mode=WAL")
    upgrade(database, "0001")
    # Plain SQL: today's models have columns that a 0001 schema does not (the hash
    # chain on TimelineEntry, 0005; the drill mark on Incident, 0007).
    with database._sqlite_connection() as raw:
        for number, (title, summary, hours) in enumerate(
            [("旧库中的火灾", "升级前登记", 0), ("Old gas leak", "Old gas leak", 1)], 900
        ):
            received = database.time_param(BASE + timedelta(hours=hours))
            raw.execute(
                "INSERT INTO incident (serial, serial_date, serial_no, received_at, channel,"
                " reporter_name, reporter_unit, reporter_phone, location, category, severity,"
                " severity_rank, title, summary, classification, status, is_open,"
                " assigned_leader, assigned_department, created_at, updated_at, version)"
                " VALUES (?, ?, ?, ?, 'phone', '', '', '', '', 'accident', 'III', 2, ?, ?,"
                " 'internal', 'received', 1, '', '', ?, ?, 1)",
                (f"20261120-{number}", "2026-11-20", number, received, title, summary,
                 received, received),
            )  # fmt: skip
        old_id = raw.execute("SELECT id FROM incident WHERE serial = '20261120-900'").fetchone()[0]
        raw.execute(
            "INSERT INTO timeline_entry (incident_id, seq, kind, occurred_at, recorded_at,"
            " actor_name, text, target) VALUES (?, 1, 'note', ?, ?, '', '旧的续报内容', '')",
            (old_id, database.time_param(BASE), database.time_param(BASE)),
        )
    assert isinstance(database.search_index, LikeSearchIndex)  # no index at 0001
    # No search before migrating: result rows carry columns of later schemas (the drill
    # mark, 0007), and every console and command migrates on opening anyway.
    assert database.ensure_schema() is True
    assert database.current_revision() == HEAD_REVISION
    assert isinstance(database.search_index, SqliteSearchIndex)
    assert titles(database, "火灾") == ["旧库中的火灾"]
    assert titles(database, "续报") == ["旧库中的火灾"]
    assert titles(database, "OLD GAS") == ["Old gas leak"]
    assert titles(database, "") == ["Old gas leak", "旧库中的火灾"]
    database.close()


@pytest.mark.sqlite_only("reads sqlite_master for the FTS5 tables")
def test_migration_runs_on_an_empty_database_and_downgrades(db: Database) -> None:
    names = {row[0] for row in db.read("SELECT name FROM sqlite_master")}
    assert {"search_tri", "search_bi", "search_seq", "search_entry_ai"} <= names
    assert search(request(db, clearance="internal"), "火灾").rows == []
    migrate(db, "downgrade", "0001")
    names = {row[0] for row in db.read("SELECT name FROM sqlite_master")}
    assert not {n for n in names if n.startswith("search_")}


def test_long_text_is_indexed_whole(db: Database) -> None:
    text = "甲" * 2500 + "乙丙" + "丁" * 2500 + "戊"
    add(db, "长文", text)
    assert titles(db, "乙丙") == ["长文"]
    assert titles(db, "戊") == ["长文"]
    assert titles(db, "丁戊") == ["长文"]
    assert titles(db, "甲乙丙丁") == ["长文"]


def test_mixed_terms_are_exact_not_just_their_grams(db: Database) -> None:
    add(db, "甲事项", "幸福大街，福路小区")  # has 幸福 and 福路 but not 幸福路
    add(db, "甲事项二", "幸福路小区", hours=1)
    assert titles(db, "幸福路 甲") == ["甲事项二"]
    assert titles(db, "幸福路", status="received") == ["甲事项二"]


def test_two_words_never_together_hits_and_misses(db: Database) -> None:
    # Issue 15: two common words that never meet. PostgreSQL asks GIN for one pair of a
    # long word when statistics say its pairs are common (pg_lookup_grams): the answer
    # must not change, whichever pairs it reads (LIKE checks each candidate).
    for hour in range(12):
        place = ("幸福路12号", "北山乡", "东湖县")[hour % 3]
        title = ("食物中毒", "停水", "火灾", "停电")[hour % 4]
        add(db, f"{place}{title}", f"据报，{place}{title}。", hours=hour)
    add(db, "幸福大街福路小区", "北山乡供水", hours=20)  # 幸福, 福路, 北山 but no 幸福路
    add(db, "北山乡幸福路口停水", "暂无伤亡", hours=21)  # both words: the only one
    if not db.is_sqlite:  # statistics, so that the pairs are chosen by them
        with db.session() as session:
            session.execute(text("ANALYZE search_doc"))
        share = PostgresSearchIndex(db)._key_share()
        assert share is not None and share("幸福") > PG_CHEAP_KEY
    assert titles(db, "幸福路 北山乡") == ["北山乡幸福路口停水"]
    assert titles(db, "北山乡 幸福路口") == ["北山乡幸福路口停水"]
    assert titles(db, "幸福路 东湖县") == titles(db, "食物中毒 停电") == []
    assert titles(db, "东湖县 食物中毒") == ["东湖县食物中毒"]
    assert titles(db, "福路小区 北山乡供水") == ["幸福大街福路小区"]
    assert titles(db, "幸福路小区 北山乡") == []
    assert titles(db, "北山乡 停水") == ["北山乡幸福路口停水", "北山乡停水"]


def test_lookup_grams_keep_the_rarest_pair_of_each_word() -> None:
    common = {"幸福": 0.2, "福路": 0.2, "北山": 0.2, "山乡": 0.19, "食物": 0.1}
    share = lambda gram: common.get(gram, 0.0)  # noqa: E731 - a table as a function
    # Two words: the rarest pair of each (the first of equals), and any pair no commoner
    # than PG_CHEAP_KEY (here one missing from the statistics: rarer than all of them).
    assert pg_lookup_grams(["幸福路", "北山乡"], share) == [["幸福"], ["山乡"]]
    assert pg_lookup_grams(["食物中毒", "停电"], share) == [["物中", "中毒"], ["停电"]]
    assert pg_lookup_grams(["幸福路", "A"], share) == [["幸福"], ["A"]]
    # One word, or no statistics: every pair, as before.
    assert pg_lookup_grams(["幸福路"], share) == [["幸福", "福路"]]
    assert pg_lookup_grams(["幸福路", "北山乡"], None) == [["幸福", "福路"], ["北山", "山乡"]]


def test_two_characters_with_a_symbol_are_exact(db: Database) -> None:
    # The gram table drops the symbol ("0%" is looked up as "0"): each candidate is
    # then checked exactly, as PostgreSQL's index does (issue 15: the same answers).
    add(db, "比例", "确认100%_完成")
    add(db, "编号", "第20号，共10", hours=1, location="A区")
    assert titles(db, "0%") == titles(db, "%_完") == ["比例"]
    assert titles(db, "0_") == titles(db, "%单") == []
    assert titles(db, "号，") == ["编号"]
    assert titles(db, "a区") == ["编号"]  # a letter and a symbol: still folded
    assert titles(db, "0") == ["编号", "比例"]


def test_filter_tokens_follow_status_changes_and_cannot_be_typed(desk: Database) -> None:
    with desk.session() as session:
        incident = session.exec(select(Incident).where(Incident.title == "南城街道停电")).one()
        incident.status = Status.CLOSED
        incident.is_open = False
    assert titles(desk, "停电", status="closed") == ["南城街道停电"]
    assert titles(desk, "停电", open_only=True) == []
    assert titles(desk, "", status="closed") == ["化工厂异味", "南城街道停电"]
    assert titles(desk, "", status="closed", category="natural_disaster") == []
    assert titles(desk, "\ue000sclosed") == []  # the marker is dropped from queries
    assert search(request(desk, clearance="internal"), "\ue000").terms == ()
