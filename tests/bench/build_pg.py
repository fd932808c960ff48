"""Build a large dutydesk database on PostgreSQL for the search benchmark, set-based.

The same rows as ``build_db.py`` writes to SQLite (titles, places, about three entries
per incident, one in 997 classified, a year of receipts), but generated inside the
server with ``generate_series`` in two ``INSERT ... SELECT`` statements: a million
incidents in minutes, where a client loop would take an hour.

The schema is migrated to head first, on the empty database. The search triggers are
disabled during the load and the search indexes dropped (the bench only: a real
database keeps migration 0021/0025's behaviour). ``search_doc`` is then filled with the
document text the refresh function computes (the same SQL, set-based) and the key array
computed in Python by :func:`dutydesk.storage.search.pg_doc_keys` (the SQL gram
function costs about 2 ms a document), loaded with ``COPY``; the indexes are built after
the load. A sample of rows is checked against what the triggers write.
Not part of the test run.
"""

from __future__ import annotations

import importlib.util
import random
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from dutydesk.storage.engine import Database
from dutydesk.storage.migrations import upgrade
from dutydesk.storage.search import PG_DAY_KEYS, PG_FILTER_ORDER, pg_doc_keys, pg_token_at

try:
    from tests.bench.build_db import PLACES, TITLES
except ModuleNotFoundError:  # run as a script
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.bench.build_db import PLACES, TITLES

KINDS = ("received", "phone_report", "first_report")
SEARCH_INDEXES = {
    "search_doc_order": "CREATE INDEX search_doc_order ON search_doc (received_s, incident_id)",
    "search_doc_keys": "CREATE INDEX search_doc_keys ON search_doc USING gin (keys)",
    "search_doc_day_keys": (
        f"CREATE INDEX search_doc_day_keys ON search_doc USING gin ({PG_DAY_KEYS}) "
        "WITH (fastupdate = off)"
    ),
} | {
    f"search_doc_by_{column.removeprefix('is_')}": (
        f"CREATE INDEX search_doc_by_{column.removeprefix('is_')} ON search_doc "
        f"(({pg_token_at(column)}), received_s, incident_id)"
    )
    for column in PG_FILTER_ORDER
}
"""Migrations 0025's, 0027's and 0028's search indexes, dropped for the load and built after it."""


def _array(values: list[str] | tuple[str, ...]) -> str:
    return "(ARRAY[" + ", ".join(f"'{value}'" for value in values) + "])"


