"""Search benchmark: p50/p95 per query kind on a large database. Not part of the test run.

    python tests/bench/bench_search.py /work/bench/search/m1.sqlite3            # reuse
    python tests/bench/bench_search.py /tmp/b.sqlite3 --build --incidents 1000000

With ``--build`` the database comes from ``build_db.build`` (its rows go in at schema
0001, then the 0002 migration backfills the search index in one pass). An existing
database at 0001 is migrated (the backfill is timed) before measuring. Prints JSON:
milliseconds per query kind (200 queries each by default) through the public service,
``dutydesk.services.incidents.search.search``, plus index size and the cost of one indexed write.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dutydesk.services.incidents.search import SearchAfter, SearchFilter, search
from dutydesk.services.request import Request
from dutydesk.storage.engine import Database, url_for
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status

try:
    from tests.bench.build_db import PLACES, TITLES, build
except ModuleNotFoundError:  # run as a script: only this file's directory is on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.bench.build_db import PLACES, TITLES, build

KINDS = ("received", "phone_report", "first_report")
ENGLISH_HITS = ["phone", "REPORT", "First", "received", "Phone_Report", "first_report"]
ENGLISH_MISSES = ["earthquake", "Typhoon", "flood", "evacuation", "Hospital", "bridge"]
OLDER_ONLY = ["东湖县燃气泄", "县燃气泄漏", "湖县燃气泄漏", "西岭镇", "南岗村"]
"""Phrases for the kind "common in older documents only", where the database has them:
the build spreads every phrase over the whole year, so they are made by hand (the
renamed place and the two places of one month each in tests/bench/README.md)."""
COMMON_OLDER_ONLY = ["县", "东湖县", "湖县"]
"""Words for the kind "common key, older documents only": each key in about a sixth of
the documents but the word in none of the newest weeks (the renamed place), where the
database has them; GIN's list of such a key is the cost (issue 15)."""


def corpus() -> str:
    """Every text build_db can write, joined: a substring of it can hit, others cannot."""
    texts = []
    for place in PLACES:
        for title in TITLES:
            full = f"{place}{title}"
            texts += [full, f"据报，{full}，情况正在核实。", *(f"{full}：{k}" for k in KINDS)]
    return "\n".join(texts)  # actor names ("值班员") are not searched


def query_sets(rng: random.Random, n: int) -> dict[str, list[str]]:
    """Queries per kind: substrings of the corpus (hits) and strings absent from it."""
    text = corpus()
    chinese = sorted({c for c in text if "\u4e00" <= c <= "\u9fff"})
    absent = [chr(c) for c in range(0x4E00, 0x9FA5) if chr(c) not in text]

    def hits(length: int) -> list[str]:
        found: set[str] = set()
        while len(found) < 60:
            start = rng.randrange(len(text) - length)
            part = text[start : start + length]
            if all("\u4e00" <= c <= "\u9fff" for c in part):
                found.add(part)
        return [rng.choice(sorted(found)) for _ in range(n)]

    def misses(length: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            # Corpus characters in an order the corpus never has: each character is
            # common, so only the index's precision makes these cheap.
            pool = chinese if length > 1 else absent
            part = "".join(rng.choice(pool) for _ in range(length))
            if part not in text:
                out.append(part)
        return out

    sets = {f"zh{k}_hit": hits(k) for k in (1, 2, 3, 6)}
    sets |= {f"zh{k}_miss": misses(k) for k in (1, 2, 3, 6)}
    sets["en_hit"] = [rng.choice(ENGLISH_HITS) for _ in range(n)]
    sets["en_miss"] = [rng.choice(ENGLISH_MISSES) for _ in range(n)]
    sets["two_terms_miss"] = ["火灾 停电", "停水 食物中毒", "幸福路 北山乡"] * (n // 3)
    sets["common_char_据"] = ["据"] * n
    return sets


def timed(call: Callable[[], Any], repeat: int = 1) -> float:
    began = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - began) * 1000 / repeat


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        "max": round(ordered[-1], 3),
    }


