"""Fixtures of the end-to-end suite: a desk folder, consoles in real terminals, the CLI.

Every process here is the installed ``dutydesk`` entry point, run as a person runs it,
beside other ``dutydesk`` processes on the same database file.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.terminal import DUTYDESK, WAIT, Terminal, environment
from tests.templates import copy_database, settle

if not DUTYDESK.exists():  # pragma: no cover - the README's install makes it
    pytest.skip(f"{DUTYDESK} is not installed", allow_module_level=True)

OFFICER = ("王立新", "777777")
"""A demo operator cleared for 机密 (printed by ``dutydesk demo``)."""


@dataclass
class Desk:
    """A duty office's folder: its database, a home without user config, the environment."""

    folder: Path
    db: Path
    env: dict[str, str]

    def cli(
        self, *args: str, pin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``dutydesk ARGS --db DB`` to the end, as from a second shell."""
        env = dict(self.env)
        if pin is not None:
            env["DUTYDESK_PIN"] = pin
        result = subprocess.run(
            [str(DUTYDESK), *args],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=WAIT,
            stdin=subprocess.DEVNULL,
        )
        if check:
            assert result.returncode == 0, f"dutydesk {' '.join(args)}: {result.stderr}"
        return result


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    """A fresh office folder; the database does not exist yet."""
    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / "desk"
    folder.mkdir()
    return Desk(folder, folder / "duty.sqlite3", environment(home))


@pytest.fixture(scope="session")
def demo_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo night as ``dutydesk demo --db FILE`` (the installed binary) leaves it, once.

    Tests of the console (not of loading the demo) open a copy: loading it, with its
    operators' PINs, costs seconds per test. The README's first command itself, ``demo
    --open``, still runs in the tests that are about it (the locks, the whole night).
    """
    folder = tmp_path_factory.mktemp("e2e-demo")
    home = folder / "home"
    home.mkdir()
    desk = Desk(folder, folder / "demo.sqlite3", environment(home))
    desk.cli("demo", "--db", str(desk.db))
    return settle(desk.db)


@pytest.fixture
def demo_desk(desk: Desk, demo_night: Path) -> Desk:
    """``desk`` with the demo night already in its database file (and its key file)."""
    copy_database(demo_night, desk.db)
    return desk


@pytest.fixture
def terminals() -> Iterator[Callable[..., Terminal]]:
    """Start ``dutydesk ARGS`` in a real 120x40 terminal; every one is ended afterwards."""
    started: list[Terminal] = []

    def start(desk: Desk, *args: str) -> Terminal:
        terminal = Terminal(args, desk.env, desk.folder)
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.close()


def sign_in(terminal: Terminal, name: str = OFFICER[0], pin: str = OFFICER[1]) -> str:
    """Sign in at the sign-in screen as a person does; the first screen of the desk."""
    # The names arrive from a worker; once they are listed the form takes keys.
    terminal.wait_for(lambda s: "PIN" in s and name in s, why="the sign-in screen")
    terminal.type(name)
    # Typing filters the list of names: when only this name is left, the keys were read.
    others = ("李晓明", "赵静", "黄雨婷") if name == OFFICER[0] else ("王立新",)
    # Filtered, and the name listed again below what was typed: on a loaded machine the
    # list was once empty for a frame, Enter chose nothing and the PIN went into the name.
    terminal.wait_for(
        lambda s: not any(o in s for o in others) and s.count(name) >= 2,
        why="the names filtered to this one",
    )
    terminal.press("enter")
    terminal.type(pin)
    terminal.wait_for("•" * len(pin), why="the PIN, masked, in its own field")
    terminal.press("enter")
    return terminal.wait_for(
        lambda s: "Incident queue" in s and "Serial" in s and _has_rows(s),
        why="the desk with queue rows",
    )


def _has_rows(screen: str) -> bool:
    from tests.e2e.terminal import serials

    return len(serials(screen)) >= 3
