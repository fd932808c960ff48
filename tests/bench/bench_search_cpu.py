"""Server CPU per search on PostgreSQL: what a query costs the server, whatever the load.

    .venv/bin/python tests/bench/bench_search_cpu.py URL [--reps 60] [--offset N] [QUERY ...]

Runs each query (default: bench_search's two words never together) ``--reps`` times
through ``PostgresSearchIndex.find`` on one connection (a page of 51 rows after
``--offset`` rows) and prints JSON per query: wall
p50/p95 ms, the server backend's CPU ms per query (utime + stime of the backends of the
database in ``/proc``, read before and after: the server must run on this machine, and
nothing else may use that database meanwhile) and this process's own CPU ms per query.
On a shared machine wall times follow the load; CPU times hardly do, so run two
checkouts' copies of this script in turn (each from its own venv) to compare them.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from typing import Any

from dutydesk.storage.engine import Database
from dutydesk.storage.search import PostgresSearchIndex, SearchSpec

NEVER_TOGETHER = ("火灾 停电", "停水 食物中毒", "幸福路 北山乡")
VISIBLE = ("public", "internal")


def _backend_cpu_ms(db: Database) -> float:
    """CPU milliseconds so far of the client backends connected to this database."""
    pids = db.read(
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND backend_type = 'client backend'"
    )
    ticks = 0
    for (pid,) in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def _own_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def run(url: str, queries: tuple[str, ...], reps: int, offset: int = 0) -> dict[str, Any]:
    """Time ``reps`` searches of each query; see the module's docstring."""
    db = Database(url)
    index = PostgresSearchIndex(db)
    index.find(SearchSpec(terms=("预热",), visible=VISIBLE))  # connect, read pg_stats
    out: dict[str, Any] = {}
    for query in queries:
        spec = SearchSpec(terms=tuple(query.split()), visible=VISIBLE, limit=51, offset=offset)
        index.find(spec)
        server, own = _backend_cpu_ms(db), _own_cpu_ms()
        walls = []
        for _ in range(reps):
            began = time.perf_counter()
            index.find(spec)
            walls.append((time.perf_counter() - began) * 1000)
        server, own = _backend_cpu_ms(db) - server, _own_cpu_ms() - own
        walls.sort()
        out[query] = {
            "p50": round(statistics.median(walls), 2),
            "p95": round(walls[int(len(walls) * 0.95) - 1], 2),
            "server_cpu_ms": round(server / reps, 2),
            "client_cpu_ms": round(own / reps, 2),
        }
    db.close()
    return out


def main() -> None:
    """Command-line entry: print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="postgresql+psycopg://... of a server on this machine")
    parser.add_argument("queries", nargs="*", default=list(NEVER_TOGETHER))
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--offset", type=int, default=0, help="rows to skip (page by offset)")
    args = parser.parse_intermixed_args()  # options before or after the queries
    found = run(args.url, tuple(args.queries), args.reps, args.offset)
    print(json.dumps(found, ensure_ascii=False))


if __name__ == "__main__":
    main()
