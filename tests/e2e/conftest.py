"""Fixtures of the end-to-end suite: a desk folder, consoles in real terminals, the CLI.

Every process here is the installed ``dutydesk`` entry point, run as a person runs it,
beside other ``dutydesk`` processes on the same database: a file in the desk's folder, or
in the PostgreSQL pass (``DUTYDESK_TEST_DB=postgresql``) a database of the desk's own on
the session's server, given as ``--db URL`` with the key file at ``DUTYDESK_KEY_FILE``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import on_postgresql
from tests.e2e.terminal import DUTYDESK, WAIT, Terminal, environment
from tests.pg_support import PgServer
from tests.templates import copy_database, head_key_name, settle

if not DUTYDESK.exists():  # pragma: no cover - the README's install makes it
    pytest.skip(f"{DUTYDESK} is not installed", allow_module_level=True)

OFFICER = ("王立新", "777777")
"""A demo operator cleared for 机密 (printed by ``dutydesk demo``)."""


@dataclass
class Desk:
    """A duty office's folder: its database, a home without user config, the environment."""

    folder: Path
    db: str
    """What ``--db`` takes: the file's path, or the server database's URL."""
    env: dict[str, str]

    @property
    def file(self) -> Path:
        """The SQLite file (a test of the file itself is ``sqlite_only``)."""
        assert not self.db.startswith("postgresql"), "a server database has no file"
        return Path(self.db)

    @property
    def key_file(self) -> Path:
        """Where the desk's key is: beside the file, or ``DUTYDESK_KEY_FILE``."""
        return Path(self.env.get("DUTYDESK_KEY_FILE") or f"{self.db}.key")

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
def desk(tmp_path: Path, store_url: str) -> Desk:
    """A fresh office folder; the database does not exist yet (on a server: it is empty)."""
    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / "desk"
    folder.mkdir()
    if on_postgresql():
        # A server database has no file for the key to sit beside: the setting names it.
        env = environment(home, DUTYDESK_KEY_FILE=str(folder / "duty.key"))
        return Desk(folder, store_url, env)
    return Desk(folder, str(folder / "duty.sqlite3"), environment(home))


def _demo_on_server(request: pytest.FixtureRequest, folder: Path, home: Path) -> Desk:
    """The demo night in a template database of the session's server, by the binary."""
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"dutydesk_e2e_demo_{os.getpid()}"
    server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    server.admin(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    server.templates.append(name)  # dropped with the session's other templates
    env = environment(home, DUTYDESK_KEY_FILE=str(folder / "demo.key"))
    desk = Desk(folder, server.url_for(name), env)
    desk.cli("demo", "--db", desk.db)  # it exits: the template has no connection left
    return desk


@pytest.fixture(scope="session")
def demo_night(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Desk:
    """The demo night as ``dutydesk demo --db DB`` (the installed binary) leaves it, once.

    Tests of the console (not of loading the demo) open a copy: loading it, with its
    operators' PINs, costs seconds per test. The README's first command itself, ``demo
    --open``, still runs in the tests that are about it (the locks, the whole night).
    In the PostgreSQL pass it is a template database, copied by ``CREATE DATABASE``.
    """
    folder = tmp_path_factory.mktemp("e2e-demo")
    home = folder / "home"
    home.mkdir()
    if on_postgresql():
        return _demo_on_server(request, folder, home)
    desk = Desk(folder, str(folder / "demo.sqlite3"), environment(home))
    desk.cli("demo", "--db", desk.db)
    settle(desk.file)
    return desk


@pytest.fixture
def demo_desk(desk: Desk, demo_night: Desk, request: pytest.FixtureRequest) -> Desk:
    """``desk`` with the demo night already in its database (and its key file)."""
    if not on_postgresql():
        copy_database(demo_night.file, desk.file)
        return desk
    from sqlalchemy.engine import make_url

    server: PgServer = request.getfixturevalue("pg_server")
    database, template = make_url(desk.db).database, make_url(demo_night.db).database
    server.admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    server.admin(f"CREATE DATABASE {database} TEMPLATE {template}")
    for source, target in (
        (demo_night.key_file, desk.key_file),
        (
            demo_night.key_file.with_name(head_key_name(demo_night.key_file)),
            desk.key_file.with_name(head_key_name(desk.key_file)),
        ),
    ):
        if source.exists():  # the register-mode demo seals nothing: no key made
            shutil.copy2(source, target)  # keeps mode 0600
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
