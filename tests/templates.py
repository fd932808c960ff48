"""Template databases: migrate (or load the demo) once per session, copy the file per test.

Running the whole migration chain for every test that wants an empty database, and
writing the demo night for every test that wants it, cost most of the suite's time. Each
is built once into its own directory, closed, and then copied per test: a plain file
copy of a closed database whose write-ahead log has been checkpointed into the main file
(SQLite does that when the last connection closes; :func:`settle` makes sure), so the
copy is a complete database in WAL mode, as ``ensure_schema`` leaves it. Never a copy of
a file with open connections.

The key file beside a database (``<file>.key``, mode 0600) is copied with it: the demo
seals its classified text under that key.

On PostgreSQL (``DUTYDESK_TEST_DB=postgresql``) the same idea uses the server's own copy:
the demo is loaded once into a template database (with its key file beside the session's
directory) and a test's database is re-created from it with ``CREATE DATABASE ...
TEMPLATE`` (tens of milliseconds, where loading the demo takes seconds).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

import pytest

from dutydesk.services.demo.load import load_demo
from dutydesk.storage.engine import Database, url_for
from tests.pg_support import PgServer, make_template

SIDE_FILES = ("-wal", "-shm", "-journal")
"""What SQLite keeps beside an open (or crashed) database: none may exist at a copy."""


def settle(path: Path) -> Path:
    """Fold the write-ahead log of the closed database at ``path`` into the main file.

    Raises:
        AssertionError: a side file remains (a connection is still open somewhere).

    """
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()  # the last connection: SQLite deletes the -wal and -shm files
    left = [
        path.name + suffix for suffix in SIDE_FILES if path.with_name(path.name + suffix).exists()
    ]
    assert not left, f"{path} still has {left}: a connection is open"
    return path


def head_key_name(key_file: Path) -> str:
    """The head key's file name beside ``key_file`` (services.integrity.head_key)."""
    return key_file.name.removesuffix(".key") + ".head-key"


def copy_database(source: Path, target: Path) -> Path:
    """Copy the settled database ``source`` (and its key file, if any) to ``target``.

    ``target`` must not be open: its side files, if any, would belong to the old content.
    """
    stale = [target.name + s for s in SIDE_FILES if target.with_name(target.name + s).exists()]
    assert not stale, f"{target} is open ({stale}): close it before copying over it"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o600)  # as dutydesk makes a database: a looser one is warned about
    for suffix in (".key", ".head-key"):  # the head key signs the chain (issue 17)
        key = source.with_name(source.name + suffix)
        if key.exists():
            shutil.copy2(key, target.with_name(target.name + suffix))  # keeps mode 0600
    return target


def build(directory: Path, fill: Callable[[Database], object]) -> Path:
    """A settled database in ``directory``, made by ``fill`` (which migrates it)."""
    path = directory / "template.sqlite3"
    database = Database(url_for(str(path)))
    try:
        fill(database)
    finally:
        database.close()
    return settle(path)


TELEGRAMS = {
    "20261125-012": (
        "省委办公厅密电：关于做好重大活动期间有关工作的通知",
        "机密级密电，内容从略。",
    ),
    "20261126-001": ("省公安厅密电：博览会期间安保工作有关情况通报", "秘密级密电，内容从略。"),
}
"""The demo's two telegrams (by serial at DEMO_MOMENT) and the content an accredited desk
keeps for them: (title, summary)."""


def accredit(db: Database, moment: datetime) -> None:
    """Give the demo's telegrams content, sealed, as an accredited desk stores it.

    Issue 13: the demo is the default deployment's desk, its telegrams register entries
    with no content. Tests of sealing and need-to-know need sealed content to find or
    not find; a ``classified-network`` desk (:data:`~dutydesk.vocab.Deployment`) types it
    in through the ordinary edit, sealed at the item's level.
    """
    from sqlmodel import select

    from dutydesk.services.incidents.edits import update_fields
    from dutydesk.storage.models import Incident
    from tests.request_support import request

    # classified-network, the accredited deployment; by someone cleared for the telegrams
    req = request(db, now=moment, clearance="top_secret")
    with db.session() as session:
        for serial, (title, summary) in TELEGRAMS.items():
            incident = session.exec(select(Incident).where(Incident.serial == serial)).one()
            assert incident.id is not None
            changes = {"title": title, "summary": summary}
            update_fields(req, session=session, incident_id=incident.id, expected_version=None,
                          changes=changes)  # fmt: skip


