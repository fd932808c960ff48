"""Recomputing every open clock at once (after an upgrade, a special period marked).

Issue 16: the first start after an upgrade re-clocked the open incidents one SAVEPOINT,
one flush and two queries each (466 s for 20,000 open incidents). The set-based pass must
give every incident the clock the one-at-a-time rule gives it, in a number of statements
that does not grow with the open incidents, and leave an unchanged row unwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from dutydesk.rules.deadlines import DeadlineRules
from dutydesk.services.incidents.records import refresh_due, refresh_open_clocks
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident
from tests.conftest import DEMO_MOMENT
from tests.request_support import request
from tests.templates import DemoTemplates

Clock = tuple[object, object, bool]


def clocks(db: Database) -> dict[str, Clock]:
    """Every incident's stored clock: serial -> (due_at, due_step, is_open)."""
    rows = db.read("SELECT serial, due_at, due_step, is_open FROM incident")
    return {str(row.serial): (row.due_at, row.due_step, bool(row.is_open)) for row in rows}


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """The SQL statements the store's engine runs inside the block."""
    statements: list[str] = []

    def note(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def one_at_a_time(db: Database, rules: DeadlineRules) -> dict[str, Clock]:
    """The clocks the per-incident rule (``refresh_due``) gives, computed and not kept."""
    with db.session() as session:
        for incident in session.exec(select(Incident).where(col(Incident.is_open))).all():
            refresh_due(session=session, incident=incident, rules=rules, at=DEMO_MOMENT)
        found = session_clocks(session)
        session.rollback()
    return found


def session_clocks(session: Session) -> dict[str, Clock]:
    """:func:`clocks` as the session holds them, its pending changes flushed."""
    session.flush()
    rows = session.exec(select(Incident)).all()
    return {row.serial: (row.due_at, row.due_step, row.is_open) for row in rows}


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    """The demo night as of the tests' moment."""
    return demo_templates.load_into(db, DEMO_MOMENT)


def test_every_open_clock_in_a_few_statements_as_one_at_a_time(demo: Database) -> None:
    rules = request(demo, now=DEMO_MOMENT).rules
    # Stale clocks on every open incident, as a release with other rules leaves them.
    with demo.session() as session:
        for incident in session.exec(select(Incident).where(col(Incident.is_open))).all():
            incident.due_step = "first_report"
            session.add(incident)
    expected = one_at_a_time(demo, rules)
    opened = sum(1 for clock in clocks(demo).values() if clock[2])
    assert opened >= 20

    with counted(demo) as statements, demo.session() as session:
        assert refresh_open_clocks(session, rules, DEMO_MOMENT) == opened
        found = session_clocks(session)
    assert found == expected
    reads = [s for s in statements if not s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    # The open incidents, the special period, one batch of timelines, the read back
    # above; per incident it was a SAVEPOINT, its RELEASE and two reads (80+ here).
    assert len(reads) <= 8, reads


def test_an_unchanged_clock_is_not_written_again(demo: Database) -> None:
    rules = request(demo, now=DEMO_MOMENT).rules
    with demo.session() as session:
        refresh_open_clocks(session, rules, DEMO_MOMENT)
    before = clocks(demo)
    with counted(demo) as statements, demo.session() as session:
        refresh_open_clocks(session, rules, DEMO_MOMENT)
    assert clocks(demo) == before
    assert not [s for s in statements if "UPDATE incident" in s]
