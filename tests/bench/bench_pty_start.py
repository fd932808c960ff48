"""First rows on a real terminal: ``dutydesk`` beside a bare Textual app, in a pty.

Not part of the test run. Issue 16 measured the launch path this way ("first queue rows
under a real pty on 200k incidents, interleaved rounds, median"): each process is
spawned in a pseudo-terminal at 120x40, what it writes is played onto a virtual screen
(pyte, as ``tests/e2e/terminal.py`` does), and the clock stops when the screen first
shows a queue row. ``bench_startup.py`` measures inside the process (CPU at the frame
composed, headless); this one measures what the officer sees: spawn, interpreter start,
imports, the first read, Textual's start-up and the bytes on the terminal.

- ``bare``: the yardstick, a Textual app with a header, a 40-row ``DataTable`` and a
  footer (``bench_startup.BARE_APP``), run on the terminal; stops when its first row is
  on the screen.
- ``console``: ``dutydesk --db PATH`` (the installed entry point) on a database nobody
  signs in to (``queue_db.py``); stops when a serial is on the screen in the queue.
- ``sign_in``: ``dutydesk`` on the demo night (made once by ``dutydesk demo``), which
  opens on the sign-in screen; stops when the names it lists are on the screen.

dutydesk's bytecode is written first (``bench_startup.compile_package``): without it a
run with ``PYTHONDONTWRITEBYTECODE`` compiled every dutydesk module at each start.

Rounds are interleaved (the three in turn, each round starting one further on), so a
loaded machine weighs on all alike. Wall milliseconds; JSON out with medians, worst cases
and each ratio to the bare app.

    python -m tests.bench.bench_pty_start /tmp/q200k.sqlite3 [--rounds 13]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pyte

from tests.bench.bench_startup import BARE_APP, compile_package
from tests.e2e.terminal import COLUMNS, DUTYDESK, LINES, environment, screen_text

BARE = BARE_APP + "\nBare().run()\n"
"""The bare app of ``bench_startup.py``, run as it is on the terminal."""

SERIAL = re.compile(r"\d{8}-\d{2}")
"""A queue row's serial, as both draw it (the console cuts a long one with "…")."""


def first_screen(command: str, args: list[str], env: dict[str, str], cwd: Path,
                 shown: Callable[[str], bool]) -> float:  # fmt: skip
    """Milliseconds from spawn until ``shown(screen)``; the process is then killed."""
    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.ByteStream(screen)
    began = time.perf_counter()
    # encoding=None makes a bytes child; the stubs cannot infer that from the argument.
    child: pexpect.spawn[bytes] = pexpect.spawn(
        command, args, env=env, cwd=str(cwd), dimensions=(LINES, COLUMNS), encoding=None
    )
    try:
        while time.perf_counter() - began < 60:
            try:
                chunk = child.read_nonblocking(65536, timeout=0.5)
            except pexpect.TIMEOUT:
                continue
            # The moment the bytes reached the terminal: pyte's parsing after it is this
            # script's work (tens of ms for a full screen of colour and Chinese), not the
            # app's, and a fuller screen would pay more of it.
            arrived = time.perf_counter()
            stream.feed(chunk)
            if shown(screen_text(screen)):
                return (arrived - began) * 1000
        raise TimeoutError(f"{command}: nothing shown in 60 s:\n{screen_text(screen)}")
    finally:
        child.terminate(force=True)


def summary(values: list[float]) -> dict[str, float]:
    """Median and worst of one kind's rounds, in ms."""
    return {"median_ms": round(statistics.median(values), 1), "max_ms": round(max(values), 1)}


def main() -> None:
    """Interleaved rounds of the bare app, the console and the sign-in screen; JSON out."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path, help="a database nobody signs in to (queue_db.py)")
    parser.add_argument("--rounds", type=int, default=13)
    options = parser.parse_args()
    # An editable install run without writing bytecode would compile dutydesk's modules
    # at every start (textual's came compiled with its wheel): compiled once, as a wheel
    # or the first run of a README install does (bench_startup.py does the same).
    compile_package()
    runs: dict[str, list[float]] = {"bare": [], "console": [], "sign_in": []}
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        env = environment(home, PYTHONDONTWRITEBYTECODE="1")
        script = home / "bare.py"
        script.write_text(BARE, encoding="utf-8")
        demo = home / "demo.sqlite3"
        subprocess.run([str(DUTYDESK), "demo", "--db", str(demo)], env=env, check=True,
                       capture_output=True)  # fmt: skip
        row = lambda screen: bool(SERIAL.search(screen))  # noqa: E731
        kinds: dict[str, tuple[str, list[str], Callable[[str], bool]]] = {
            "bare": (sys.executable, [str(script)], row),
            "console": (str(DUTYDESK), ["--db", str(options.path)], row),
            # The sign-in screen with the names it lists (the demo's duty officer's).
            "sign_in": (str(DUTYDESK), ["--db", str(demo)], lambda screen: "李晓明" in screen),
        }
        for command, args, shown in kinds.values():  # one untimed run each: caches warm
            first_screen(command, args, env, home, shown)
        for number in range(options.rounds):
            order = list(kinds)[number % 3 :] + list(kinds)[: number % 3]
            for kind in order:
                command, args, shown = kinds[kind]
                runs[kind].append(first_screen(command, args, env, home, shown))
    figures = {kind: summary(values) for kind, values in runs.items()}
    base = figures["bare"]["median_ms"]
    print(
        json.dumps(
            {
                "rounds": options.rounds,
                "bare_first_row": figures["bare"],
                "console_first_row": figures["console"],
                "sign_in_screen": figures["sign_in"],
                "console_x_bare": round(figures["console"]["median_ms"] / base, 2),
                "sign_in_x_bare": round(figures["sign_in"]["median_ms"] / base, 2),
                "runs": {kind: [round(v, 1) for v in values] for kind, values in runs.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
