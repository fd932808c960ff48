"""Build a database whose queue is large, fast: N open incidents, no timelines.

``build_db.py`` makes a year of records with timelines and migrates them from 0001, which
takes tens of minutes at 200k. The queue's figures (``bench_console.py``) read only the
``incident`` table, so this fills that table at the newest schema with plain
``sqlite3.executemany``: the search triggers index each row as any writer's would.
Not part of the test run.

    python tests/bench/queue_db.py /tmp/queue.sqlite3 --incidents 200000
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dutydesk.storage.engine import Database, url_for
from dutydesk.vocab import Category, Channel, Classification, Severity

FORMAT = "%Y-%m-%d %H:%M:%S.%f"
TITLES = ["燃气泄漏", "交通事故", "供暖不热", "停水", "火灾", "停电", "道路塌陷", "化工厂异味"]


def build(path: Path, incidents: int, seed: int = 7) -> dict[str, float]:
    """Create ``path`` at the newest schema with ``incidents`` open incidents."""
    began = time.perf_counter()
    database = Database(url_for(str(path)))
    database.ensure_schema()
    database.close()
    rng = random.Random(seed)
    end = datetime(2026, 11, 26, tzinfo=UTC)
    start = end - timedelta(days=365)
    span = (end - start).total_seconds()
    severities, channels, categories = list(Severity), list(Channel), list(Category)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the console runs with FULL
    stamps = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(incidents))
    per_day: dict[str, int] = {}
    batch: list[tuple[object, ...]] = []
    for index, received in enumerate(stamps, start=1):
        day = (received + timedelta(hours=8)).strftime("%Y%m%d")
        number = per_day[day] = per_day.get(day, 0) + 1
        severity = rng.choice(severities)
        due = received + timedelta(minutes=rng.randint(10, 4000))
        title = f"{rng.choice(TITLES)} {index}"
        stamp = received.strftime(FORMAT)
        secret = index % 997 == 0
        batch.append(
            (
                index, f"{day}-{number:04d}", f"{day[:4]}-{day[4:6]}-{day[6:]}", number, stamp,
                rng.choice(channels).value, rng.choice(categories).value, severity.value,
                severity.rank, title, f"据报，{title}。",
                (Classification.SECRET if secret else Classification.INTERNAL).value,
                "following", 1, due.strftime(FORMAT), "continued_report", stamp, stamp,
            )
        )  # fmt: skip
        if len(batch) >= 20_000:
            _flush(conn, batch)
    _flush(conn, batch)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return {"incidents": incidents, "build_seconds": round(time.perf_counter() - began, 1)}


def _flush(conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    conn.executemany(
        "INSERT INTO incident (id, serial, serial_date, serial_no, received_at, channel, "
        "category, severity, severity_rank, title, summary, classification, status, is_open, "
        "due_at, due_step, created_at, updated_at, reporter_name, reporter_unit, "
        "reporter_phone, location, assigned_leader, assigned_department, version) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'','','','','','',1)",
        rows,
    )
    conn.commit()
    rows.clear()


def main() -> None:
    """Command-line entry: build the database and print what was built."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--incidents", type=int, default=200_000)
    args = parser.parse_args()
    if args.path.exists():
        parser.error(f"{args.path} exists")
    print(json.dumps(build(args.path, args.incidents)))


if __name__ == "__main__":
    main()
