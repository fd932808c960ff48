"""The CLI's plain-SQL write path writes exactly what the ORM path writes (issue 16).

Two copies of one database; the same inputs at one frozen moment (the request's ``now``
and the state facts' clock) go through the ORM path into one and through the plain path
into the other; then every table of the two files must hold the same rows (ids, hashes,
facts, audit, the search index's own tables, the open count) and ``verify`` must pass
on both. What the plain path does not cover must leave its file untouched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.services.incidents.checks import IncidentError
from dutydesk.services.incidents.intake import NewIncident, register
from dutydesk.services.incidents.plain_write import NotPlain, add_incident
from dutydesk.services.integrity import fact_form
from dutydesk.services.integrity.state_facts import WATCHED, columns, kind_of
from dutydesk.services.integrity.verify import verify
from dutydesk.storage.engine import Database, url_for
from tests.hostile import SHORT
from tests.request_support import request
from tests.templates import copy_database

pytestmark = pytest.mark.sqlite_only("the plain write path is SQLite's")

NOW = datetime(2026, 11, 25, 18, 31, tzinfo=UTC)


def report(**changes: Any) -> NewIncident:
    """A phone report received a minute before ``NOW``, with ``changes``."""
    fields: dict[str, Any] = {
        "received_at": NOW - timedelta(minutes=1),
        "channel": "phone",
        "category": "accident",
        "severity": "unassessed",
        "classification": "internal",
        "title": "幸福路12号冒烟",
        "summary": "幸福路12号一居民楼冒烟，无人员被困",
        "location": "幸福路12号",
        "reporter_name": "王先生",
        "reporter_phone": "13800000000",
    }
    return NewIncident(**(fields | changes))


def rows_of(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the search index's shadow tables too), in rowid order."""
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                # A virtual table (the search index) is compared through its shadow tables.
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
            )
        ]
        found = {}
        for table in tables:
            try:
                rows = connection.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid')  # noqa: S608 - names from sqlite_master
            except sqlite3.OperationalError:  # WITHOUT ROWID: all of it, sorted
                rows = connection.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 - as above
            found[table] = rows.fetchall()
    return found


