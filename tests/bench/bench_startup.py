"""Time from launching ``dutydesk --db PATH`` to the first frame showing queue rows.

Not part of the test run. Each run spawns a fresh interpreter that takes the launcher's
own path (:func:`dutydesk.cli.launch.prepare_console`: schema check, key file check, sign-in
check and the top of the queue, all before Textual is imported; then the app), headless at 120x40. The clock
starts just before the process is spawned, so interpreter start-up and every import
count. Textual's ``auto_pilot`` hook runs once the first screen is up; it stops the clock
when the queue has rows, and reads the peak resident memory.

    python tests/bench/bench_startup.py /tmp/bench.sqlite3 [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
t0 = float(sys.argv[2])
from dutydesk.config import load_settings
from dutydesk.cli.runtime import clock_for, database_for, language_for
from dutydesk.i18n import set_language
settings = load_settings()
database = database_for(settings, sys.argv[1])
from dutydesk.cli.runtime import prepare_console
start = prepare_console(settings, database)
language = language_for(settings, "en")
set_language(language)
imported = time.time()
from dutydesk.tui.app import DutyDeskApp
textual_ms = (time.time() - imported) * 1000
app = DutyDeskApp(database, settings, clock_for(settings, None), language, first_rows=start.first_rows)
result = {}

async def auto_pilot(pilot):
    from dutydesk.tui.widgets.queue import QueueView
    while not app.main.query(QueueView) or app.main.queue.row(0) is None:
        await pilot.pause(0.001)
    result["first_rows_ms"] = (time.time() - t0) * 1000
    result["before_textual_ms"] = (imported - t0) * 1000
    result["textual_import_ms"] = textual_ms
    app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=auto_pilot)
result["orm_loaded"] = "sqlmodel" in sys.modules
result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def run_once(path: Path) -> dict[str, float]:
    """Launch one console on ``path`` and return its figures."""
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), repr(t0)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    """Run the launches and print median and worst figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    runs = [run_once(args.path) for _ in range(args.runs)]
    summary = {
        key: {
            "median": round(statistics.median(r[key] for r in runs), 1),
            "max": round(max(r[key] for r in runs), 1),
        }
        for key in ("first_rows_ms", "before_textual_ms", "textual_import_ms", "peak_rss_mb")
    }
    print(
        json.dumps(
            {"database": str(args.path), "runs": args.runs, **summary, "target_first_rows_ms": 500},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
