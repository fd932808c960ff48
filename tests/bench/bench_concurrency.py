"""Concurrent CLI writers on both stores, at the sizes of issue 17 (item 9).

4 processes logging 100 follow-ups each on one incident, then 8 processes registering 200
incidents each, through the real command line (``tests/concurrency_support.py``), first
on a private PostgreSQL server started here and then on a SQLite file. Prints, per store
and scenario: failures, wall time, commands per second, p50/p99 latency and retries by
cause; then checks serials, timeline numbers and the chain for gaps and runs ``verify``.
Not part of the test run::

    .venv/bin/python tests/bench/bench_concurrency.py [FOLLOWUPS INTAKES [sqlite|postgresql]]
        [--before SRC]

``--before SRC`` (issue 16) first runs the SQLite scenarios with the writers importing
another checkout's code (``SRC`` first on their ``PYTHONPATH``, e.g. ``/work/main``), then
with this one's, so before and after share the machine's load; the load average is
printed beside them. The first incident and ``verify`` run by the writers' interpreter; the checks in this
process (plain SQL).

``--before-python PY`` does the same with the old writers run by another interpreter
(an old checkout's own venv, whose typer may differ: issue 16 pinned typer 0.28.0), and
``--pairs N`` repeats old-then-new N times, alternating which goes first; with
``--store postgresql`` (task pgw) on a server started here, a database for each run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    from tests.concurrency_support import Outcome, run_writers
except ModuleNotFoundError:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.concurrency_support import Outcome, run_writers

from dutydesk.storage.engine import Database, url_for
from tests.pg_support import _Cluster, find_bindir


def _line(store: str, what: str, outcome: Outcome) -> str:
    done = len(outcome.latencies) - len(outcome.failures)
    return (
        f"{store:10} {what:22} failures {len(outcome.failures):4}  wall {outcome.wall:6.1f} s  "
        f"{done / outcome.wall:6.1f}/s  p50 {outcome.percentile(0.5) * 1000:6.0f} ms  "
        f"p95 {outcome.percentile(0.95) * 1000:6.0f} ms  p99 {outcome.percentile(0.99) * 1000:6.0f} ms  "
        f"max {max(outcome.latencies, default=0) * 1000:6.0f} ms  retries {dict(outcome.retries)}"
    )


def _checks(db: Database, serial: str) -> str:
    seqs = [row[0] for row in db.read(
        "SELECT e.seq FROM timeline_entry e JOIN incident i ON i.id = e.incident_id "
        "WHERE i.serial = :serial ORDER BY e.seq", {"serial": serial})]  # fmt: skip
    numbers = [row[0] for row in db.read("SELECT serial_no FROM incident ORDER BY serial_no")]
    chain = [row[0] for row in db.read(
        "SELECT chain_seq FROM timeline_entry WHERE chain_seq IS NOT NULL UNION ALL "
        "SELECT chain_seq FROM audit_event WHERE chain_seq IS NOT NULL ORDER BY 1")]  # fmt: skip
    gapless = (
        seqs == list(range(1, len(seqs) + 1))
        and numbers == list(range(1, len(numbers) + 1))
        and chain == list(range(1, len(chain) + 1))
    )
    return f"entries {len(seqs)}, incidents {len(numbers)}, chain {len(chain)}, gapless {gapless}"


def bench(
    store: str,
    target: str,
    workdir: Path,
    followups: int,
    intakes: int,
    python: str = sys.executable,
) -> None:
    """Run both scenarios on ``target`` (a file path or a server URL).

    The schema, the first incident and ``verify`` are ``python``'s dutydesk's, so that an older one
    gets a database at its own schema (it refuses one a newer migration wrote).
    """

    def cli(*args: str) -> int:
        # From ``workdir``: ``-m`` puts the working directory first on sys.path.
        done = subprocess.run([python, "-m", "dutydesk", "--db", target, *args], cwd=workdir)
        return done.returncode

    make = "import sys; from dutydesk.storage.engine import Database, url_for; "
    make += "Database(url_for(sys.argv[1])).ensure_schema()"
    subprocess.run([python, "-c", make, target], cwd=workdir, check=True)
    code = cli("--now", "2026-11-26T08:00+08:00", "incident", "add",
               "--summary", "幸福路燃气泄漏", "--operator", "值班员")  # fmt: skip
    if code:
        raise RuntimeError(f"the first incident was not registered: exit {code}")
    db = Database(url_for(target))
    serial = "20261126-001"
    logged = run_writers(
        target, "log", 4, followups, workdir / f"{store}-log", serial=serial, python=python
    )
    print(_line(store, f"4x{followups} follow-ups", logged), flush=True)
    added = run_writers(target, "add", 8, intakes, workdir / f"{store}-add", python=python)
    print(_line(store, f"8x{intakes} intakes", added), flush=True)
    print(f"{store:10} {_checks(db, serial)}", flush=True)
    for failure in sorted(set(logged.failures + added.failures))[:5]:
        print(f"{store:10} failure: {failure}")
    code = cli("verify")
    if code:
        print(f"{store:10} verify exit {code}")
    db.close()


def run(followups: int = 100, intakes: int = 200, stores: str = "both") -> None:
    """Both stores, one after the other (or the one named: ``sqlite``, ``postgresql``)."""
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        bindir = find_bindir()
        if stores == "sqlite":
            pass
        elif bindir is None:
            print("postgresql: no server binaries; skipped")
        else:
            cluster = _Cluster(bindir)
            try:
                cluster.start()
                url = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres"
                bench("postgresql", url, workdir, followups, intakes)
            finally:
                cluster.stop()
        if stores != "postgresql":
            bench("sqlite", str(workdir / "bench.sqlite3"), workdir, followups, intakes)


def before_and_after(source: str, followups: int, intakes: int) -> None:
    """The SQLite scenarios with ``source``'s code in the writers, then with this code."""
    kept = os.environ.get("PYTHONPATH")
    with tempfile.TemporaryDirectory() as scratch:
        for label, path in (("old", source), ("new", None)):
            if path is None:
                os.environ.pop("PYTHONPATH", None)
                if kept is not None:
                    os.environ["PYTHONPATH"] = kept
            else:
                os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [path, kept]))
            print(f"load average {os.getloadavg()[0]:.1f} before the {label} run", flush=True)
            folder = Path(scratch) / label
            folder.mkdir()
            bench(f"sqlite-{label}", str(folder / "bench.sqlite3"), folder, followups, intakes)
    print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)