@pytest.fixture
def pair(
    db: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Database, Database]]:
    """Two copies of a database with one incident on its chain; the facts' clock stopped."""
    register(request(db, now=NOW - timedelta(hours=1), actor_name="李晓明"), report())
    db.close()
    with sqlite3.connect(db_path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    orm = Database(url_for(str(copy_database(db_path, db_path.with_name("orm.sqlite3")))))
    plain = Database(url_for(str(copy_database(db_path, db_path.with_name("plain.sqlite3")))))
    monkeypatch.setattr(fact_form, "FACT_CLOCK", FrozenClock(NOW + timedelta(seconds=7)))
    yield orm, plain
    orm.close()
    plain.close()


def both(pair: tuple[Database, Database], given: NewIncident, **req: Any) -> str:
    """Register ``given`` through each path; the plain path's serial (the same)."""
    orm, plain = pair
    made = register(request(orm, now=NOW, **req), given)
    written = add_incident(request(plain, now=NOW, **req), given)
    assert (written.id, written.serial, written.due_at, written.due_step) == (
        made.id,
        made.serial,
        made.due_at,
        made.due_step,
    )
    return written.serial


def assert_same(pair: tuple[Database, Database]) -> None:
    orm, plain = pair
    assert orm.path is not None
    assert plain.path is not None
    expected, found = rows_of(orm.path), rows_of(plain.path)
    assert found.keys() == expected.keys()
    for table, rows in expected.items():
        assert found[table] == rows, table
    for db in pair:
        assert verify(db).ok


def test_one_incident_is_the_same_row_by_row(pair: tuple[Database, Database]) -> None:
    both(pair, report(), actor_name="李晓明")
    assert_same(pair)


def test_every_report_element_and_clock(pair: tuple[Database, Database]) -> None:
    both(pair, report(severity="I", occurred_at=NOW - timedelta(minutes=20), deaths=1,
                      injured="3", missing=0, trapped=2, sensitive=True,
                      report_every_minutes=60))  # fmt: skip
    both(pair, report(channel="letter", category="other", title="", kind=None))
    both(pair, report(kind="request", received_text="来电原话：燃气味很重"))
    both(pair, report(received_at=NOW - timedelta(days=1), severity="IV"))  # another day
    assert_same(pair)


def test_hostile_strings_are_stored_the_same(pair: tuple[Database, Database]) -> None:
    for name, text in SHORT.items():
        both(pair, report(title=text[:30], summary=f"{name}: {text}", location=text,
                          reporter_name=text, reporter_unit=text))  # fmt: skip
    assert_same(pair)


def test_a_special_period_sets_the_same_clocks(pair: tuple[Database, Database]) -> None:
    from dutydesk.services.roster.changes import mark_special

    day = NOW.astimezone(request(pair[0]).tz).date()
    for db in pair:
        mark_special(request(db, now=NOW), day - timedelta(days=1), day, note="防汛",
                     settings=Settings())  # fmt: skip
    both(pair, report(severity="II", category="natural_disaster"))
    assert_same(pair)


def test_a_bad_report_is_refused_in_the_same_words(pair: tuple[Database, Database]) -> None:
    orm, plain = pair
    for bad in (report(summary="  "), report(channel="pigeon"), report(deaths="many")):
        with pytest.raises(IncidentError) as by_orm:
            register(request(orm, now=NOW), bad)
        with pytest.raises(IncidentError) as by_plain:
            add_incident(request(plain, now=NOW), bad)
        assert str(by_plain.value) == str(by_orm.value)
    assert_same(pair)


def test_what_it_does_not_cover_is_left_to_the_orm(pair: tuple[Database, Database]) -> None:
    _, plain = pair
    assert plain.path is not None
    before = rows_of(plain.path)
    for given in (
        report(classification="secret"),  # sealed text: the ORM path seals it
        report(readers=("应急管理局",)),
    ):
        with pytest.raises(NotPlain):
            add_incident(request(plain, now=NOW), given)
    assert rows_of(plain.path) == before


def test_an_empty_chain_is_started_by_the_orm(db: Database) -> None:
    # Its first link is the baseline marker (state_facts.BASELINE): the ORM path's to write.
    with pytest.raises(NotPlain):
        add_incident(request(db, now=NOW), report())
    assert db.read("SELECT count(*) FROM incident")[0][0] == 0


def test_the_incident_fact_columns_are_the_models() -> None:
    model = WATCHED["incident"]
    assert {c.name: kind_of("incident", c.name) for c in columns(model)} == fact_form.INCIDENT_KINDS


LOG_STEPS: list[tuple[str, dict[str, Any]]] = [
    ("verify", {"text": "已核实：属实"}),
    ("phone-report", {"text": "已电话报告", "target": "市应急局值班室"}),
    ("first-report", {"text": "首报：幸福路12号冒烟"}),
    ("continued-report", {"text": "续报：明火已扑灭"}),
    ("instruction", {"text": "请消防支队全力处置，及时反馈", "target": "张副市长"}),
    ("assign", {"text": "请核查", "target": "市消防支队", "due": timedelta(hours=2)}),
    ("supervise", {"text": "督办：尽快反馈"}),
    ("feedback", {"text": "已落实", "refers_to": 5}),
    ("note", {"text": SHORT["csi"] + SHORT["bidi"] + SHORT["formula_eq"]}),
    ("correction", {"text": "更正：地址为幸福路21号", "refers_to": 9}),
    ("continued-report", {"text": "续报二：现场清理完毕"}),
    ("final-report", {"text": "终报"}),
    ("close", {"text": "处置完毕"}),
    ("close", {"text": "再次办结"}),  # refused: closed already
    ("reopen", {"text": "复燃"}),
    ("report-back", {"text": "已向张副市长报结", "refers_to": 5}),
    ("feedback", {"text": "无所指"}),  # refused: answers nothing
    ("register", {"text": "登记"}),
    ("submit", {"text": "呈批", "target": "王主任"}),
    ("circulate", {"text": "传阅", "target": "办公室"}),
]
"""A follow-up of every kind ``incident log`` takes (``LOG_KINDS``), refusals included."""


def orm_log(db: Database, serial: str, entry: Any, refers_to: int | None, now: datetime) -> int:
    """``incident log`` through the ORM, as the CLI wrote it before (``_log_through_orm``)."""
    from dataclasses import replace

    from sqlmodel import select

    from dutydesk.services.incidents.followup import add_entry
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import Incident, TimelineEntry

    def work(session: Any) -> int:
        incident = session.exec(select(Incident).where(Incident.serial == serial)).one()
        found = None
        if refers_to is not None:
            found = session.exec(
                select(TimelineEntry.id).where(
                    TimelineEntry.incident_id == incident.id, TimelineEntry.seq == refers_to
                )
            ).one()
        written = add_entry(
            request(db, now=now, actor_name="李晓明"),
            incident,
            replace(entry, refers_to_id=found),
            session=session,
        )
        return int(written.seq)

    return write_with_retry(db, work)


def log_both(pair: tuple[Database, Database], serial: str, step: int, name: str,
             values: dict[str, Any]) -> None:  # fmt: skip
    """One follow-up through each path at minute ``step``: the same entry, or the same refusal."""
    from dutydesk.cli.commands.incident import LOG_KINDS
    from dutydesk.services.incidents.checks import NewEntry
    from dutydesk.services.incidents.plain_write import log_entry

    orm, plain = pair
    now = NOW + timedelta(minutes=step)
    due = values.get("due")
    entry = NewEntry(
        kind=LOG_KINDS[name],
        occurred_at=now,
        text=values.get("text", ""),
        target=values.get("target", ""),
        due_at=None if due is None else now + due,
    )
    refers_to = values.get("refers_to")
    refused = None
    try:
        seq = orm_log(orm, serial, entry, refers_to, now)
    except IncidentError as error:
        refused = str(error)
    if refused is not None:
        with pytest.raises(IncidentError) as also:
            log_entry(request(plain, now=now, actor_name="李晓明"), serial, entry, refers_to)
        assert str(also.value) == refused, name
        return
    written = log_entry(request(plain, now=now, actor_name="李晓明"), serial, entry, refers_to)
    assert written.id == seq, name


def test_a_follow_up_of_every_kind_is_the_same_row_by_row(
    pair: tuple[Database, Database],
) -> None:
    serial = both(pair, report(occurred_at=NOW - timedelta(minutes=30)))
    for step, (name, values) in enumerate(LOG_STEPS, start=1):
        log_both(pair, serial, step, name, values)
    assert_same(pair)
    orm, _ = pair
    kinds = {row[0] for row in orm.read("SELECT kind FROM timeline_entry")}
    assert len(kinds) >= 14  # the steps were written, not all refused


def test_a_request_and_a_document_follow_up_the_same(pair: tuple[Database, Database]) -> None:
    for kind in ("request", "document"):
        serial = both(pair, report(kind=kind))
        for step, (name, values) in enumerate(LOG_STEPS[:8], start=1):
            log_both(pair, serial, step, name, values)
    assert_same(pair)


def test_a_follow_up_it_does_not_cover_is_left_to_the_orm(
    pair: tuple[Database, Database],
) -> None:
    from dutydesk.services.incidents.checks import NewEntry
    from dutydesk.services.incidents.plain_write import log_entry

    serial = both(pair, report())
    secret = register(
        request(pair[1], now=NOW), report(classification="secret", title="密", summary="密件")
    ).serial
    _, plain = pair
    assert plain.path is not None
    before = rows_of(plain.path)
    note = NewEntry(kind="note", occurred_at=NOW, text="已核实")
    cadence = NewEntry(
        kind="leader_instruction", occurred_at=NOW, text="每小时报告一次进展", target="张副市长"
    )
    stale = NewEntry(kind="note", occurred_at=NOW, text="x", expected_version=9)
    for where, entry, refers_to in (
        (secret, note, None),  # sealed text
        (serial, cadence, None),  # the instruction writes a field change too
        (serial, stale, None),  # the ORM path shows what changed
        ("20991231-001", note, None),  # no such serial: the ORM path says so
        (serial, note, 99),  # no such entry: likewise
    ):
        with pytest.raises(NotPlain):
            log_entry(request(plain, now=NOW), where, entry, refers_to)
    assert rows_of(plain.path) == before
