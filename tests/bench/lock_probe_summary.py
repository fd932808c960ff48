"""Sum up ``lock_probe`` files: lock wait and hold per write transaction, as JSON.

    python tests/bench/lock_probe_summary.py PREFIX

Each process's first transaction is reported apart (it sets up what later ones reuse).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _at(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


def summary(prefix: str) -> dict[str, object]:
    """Medians, p99 and maxima of the probe files of ``prefix`` (processes of 2+ writes)."""
    waits: list[float] = []
    holds: list[float] = []
    first_waits: list[float] = []
    first_holds: list[float] = []
    folder, stem = Path(prefix).parent, Path(prefix).name
    for path in folder.glob(f"{stem}.*"):
        marks = json.loads(path.read_text(encoding="utf-8"))
        if len(marks["hold"]) < 2:
            continue
        first_waits.append(marks["wait"][0])
        first_holds.append(marks["hold"][0])
        waits += marks["wait"][1:]
        holds += marks["hold"][1:]
    if not waits:
        return {"transactions": 0}
    return {
        "transactions": len(waits),
        "wait_p50_s": _at(waits, 0.5),
        "wait_p99_s": _at(waits, 0.99),
        "wait_max_s": round(max(waits), 3),
        "hold_p50_s": _at(holds, 0.5),
        "hold_p99_s": _at(holds, 0.99),
        "first_wait_s": [round(value, 2) for value in first_waits],
        "first_hold_s": [round(value, 2) for value in first_holds],
    }


if __name__ == "__main__":
    print(json.dumps(summary(sys.argv[1]), indent=2))
