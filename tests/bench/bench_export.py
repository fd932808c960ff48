"""Daily export benchmark: one day of 10,000 incidents in every format. Not in the test run.

    python tests/bench/bench_export.py [/tmp/daily.sqlite3] [--incidents 10000]

Builds the database (schema from the real migrations, rows with ``executemany``), then
times the summary query and each renderer exactly as ``dutydesk export daily`` calls
them, best of three. Prints JSON: wall and CPU seconds per format (query + render)
against the 1 s target, and the output size.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dutydesk.cli.commands.output import csv_text
from dutydesk.reports import daily as report
from dutydesk.reports import daily_office
from dutydesk.services.incidents.daily import daily_summary
from dutydesk.storage.engine import Database, url_for
from dutydesk.vocab import Category, Channel, Severity
from tests.request_support import request

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 26)
DAY_START = clock_time(8, 30)
"""The change of shift that starts a 值班日, as the settings ship it."""
FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def build(path: Path, incidents: int) -> None:
    """``incidents`` incidents received on DAY's 值班日, four timeline entries each."""
    database = Database(url_for(str(path)))
    database.ensure_schema()
    database.close()
    rng = random.Random(11)
    start = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # 08:30 on DAY in Shanghai
    conn = sqlite3.connect(path)
    rows, entries = [], []
    for index in range(1, incidents + 1):
        received = start + timedelta(seconds=86_399 * index / (incidents + 1))
        stamp = received.strftime(FORMAT)
        severity = rng.choice(list(Severity))
        title = f"幸福路{index}号燃气泄漏" if index % 50 else f"=cmd|' /C calc'!A{index}"
        rows.append((index, f"20261126-{index:03d}", "2026-11-26", index, stamp,
                     rng.choice(list(Channel)).value, rng.choice(list(Category)).value,
                     severity.value, severity.rank, title,
                     f"据市应急管理局报告，{title}，情况正在核实。",
                     "secret" if index % 997 == 0 else "internal", stamp, stamp))  # fmt: skip
        for seq, (kind, minutes) in enumerate(
            (("received", 0), ("phone_report", 12), ("first_report", 45), ("note", 90)), 1
        ):
            at = (received + timedelta(minutes=minutes)).strftime(FORMAT)
            entries.append((index, seq, kind, at, stamp, "值班员", f"{title}：{kind}"))
    conn.executemany(
        "INSERT INTO incident (id, serial, serial_date, serial_no, received_at, channel, "
        "category, severity, severity_rank, title, summary, classification, status, is_open, "
        "created_at, updated_at, reporter_name, reporter_unit, reporter_phone, location, "
        "assigned_leader, assigned_department, version) VALUES "
        "(?,?,?,?,?,?,?,?,?,?,?,?,'following',1,?,?,'','市应急管理局','','幸福路','','',1)",
        rows,
    )
    conn.executemany(
        "INSERT INTO timeline_entry (incident_id, seq, kind, occurred_at, recorded_at, "
        "actor_name, text, target) VALUES (?,?,?,?,?,?,?,'')",
        entries,
    )
    conn.commit()
    conn.close()


def render(fmt: str, db: Database) -> bytes:
    """What ``dutydesk export daily --format fmt`` computes, as bytes."""
    summary = daily_summary(
        request(db, tz=TZ, now=datetime(2026, 11, 27, 8, 40, tzinfo=TZ)), DAY, day_start=DAY_START
    )
    if fmt == "csv":
        keys = [key for key, _ in report.COLUMNS]
        return csv_text(keys, report.incident_records(summary, TZ), excel=True).encode()
    if fmt == "ndjson":
        return report.render_ndjson(report.incident_records(summary, TZ)).encode()
    if fmt == "json":
        return report.render_json(summary, TZ).encode()
    if fmt == "md":
        return report.render_md(summary, TZ).encode()
    if fmt == "xlsx":
        return daily_office.render_xlsx(summary, TZ)
    return daily_office.render_docx(summary, TZ)


def main() -> None:
    """Build (unless the file exists), measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", type=Path)
    parser.add_argument("--incidents", type=int, default=10_000)
    args = parser.parse_args()
    path = args.path or Path(tempfile.mkdtemp()) / "daily.sqlite3"
    began = time.perf_counter()
    if not path.exists():
        build(path, args.incidents)
    built = time.perf_counter() - began
    db = Database(url_for(str(path)))
    results: dict[str, Any] = {"incidents": args.incidents, "build_seconds": round(built, 1)}
    for fmt in ("csv", "json", "ndjson", "md", "xlsx", "docx"):
        times, cpu = [], []
        for _ in range(3):
            start, start_cpu = time.perf_counter(), time.process_time()
            data = render(fmt, db)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        best = min(times)
        results[fmt] = {
            "seconds": round(best, 3),
            # CPU time of this process: the figure to trust when other jobs share the CPUs.
            "cpu_seconds": round(min(cpu), 3),
            "bytes": len(data),
            "under_1s": best < 1.0,
        }
    db.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
