"""Daily export benchmark: one day of N incidents in every format. Not in the test run.

    python tests/bench/bench_export.py [--incidents 10000 100000] [--dir /tmp/bench]
        [--repeat 2] [--old /work/main/.venv/bin/dutydesk]

For each size, builds a database of one 值班日 (schema from the real migrations, rows
with ``executemany``: ``tests/bench/build_db.py`` takes far longer at 100k), then runs
``dutydesk export daily --format F -o FILE`` as its own process for every format, and
beside it the floor: ``sqlite3 -csv`` printing the same rows (the summary's query).
Each figure is the best of ``--repeat`` runs: wall seconds, CPU seconds of the process
(the figure to trust when other jobs share the CPUs) and its peak RSS (``wait4``). Prints
JSON, with each format's ratio to the floor and the targets (memory <= 150 MB at 100k;
<= 3x the floor's CPU seconds for csv/json/ndjson, <= 6x for md/xlsx/docx), and an empty
day's csv (the process before its first row: start-up, schema check, key).
``--old``: another checkout's ``dutydesk`` (main's, before a change) runs each format
just before this one, in the same rounds: its figures go under ``old``, and
``same_as_old`` says whether the two outputs are the same bytes (xlsx and docx: the same
zip members, all but the creation stamp in ``docProps/core.xml``).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 26)
DAY_START = clock_time(8, 30)
"""The change of shift that starts a 值班日, as the settings ship it."""
FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def build(path: Path, incidents: int) -> None:
    """``incidents`` incidents received on DAY's 值班日, four timeline entries each."""
    from dutydesk.storage.engine import Database, url_for
    from dutydesk.vocab import Category, Channel, Severity

    database = Database(url_for(str(path)))
    database.ensure_schema()
    database.close()
    rng = random.Random(11)
    start = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # 08:30 on DAY in Shanghai
    conn = sqlite3.connect(path)
    # The search index's triggers cost ~20 ms an incident (10k: 4 minutes): exports never
    # read that index, so the bench database goes without it.
    triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for (name,) in triggers:
        if name.startswith("search_"):
            conn.execute(f'DROP TRIGGER "{name}"')
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


FORMATS = ("csv", "json", "ndjson", "md", "xlsx", "docx")
FLOOR_RATIO = {"csv": 3, "json": 3, "ndjson": 3, "md": 6, "xlsx": 6, "docx": 6}
DUTYDESK = Path(sys.executable).with_name("dutydesk")


def floor_sql() -> str:
    """The summary's own query with this day's window written in (sqlite3 takes no params)."""
    from dutydesk.rules.dates import duty_day_window
    from dutydesk.services.incidents.daily import _SQL

    start, end = duty_day_window(DAY, TZ, DAY_START)
    values = {
        "start": start.astimezone(UTC).replace(tzinfo=None).strftime(FORMAT),
        "end": end.astimezone(UTC).replace(tzinfo=None).strftime(FORMAT),
        "phone": "phone_report",
        "first": "first_report",
    }
    sql = _SQL.format(drills="AND +i.drill_run_id IS NULL")  # as daily_export on SQLite
    for name, value in values.items():
        sql = sql.replace(f":{name}", f"'{value}'")
    return sql


