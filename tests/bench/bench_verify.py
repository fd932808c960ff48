"""Benchmark ``dutydesk verify`` on a large record: time, CPU and peak memory (issue 16).

CPU and peak memory include the worker processes verify starts (``wait4`` counts the
children a process has waited for). Each figure is printed beside its yardsticks, measured in the same run: the same command
on a small record (500 incidents: start-up, imports, the fixed checks) and SQLite's own
``PRAGMA integrity_check`` of the big file through the ``sqlite3`` shell (the part of
verify no Python change can speed up). ``--before SRC`` runs the same command once more
with another checkout's ``dutydesk`` first on ``PYTHONPATH`` (``/work/main``, say), so
before and after come from one run on one machine. Not part of the test run.

    python -m tests.bench.bench_verify /tmp/bench-200k.sqlite3 --before /work/main
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.build_db import build


def _run(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one process (``wait4``).

    With the 1-minute load average at its start and end: the machine is shared, and a
    wall time means little without it.
    """
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    # Our own CLI (or the sqlite3 shell) on a benchmark file, no shell.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    return {
        "seconds": round(time.perf_counter() - began, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": os.waitstatus_to_exitcode(status),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "said": output.strip().splitlines()[-2:],
    }


def _verify(path: Path, source: str | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = source
    return _run([sys.executable, "-m", "dutydesk", "verify", "--db", str(path)], env)


def main() -> None:
    """Measure and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path, help="a database built by build_db.py")
    parser.add_argument("--before", help="another checkout to run the same command from")
    args = parser.parse_args()
    small = Path(tempfile.mkdtemp()) / "small.sqlite3"
    build(small, 500, 1.0)
    # verify walks a long chain with one worker process per core (up to 4): say how many.
    figures: dict[str, Any] = {"database": str(args.path), "cores": len(os.sched_getaffinity(0))}
    figures["verify"] = _verify(args.path)
    figures["yardstick_verify_500_incidents"] = _verify(small)
    shell = shutil.which("sqlite3")
    if shell:
        figures["yardstick_sqlite3_integrity_check"] = _run(
            [shell, str(args.path), "PRAGMA integrity_check"]
        )
    if args.before:
        figures["before_verify"] = _verify(args.path, args.before)
        figures["before_yardstick_verify_500_incidents"] = _verify(small, args.before)
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
