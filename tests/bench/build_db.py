"""Build a large dutydesk database for the benchmark: N incidents with timelines.

The schema comes from the real migrations (``Database.ensure_schema``); rows go in with
plain ``sqlite3.executemany`` in large transactions, which is what makes a million
incidents take seconds rather than minutes. Not part of the test run.

    python tests/bench/build_db.py /tmp/bench.sqlite3 --incidents 1000000 --open-fraction 1.0
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dutydesk.storage.engine import Database, url_for
from dutydesk.storage.migrations import upgrade
from dutydesk.vocab import Category, Channel, Classification, Severity

TITLES = [
    "燃气泄漏",
    "交通事故",
    "群众来访反映欠薪",
    "供暖不热",
    "停水",
    "山体滑坡",
    "食物中毒",
    "网络舆情：噪音扰民",
    "火灾",
    "停电",
    "道路塌陷",
    "化工厂异味",
]
PLACES = ["幸福路12号", "临川区城关镇", "东湖县", "高新区", "南城街道", "北山乡"]
FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def build(path: Path, incidents: int, open_fraction: float, seed: int = 7) -> dict[str, float]:
    """Create ``path`` with ``incidents`` incidents and about three entries each."""
    if path.exists():
        path.unlink()
    # Load at schema 0001, then migrate: the search index (0002) is backfilled in one pass
    # instead of by its triggers once per row, several times faster for a bulk load.
    database = Database(url_for(str(path)))
    upgrade(database, "0001")
    database.close()
    rng = random.Random(seed)
    end = datetime(2026, 11, 26, tzinfo=UTC)
    start = end - timedelta(days=365)
    span = (end - start).total_seconds()
    severities = list(Severity)
    channels, categories = list(Channel), list(Category)
    began = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the console runs with FULL
    per_day: dict[str, int] = {}
    batch_i: list[tuple[object, ...]] = []
    batch_e: list[tuple[object, ...]] = []
    stamps = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(incidents))
    entry_id = 0
    for index, received in enumerate(stamps, start=1):
        day = (received + timedelta(hours=8)).strftime("%Y%m%d")
        number = per_day[day] = per_day.get(day, 0) + 1
        severity = rng.choice(severities)
        is_open = rng.random() < open_fraction
        due = received + timedelta(minutes=rng.randint(10, 4000)) if is_open else None
        title = f"{rng.choice(PLACES)}{rng.choice(TITLES)}"
        stamp = received.strftime(FORMAT)
        classification = Classification.SECRET if index % 997 == 0 else Classification.INTERNAL
        batch_i.append(
            (
                index,
                f"{day}-{number:03d}",
                f"{day[:4]}-{day[4:6]}-{day[6:]}",
                number,
                stamp,
                rng.choice(channels).value,
                rng.choice(categories).value,
                severity.value,
                severity.rank,
                title,
                f"据报，{title}，情况正在核实。",
                classification.value,
                "following" if is_open else "closed",
                1 if is_open else 0,
                due.strftime(FORMAT) if due else None,
                "continued_report" if is_open else None,
                stamp,
                stamp,
            )
        )
        for seq, (kind, minutes) in enumerate(
            (("received", 0), ("phone_report", 12), ("first_report", 45)), 1
        ):
            entry_id += 1
            batch_e.append(
                (
                    entry_id,
                    index,
                    seq,
                    kind,
                    (received + timedelta(minutes=minutes)).strftime(FORMAT),
                    stamp,
                    "值班员",
                    f"{title}：{kind}",
                )
            )
        if len(batch_i) >= 50_000:
            _flush(conn, batch_i, batch_e)
    _flush(conn, batch_i, batch_e)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    loaded = time.perf_counter()
    database = Database(url_for(str(path)))
    database.ensure_schema()
    database.close()
    return {
        "incidents": incidents,
        "entries": entry_id,
        "build_seconds": round(time.perf_counter() - began, 1),
        "migrate_seconds": round(time.perf_counter() - loaded, 1),
    }


def _flush(
    conn: sqlite3.Connection, incidents: list[tuple[object, ...]], entries: list[tuple[object, ...]]
) -> None:
    conn.executemany(
        "INSERT INTO incident (id, serial, serial_date, serial_no, received_at, channel, category, severity, "
        "severity_rank, title, summary, classification, status, is_open, due_at, due_step, created_at, updated_at, "
        "reporter_name, reporter_unit, reporter_phone, location, assigned_leader, assigned_department, version) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'','','','','','',1)",
        incidents,
    )
    conn.executemany(
        "INSERT INTO timeline_entry (id, incident_id, seq, kind, occurred_at, recorded_at, actor_name, text, target) "
        "VALUES (?,?,?,?,?,?,?,?,'')",
        entries,
    )
    conn.commit()
    incidents.clear()
    entries.clear()


def main() -> None:
    """Command-line entry: build the database and print what was built."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--open-fraction", type=float, default=1.0)
    args = parser.parse_args()
    print(build(args.path, args.incidents, args.open_fraction))


if __name__ == "__main__":
    main()
