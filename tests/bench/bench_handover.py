"""Benchmark the handover pack for a night of 1,000 incidents; print the figures as JSON.

Not part of the test run. Builds a database with the demo people and roster plus 1,000
incidents received during one night (17:30-08:30), a third of them open with a leader
instruction awaiting feedback, some classified; then times, best of 5:

* ``build_ms``: reading the pack from the store (period, incidents, timelines, roster);
* ``txt_ms`` / ``docx_ms``: rendering it;
* ``total_txt_ms`` / ``total_docx_ms``: both together, against the 1 s target.

    python tests/bench/bench_handover.py [/tmp/bench_handover.sqlite3] [--incidents 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
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


def measure(path: Path, rounds: int = 5) -> dict[str, float]:
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
    pack = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        start = period_start(db, MOMENT, settings)
        pack = build_pack(
            request(db, now=MOMENT, rules=rules), start=start, at=MOMENT, settings=settings
        )
        t1 = time.perf_counter()
        text = render_text(pack, TZ)
        t2 = time.perf_counter()
        document = render_docx(pack, TZ)
        t3 = time.perf_counter()
        for key, value in (("build_ms", t1 - t0), ("txt_ms", t2 - t1), ("docx_ms", t3 - t2)):
            best[key] = min(best.get(key, float("inf")), value * 1000)
    assert pack is not None
    db.close()
    return {
        "incidents_received": pack.received_total,
        "open": len(pack.open),
        "overdue_steps": len(pack.overdue),
        "instructions_awaiting_feedback": len(pack.instructions),
        "classified_by_serial": len(pack.classified),
        "txt_bytes": len(text.encode()),
        "docx_bytes": len(document),
        **{key: round(value, 1) for key, value in best.items()},
        "total_txt_ms": round(best["build_ms"] + best["txt_ms"], 1),
        "total_docx_ms": round(best["build_ms"] + best["docx_ms"], 1),
        "target_ms": 1000,
    }


def main() -> None:
    """Build the database (unless --reuse) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", nargs="?", default="/tmp/bench_handover.sqlite3", type=Path)  # noqa: S108 - a benchmark default a developer may override
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="Use the database as it is.")
    args = parser.parse_args()
    if not args.reuse:
        build(args.path, args.incidents)
    print(json.dumps(measure(args.path), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
