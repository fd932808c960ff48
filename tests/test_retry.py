"""Retrying a write transaction: what counts as transient is decided by the driver's code.

SQLite says why in ``sqlite_errorcode``/``sqlite_errorname``; the message is for people.
Every error here is real, provoked on a real file: a second connection holding the write
lock, a duplicate serial, a NOT NULL column.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session, select

from dutydesk.services import retry
from dutydesk.services.incidents.intake import register
from dutydesk.services.retry import transient_cause
from dutydesk.storage.engine import Database
from dutydesk.storage.models import TimelineEntry
from tests.request_support import intake
from tests.test_intake import fields


@pytest.fixture
def holder(db: Database) -> Iterator[sqlite3.Connection]:
    """Another console in the middle of a write: it holds the write lock until released."""
    assert db.path is not None
    connection = sqlite3.connect(db.path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    yield connection
    if connection.in_transaction:
        connection.rollback()
    connection.close()


def errorname(error: DBAPIError) -> str:
    """SQLite's name for the code of the driver error under SQLAlchemy's wrapper."""
    assert isinstance(error.orig, sqlite3.Error), error
    return error.orig.sqlite_errorname


def impatient(path: Path) -> Database:
    """A second console on the same file that waits only 50 ms for the write lock."""
    other = Database(f"sqlite:///{path}")

    @event.listens_for(other.engine, "connect")
    def _short_wait(dbapi_connection: Any, _record: Any) -> None:
        # Runs after the store's own connect hook, which sets the 10 s busy timeout.
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    return other


@pytest.mark.sqlite_only(
    "holds SQLite's write lock from a second connection (a server has row locks)"
)
def test_a_held_write_lock_is_busy_by_its_error_code(
    db: Database, holder: sqlite3.Connection
) -> None:
    assert db.path is not None
    other = impatient(db.path)
    try:
        with pytest.raises(OperationalError) as caught, other.session() as session:
            session.exec(select(TimelineEntry)).all()
        assert errorname(caught.value) == "SQLITE_BUSY"
        assert transient_cause(caught.value) == "busy"
    finally:
        other.close()


@pytest.mark.sqlite_only(
    "holds SQLite's write lock from a second connection (a server has row locks)"
)
def test_busy_is_retried_until_the_lock_is_released_then_reported(
    db: Database, holder: sqlite3.Connection
) -> None:
    assert db.path is not None
    other = impatient(db.path)
    calls: list[int] = []

    def patient(session: Session) -> Sequence[TimelineEntry]:
        calls.append(1)
        if len(calls) == 3:
            holder.rollback()  # the other console finishes its write
        return session.exec(select(TimelineEntry)).all()

    try:
        before = retry.retries["busy"]
        assert retry.write_with_retry(other, patient, pause=0.001) == []
        assert retry.retries["busy"] - before == 2
        holder.execute("BEGIN IMMEDIATE")

        def always(session: Session) -> Sequence[TimelineEntry]:
            return session.exec(select(TimelineEntry)).all()

        with pytest.raises(retry.StoreBusyError, match="nothing was written"):
            retry.write_with_retry(other, always, attempts=3, pause=0.001)
    finally:
        other.close()


def test_a_message_alone_is_not_a_busy_store() -> None:
    # The words without SQLite's code (an error of ours, or any text that happens to say
    # so) are not a reason to run a transaction again.
    words = OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
    assert transient_cause(words) is None
    assert transient_cause(ValueError("database is locked")) is None


@pytest.mark.sqlite_only("reads SQLite's error names; a server's serial race: test_postgres.py")
def test_only_a_duplicate_serial_is_retried_among_constraint_failures(db: Database) -> None:
    register(*intake(db, **fields()))

    def copy_row(session: Session) -> None:
        row = dict(session.execute(text("SELECT * FROM incident")).mappings().one())
        row["id"] = None
        columns = ", ".join(row)
        values = ", ".join(f":{name}" for name in row)
        insert = f"INSERT INTO incident ({columns}) VALUES ({values})"  # noqa: S608 - column names of our own row; values bound
        session.execute(text(insert).bindparams(**row))

    with pytest.raises(IntegrityError) as serial, db.session() as session:
        copy_row(session)
    assert errorname(serial.value) == "SQLITE_CONSTRAINT_UNIQUE"
    assert transient_cause(serial.value) == "serial"

    def no_number(session: Session) -> None:
        session.execute(text("UPDATE incident SET serial_no = NULL"))

    # "NOT NULL constraint failed: incident.serial_no" names the serial's column, but no
    # retry makes a missing value appear: it is reported at once.
    calls: list[int] = []

    def counted(session: Session) -> None:
        calls.append(1)
        no_number(session)

    with pytest.raises(IntegrityError) as null:
        retry.write_with_retry(db, counted, pause=0.001)
    assert errorname(null.value) == "SQLITE_CONSTRAINT_NOTNULL"
    assert transient_cause(null.value) is None
    assert calls == [1]


def test_a_duplicate_bulletin_number_in_its_series_is_retried(db: Database) -> None:
    # Migration 0015 numbers bulletins per series: the constraint names four columns now,
    # and a duplicate number must still read as the serial race it is.
    insert = text(
        "INSERT INTO bulletin (kind, series, year, issue_no, status, title, body,"
        " classification, short_version, reviewed_by, created_at) VALUES ('express',"
        " 'open', 2026, 1, 'issued', 't', 'b', 'internal', '', '', '2026-11-26 00:00:00')"
    )
    with db.session() as session:
        session.execute(insert)
    with pytest.raises(IntegrityError) as duplicate, db.session() as session:
        session.execute(insert)
    assert transient_cause(duplicate.value) == "serial"


@pytest.mark.parametrize(
    ("seq", "chain_seq"),
    [("seq", "chain_seq + 100"), ("seq + 100", "chain_seq")],
    ids=["timeline seq", "chain seq"],
)
def test_a_duplicate_entry_number_is_retried_on_both_stores(
    db: Database, seq: str, chain_seq: str
) -> None:
    # Issue 17: the keys that number entries are a race like the serial's, whichever
    # store names them (PostgreSQL by its index, SQLite by its columns): a copy of the
    # received entry with one of its two numbers kept.
    register(*intake(db, **fields()))
    copy = text(
        "INSERT INTO timeline_entry (incident_id, seq, kind, occurred_at, recorded_at,"  # noqa: S608 - fixed expressions of our own
        f" actor_name, text, target, chain_seq) SELECT incident_id, {seq}, kind,"
        f" occurred_at, recorded_at, actor_name, text, target, {chain_seq} FROM timeline_entry"
    )
    with pytest.raises(IntegrityError) as duplicate, db.session() as session:
        session.execute(copy)
    assert transient_cause(duplicate.value) == "sequence"