class DemoTemplates:
    """The demo night loaded once per load moment, handed out as copies."""

    def __init__(
        self,
        factory: pytest.TempPathFactory,
        isolated: Callable[[], AbstractContextManager[object]],
        pg: Callable[[], tuple[PgServer, str]] | None = None,
    ) -> None:
        self._factory = factory
        self._isolated = isolated
        self._built: dict[tuple[datetime, bool], Path] = {}
        self._pg = pg
        """The session's server and its migrated template (asked for on first use)."""
        self._pg_built: dict[tuple[datetime, bool], tuple[str, Path]] = {}

    def pg_template(self, moment: datetime, *, accredited: bool = False) -> tuple[str, Path]:
        """The demo as of ``moment`` in a template database on the session's server.

        Returns its name and the key file its classified text is sealed under.
        """
        assert self._pg is not None, "no PostgreSQL server for this session"
        key = (moment, accredited)
        if key not in self._pg_built:
            server, migrated = self._pg()
            directory = self._factory.mktemp("pg-demo-template")
            key_file = directory / "template.key"
            number = len(self._pg_built) + 1
            name = f"dutydesk_test_demo{number}_{os.getpid()}"

            def fill(db: Database) -> None:
                load_demo(db, moment)
                if accredited:
                    accredit(db, moment)

            with self._isolated(), pytest.MonkeyPatch.context() as patch:
                patch.setenv("DUTYDESK_KEY_FILE", str(key_file))
                make_template(server, name, fill, source=migrated)
            self._pg_built[key] = (name, key_file)
        return self._pg_built[key]

    def _pg_load_into(self, db: Database, moment: datetime, *, accredited: bool) -> Database:
        """Re-create ``db``'s database on the server from the demo template, key included."""
        from sqlalchemy.engine import make_url

        assert self._pg is not None
        name, key_file = self.pg_template(moment, accredited=accredited)
        server, _ = self._pg()
        database = make_url(db.url).database
        db.close()  # the engine reconnects on next use, to the new database of that name
        server.admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        server.admin(f"CREATE DATABASE {database} TEMPLATE {name}")
        target = os.environ.get("DUTYDESK_KEY_FILE")
        assert target, "the db fixture sets DUTYDESK_KEY_FILE for a server database"
        if key_file.exists():  # the register-mode demo seals nothing: no key made
            shutil.copy2(key_file, target)  # keeps mode 0600
        head_key = key_file.with_name(key_file.name.removesuffix(".key") + ".head-key")
        if head_key.exists():  # the head key signs the chain (issue 17)
            shutil.copy2(head_key, Path(target).with_name(head_key_name(Path(target))))
        return db

    def template(self, moment: datetime, *, accredited: bool = False) -> Path:
        """The settled demo database loaded as of ``moment`` (built on first use).

        ``accredited``: its telegrams with sealed content (:func:`accredit`).
        """
        key = (moment, accredited)
        if key not in self._built:

            def fill(db: Database) -> None:
                load_demo(db, moment)
                if accredited:
                    accredit(db, moment)

            with self._isolated():
                self._built[key] = build(self._factory.mktemp("demo-template"), fill)
        return self._built[key]

    def copy_to(self, target: Path, moment: datetime, *, accredited: bool = False) -> Path:
        """A fresh copy of the demo (as of ``moment``) at ``target``, with its key file."""
        return copy_database(self.template(moment, accredited=accredited), target)

    def load_into(self, db: Database, moment: datetime, *, accredited: bool = False) -> Database:
        """``db`` holding the demo as of ``moment``: what ``load_demo(db, moment)`` leaves.

        A SQLite ``db`` is closed and its file replaced by a copy of the template (it
        reopens on next use); a PostgreSQL one is re-created from a template database on
        the session's server (its key file copied to ``DUTYDESK_KEY_FILE``); any other
        database gets the demo loaded for real.
        ``accredited``: its telegrams with sealed content (:func:`accredit`).
        """
        if db.url.startswith("postgresql") and self._pg is not None:
            return self._pg_load_into(db, moment, accredited=accredited)
        if not (db.is_sqlite and db.path is not None):
            load_demo(db, moment)
            if accredited:
                accredit(db, moment)
            return db
        db.close()
        self.copy_to(db.path, moment, accredited=accredited)
        return db
