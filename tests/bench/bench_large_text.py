"""Outputs with the largest accepted text (issue 17, item 13); prints seconds per command.

Not part of the test run. Loads the demo night, times the handover pack (txt and docx)
and the weekly report (txt and docx) through the real command line, then adds one
incident whose report is a 1 MB paste and one at the text limit (2,000,000 characters)
and times them again. Best of ``--runs`` runs, wall time of the whole command::

    .venv/bin/python tests/bench/bench_large_text.py [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-11-26T08:20+08:00"
MEGABYTE_PASTE = "燃气泄漏现场情况。" * (1_048_576 // 27)
LIMIT_TEXT = "据报，东湖区一居民楼冒烟。" * (2_000_000 // 13)


def _dutydesk(db: Path, *args: str, stdin: str = "") -> float:
    """Run ``python -m dutydesk --db DB --now NOW ARGS``; its wall time in seconds."""
    began = time.perf_counter()
    # Our own interpreter and module with fixed arguments: no shell, no outside input.
    done = subprocess.run(
        [sys.executable, "-m", "dutydesk", "--db", str(db), "--now", NOW, *args],
        input=stdin, capture_output=True, text=True, check=False,
        env={**os.environ, "DUTYDESK_OPERATOR": "黄雨婷", "DUTYDESK_PIN": "4444"},  # the demo's
    )  # fmt: skip
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{args}: {done.stderr.strip()}")
    return elapsed


def _outputs(db: Path, folder: Path, runs: int) -> dict[str, float]:
    commands = {
        "handover_txt": ("handover", "--preview", "--format", "txt", "-o", str(folder / "h.txt")),
        "handover_docx": ("handover", "--preview", "--format", "docx", "-o", str(folder / "h.docx")),
        "weekly_md": ("report", "weekly", "--format", "md", "-o", str(folder / "w.md")),
        "weekly_docx": ("report", "weekly", "--format", "docx", "-o", str(folder / "w.docx")),
    }  # fmt: skip
    return {
        name: round(min(_dutydesk(db, *args) for _ in range(runs)), 2)
        for name, args in commands.items()
    }


def run(runs: int) -> dict[str, dict[str, float]]:
    """The figures: the demo as loaded, with a 1 MB report, and with one at the limit."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db = folder / "demo.sqlite3"
        _dutydesk(db, "demo")
        figures = {"demo": _outputs(db, folder, runs)}
        for name, text in (("with_1mb_report", MEGABYTE_PASTE), ("with_2m_chars", LIMIT_TEXT)):
            item = json.dumps({"summary": text, "title": "大段报告", "received_at": "07:50"})
            _dutydesk(db, "incident", "add", "--json", "-", stdin=item)
            figures[name] = _outputs(db, folder, runs)
        return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    print(json.dumps(run(parser.parse_args().runs), indent=1))