def run(path: Path | str, per_kind: int, seed: int = 11) -> dict[str, Any]:
    """Migrate (timing the backfill), then time every query kind and one write.

    ``path``: a SQLite file, or a PostgreSQL URL.
    """
    db = Database(path if isinstance(path, str) else url_for(str(path)))
    began = time.perf_counter()
    migrated = db.ensure_schema()
    backfill = round(time.perf_counter() - began, 1) if migrated else None
    rng = random.Random(seed)
    results: dict[str, Any] = {"index": db.search_index.name, "backfill_seconds": backfill}
    reader = Request(
        db=db, now=datetime.now(UTC), tz=ZoneInfo("UTC"), clearance=Classification.INTERNAL
    )
    search(reader, "预热")  # open the connection, warm the page cache
    # Yardstick of the same run: one trivial statement's round trip (a loaded machine
    # shows here first).
    results["yardstick_select_1"] = summary(
        [timed(lambda: db.read("SELECT 1")) for _ in range(200)]
    )
    queries = query_sets(rng, per_kind)
    older = _older_only(db, OLDER_ONLY)
    if older:
        queries["zh_older_only"] = [rng.choice(older) for _ in range(per_kind)]
    results["older_only_phrases"] = older
    common = _older_only(db, COMMON_OLDER_ONLY)
    if common:
        queries["zh_common_older_only"] = [rng.choice(common) for _ in range(per_kind)]
    results["common_older_only_words"] = common
    for kind, items in queries.items():
        samples, in_db, hit_count = [], [], 0
        for query in items:
            began = time.perf_counter()
            result = search(reader, query, limit=50)
            samples.append((time.perf_counter() - began) * 1000)
            in_db.append(result.elapsed_ms)
            hit_count += bool(result.rows)
        # "db": the service's own count of the time spent in the database (the rest
        # is building rows and the audit of the read).
        db_part = {f"db_{k}": v for k, v in summary(in_db).items() if k != "max"}
        results[kind] = {**summary(samples), **db_part, "queries_with_hits": hit_count}
    end = datetime(2026, 11, 26, tzinfo=UTC)
    filtered: dict[str, Callable[[], Any]] = {
        "filters_only_open_accident": lambda: search(
            reader, "", SearchFilter(category="accident", open_only=True)
        ),
        "text_plus_category_severity": lambda: search(
            reader, "火灾", SearchFilter(category="accident", severity="I")
        ),
        "text_in_last_7_days": lambda: search(
            reader, "停电", SearchFilter(received_from=end - timedelta(days=7))
        ),
        "text_in_a_quiet_week_a_year_ago": lambda: search(
            reader,
            "停电",
            SearchFilter(
                received_from=end - timedelta(days=360), received_to=end - timedelta(days=353)
            ),
        ),
        "page_20_of_火灾": lambda: search(reader, "火灾", offset=1000),
        "serial_prefix_2026112": lambda: search(reader, "2026112"),
        "rare_filter_common_text": lambda: search(
            reader, "报", SearchFilter(status="received", severity="I", channel="cipher")
        ),
    }
    # What the console asks for the same rows: the page after the 20th page's last row
    # (issue 15: the next page starts after the last result, not at an offset).
    deep = _after_pages(reader, "火灾", 20)
    filtered["page_21_of_火灾_after_page_20"] = lambda: search(reader, "火灾", after=deep)
    for name, call in filtered.items():
        results[name] = summary([timed(call) for _ in range(20)])
    results["write_incident_plus_entry_ms"] = round(_write_cost(db), 2)
    results["sizes_mb"] = _sizes(db) if db.is_sqlite else _pg_sizes(db)
    if not db.is_sqlite:
        results["explain"] = _pg_plans(db, queries, deep)
    db.close()
    return results


def _older_only(db: Database, phrases: list[str], newest: int = 1000) -> list[str]:
    """The ``phrases`` found in 200 documents or more but in none of the ``newest``.

    A phrase seen in none of the newest documents is read through GIN (PostgreSQL): the
    kind times it when it is common further back (a place renamed, last month's place).
    """
    if db.is_sqlite:  # SQLite's index walks its doclists newest first: no such case
        return []
    kept = []
    for phrase in phrases:
        pattern = f"%{phrase}%"
        recent = db.read(
            "SELECT count(*) FROM (SELECT doc FROM search_doc "
            "ORDER BY received_s DESC, incident_id DESC LIMIT :n) x WHERE doc LIKE :p",
            {"n": newest, "p": pattern},
        )[0][0]
        older = db.read(
            "SELECT count(*) FROM (SELECT 1 FROM search_doc WHERE doc LIKE :p LIMIT 200) x",
            {"p": pattern},
        )[0][0]
        if recent == 0 and older >= 200:
            kept.append(phrase)
    return kept


def _after_pages(reader: Request, query: str, pages: int) -> SearchAfter | None:
    """Where page ``pages + 1`` of ``query`` starts, read page by page as the console does."""
    after = None
    for _ in range(pages):
        after = search(reader, query, limit=50, after=after).next_after
    return after


