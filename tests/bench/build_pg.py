"""Build a large dutydesk database on PostgreSQL for the search benchmark, set-based.

The same rows as ``build_db.py`` writes to SQLite (titles, places, about three entries
per incident, one in 997 classified, a year of receipts), but generated inside the
server with ``generate_series`` in two ``INSERT ... SELECT`` statements: a million
incidents in minutes, where a client loop would take an hour. Rows go in at schema 0020
and the 0021 migration then backfills the search index in one pass (timed).
Not part of the test run.
"""

from __future__ import annotations

import time

from dutydesk.storage.engine import Database
from dutydesk.storage.migrations import upgrade

try:
    from tests.bench.build_db import PLACES, TITLES
except ModuleNotFoundError:  # run as a script
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.bench.build_db import PLACES, TITLES

KINDS = ("received", "phone_report", "first_report")


def _array(values: list[str] | tuple[str, ...]) -> str:
    return "(ARRAY[" + ", ".join(f"'{value}'" for value in values) + "])"


def build_pg(url: str, incidents: int, open_fraction: float = 0.05) -> dict[str, float]:
    """Fill the empty database at ``url`` with ``incidents`` incidents; migrate to head."""
    database = Database(url)
    upgrade(database, "0020")
    began = time.perf_counter()
    from sqlalchemy import text

    channels = ("phone", "fax", "online_opinion", "letter", "walk_in")
    categories = ("accident", "natural_disaster", "public_health", "social_security", "other")
    severities = (("I", 1), ("II", 2), ("III", 3), ("IV", 4))
    with database.engine.begin() as conn:
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
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE incident"))
        conn.execute(text("VACUUM ANALYZE timeline_entry"))
    loaded = time.perf_counter()
    database.engine.dispose()
    database.ensure_schema()
    migrated = time.perf_counter()
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE search_doc"))
    database.close()
    return {
        "incidents": incidents,
        "entries": incidents * len(KINDS),
        "build_seconds": round(loaded - began, 1),
        "migrate_0021_seconds": round(migrated - loaded, 1),
    }
