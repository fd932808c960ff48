"""Benchmark the handover pack for a night of 1,000 incidents; print the figures as JSON.

Not part of the test run. Builds a database with the demo people and roster plus 1,000
incidents received during one night (17:30-08:30), a third of them open with a leader
instruction awaiting feedback, some classified; then times, best of 5:

* ``build_ms``: reading the pack from the store (period, incidents, timelines, roster);
* ``txt_ms`` / ``docx_ms``: rendering it;
* ``total_txt_ms`` / ``total_docx_ms``: both together, against the 1 s target;
* ``*_cpu_ms``: the same in CPU time (``time.process_time``), less swayed by other load;
* ``first_*``: the first round of the process alone (what a one-shot CLI pays);
* ``switches_voluntary`` / ``switches_involuntary`` / ``blocks_read`` / ``blocks_written``:
  the process's context switches and block I/O over all rounds (``getrusage``). Where
  wall exceeds CPU: voluntary switches are waits (I/O, fsync, locks), involuntary ones
  the scheduler handing the core to another process (machine load).

    python tests/bench/bench_handover.py [/tmp/bench_handover.sqlite3] [--incidents 1000]
    python tests/bench/bench_handover.py DB --reuse --compare /path/to/old/checkout [--runs 3]

``--compare`` measures the database as it is in fresh processes, this checkout's code and
the other's in turn (``--runs`` each, medians), with the load average beside: both see
the same machine load. Give it a copy nobody writes to.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.intake import NewIncident

try:
    from tests.request_support import request
except ModuleNotFoundError:  # run as a script: only this file's directory is on sys.path
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.request_support import request

TZ = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 11, 26, 8, 30, tzinfo=TZ)


def build(path: Path, incidents: int) -> None:
    """The demo night plus ``incidents`` more received between 17:30 and 08:30."""
    from dutydesk.rules.deadlines import load_rules
    from dutydesk.services.demo.load import load_demo
    from dutydesk.services.incidents.incident import add_entry, create_incident
    from dutydesk.storage.engine import Database, url_for
    from dutydesk.vocab import Category, Classification, EntryKind, Severity

    path.unlink(missing_ok=True)
    db = Database(url_for(str(path)))
    load_demo(db, MOMENT)
    rules, rng = load_rules(), random.Random(7)
    start = MOMENT - timedelta(hours=15)
    with db.session() as session:
        for number in range(incidents):
            received = start + timedelta(seconds=rng.randrange(15 * 3600 - 60))
            incident = create_incident(
                request(session, actor_name="李晓明", now=received, tz=TZ, rules=rules),
                NewIncident(
                    received_at=received,
                    channel="phone",
                    category=rng.choice(list(Category)),
                    severity=rng.choice(list(Severity)),
                    classification=Classification.SECRET
                    if number % 50 == 0
                    else Classification.INTERNAL,
                    title=f"夜间接报事项第{number}号",
                    summary="某地发生情况，已核实。" * 5,
                    location="某区某路",
                    occurred_at=received - timedelta(minutes=5),
                ),
                session=session,
            )
            if number % 3 == 0:
                at = received + timedelta(minutes=20)
                add_entry(
                    request(session, actor_name="李晓明", now=at, rules=rules),
                    incident,
                    NewEntry(kind=EntryKind.FIRST_REPORT, occurred_at=at, text="书面首报"),
                    session=session,
                )
                add_entry(
                    request(session, actor_name="李晓明", now=at, rules=rules),
                    incident,
                    NewEntry(
                        kind=EntryKind.LEADER_INSTRUCTION,
                        occurred_at=at,
                        text="请有关部门妥善处置并及时反馈。",
                        target="周文斌",
                    ),
                    session=session,
                )
            elif number % 3 == 1:
                at = received + timedelta(minutes=30)
                add_entry(
                    request(session, actor_name="李晓明", now=at, rules=rules),
                    incident,
                    NewEntry(kind=EntryKind.FINAL_REPORT, occurred_at=at, text="终报"),
                    session=session,
                )
    db.close()


def measure(path: Path, rounds: int = 5) -> dict[str, Any]:
    """Best-of-``rounds`` timings of building and rendering the pack."""
    from dutydesk.config import Settings
    from dutydesk.reports.handover import render_text
    from dutydesk.reports.handover_docx import render_docx
    from dutydesk.rules.deadlines import load_rules
    from dutydesk.services.handover.pack import build_pack
    from dutydesk.services.handover.store import period_start
    from dutydesk.storage.engine import Database, url_for

    settings, rules = Settings(), load_rules()
    db = Database(url_for(str(path)))
    best: dict[str, float] = {}
    first: dict[str, float] = {}
    pack = None
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        start = period_start(db, MOMENT, settings)
        pack = build_pack(
            request(db, now=MOMENT, rules=rules), start=start, at=MOMENT, settings=settings
        )
        t1, c1 = time.perf_counter(), time.process_time()
        text = render_text(pack, TZ)
        t2, c2 = time.perf_counter(), time.process_time()
        document = render_docx(pack, TZ)
        t3, c3 = time.perf_counter(), time.process_time()
        timed = (
            *(("build_ms", t1 - t0), ("txt_ms", t2 - t1), ("docx_ms", t3 - t2)),
            *(("build_cpu_ms", c1 - c0), ("txt_cpu_ms", c2 - c1), ("docx_cpu_ms", c3 - c2)),
        )
        for key, value in timed:
            best[key] = min(best.get(key, float("inf")), value * 1000)
            first.setdefault(f"first_{key}", value * 1000)
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert pack is not None
    db.close()
    import dutydesk

    return {
        "code": str(Path(dutydesk.__file__).resolve().parents[1]),
        "incidents_received": pack.received_total,
        "open": len(pack.open),
        "overdue_steps": len(pack.overdue),
        "instructions_awaiting_feedback": len(pack.instructions),
        "classified_by_serial": len(pack.classified),
        "txt_bytes": len(text.encode()),
        "docx_bytes": len(document),
        **{key: round(value, 1) for key, value in (best | first).items()},
        "total_txt_ms": round(best["build_ms"] + best["txt_ms"], 1),
        "total_docx_ms": round(best["build_ms"] + best["docx_ms"], 1),
        "target_ms": 1000,
        "switches_voluntary": after.ru_nvcsw - before.ru_nvcsw,
        "switches_involuntary": after.ru_nivcsw - before.ru_nivcsw,
        "blocks_read": after.ru_inblock - before.ru_inblock,
        "blocks_written": after.ru_oublock - before.ru_oublock,
    }


_TIMES = (
    *("build_ms", "txt_ms", "docx_ms", "total_txt_ms", "total_docx_ms"),
    *("build_cpu_ms", "txt_cpu_ms", "docx_cpu_ms"),
    *("first_build_ms", "first_txt_ms", "first_docx_ms"),
    *("first_build_cpu_ms", "first_txt_cpu_ms", "first_docx_cpu_ms"),
    *("switches_voluntary", "switches_involuntary", "blocks_read", "blocks_written"),
)
_NOT_THE_PACK = {*_TIMES, "docx_bytes", "code"}


def one_process(tree: Path, path: Path) -> dict[str, Any]:
    """:func:`measure` in a fresh process running ``tree``'s code."""
    done = subprocess.run(  # our own interpreter, this script, a path we were given
        [sys.executable, str(Path(__file__).resolve()), str(path), "--reuse", "--child"],
        cwd=tree,
        env=dict(os.environ, PYTHONPATH=str(tree)),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def compare(path: Path, other: Path, runs: int) -> dict[str, object]:
    """This checkout and ``other`` in turn, ``runs`` processes each: medians."""
    trees = {"this": Path(__file__).resolve().parents[2], "compare": other.resolve()}
    for tree in trees.values():
        compileall.compile_dir(tree / "dutydesk", quiet=1)  # no compiling inside a round
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    loads = [os.getloadavg()[0]]
    for _ in range(runs):
        for name, tree in trees.items():
            found[name].append(one_process(tree, path))
        loads.append(os.getloadavg()[0])
    report: dict[str, object] = {
        name: {key: round(statistics.median(r[key] for r in rounds), 1) for key in _TIMES}
        | {"runs": runs, "code": rounds[0]["code"]}
        for name, rounds in found.items()
    }

    def pack(figures: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in figures.items() if key not in _NOT_THE_PACK}

    report["same_pack"] = all(
        pack(r) == pack(found["this"][0]) for rounds in found.values() for r in rounds
    )
    report["load_average_1min"] = [round(load, 1) for load in loads]
    report["target_ms"] = 1000
    return report


def main() -> None:
    """Build the database (unless --reuse) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", nargs="?", default="/tmp/bench_handover.sqlite3", type=Path)  # noqa: S108 - a benchmark default a developer may override
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="Use the database as it is.")
    parser.add_argument("--compare", type=Path, help="another checkout, measured in turn")
    parser.add_argument("--runs", type=int, default=3, help="processes per checkout")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.reuse:
        build(args.path, args.incidents)
    if args.compare is not None:
        print(json.dumps(compare(args.path, args.compare, args.runs), indent=2))
        return
    figures = measure(args.path)
    print(json.dumps(figures, ensure_ascii=False, indent=None if args.child else 2))


if __name__ == "__main__":
    main()
