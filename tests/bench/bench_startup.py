"""Launch to first frame: the console beside a bare Textual app, and the sign-in path.

Not part of the test run. Each round spawns fresh interpreters, in turn (interleaved, so a
loaded machine weighs on all of them alike):

- ``bare``: the yardstick, a Textual app with a header, a 40-row ``DataTable`` and a
  footer; the clock stops at its first frame.
- ``console``: ``dutydesk --db PATH`` on a database nobody signs in to, the launcher's
  own path (:func:`dutydesk.cli.runtime.prepare_console`: schema check, key file check,
  sign-in check and the top of the queue before Textual is imported; then the app); the
  clock stops when the queue has rows.
- ``sign_in`` (unless ``--no-sign-in``): the demo night (built once in a temporary folder
  by ``dutydesk demo``), which opens on the sign-in screen. ``sign_in_screen`` stops at
  the screen's first frame with the names listed; then 李晓明's PIN is typed, and
  ``pin_to_rows`` runs from the moment the PIN check in its thread worker has passed
  (``auth.authenticate`` returned, in the worker: whatever the console does after it counts,
  the rows read there included) to the queue's first rows, as the pilot sees them
  (its pauses wait for the screen to go idle); ``pin_to_drawn`` to the first frame
  composed with them (``App._display``; headless, so not written). ``enter_to_rows``
  runs from the Enter key to those rows, the PIN typed ``--typing-ms`` after the
  screen (1 s by default: an officer typing; the console may use that time, and does:
  it imports the ORM the check writes with in a thread from the first key).
  ``first_rows_drawn``
  is the same moment for the console without sign-in.

``bare_first_drawn`` and ``sign_in_drawn`` are the bare app's first frame and the sign-in
screen's first frame with its names, composed (``App._display``, as ``first_rows_drawn``):
the pilot figures stop when the pilot first runs, which for the bare app is before its
first frame and for the console after its screen's pauses; the drawn ones are the same
moment for both (the ratio of each to its own yardstick is given).

``--old-python PATH`` runs every child with another tree's interpreter too (a ``git
archive`` of the old commit with its own venv; run this from a scratch folder so neither
imports the other's code from the working directory), old and new alternating first in
each round, and prints one report for each.

The clock starts just before the process is spawned, so interpreter start-up and every
import count. Each figure is wall milliseconds and the process's CPU milliseconds at that
moment (the figure to trust when other jobs share the cores), headless at 120x40; the JSON
gives medians and worst cases and each median's ratio to the bare app's. The issue 16
targets: first rows and the sign-in screen ≤ 1.2x the bare app; rows ≤ 100 ms after the
PIN check.

Python compiles a module's source at every import when it may not write its bytecode
(``PYTHONDONTWRITEBYTECODE``, a read-only install): an installed wheel carries its
bytecode, so the package is compiled first here (``compileall``) and no run pays for it.

    python tests/bench/bench_startup.py /tmp/bench.sqlite3 [--runs 13] [--old-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CLOCK = r"""
import json, resource, sys, time
t0 = float(sys.argv[1])

def stamp():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall_ms": (time.time() - t0) * 1000,
            "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000}
"""

BARE_APP = r"""
from textual.app import App
from textual.widgets import DataTable, Footer, Header

class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("serial", "title", "due")
        for index in range(40):
            table.add_row(f"20261126-{index:03d}", "幸福路燃气泄漏" * 2, "02:31")
"""
"""The yardstick app's source (``bench_pty_start.py`` runs it on a terminal too)."""

BARE = (
    _CLOCK
    + BARE_APP
    + r"""
result = {}

async def auto_pilot(pilot):
    result["first_rows"] = stamp()
    while "first_drawn" not in result:
        await pilot.pause(0.001)
    app.exit()

app = Bare()
display = app._display

def displayed(screen, renderable):
    # Its first frame composed (headless: not written), as the console's "drawn" figures.
    display(screen, renderable)
    if renderable is not None and "first_drawn" not in result:
        result["first_drawn"] = stamp()

app._display = displayed
app.run(headless=True, size=(120, 40), auto_pilot=auto_pilot)
print(json.dumps(result))
"""
)