def old_venv_and_new(
    python: str, followups: int, intakes: int, pairs: int, store: str = "sqlite"
) -> None:
    """The scenarios with ``python``'s writers (old), then this venv's, ``pairs`` times.

    Odd pairs run the new writers first, so that neither side always meets the load the
    other left behind. ``store`` ``postgresql``: one server started here, a database of
    its own for each run (task pgw); the first incident and ``verify`` are the writers'
    code's, the checks (plain SQL) this process's.
    """
    cluster = None
    if store == "postgresql":
        bindir = find_bindir()
        if bindir is None:
            print("postgresql: no server binaries; skipped")
            return
        cluster = _Cluster(bindir)
        cluster.start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for pair in range(pairs):
                sides = [("old", python), ("new", sys.executable)]
                for label, interpreter in sides if pair % 2 == 0 else sides[::-1]:
                    load = os.getloadavg()[0]
                    print(f"load average {load:.1f} before {label} {pair}", flush=True)
                    folder = Path(scratch) / f"{label}-{pair}"
                    folder.mkdir()
                    target = str(folder / "bench.sqlite3")
                    if cluster is not None:
                        target = _server_database(cluster, f"bench_{label}_{pair}")
                    name = f"{store}-{label}"
                    bench(name, target, folder, followups, intakes, interpreter)
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)


def _server_database(cluster: _Cluster, name: str) -> str:
    """A new empty database ``name`` on ``cluster``; its URL."""
    from tests.pg_support import PgServer

    base = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}"
    PgServer(url=f"{base}/postgres", own=True).admin(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


def _option(given: list[str], name: str) -> str | None:
    """Take ``name VALUE`` out of ``given``; the value, or ``None``."""
    if name not in given:
        return None
    at = given.index(name)
    value = given[at + 1]
    del given[at : at + 2]
    return value


if __name__ == "__main__":
    given = sys.argv[1:]
    source = _option(given, "--before")
    old_python = _option(given, "--before-python")
    pairs = int(_option(given, "--pairs") or 1)
    store = _option(given, "--store") or "sqlite"
    counts = (int(given[0]) if given else 100, int(given[1]) if len(given) > 1 else 200)
    if old_python is not None:
        old_venv_and_new(old_python, *counts, pairs, store)
    elif source is not None:
        before_and_after(source, *counts)
    else:
        run(*counts, given[2] if len(given) > 2 else "both")
