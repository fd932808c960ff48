"""Shared fixtures: real SQLite files on tmp_path, a pinned moment, isolated user dirs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dutydesk.i18n import set_language
from dutydesk.storage.engine import Database, url_for
from tests.pg_standby import standby_pair  # noqa: F401  (fixture)
from tests.pg_support import own_cluster, pg_db, pg_server, pg_template, pg_url  # noqa: F401  (fixtures)
from tests.templates import DemoTemplates, build, copy_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_MOMENT = datetime(2026, 11, 26, 2, 31, tzinfo=SHANGHAI)
"""The moment the snapshot tests freeze: 02:31 on a Thursday night shift."""


_ISOLATED_VARIABLES = (
    "DUTYDESK_LANG",
    "DUTYDESK_DATABASE_URL",
    "DUTYDESK_CONFIG",
    "DUTYDESK_NOW",
    "DUTYDESK_TIMEZONE",
    "DUTYDESK_LANG_CONFIG",
)


def _isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point config, data and language at ``home`` and drop dutydesk's variables."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in _ISOLATED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Keep tests away from the developer's own config, data and language settings."""
    _isolate(monkeypatch, tmp_path_factory.mktemp("home"))
    set_language("en")
    yield
    set_language("en")


@contextmanager
def _isolated_session_env(factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' isolated environment for a session-scoped builder (no key file setting)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(monkeypatch, factory.mktemp("template-home"))
        monkeypatch.delenv("DUTYDESK_KEY_FILE", raising=False)
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database migrated to the head once per session, settled for copying."""
    with _isolated_session_env(tmp_path_factory):
        return build(tmp_path_factory.mktemp("template"), lambda db: db.ensure_schema())


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplates:
    """The demo night loaded once per session and moment; tests take copies of it.

    ``demo_templates.load_into(db, moment)`` leaves ``db`` as ``load_demo(db, moment)``
    would (for real on PostgreSQL); ``copy_to(path, moment)`` writes a demo file there.
    Tests of loading itself (tests/test_demo.py, the ``demo`` command) still load.
    """
    return DemoTemplates(tmp_path_factory, lambda: _isolated_session_env(tmp_path_factory))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's database file lives."""
    return tmp_path / "duty.sqlite3"


@pytest.fixture
def sqlite_file(db_path: Path, sqlite_template: Path) -> Path:
    """``db_path`` holding a migrated, empty SQLite database, for commands run on it.

    Only ``init``, ``demo`` and the console create a database; every other command
    refuses a missing file, so a test that runs them on ``db_path`` makes it first
    (a copy of the session's migrated template).
    """
    return copy_database(sqlite_template, db_path)


@pytest.fixture
def db(db_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty dutydesk database in a real SQLite file.

    With ``DUTYDESK_TEST_DB=postgresql`` it is a fresh database on the tests' own
    PostgreSQL server instead (``tests/pg_support.py``), its key file at ``<db_path>.key``:
    tests that reach the store only through ``db`` then run on PostgreSQL (those that open
    ``db_path`` or SQLite themselves do not; the console's tests all pass).

    On SQLite it is a copy of a template migrated once per session (``sqlite_template``).
    """
    if os.environ.get("DUTYDESK_TEST_DB") == "postgresql":
        request.getfixturevalue("monkeypatch").setenv("DUTYDESK_KEY_FILE", f"{db_path}.key")
        yield request.getfixturevalue("pg_db")
        return
    database = Database(
        url_for(str(copy_database(request.getfixturevalue("sqlite_template"), db_path)))
    )
    yield database
    database.close()