def run(command: list[str], stdout: Any = subprocess.DEVNULL) -> dict[str, float]:
    """Wall and CPU seconds and peak RSS (MB) of one process running ``command``."""
    began = time.perf_counter()
    # A fixed command line built here (the installed dutydesk, sqlite3), no shell.
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode() if process.stderr else ""
    if process.returncode:
        raise SystemExit(f"{command[0]} failed: {error}")
    return {
        "seconds": round(wall, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def best(command: list[str], repeat: int, out: Path | None = None) -> dict[str, float]:
    """The run with the least CPU time among ``repeat`` (peak RSS: the largest seen)."""
    runs = []
    for _ in range(repeat):
        if out is None:
            runs.append(run(command))
        else:
            with out.open("wb") as stream:
                runs.append(run(command, stream))
    chosen = min(runs, key=lambda result: result["cpu_seconds"])
    return {**chosen, "peak_rss_mb": max(result["peak_rss_mb"] for result in runs)}


def export(path: Path, fmt: str, repeat: int, dutydesk: Path, day: date = DAY) -> dict[str, Any]:
    """One format of ``day`` by the ``dutydesk`` given, as its own process."""
    target = path.with_suffix(f".out.{fmt}")
    command = [str(dutydesk), "--db", str(path), "--now", "2026-11-27T08:40+08:00",
               "export", "daily", "--date", day.isoformat(), "--format", fmt,
               "-o", str(target)]  # fmt: skip
    result: dict[str, Any] = best(command, repeat)
    result["bytes"] = target.stat().st_size
    return result


def same(new: Path, old: Path) -> bool:
    """The same bytes; for xlsx and docx (zip files), the same members but the stamp.

    ``docProps/core.xml`` holds the moment openpyxl or python-docx wrote the file, and
    the zip entries their dates: every other member must be byte for byte the old one.
    Read a block at a time: this process's memory is copied into every child it starts,
    and ``wait4`` counts it in the child's peak RSS.
    """
    if new.suffix not in {".xlsx", ".docx"}:
        return filecmp.cmp(new, old, shallow=False)
    with zipfile.ZipFile(new) as first, zipfile.ZipFile(old) as second:
        names = first.namelist()
        if names != second.namelist():
            return False
        for name in names:
            if name == "docProps/core.xml":
                continue
            with first.open(name) as one, second.open(name) as other:
                while block := one.read(1 << 16):
                    if block != other.read(len(block)):
                        return False
                if other.read(1):
                    return False
    return True


def measure(path: Path, incidents: int, repeat: int, old: Path | None) -> dict[str, Any]:
    """Every format of one database's day, beside ``sqlite3 -csv`` of its rows.

    With ``old`` (another checkout's ``dutydesk``), each format by it too, run just
    before this one's, and whether the two files are the same bytes.
    """
    out = path.with_suffix(".floor.csv")
    sql = path.with_suffix(".floor.sql").read_text()
    floor = best(["sqlite3", "-csv", "-header", str(path), sql], repeat, out)
    floor["bytes"] = out.stat().st_size
    results: dict[str, Any] = {"incidents": incidents, "sqlite3_csv": floor}
    # An empty day: what the process costs before its first row (start-up, the checks).
    results["empty_day_csv"] = export(path, "csv", repeat, DUTYDESK, DAY - timedelta(days=7))
    for fmt in FORMATS:
        before = None
        if old is not None:
            before = export(path, fmt, repeat, old)
            path.with_suffix(f".out.{fmt}").replace(path.with_suffix(f".old.{fmt}"))
        result = export(path, fmt, repeat, DUTYDESK)
        result["x_floor_cpu"] = round(result["cpu_seconds"] / max(floor["cpu_seconds"], 1e-3), 2)
        result["x_floor_wall"] = round(result["seconds"] / max(floor["seconds"], 1e-3), 2)
        result["within_targets"] = result["x_floor_cpu"] <= FLOOR_RATIO[fmt] and (
            incidents > 100_000 or result["peak_rss_mb"] <= 150
        )
        if before is not None:
            before["x_floor_cpu"] = round(
                before["cpu_seconds"] / max(floor["cpu_seconds"], 1e-3), 2
            )
            result["old"] = before
            result["same_as_old"] = same(
                path.with_suffix(f".out.{fmt}"), path.with_suffix(f".old.{fmt}")
            )
        results[fmt] = result
    return results


def main() -> None:
    """Build each size's database (unless its file exists), measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dir", type=Path, default=None, help="keep the databases here")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--old", type=Path, help="another checkout's dutydesk executable, run beside this one's"
    )
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # the child's task
    args = parser.parse_args()
    if args.build:
        build(args.build, args.incidents[0])
        args.build.with_suffix(".floor.sql").write_text(floor_sql())
        return
    folder = args.dir or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    report = []
    for incidents in args.incidents:
        path = folder / f"daily-{incidents}.sqlite3"
        began = time.perf_counter()
        if not path.exists():
            # In a child process: this one stays small, and the peak RSS that wait4
            # reports for a child includes its parent's pages copied at the fork.
            subprocess.run(
                [sys.executable, __file__, "--build", str(path), "--incidents", str(incidents)],
                check=True,
            )
        results = measure(path, incidents, args.repeat, args.old)
        results["load_average"] = [round(load, 2) for load in os.getloadavg()]
        results["build_seconds"] = round(time.perf_counter() - began, 1)
        report.append(results)
        print(json.dumps(results), file=sys.stderr)  # progress: a size at a time
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