def _write_cost(db: Database) -> float:
    """One intake-like write through the ORM: incident plus its received entry (median)."""
    from dutydesk.storage.models import Incident, TimelineEntry

    samples = []
    for n in range(20):
        now = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
        began = time.perf_counter()
        with db.session() as session:
            incident = Incident(
                serial=f"bench-{n}-{time.time_ns() % 10**6}",
                serial_date=now.date(),
                serial_no=900 + n + time.time_ns() % 10**6,
                received_at=now,
                channel=Channel.PHONE,
                category=Category.ACCIDENT,
                severity=Severity.II,
                severity_rank=1,
                title="基准测试写入",
                summary="据报，基准测试写入，情况正在核实。",
                classification=Classification.INTERNAL,
                status=Status.RECEIVED,
                created_at=now,
                updated_at=now,
            )
            session.add(incident)
            session.flush()
            assert incident.id is not None  # the flush assigned it
            session.add(
                TimelineEntry(
                    incident_id=incident.id,
                    seq=1,
                    kind=EntryKind.RECEIVED,
                    occurred_at=now,
                    recorded_at=now,
                    text="接报",
                )
            )
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def _sizes(db: Database) -> dict[str, float]:
    rows = db.read("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
    sizes = {str(name): int(size) for name, size in rows}
    search_bytes = sum(v for k, v in sizes.items() if k.startswith("search_"))
    return {
        "search_index": round(search_bytes / 1e6, 1),
        "search_tri": round(
            sum(v for k, v in sizes.items() if k.startswith("search_tri")) / 1e6, 1
        ),
        "search_bi": round(sum(v for k, v in sizes.items() if k.startswith("search_bi")) / 1e6, 1),
        "everything_else": round((sum(sizes.values()) - search_bytes) / 1e6, 1),
    }


def _pg_sizes(db: Database) -> dict[str, float]:
    sizes = {
        str(name): round(int(size) / 1e6, 1)
        for name, size in db.read(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relname IN ('search_doc', 'search_doc_pkey', 'search_doc_order', "
            "'search_doc_keys', 'search_doc_day_keys', 'incident', 'timeline_entry')"
        )
    }
    sizes["database"] = round(
        int(db.read("SELECT pg_database_size(current_database())")[0][0]) / 1e6
    )
    return sizes


def _pg_plans(
    db: Database, queries: dict[str, list[str]], deep: SearchAfter | None
) -> dict[str, list[list[str]]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement the index runs for one query of
    each kind, in order (the walk, then the GIN step or the longer walk if it ran)."""
    from dutydesk.storage.search import PostgresSearchIndex, SearchSpec

    end = datetime(2026, 11, 26, tzinfo=UTC)
    visible = ("public", "internal")
    specs = {
        kind: SearchSpec(terms=tuple(items[0].split()), visible=visible)
        for kind, items in queries.items()
    }
    specs |= {
        "text_plus_category_severity": SearchSpec(
            terms=("火灾",), categories=("accident",), severities=("I",), visible=visible
        ),
        "text_in_last_7_days": SearchSpec(
            terms=("停电",), received_from=end - timedelta(days=7), visible=visible
        ),
        "text_in_a_quiet_week_a_year_ago": SearchSpec(
            terms=("停电",),
            received_from=end - timedelta(days=360),
            received_to=end - timedelta(days=353),
            visible=visible,
        ),
        "page_20_of_火灾": SearchSpec(terms=("火灾",), offset=1000, visible=visible),
        "page_21_of_火灾_after_page_20": SearchSpec(terms=("火灾",), after=deep, visible=visible),
        "rare_filter_common_text": SearchSpec(
            terms=("报",),
            statuses=("received",),
            severities=("I",),
            channels=("cipher",),
            visible=visible,
        ),
    }
    plans: dict[str, list[list[str]]] = {}
    statements: list[tuple[str, Any]] = []
    read = db.read

    def recording(sql: str, params: Any = None) -> Any:
        statements.append((sql, params))
        return read(sql, params)

    index = PostgresSearchIndex(db)
    index._key_share()  # pg_stats, read once a while: not one of the kinds' statements
    db.read = recording  # type: ignore[method-assign]
    try:
        for kind, spec in specs.items():
            statements.clear()
            index.find(spec)
            plans[kind] = [
                [
                    str(row[0])
                    for row in read(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
                ]
                for sql, params in list(statements)
            ]
    finally:
        db.read = read  # type: ignore[method-assign]
    return plans


def _own_server(incidents: int, open_fraction: float) -> tuple[Any, str, dict[str, float]]:
    """Start a private PostgreSQL cluster (tests/pg_support.py), build into it."""
    from tests.pg_support import PgServer, _Cluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries (initdb, pg_ctl)")
    cluster = _Cluster(bindir)
    cluster.start()
    server = PgServer(
        url=f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres", own=True
    )
    server.admin("CREATE DATABASE bench ENCODING 'UTF8' TEMPLATE template0")
    url = server.url_for("bench")
    from tests.bench.build_pg import build_pg

    return cluster, url, build_pg(url, incidents, open_fraction)


def main() -> None:
    """Command-line entry: optionally build, then print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "path", help="a SQLite file, a PostgreSQL URL, or 'pg' for a private server"
    )
    parser.add_argument("--build", action="store_true", help="build the database first")
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--open-fraction", type=float, default=0.05)
    parser.add_argument("--per-kind", type=int, default=200)
    args = parser.parse_args()
    cluster = None
    target: Path | str
    if args.path == "pg":  # initdb, build set-based in the server, measure, throw away
        cluster, target, built = _own_server(args.incidents, args.open_fraction)
    elif args.path.startswith("postgresql"):
        target, built = args.path, None
        if args.build:
            from tests.bench.build_pg import build_pg

            built = build_pg(args.path, args.incidents, args.open_fraction)
    else:
        target = Path(args.path)
        built = build(target, args.incidents, args.open_fraction) if args.build else None
    try:
        results = run(target, args.per_kind)
    finally:
        if cluster is not None:
            cluster.stop()
    print(json.dumps({"built": built, **results}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
