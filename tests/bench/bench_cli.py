"""One CLI command, whole process: wall and CPU time beside a bare typer import (issue 16).

Not part of the test run. Loads the demo night into a fresh file (``dutydesk demo``),
makes a copy without accounts (credentials deleted: the name alone is taken), then runs
each command as a user's shell would (``python -m dutydesk ...``) in interleaved rounds,
so that a load spike on the machine hits every command alike. Per command it prints the
median and worst wall time and the median CPU time (user + system of the child).

Yardsticks measured in the same rounds: ``python -c "import typer"`` (the issue's) and a
one-option typer command run (typer 0.29 converted parameters through pydantic, a cost
every typer command paid; issue 16 pinned 0.28.0, which does not). The demo's PINs are hashed cheaply (scrypt N = 2**10, they are
public); a real account's PIN check (N = 2**17) is timed apart, in-process, as
``scrypt_check_ms``: it is a fixed cost of signing in.

    python tests/bench/bench_cli.py [--rounds 9] [--dir /tmp/bench-cli] [--before SRC]
        [--before-python OLD/.venv/bin/python]

Every command imports compiled modules: the script byte-compiles this checkout's package
first (``compileall``), since a shell with ``PYTHONDONTWRITEBYTECODE`` set leaves none and
each run would compile ~60 modules from source (0.6 s CPU); ``--before``'s checkout must
have its own ``__pycache__`` (run ``python -m compileall -q SRC/dutydesk`` there once).

``--before SRC`` also runs every ``dutydesk`` command with another checkout's code (``SRC``
first on ``PYTHONPATH``, e.g. ``/work/main``), in the same rounds, as ``<name>_before``:
old and new share the machine's load. The load average is printed before and after.

The kept parse of ``rules.toml`` goes to the scratch folder (``XDG_CACHE_HOME`` and
``XDG_DATA_HOME`` set there), written by one untimed ``incident add`` per side before the
rounds: every timed command reads it, as every command after the first does.

``--before-python PY`` runs every line (the yardsticks too) a second time per round with
another interpreter, as ``<name>_before``: an old checkout's own venv, with its editable
install and its own typer (the one pinned there; issue 16 moved from typer 0.29.2 to 0.28.0,
which ``PYTHONPATH`` cannot switch). A ``_before`` line's ratio is to ``import_typer_before``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-11-26T02:31+08:00"
TYPER_HELLO = (
    "import typer\n"
    "app = typer.Typer(add_completion=False)\n"
    "@app.command()\n"
    "def hello(name: str = 'x') -> None:\n"
    "    pass\n"
    "app(['--name', 'y'], standalone_mode=False)\n"
)


def timed(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float]:
    """Run ``argv`` once in ``cwd``: (wall ms, CPU ms of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(  # our own interpreter and arguments
        argv,
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=300,
        cwd=cwd,
    )
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {result.stderr.decode()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def prepare(folder: Path, python: str = sys.executable) -> tuple[Path, Path, str]:
    """The demo file, its copy without accounts, and an internal serial to show and log.

    Made by ``python``'s dutydesk: an older one refuses a file a newer schema wrote.
    """
    folder.mkdir(parents=True, exist_ok=True)
    demo = folder / "demo.sqlite3"
    for leftover in folder.glob("*.sqlite3*"):
        leftover.unlink()
    subprocess.run(  # our own interpreter and arguments
        [python, "-m", "dutydesk", "demo", "--db", str(demo), "--now", NOW],
        capture_output=True,
        check=True,
    )
    bare = folder / "no-accounts.sqlite3"
    with sqlite3.connect(demo) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        serial = connection.execute(
            "SELECT serial FROM incident WHERE classification = 'internal' AND status != 'closed'"
            " ORDER BY id LIMIT 1"
        ).fetchone()[0]
    shutil.copy(demo, bare)
    for key in folder.glob("demo.sqlite3.*key"):
        shutil.copy(key, folder / key.name.replace("demo", "no-accounts"))
    with sqlite3.connect(bare) as connection:
        connection.execute("DELETE FROM credential")
    return demo, bare, str(serial)


def commands(demo: Path, bare: Path, serial: str, py: str = sys.executable) -> dict[str, list[str]]:
    """Each measured command line (the yardsticks first), run by ``py``."""

    def cli(db: Path, *args: str) -> list[str]:
        return [py, "-m", "dutydesk", "--db", str(db), "--now", NOW, *args]

    return {
        "import_typer": [py, "-c", "import typer"],
        "typer_one_option": [py, "-c", TYPER_HELLO],
        "help": [py, "-m", "dutydesk", "--help"],
        "incident_list": cli(demo, "incident", "list"),
        "incident_show": cli(demo, "incident", "show", serial),
        "export_daily_csv": cli(demo, "export", "daily", "--format", "csv"),
        "incident_add": cli(demo, "incident", "add", "--summary", "幸福路12号燃气泄漏"),
        "incident_log": cli(demo, "incident", "log", serial, "note", "--text", "已电话核实"),
        "incident_list_no_accounts": cli(bare, "incident", "list"),
    }


def scrypt_check_ms() -> float:
    """One PIN check at today's cost (N = 2**17), the fixed price of a real sign-in."""
    from dutydesk.services.accounts.auth import check_pin, hash_pin

    stored = hash_pin("135790")
    start = time.perf_counter()
    assert check_pin("135790", stored)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Run the rounds and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--before", type=Path, default=None)
    parser.add_argument("--before-python", type=Path, default=None)
    args = parser.parse_args()
    load_before = os.getloadavg()
    import compileall

    import dutydesk

    compileall.compile_dir(Path(dutydesk.__file__).parent, quiet=1)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-cli-"))
    folder.mkdir(parents=True, exist_ok=True)
    demo, bare, serial = prepare(folder)
    env = {
        **os.environ,
        "DUTYDESK_CONFIG": os.devnull,
        "DUTYDESK_OPERATOR": "黄雨婷",
        # The kept rules parse (the cache folder since h-cli16e, the data folder before)
        # goes to the scratch folder, not the user's own.
        "XDG_CACHE_HOME": str(folder / "xdg-cache"),
        "XDG_DATA_HOME": str(folder / "xdg-data"),
    }
    signed = {**env, "DUTYDESK_PIN": "4444"}
    lines = commands(demo, bare, serial)
    before = {} if args.before is None else {"PYTHONPATH": str(args.before.resolve())}
    if args.before_python is not None:  # every line again, in the other venv
        # Not resolved: a venv's python is a symlink, and its target ignores the venv.
        old = str(args.before_python.absolute())
        # Its own demo file: the old code refuses one a newer migration wrote.
        old_files = prepare(folder / "before", old)
        lines |= {f"{name}_before": argv for name, argv in commands(*old_files, old).items()}
    elif before:  # the same command lines, importing the other checkout's dutydesk
        lines |= {f"{name}_before": argv for name, argv in lines.items() if "dutydesk" in argv}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in lines}
    for name, argv in lines.items():  # untimed: each side writes its rules cache first
        if name.startswith("incident_add"):
            timed(argv, signed | before if name.endswith("_before") else signed, cwd=folder)
    for _ in range(args.rounds):
        for name, argv in lines.items():
            chosen = env if "no_accounts" in name else signed
            given = chosen | before if name.endswith("_before") else chosen
            # Run outside any checkout: `-m dutydesk` puts the working directory first on
            # sys.path, ahead of PYTHONPATH, so from this checkout's root the "before"
            # commands ran this code.
            runs[name].append(timed(argv, given, cwd=folder))
    typer_cpu = {
        side: statistics.median(cpu for _, cpu in runs[f"import_typer{side}"])
        for side in ("", "_before")
        if f"import_typer{side}" in runs
    }

    def yardstick(name: str) -> float:
        # Each side against its own typer: the old venv's import is the old yardstick.
        side = "_before" if name.endswith("_before") and "_before" in typer_cpu else ""
        return typer_cpu[side]

    figures = {
        name: {
            "wall_ms_median": round(statistics.median(w for w, _ in found), 1),
            "wall_ms_max": round(max(w for w, _ in found), 1),
            "cpu_ms_median": round(statistics.median(c for _, c in found), 1),
            "cpu_x_import_typer": round(
                statistics.median(c for _, c in found) / yardstick(name), 2
            ),
        }
        for name, found in runs.items()
    }
    print(
        json.dumps(
            {
                "rounds": args.rounds,
                "commands": figures,
                "scrypt_check_ms": round(scrypt_check_ms(), 1),
                "load_average_before_after": [
                    round(load_before[0], 2),
                    round(os.getloadavg()[0], 2),
                ],
                "target": "<= 2x import_typer (CPU) for list/show/add/log and export daily",
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