def _migration_0025() -> ModuleType:
    """The migration module whose document SQL the refresh trigger runs."""
    path = (
        Path(__file__).resolve().parents[2]
        / "dutydesk/storage/migrations/versions/0025_pg_search_keys.py"
    )
    spec = importlib.util.spec_from_file_location("migration_0025", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_pg(url: str, incidents: int, open_fraction: float = 0.05) -> dict[str, float]:
    """Fill the empty database at ``url`` with ``incidents`` incidents (schema at head)."""
    database = Database(url)
    upgrade(database)
    began = time.perf_counter()
    from sqlalchemy import text

    channels = ("phone", "fax", "online_opinion", "letter", "walk_in")
    categories = ("accident", "natural_disaster", "public_health", "social_security", "other")
    severities = (("I", 1), ("II", 2), ("III", 3), ("IV", 4))
    with database.engine.begin() as conn:
        for table in ("incident", "timeline_entry"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        for name in SEARCH_INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text("SELECT setseed(0.7)"))
        conn.execute(
            text(
                "CREATE TEMP TABLE bench_rows ON COMMIT DROP AS SELECT g AS id, "  # noqa: S608 - benchmark DDL from constants
                "make_timestamptz(2025, 11, 26, 0, 0, 0, 'UTC') + (g - 1 + random()) "
                f"* (interval '365 days' / {incidents}) AS received, "
                f"{_array(PLACES)}[1 + floor(random() * {len(PLACES)})::int] || "
                f"{_array(TITLES)}[1 + floor(random() * {len(TITLES)})::int] AS title, "
                f"floor(random() * {len(severities)})::int AS sev, "
                f"random() < {open_fraction} AS is_open, "
                f"floor(random() * {len(channels)})::int AS channel, "
                f"floor(random() * {len(categories)})::int AS category "
                f"FROM generate_series(1, {incidents}) g"
            )
        )
        severity_codes = _array(tuple(code for code, _ in severities))
        conn.execute(
            text(
                "INSERT INTO incident (id, serial, serial_date, serial_no, received_at, channel, "  # noqa: S608 - benchmark DDL from constants
                "category, severity, severity_rank, title, summary, classification, status, "
                "is_open, due_at, due_step, created_at, updated_at, reporter_name, "
                "reporter_unit, reporter_phone, location, assigned_leader, "
                "assigned_department, version, matter_kind, sensitive) "
                "SELECT id, to_char(day, 'YYYYMMDD') || '-' || lpad(no::text, 4, '0'), day, no, "
                f"received, ({_array(channels)})[channel + 1], "
                f"({_array(categories)})[category + 1], ({severity_codes})[sev + 1], sev + 1, "
                "title, '据报，' || title || '，情况正在核实。', "
                "CASE WHEN id % 997 = 0 THEN 'secret' ELSE 'internal' END, "
                "CASE WHEN is_open THEN 'following' ELSE 'closed' END, is_open, "
                "CASE WHEN is_open THEN received + interval '2 hours' END, "
                "CASE WHEN is_open THEN 'continued_report' END, received, received, "
                "'', '', '', '', '', '', 1, 'emergency', false FROM ("
                "SELECT *, (received AT TIME ZONE 'Asia/Shanghai')::date AS day, "
                "row_number() OVER (PARTITION BY (received AT TIME ZONE 'Asia/Shanghai')::date "
                "ORDER BY id) AS no FROM bench_rows) r"
            )
        )
        conn.execute(
            text(
                "INSERT INTO timeline_entry (id, incident_id, seq, kind, occurred_at, "  # noqa: S608 - benchmark DDL from constants
                "recorded_at, actor_name, text, target) "
                "SELECT (r.id - 1) * 3 + k.seq, r.id, k.seq, k.kind, "
                "r.received + k.minutes * interval '1 minute', r.received, '值班员', "
                "r.title || '：' || k.kind, '' FROM bench_rows r CROSS JOIN (VALUES "
                + ", ".join(
                    f"({n}, '{kind}', {minutes})"
                    for n, (kind, minutes) in enumerate(zip(KINDS, (0, 12, 45), strict=True), 1)
                )
                + ") AS k(seq, kind, minutes)"
            )
        )
        for table in ("incident", "timeline_entry"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - benchmark DDL from constants
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        for table in ("incident", "timeline_entry"):
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        # The open counter's triggers (migration 0026) were off with the others.
        conn.execute(
            text(
                "UPDATE open_count SET open_count = "
                "(SELECT count(*) FROM incident WHERE is_open) WHERE id = 1"
            )
        )
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE incident"))
        conn.execute(text("VACUUM ANALYZE timeline_entry"))
    loaded = time.perf_counter()
    documents = _load_documents(database)
    copied = time.perf_counter()
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        for statement in SEARCH_INDEXES.values():
            conn.execute(text(statement))
        conn.execute(text("VACUUM ANALYZE search_doc"))
    indexed = time.perf_counter()
    mismatches = check_sample(database, 300)
    database.close()
    return {
        "incidents": incidents,
        "entries": incidents * len(KINDS),
        "documents": documents,
        "rows_seconds": round(loaded - began, 1),
        "documents_copy_seconds": round(copied - loaded, 1),
        "indexes_seconds": round(indexed - copied, 1),
        "build_seconds": round(indexed - began, 1),
        "sample_checked": 300,
        "sample_mismatches": mismatches,
    }


def _load_documents(database: Database) -> int:
    """Fill ``search_doc``: the refresh function's document SQL, keys from Python, COPY."""
    migration = _migration_0025()
    select = (
        f"SELECT i.id, {migration._SECOND}, {migration._DOC}, i.status, i.category, "  # noqa: S608 - benchmark SQL from the migration's constants
        "i.severity, i.channel, i.is_open FROM incident i"
    )
    reader: Any = database.engine.raw_connection()
    writer: Any = database.engine.raw_connection()
    count = 0
    try:
        with (
            reader.cursor(name="documents") as rows,
            writer.cursor() as out,
            out.copy("COPY search_doc (incident_id, received_s, doc, keys) FROM STDIN") as copy,
        ):
            rows.itersize = 20_000
            rows.execute(select)
            lines = []
            for id_, second, doc, status, category, severity, channel, is_open in rows:
                keys = pg_doc_keys(doc, status, category, severity, channel, is_open)
                lines.append(
                    f"{id_}\t{second}\t{_copy_text(doc)}\t{_copy_text(_array_literal(keys))}\n"
                )
                if len(lines) == 10_000:
                    copy.write("".join(lines))
                    count += len(lines)
                    lines.clear()
            copy.write("".join(lines))
            count += len(lines)
        writer.commit()
    finally:
        reader.close()
        writer.close()
    return count


def _array_literal(values: list[str]) -> str:
    """``{"a","b"}``: a text[] literal, every element quoted."""
    quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{value}"' for value in quoted) + "}"


def _copy_text(value: str) -> str:
    """``value`` as one field of COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )


def check_sample(database: Database, size: int) -> int:
    """Rows of a random sample whose document or keys differ from what the trigger writes.

    Refreshes the sample in a transaction that is rolled back: the refresh function
    (what every trigger calls) rewrites a row only when its text or keys differ; the
    keys are compared as sets (the SQL aggregate orders them by collation).
    """
    ids = [int(row[0]) for row in database.read("SELECT incident_id FROM search_doc")]
    sample = random.Random(5).sample(ids, min(size, len(ids)))
    query = "SELECT incident_id, doc, keys FROM search_doc WHERE incident_id = ANY(%s)"
    connection: Any = database.engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, (sample,))
            loaded = {row[0]: (row[1], sorted(row[2])) for row in cursor.fetchall()}
            cursor.execute(
                "SELECT dutydesk_search_refresh(x) FROM unnest(%s::bigint[]) x", (sample,)
            )
            cursor.execute(query, (sample,))
            refreshed = {row[0]: (row[1], sorted(row[2])) for row in cursor.fetchall()}
        connection.rollback()
    finally:
        connection.close()
    return sum(loaded.get(id_) != refreshed.get(id_) for id_ in sample)
