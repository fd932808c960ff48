"""Intake: duplicate warning, linking as a continued report, atomic batches, retries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from dutydesk.rules.deadlines import load_rules
from dutydesk.rules.similarity import bigrams, same_place, similarity
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.incident import EntryRefused, IncidentError, add_entry
from dutydesk.services.incidents.intake import (
    NewIncident,
    find_similar,
    link_as_continued_report,
    register,
    register_many,
)
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident, IncidentReader, Person
from dutydesk.vocab import Classification, EntryKind
from tests.request_support import intake, request

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
T0 = datetime(2026, 11, 26, 2, 14, tzinfo=TZ)


def fields(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "received_at": T0,
        "channel": "phone",
        "category": "accident",
        "severity": "II",
        "classification": "internal",
        "title": "燃气爆炸",
        "summary": "幸福路12号居民楼发生燃气爆炸，3人受伤，消防正在处置",
        "location": "幸福路12号",
        "now": T0,
        "tz": TZ,
        "rules": RULES,
    }
    base.update(extra)
    received = base["received_at"]
    assert isinstance(received, datetime)
    base.setdefault("occurred_at", received - timedelta(minutes=10))  # a report says when
    return base


@pytest.mark.parametrize(
    ("first", "second", "low", "high"),
    [
        ("幸福路12号居民楼发生燃气爆炸，3人受伤", "幸福路12号居民楼燃气爆炸，3人受伤", 0.6, 1.0),
        ("幸福路12号居民楼发生燃气爆炸", "东湖区桂花苑小区供暖不达标", 0.0, 0.1),
        ("Gas explosion at 12 Xingfu Road", "gas  EXPLOSION at 12 xingfu road!", 1.0, 1.0),
        ("", "火", 0.0, 0.0),
    ],
)
def test_bigram_similarity(first: str, second: str, low: float, high: float) -> None:
    assert low <= similarity(first, second) <= high


def report(**extra: object) -> NewIncident:
    """The new incident of :func:`fields`, without the request's keywords."""
    given: dict[str, Any] = fields(**extra)
    return NewIncident(**{k: v for k, v in given.items() if k not in {"now", "tz", "rules"}})


def test_bigrams_and_places() -> None:
    assert bigrams("火灾") == {"火灾"}
    assert bigrams("火") == {"火"}
    assert same_place("幸福路 12 号", "幸福路12号")
    assert same_place("ＡＢ路１号", "ab路1号")  # full-width folded
    assert not same_place("", "")


def test_find_similar_by_place_or_summary_within_two_hours(db: Database) -> None:
    first = register(*intake(db, **fields()))
    register(*intake(db, **fields(received_at=T0 - timedelta(hours=3), title="old")))  # too early
    other = register(
        *intake(
            db,
            **fields(
                category="public_health",
                location="东湖区",
                summary="幸福路12号居民楼燃气爆炸，3人受伤，消防正在处置",
                title="b",
            ),
        )
    )
    register(
        *intake(db, **fields(category="public_request", location="别处", summary="欠薪", title="c"))
    )
    found = find_similar(
        request(db),
        category="accident",
        location="幸福路 12号",
        summary="有人报警称闻到煤气味",
        received_at=T0 + timedelta(minutes=20),
    )
    assert [item.serial for item in found] == [first.serial]
    assert found[0].same_place and found[0].is_open
    by_text = find_similar(
        request(db),
        category="other",
        location="",
        summary="幸福路12号居民楼燃气爆炸，3人受伤，消防正在处置",
        received_at=T0 + timedelta(minutes=30),
    )
    assert {item.serial for item in by_text} == {first.serial, other.serial}
    assert all(item.score >= 0.6 for item in by_text)


def test_find_similar_compares_a_classified_place_only_for_a_named_reader(
    db: Database,
) -> None:
    """Issue 13: a classified item's place is sealed; only a reader who may open it has
    it compared. Anyone else is not told of a classified item 'at the same place'."""
    secret = register(*intake(db, **fields(classification="secret")))
    stored = db.read("SELECT location FROM incident WHERE id = :id", {"id": secret.id})
    assert str(stored[0][0]).startswith("enc:v1:")
    with db.session() as session:
        found = find_similar(
            request(session),
            category="accident",
            location="幸福路12号",
            summary="x",
            received_at=T0,
            session=session,
        )
    assert found == []
    cleared = find_similar(
        request(db, clearance=Classification.TOP_SECRET),
        category="accident",
        location="幸福路12号",
        summary="x",
        received_at=T0,
    )
    assert cleared == []  # issue 13: a level alone opens nothing
    with db.session() as session:
        session.add(Person(name="张三", clearance=Classification.TOP_SECRET))
        session.flush()
        named = session.exec(select(Person).where(Person.name == "张三")).one()
        assert secret.id is not None
        session.add(IncidentReader(incident_id=secret.id, person_id=named.id, added_at=T0))
    cleared = find_similar(
        request(db, clearance=Classification.TOP_SECRET, viewer="张三"),
        category="accident",
        location="幸福路12号",
        summary="x",
        received_at=T0,
    )
    assert [(item.title, item.location, item.same_place) for item in cleared] == [
        ("燃气爆炸", "幸福路12号", True)
    ]


def test_link_is_a_continued_report_once_reported_else_a_note(db: Database) -> None:
    incident = register(*intake(db, **fields()))
    assert incident.id is not None
    later = T0 + timedelta(minutes=10)
    with db.session() as session:
        early = link_as_continued_report(
            request(session, now=later, rules=RULES),
            session=session,
            incident_id=incident.id,
            summary="又有群众来电反映",
            received_at=later,
            reporter="群众 张某",
        )
    assert (early.kind, early.text) == (EntryKind.NOTE, "群众 张某: 又有群众来电反映")
    with db.session() as session:
        stored = session.get(Incident, incident.id)
        assert stored is not None
        add_entry(
            request(session, now=later, rules=RULES),
            stored,
            NewEntry(kind="first_report", occurred_at=later),
            session=session,
        )
        linked = link_as_continued_report(
            request(session, now=later, rules=RULES),
            session=session,
            incident_id=incident.id,
            summary="东湖区续报：伤员增至4人",
            received_at=later,
            expected_version=stored.version,
        )
        assert (linked.kind, linked.report_no) == (EntryKind.CONTINUED_REPORT, 1)
        add_entry(
            request(session, now=later, rules=RULES),
            stored,
            NewEntry(kind="final_report", occurred_at=later),
            session=session,
        )
        with pytest.raises(EntryRefused, match="reopen it first"):
            link_as_continued_report(
                request(session, now=later, rules=RULES),
                session=session,
                incident_id=incident.id,
                summary="再报",
                received_at=later,
            )


def test_a_batch_is_written_whole_or_not_at_all(db: Database) -> None:
    with pytest.raises(IncidentError, match="channel"):
        register_many(request(db, now=T0, rules=RULES), [report(), report(channel="pigeon")])
    with db.session(write=False) as session:
        assert session.exec(select(Incident)).all() == []
    made = register_many(request(db, now=T0, rules=RULES), [report(), report()])
    assert [incident.serial for incident in made] == ["20261126-001", "20261126-002"]