CONSOLE = (
    _CLOCK
    + r"""
from dutydesk.config import load_settings
from dutydesk.cli.runtime import clock_for, database_for, language_for, prepare_console
from dutydesk.i18n import set_language
settings = load_settings()
database = database_for(settings, sys.argv[2])
start = prepare_console(settings, database)
language = language_for(settings, "en")
set_language(language)
from dutydesk.tui.app import DutyDeskApp
app = DutyDeskApp(database, settings, clock_for(settings, None), language,
                  **start._asdict())
result = {}
checked = {}
display = app._display

def displayed(screen, renderable):
    # The moment a frame showing the queue's rows is composed (headless: not written):
    # the pilot's pauses below wait for the screen to go idle, later on a busy screen.
    display(screen, renderable)
    if renderable is None:
        return
    if "sign_in_drawn" not in result and type(screen).__name__ == "SignInScreen":
        if screen.query_one("#sign-in-names").option_count:  # its first frame with names
            result["sign_in_drawn"] = stamp()
    if "drawn" in result or getattr(app, "_desk", None) is not screen:
        return
    if has_rows() and (checked or not start.sign_in):
        result["drawn"] = stamp()

app._display = displayed

def has_rows():
    from dutydesk.tui.widgets.queue import QueueView
    try:
        return bool(app.main.query(QueueView)) and app.main.queue.row(0) is not None
    except Exception:  # no main screen yet (still signing in)
        return False

async def auto_pilot(pilot):
    if not start.sign_in:
        while not has_rows():
            await pilot.pause(0.001)
        result["first_rows"] = stamp()
        while "drawn" not in result:
            await pilot.pause(0.001)
        result["first_rows_drawn"] = result.pop("drawn")
        app.exit()
        return
    from dutydesk.tui.screens.sign_in import SignInScreen
    while not isinstance(app.screen, SignInScreen) or not app.screen._names:
        await pilot.pause(0.001)
    result["sign_in_screen"] = stamp()
    while "sign_in_drawn" not in result:
        await pilot.pause(0.001)
    from dutydesk.tui.screens import sign_in as screen_module
    import threading
    patched = threading.Lock()

    def time_check(module):
        # The PIN check's stamp when it returns, in its worker; patched once, on the
        # module the screen calls it through.
        with patched:
            check = module.authenticate
            if getattr(check, "bench_stamped", False):
                return

            def authenticate(*args, **kwargs):
                operator = check(*args, **kwargs)
                checked.update(stamp())  # the PIN check has passed, in its worker
                return operator

            authenticate.bench_stamped = True
            module.authenticate = authenticate

    if hasattr(screen_module, "authenticate"):
        # Trees before qc16e: the screen's own forwarder to the auth service.
        time_check(screen_module)
    else:
        # The screen calls auth.authenticate, its module imported with the ORM in a
        # thread from the first key (not here: that would move it onto this thread).
        import_orm = screen_module.import_orm

        def import_orm_then_time_check():
            import_orm()
            from dutydesk.services.accounts import auth
            time_check(auth)

        screen_module.import_orm = import_orm_then_time_check
    app.screen.name_input.value = sys.argv[3]
    app.screen.pin_input.focus()
    # An officer takes a while to type a name and a PIN: sys.argv[5] ms (0: no pause).
    if float(sys.argv[5]):
        await pilot.pause(float(sys.argv[5]) / 1000)
    await pilot.press(*sys.argv[4])
    entered = stamp()
    await pilot.press("enter")
    while not has_rows():
        await pilot.pause(0.001)
    rows = stamp()
    result["pin_to_rows"] = {key: rows[key] - checked[key] for key in rows}
    result["enter_to_rows"] = {key: rows[key] - entered[key] for key in rows}
    while "drawn" not in result:
        await pilot.pause(0.001)
    drawn = result.pop("drawn")
    result["pin_to_drawn"] = {key: drawn[key] - checked[key] for key in drawn}
    result["enter_to_drawn"] = {key: drawn[key] - entered[key] for key in drawn}
    app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=auto_pilot)
result["orm_loaded"] = "sqlmodel" in sys.modules
result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""
)


def run_once(script: str, *args: str, python: str = sys.executable) -> dict[str, object]:
    """Run one child (``python -c script t0 args...``) and return its JSON line."""
    t0 = time.time()
    # A fixed script of this file, run by this interpreter (or --old-python): no shell.
    out = subprocess.run(
        [python, "-c", script, repr(t0), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def demo_database(folder: Path, python: str = sys.executable) -> Path:
    """The demo night (its operators have PINs, so it opens on the sign-in screen).

    Made by ``python``'s dutydesk: an older one refuses a file a newer schema wrote.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.sqlite3"
    dutydesk = Path(python).with_name("dutydesk")
    # The installed command on a path made here.
    subprocess.run([str(dutydesk), "demo", "--db", str(path)], check=True, capture_output=True)
    return path


def compile_package(python: str = sys.executable) -> None:
    """Write dutydesk's bytecode, as installing a wheel does (see the module docstring)."""
    script = "import compileall, dutydesk, os; compileall.compile_dir(os.path.dirname(dutydesk.__file__), quiet=1)"
    subprocess.run([python, "-c", script], check=True)


def summarise(runs: list[dict[str, object]], key: str) -> dict[str, float]:
    """Median and worst wall and CPU milliseconds of ``key`` over ``runs``."""
    stamps = [run[key] for run in runs]
    summary: dict[str, float] = {}
    for part in ("wall_ms", "cpu_ms"):
        values = [stamp[part] for stamp in stamps]  # type: ignore[index]
        summary[f"{part}_median"] = round(statistics.median(values), 1)
        summary[f"{part}_max"] = round(max(values), 1)
    return summary


def report_for(
    path: Path,
    runs: int,
    bare: list[dict[str, object]],
    console: list[dict[str, object]],
    sign_in: list[dict[str, object]],
) -> dict[str, object]:
    """Medians, worst cases and ratios to the bare app of one interpreter's runs."""
    report: dict[str, object] = {
        "database": str(path),
        "runs": runs,
        "bare_first_frame": summarise(bare, "first_rows"),
        "bare_first_drawn": summarise(bare, "first_drawn"),
        "console_first_rows": summarise(console, "first_rows"),
        "console_first_rows_drawn": summarise(console, "first_rows_drawn"),
        "orm_loaded": any(run["orm_loaded"] for run in console),
        "peak_rss_mb": max(float(run["peak_rss_mb"]) for run in console),  # type: ignore[arg-type]
    }
    if sign_in:
        report["sign_in_screen"] = summarise(sign_in, "sign_in_screen")
        report["sign_in_drawn"] = summarise(sign_in, "sign_in_drawn")
        report["pin_to_rows"] = summarise(sign_in, "pin_to_rows")
        report["enter_to_rows"] = summarise(sign_in, "enter_to_rows")
        report["enter_to_drawn"] = summarise(sign_in, "enter_to_drawn")
        report["pin_to_drawn"] = summarise(sign_in, "pin_to_drawn")
    # The pilot's figures beside the bare app's pilot; the drawn ones beside its first frame.
    pairs = (
        ("console_first_rows", "bare_first_frame"),
        ("sign_in_screen", "bare_first_frame"),
        ("console_first_rows_drawn", "bare_first_drawn"),
        ("sign_in_drawn", "bare_first_drawn"),
    )
    for key, yardstick in pairs:
        figure, base = report.get(key), report[yardstick]
        if isinstance(figure, dict) and isinstance(base, dict):
            figure["x_bare_wall"] = round(figure["wall_ms_median"] / base["wall_ms_median"], 2)
            figure["x_bare_cpu"] = round(figure["cpu_ms_median"] / base["cpu_ms_median"], 2)
    return report


def main() -> None:
    """Interleaved rounds of the bare app, the console and the sign-in path; JSON out."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path, help="a database nobody signs in to")
    parser.add_argument("--runs", type=int, default=13)
    parser.add_argument("--no-sign-in", action="store_true")
    parser.add_argument(
        "--typing-ms", type=float, default=1000, help="pause between the sign-in screen and the PIN"
    )
    parser.add_argument(
        "--old-python",
        help="another tree's interpreter (its own venv, run from a scratch folder): each "
        "round runs its three children too, old and new alternating first",
    )
    args = parser.parse_args()
    pythons = {"new": sys.executable}
    if args.old_python:
        pythons["old"] = args.old_python
    for python in pythons.values():
        compile_package(python)
    os.environ.pop("DUTYDESK_NOW", None)
    figures: dict[str, dict[str, list[dict[str, object]]]] = {
        name: {"bare": [], "console": [], "sign_in": []} for name in pythons
    }
    with tempfile.TemporaryDirectory() as folder:
        # Each side its own files: the new side migrates a file the old one then refuses
        # (a newer schema), so the old side reads a copy taken before the first round.
        paths = {"new": args.path}
        demos = {"new": None if args.no_sign_in else demo_database(Path(folder))}
        if "old" in pythons:
            paths["old"] = Path(folder) / "old" / args.path.name
            paths["old"].parent.mkdir()
            shutil.copy(args.path, paths["old"])
            old_demo = Path(folder) / "old-demo"
            demos["old"] = None if args.no_sign_in else demo_database(old_demo, pythons["old"])
        for round_number in range(args.runs):
            order = list(pythons)
            if round_number % 2:
                order.reverse()
            for name in order:
                python, runs = pythons[name], figures[name]
                runs["bare"].append(run_once(BARE, python=python))
                runs["console"].append(run_once(CONSOLE, str(paths[name]), python=python))
                demo = demos[name]
                if demo is not None:
                    runs["sign_in"].append(
                        run_once(
                            CONSOLE, str(demo), "李晓明", "1111", str(args.typing_ms), python=python
                        )
                    )
    reports = {name: report_for(args.path, args.runs, **runs) for name, runs in figures.items()}
    output: dict[str, object] = reports["new"] if len(reports) == 1 else dict(reports)
    output["load_average"] = os.getloadavg()
    output["targets"] = {"x_bare": 1.2, "pin_to_rows_ms": 100}
    print(json.dumps(output, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
