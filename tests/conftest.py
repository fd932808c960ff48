"""Shared fixtures: real SQLite files on tmp_path, a pinned moment, isolated user dirs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dutydesk.i18n import set_language
from dutydesk.storage.engine import Database, url_for
from tests.pg_support import pg_db, pg_server, pg_template, pg_url  # noqa: F401  (fixtures)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_MOMENT = datetime(2026, 11, 26, 2, 31, tzinfo=SHANGHAI)
"""The moment the snapshot tests freeze: 02:31 on a Thursday night shift."""


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Keep tests away from the developer's own config, data and language settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in (
        "DUTYDESK_LANG",
        "DUTYDESK_DATABASE_URL",
        "DUTYDESK_CONFIG",
        "DUTYDESK_NOW",
        "DUTYDESK_TIMEZONE",
        "DUTYDESK_LANG_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's database file lives."""
    return tmp_path / "duty.sqlite3"


@pytest.fixture
def sqlite_file(db_path: Path) -> Path:
    """``db_path`` holding a migrated, empty SQLite database, for commands run on it.

    Only ``init``, ``demo`` and the console create a database; every other command
    refuses a missing file, so a test that runs them on ``db_path`` makes it first.
    """
    database = Database(url_for(str(db_path)))
    database.ensure_schema()
    database.close()
    return db_path


@pytest.fixture
def db(db_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty dutydesk database in a real SQLite file.

    With ``DUTYDESK_TEST_DB=postgresql`` it is a fresh database on the tests' own
    PostgreSQL server instead (``tests/pg_support.py``), its key file at ``<db_path>.key``:
    tests that reach the store only through ``db`` then run on PostgreSQL (those that open
    ``db_path`` or SQLite themselves do not; the console's tests all pass).
    """
    if os.environ.get("DUTYDESK_TEST_DB") == "postgresql":
        request.getfixturevalue("monkeypatch").setenv("DUTYDESK_KEY_FILE", f"{db_path}.key")
        yield request.getfixturevalue("pg_db")
        return
    database = Database(url_for(str(db_path)))
    database.ensure_schema()
    yield database
    database.close()
