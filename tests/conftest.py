"""Shared fixtures: real SQLite files on tmp_path, a pinned moment, isolated user dirs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dutydesk.i18n import set_language
from dutydesk.storage.engine import Database, url_for
from tests.pg_standby import standby_pair  # noqa: F401  (fixture)
from tests.pg_support import PgServer, own_cluster, pg_db, pg_server, pg_template, pg_url  # noqa: F401  (fixtures)
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
    """Point config, data, cache and language at ``home`` and drop dutydesk's variables."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
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


def on_postgresql() -> bool:
    """True in the suite's PostgreSQL pass (``DUTYDESK_TEST_DB=postgresql``)."""
    return os.environ.get("DUTYDESK_TEST_DB") == "postgresql"


STORE_FIXTURES = frozenset({"db", "store_url", "module_store"})
"""A test that takes one of these reaches the store the pass gives it: both passes run it."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass runs the tests that reach the store through ``db`` (or
    ``store_url``), and only them.

    The others ran as they are in the SQLite pass (they use no store, open a SQLite file
    themselves, or start their own server): running them again would test nothing new.
    A ``db`` test marked ``sqlite_only("reason")`` is skipped here with its reason.
    """
    if not on_postgresql():
        return
    kept: list[pytest.Item] = []
    for item in items:
        if not STORE_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "no reason given"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))
        kept.append(item)
    chosen = set(kept)
    left = [item for item in items if item not in chosen]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def demo_templates(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> DemoTemplates:
    """The demo night loaded once per session and moment; tests take copies of it.

    ``demo_templates.load_into(db, moment)`` leaves ``db`` as ``load_demo(db, moment)``
    would (in the PostgreSQL pass, a copy of a template database on the session's
    server); ``copy_to(path, moment)`` writes a demo file there.
    Tests of loading itself (tests/test_demo.py, the ``demo`` command) still load.
    """

    def server() -> tuple[PgServer, str]:
        # Asked for on first use only: a SQLite run never starts a server for this.
        return request.getfixturevalue("pg_server"), request.getfixturevalue("pg_template")

    isolated = lambda: _isolated_session_env(tmp_path_factory)  # noqa: E731
    return DemoTemplates(tmp_path_factory, isolated, server if on_postgresql() else None)


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
def store_url(db_path: Path, request: pytest.FixtureRequest) -> str:
    """What ``--db`` takes for a database the test's own processes create, on the pass's store.

    On SQLite ``db_path`` (no file there yet); in the PostgreSQL pass an empty database of
    its own (no tables: ``init``, ``demo`` and the console migrate it) on the session's
    server, its key file at ``DUTYDESK_KEY_FILE`` = ``<db_path>.key`` (where SQLite's
    would be). The installed binary's tests (``tests/e2e/``) give their own environment.
    """
    if on_postgresql():
        # As ``db``: the key file where ``<db_path>.key`` would be beside a file.
        request.getfixturevalue("monkeypatch").setenv("DUTYDESK_KEY_FILE", f"{db_path}.key")
        url: str = request.getfixturevalue("pg_url")
        return url
    return str(db_path)


@pytest.fixture(scope="module")
def module_store(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[str, Path]]:
    """A migrated database shared by one module's tests, on the pass's store.

    For a module that fills a database once (slowly) and reads it in many tests. Gives
    what ``--db`` takes and where its key file is (beside the SQLite file; on a server,
    set ``DUTYDESK_KEY_FILE`` to it around every command).
    """
    folder = tmp_path_factory.mktemp("module-store")
    if on_postgresql():
        from tests.pg_support import scratch_database

        server = request.getfixturevalue("pg_server")
        with scratch_database(server, request.getfixturevalue("pg_template")) as url:
            yield url, folder / "duty.key"
        return
    path = copy_database(request.getfixturevalue("sqlite_template"), folder / "duty.sqlite3")
    yield str(path), folder / "duty.sqlite3.key"


@pytest.fixture
def db_arg(db: Database, db_path: Path) -> str:
    """What ``--db`` takes for the test's ``db``: its file on SQLite, its URL on a server.

    A test that writes through ``db`` and runs the CLI on the same database passes this,
    so it runs in the PostgreSQL pass too (``db_path`` names only the SQLite file).
    """
    return str(db_path) if db.is_sqlite else db.url


@pytest.fixture
def db(db_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty dutydesk database in a real SQLite file.

    With ``DUTYDESK_TEST_DB=postgresql`` it is a fresh database on the tests' own
    PostgreSQL server instead (``tests/pg_support.py``), its key file at ``<db_path>.key``:
    ``.ci/run``'s second pass runs every test on ``db`` that way (the CLI on it through
    ``db_arg``), skipping those marked ``sqlite_only`` with their reason.

    On SQLite it is a copy of a template migrated once per session (``sqlite_template``).
    """
    if on_postgresql():
        request.getfixturevalue("monkeypatch").setenv("DUTYDESK_KEY_FILE", f"{db_path}.key")
        yield request.getfixturevalue("pg_db")
        return
    database = Database(
        url_for(str(copy_database(request.getfixturevalue("sqlite_template"), db_path)))
    )
    yield database
    database.close()


DemoDb = Callable[..., str]
"""``demo_db(moment=DEMO_MOMENT, accredited=False)``: the demo in the test's own store."""


@pytest.fixture
def demo_db(db: Database, db_arg: str, demo_templates: DemoTemplates) -> DemoDb:
    """A demo database of the test's own, on the store of the pass; returns its ``--db``.

    For tests that run the CLI (or a console) on the demo night: on SQLite the demo file
    is copied to ``db_path``, in the PostgreSQL pass ``db``'s database is re-created from
    the demo template on the server. Either way its key file is ``<db_path>.key`` (beside
    the file, or at ``DUTYDESK_KEY_FILE``), so a test that removes it does so on both.
    Being on ``db``, such a test runs in both passes.
    """

    def load(moment: datetime = DEMO_MOMENT, *, accredited: bool = False) -> str:
        demo_templates.load_into(db, moment, accredited=accredited)
        return db_arg

    return load
