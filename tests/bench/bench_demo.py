"""How long loading the demo night takes (``dutydesk demo``), in a fresh SQLite file.

Not part of the test run: a wall-clock bound in a test fails on a loaded CI machine
(tests/test_demo.py once asserted < 2 s and failed twice). Prints JSON: the wall and CPU
(``time.process_time``) medians of ``load_demo``, beside its yardstick measured in the
same run: a bare ``ensure_schema`` (every migration) on an empty file.

    python -m tests.bench.bench_demo [--runs 5] [--compare /path/to/other/checkout]

Each round runs in a fresh process (as ``dutydesk demo`` does: its first load pays for
what the process sets up once). ``--compare`` interleaves rounds of another checkout
(the code before a change) with this one's, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# One round, run in a child process whose PYTHONPATH picks the checkout measured.
_ROUND = """
import json, tempfile, time
from pathlib import Path
from dutydesk.services.demo.load import load_demo
from dutydesk.storage.engine import Database, url_for
from tests.conftest import DEMO_MOMENT

def timed(work):
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

with tempfile.TemporaryDirectory() as folder:
    empty = Database(url_for(str(Path(folder) / "empty.sqlite3")))
    schema = timed(empty.ensure_schema)
    empty.close()
    database = Database(url_for(str(Path(folder) / "demo.sqlite3")))
    database.ensure_schema()
    load = timed(lambda: load_demo(database, DEMO_MOMENT))
    database.close()
print(json.dumps({"schema": schema, "load": load}))
"""


def one_round(tree: Path) -> dict[str, list[float]]:
    """Wall and CPU milliseconds of the schema yardstick and the load, in ``tree``'s code."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(  # our own interpreter, with a fixed program text
        [sys.executable, "-c", _ROUND],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def medians(rounds: list[dict[str, list[float]]]) -> dict[str, float]:
    """The medians of each figure over the rounds, rounded to the millisecond."""
    figures: dict[str, float] = {}
    for name in ("load", "schema"):
        figures[f"{name}_wall_ms"] = round(statistics.median(r[name][0] for r in rounds))
        figures[f"{name}_cpu_ms"] = round(statistics.median(r[name][1] for r in rounds))
    figures["load_cpu_per_schema_cpu"] = round(figures["load_cpu_ms"] / figures["schema_cpu_ms"], 2)
    return figures


def main() -> None:
    """Run ``--runs`` interleaved rounds and print the medians as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another checkout, measured in turn")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[2]
    trees = {"this": here} | ({"compare": args.compare.resolve()} if args.compare else {})
    rounds: dict[str, list[dict[str, list[float]]]] = {name: [] for name in trees}
    for tree in trees.values():
        # The load imports most of the services inside the timed block: where bytecode may
        # not be written (PYTHONDONTWRITEBYTECODE, as on this machine) a module changed
        # since its last compile was compiled from source there at every round.
        compileall.compile_dir(tree / "dutydesk", quiet=1)
    for _ in range(args.runs):
        for name, tree in trees.items():
            rounds[name].append(one_round(tree))
    report = {name: medians(found) | {"runs": args.runs} for name, found in rounds.items()}
    report["target"] = {"load_wall_ms": 1000}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
