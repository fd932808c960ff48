"""Many processes running the real CLI on one store at once (issue 17, item 9).

:func:`run_writers` starts ``processes`` Python processes; each, once every one is ready,
runs the command line's own ``main`` ``count`` times (``incident add`` or ``incident log
SERIAL note``), exactly as ``dutydesk`` does (argument parsing, the one-line error
handler, a fresh store connection per command), and reports what it saw as JSON: the
commands that failed with their one-line message, each command's latency, and the
retries :mod:`dutydesk.services.retry` made by cause. Importing happens before the start
line so that the processes write at the same time instead of one after another: on a
server URL the ORM write path and psycopg too (until task pgw they were imported by each
writer's first command, 0.4 s of CPU each, eight at once: PostgreSQL's p99 was those).

Used by ``tests/test_concurrency_cli.py`` (small counts, on both stores) and
``tests/bench/bench_concurrency.py`` (the issue's full counts, timed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

WORKER = """
import contextlib, io, json, os, sys, time
from dutydesk.cli.app import main
from dutydesk.services import retry
import sqlmodel, sqlalchemy, dutydesk.services.incidents.intake  # noqa: before the start line

db, mode, name, count, flag, serial = sys.argv[1:7]
if "://" in db:  # a server's writes go through the ORM and psycopg: imported here too
    import psycopg, sqlalchemy.dialects.postgresql.psycopg  # noqa
    import dutydesk.services.incidents.incident, dutydesk.services.integrity.state_facts  # noqa
print("ready", flush=True)
while not os.path.exists(flag):
    time.sleep(0.002)
failures, latencies = [], []
if mode == "mixed":  # every other writer through the ORM path: a classified register
    mode = "add" if int(name[1:]) % 2 == 0 else "register"
for number in range(int(count)):
    if mode == "add":
        args = ["incident", "add", "--summary", f"{name} {number}", "--title", f"{name}-{number}"]
    elif mode == "register":
        args = ["incident", "add", "--classification", "secret", "--organ", name,
                "--doc-no", f"{name}-{number}"]  # fmt: skip
    else:
        args = ["incident", "log", serial, "note", "--text", f"{name} {number}"]
    args += ["--operator", name]
    err = io.StringIO()
    began = time.perf_counter()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["--db", db, "--now", "2026-11-26T09:00+08:00", *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    latencies.append(time.perf_counter() - began)
    if code:
        failures.append(err.getvalue().strip().splitlines()[-1:] or [f"exit {code}"])
print(json.dumps({"failures": failures, "latencies": latencies, "retries": dict(retry.retries)}))
"""


@dataclass
class Outcome:
    """What all the writers of one run saw."""

    wall: float
    """Seconds from the start line to the last writer's exit."""
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)

    def percentile(self, share: float) -> float:
        """The latency below which ``share`` of the commands finished, in seconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_writers(
    db: str,
    mode: str,
    processes: int,
    count: int,
    flag: Path,
    *,
    serial: str = "",
    python: str = sys.executable,
) -> Outcome:
    """Run ``processes`` CLI writers of ``count`` commands each on ``db`` at once.

    ``mode`` is ``add`` (one intake per command), ``log`` (a follow-up note on
    ``serial``) or ``mixed`` (intakes, every other process registering classified items: on
    SQLite half the writers take the plain write path, half the ORM's). Raises ``AssertionError`` when a writer process itself crashed.
    ``python`` runs the writers (another checkout's venv, for a before/after benchmark).
    """
    workers = [
        # The test's own interpreter running the fixed worker text: no shell, no input.
        subprocess.Popen(
            [python, "-c", WORKER, db, mode, f"P{index}", str(count), str(flag), serial],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Not in a checkout: `python -c` puts the working directory first on sys.path,
            # ahead of PYTHONPATH, and bench_concurrency's --before code must be the one run.
            cwd=flag.parent,
        )
        for index in range(processes)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    started = time.monotonic()
    flag.touch()
    results = [worker.communicate(timeout=1800) for worker in workers]
    outcome = Outcome(wall=time.monotonic() - started)
    for worker, (out, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        outcome.failures += [" ".join(lines) for lines in report["failures"]]
        outcome.latencies += report["latencies"]
        outcome.retries.update(report["retries"])
    return outcome
