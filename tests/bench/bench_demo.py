"""How long loading the demo night takes (``dutydesk demo``), in a fresh SQLite file.

Not part of the test run: a wall-clock bound in a test fails on a loaded CI machine
(tests/test_demo.py once asserted < 2 s and failed twice). Prints the median of runs.

    python -m tests.bench.bench_demo [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from dutydesk.services.demo.load import load_demo
from dutydesk.storage.engine import Database, url_for
from tests.conftest import DEMO_MOMENT


def main() -> None:
    """Load the demo ``--runs`` times and print each time and the median."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    times = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            database = Database(url_for(str(Path(folder) / "demo.sqlite3")))
            database.ensure_schema()
            started = time.perf_counter()
            load_demo(database, DEMO_MOMENT)
            times.append((time.perf_counter() - started) * 1000)
            database.close()
        print(f"run {run + 1}: {times[-1]:.0f} ms")
    print(f"demo load median {statistics.median(times):.0f} ms over {runs} runs (target < 2000 ms)")


if __name__ == "__main__":
    main()
