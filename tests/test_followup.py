"""Follow-up: refusals that say why and what to do instead, field edits, clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from dutydesk.i18n import catalog, set_language
from dutydesk.rules.deadlines import load_rules
from dutydesk.rules.workflow import REFUSAL_KEYS, refusal
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.incident import (
    EntryRefused,
    IncidentError,
    add_entry,
    create_incident,
    update_fields,
)
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident, TimelineEntry
from dutydesk.vocab import EntryKind as K
from dutydesk.vocab import Status as S
from tests.request_support import request

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
T0 = datetime(2026, 11, 26, 2, 14, tzinfo=TZ)


@pytest.mark.parametrize(
    ("status", "kind", "history", "extra", "key"),
    [
        (S.RECEIVED, K.CONTINUED_REPORT, [K.RECEIVED], {}, "continued_before_first"),
        (S.REPORTED, K.CONTINUED_REPORT, [K.PHONE_REPORT], {}, "continued_before_first"),
        (S.REPORTED, K.CONTINUED_REPORT, [K.FIRST_REPORT], {}, None),
        (S.FOLLOWING, K.CONTINUED_REPORT, [K.FINAL_REPORT, K.REOPENED], {}, None),
        (S.REPORTED, K.FIRST_REPORT, [K.FIRST_REPORT], {}, "first_again"),
        (S.CLOSED, K.NOTE, [K.FINAL_REPORT], {"text": "x"}, "closed"),
        (S.CLOSED, K.CORRECTION, [K.FINAL_REPORT], {"text": "x"}, "closed"),
        (S.CLOSED, K.REOPENED, [K.FINAL_REPORT], {}, "reopen_reason"),
        (S.CLOSED, K.REOPENED, [K.FINAL_REPORT], {"text": "  "}, "reopen_reason"),
        (S.CLOSED, K.REOPENED, [K.FINAL_REPORT], {"text": "家属反映"}, None),
        (S.FOLLOWING, K.REOPENED, [], {"text": "why"}, "not_closed"),
        (S.FOLLOWING, K.FEEDBACK, [], {}, "feedback_reference"),
        (S.FOLLOWING, K.FEEDBACK, [], {"referred": K.NOTE, "referred_seq": 3}, "feedback_answers"),
        (S.FOLLOWING, K.FEEDBACK, [], {"referred": K.ASSIGNMENT}, None),
        (S.FOLLOWING, K.FEEDBACK, [], {"referred": K.LEADER_INSTRUCTION}, None),
        (S.FOLLOWING, K.CORRECTION, [], {"text": "应为4人"}, "correction_reference"),
        (S.FOLLOWING, K.CORRECTION, [], {"referred": K.NOTE}, "correction_text"),
        (S.FOLLOWING, K.CORRECTION, [], {"referred": K.NOTE, "text": "应为4人"}, None),
        (S.FOLLOWING, K.NOTE, [], {"referred": K.NOTE}, "reference_not_expected"),
        (S.REPORTED, K.LEADER_INSTRUCTION, [], {"target": "周文斌"}, "instruction_text"),
        (S.REPORTED, K.LEADER_INSTRUCTION, [], {"text": "全力救治"}, "instruction_leader"),
        (S.REPORTED, K.ASSIGNMENT, [], {}, "assignment_target"),
        (S.REPORTED, K.SUPERVISION, [K.FIRST_REPORT], {}, "supervision_nothing"),
        (S.FOLLOWING, K.SUPERVISION, [K.ASSIGNMENT], {}, None),
        (S.RECEIVED, K.RECEIVED, [], {}, "received_again"),
        (S.RECEIVED, K.FIELD_CHANGE, [], {}, "field_change"),
        (S.RECEIVED, K.FINAL_REPORT, [], {}, None),  # a minor matter settled at once
        (S.RECEIVED, K.CLOSED, [], {}, None),
    ],
)
def test_refusal_rules(
    status: S, kind: K, history: list[K], extra: dict[str, Any], key: str | None
) -> None:
    found = refusal(status, kind, history, **extra)
    assert (found.key if found else None) == key


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_refusal_has_words(language: str) -> None:
    for key in (*REFUSAL_KEYS, "prefix"):
        assert f"refusal.{key}" in catalog(language), key
    assert "conflict.changed" in catalog(language)


def new(session: Session, severity: str = "IV") -> Incident:
    return create_incident(
        request(session, now=T0, tz=TZ, rules=RULES),
        NewIncident(
            received_at=T0,
            channel="phone",
            category="accident",
            severity=severity,
            classification="internal",
            title="燃气泄漏",
            summary="幸福路燃气泄漏",
            occurred_at=T0 - timedelta(minutes=10),
        ),
        session=session,
    )


def log(session: Session, incident: Incident, kind: K, minutes: int, **extra: Any) -> TimelineEntry:
    at = T0 + timedelta(minutes=minutes)
    return add_entry(
        request(session, now=at, rules=RULES),
        incident,
        NewEntry(kind=kind, occurred_at=at, **extra),
        session=session,
    )


def test_refused_entry_says_why_and_writes_nothing(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        version = incident.version
        with pytest.raises(EntryRefused, match="record the first report first") as caught:
            log(session, incident, K.CONTINUED_REPORT, 5)
        assert caught.value.refusal.key == "continued_before_first"
        assert caught.value.exit_code == 2
        assert incident.version == version
        assert len(session.exec(select(TimelineEntry)).all()) == 1


def test_refusal_in_chinese(db: Database) -> None:
    set_language("zh_CN")
    with db.session() as session:
        incident = new(session)
        log(session, incident, K.FINAL_REPORT, 5)
        with pytest.raises(EntryRefused, match="请先恢复办理"):
            log(session, incident, K.NOTE, 6, text="补充")


def test_feedback_must_answer_an_instruction_or_assignment(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        first = log(session, incident, K.FIRST_REPORT, 5)
        with pytest.raises(EntryRefused, match="entry 2 is a first report"):
            log(session, incident, K.FEEDBACK, 6, refers_to_id=first.id)
        assigned = log(
            session,
            incident,
            K.ASSIGNMENT,
            7,
            target="市应急管理局",
            due_at=T0 + timedelta(hours=2),
        )
        assert (incident.due_step, incident.due_at) == ("feedback", T0 + timedelta(hours=2))
        log(session, incident, K.FEEDBACK, 30, refers_to_id=assigned.id, text="已处置")
        assert incident.due_step == "continued_report"


def test_continued_reports_numbered_after_reopening(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        log(session, incident, K.FIRST_REPORT, 5)
        one = log(session, incident, K.CONTINUED_REPORT, 60)
        log(session, incident, K.FINAL_REPORT, 120)
        assert incident.due_at is None and not incident.is_open
        reopened = log(session, incident, K.REOPENED, 600, text="家属反映仍有1人失联")
        assert incident.status is S.FOLLOWING
        # The continued-report clock restarts at the reopening (IV: every 72 h).
        assert incident.due_at == reopened.occurred_at + timedelta(hours=72)
        two = log(session, incident, K.CONTINUED_REPORT, 700)
    assert (one.report_no, two.report_no) == (1, 2)


def test_due_before_the_entry_is_refused(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        with pytest.raises(IncidentError, match="due_at"):
            log(session, incident, K.ASSIGNMENT, 60, target="x", due_at=T0)


def test_severity_edit_is_recorded_and_moves_the_clocks(db: Database) -> None:
    with db.session() as session:
        incident = new(session, severity="IV")
        assert (incident.due_step, incident.due_at) == ("first_report", T0 + timedelta(hours=6))
        assert incident.id is not None
        edited = update_fields(
            request(session, actor_name="李四", now=T0 + timedelta(minutes=10), rules=RULES),
            session=session,
            incident_id=incident.id,
            expected_version=1,
            changes={"severity": "II", "summary": "幸福路燃气爆炸\n3人受伤", "title": "燃气泄漏"},
        )
        entries = session.exec(select(TimelineEntry).order_by(col(TimelineEntry.seq))).all()
    assert (edited.severity, edited.severity_rank, edited.version) == ("II", 1, 2)
    assert (edited.due_step, edited.due_at) == ("phone_report", T0 + timedelta(minutes=20))
    change = entries[-1]
    assert change.kind == K.FIELD_CHANGE and change.actor_name == "李四"
    # Only changed fields, old and new, exactly (JSON string literals, one line each).
    assert (
        change.text
        == 'severity: "IV" → "II"\nsummary: "幸福路燃气泄漏" → "幸福路燃气爆炸\\n3人受伤"'
    )


def test_edit_without_a_change_writes_nothing(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        assert incident.id is not None
        same = update_fields(
            request(session, now=T0, rules=RULES),
            session=session,
            incident_id=incident.id,
            expected_version=1,
            changes={"severity": "IV"},
        )
        assert same.version == 1
        assert len(session.exec(select(TimelineEntry)).all()) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"severity": "V"}, "severity: 'V' is not one of"),
        ({"status": "closed"}, "status: cannot be edited"),
        ({"received_at": "x"}, "record a correction"),
        ({"summary": " "}, "summary: must not be blank"),
        ({"title": 3}, "title: expected text"),
    ],
)
def test_bad_edits_name_the_field(db: Database, changes: dict[str, object], message: str) -> None:
    with db.session() as session:
        incident = new(session)
        assert incident.id is not None
        with pytest.raises(IncidentError, match=message):
            update_fields(
                request(session, now=T0, rules=RULES),
                session=session,
                incident_id=incident.id,
                expected_version=1,
                changes=changes,
            )


def test_closed_incident_cannot_be_edited(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        log(session, incident, K.CLOSED, 5)
        assert incident.id is not None
        with pytest.raises(EntryRefused, match="reopen it first"):
            update_fields(
                request(session, now=T0 + timedelta(minutes=6), rules=RULES),
                session=session,
                incident_id=incident.id,
                expected_version=None,
                changes={"severity": "I"},
            )


def test_times_are_stored_in_utc(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
    assert incident.received_at == T0.astimezone(UTC)


def test_the_first_written_report_must_say_when_it_happened(db: Database) -> None:
    # Issue 12: 事发时间 is a required 报告要素. A phone report may go before it is known;
    # the first written report (or a final report sent without one) may not.
    with db.session() as session:
        incident = new(session)
        incident.occurred_at = None
        log(session, incident, K.PHONE_REPORT, 3, target="张三")
        for kind in (K.FIRST_REPORT, K.FINAL_REPORT):
            with pytest.raises(EntryRefused, match="fill it in first") as caught:
                log(session, incident, kind, 5, text="书面报告")
            assert caught.value.refusal.key == "written_needs_occurred"
        set_language("zh_CN")
        with pytest.raises(EntryRefused, match="尚未填写事发时间"):
            log(session, incident, K.FIRST_REPORT, 5, text="书面首报")
        assert incident.id is not None
        update_fields(
            request(session, now=T0 + timedelta(minutes=6), rules=RULES),
            session=session,
            incident_id=incident.id,
            expected_version=None,
            changes={"occurred_at": T0 - timedelta(minutes=20)},
        )
        assert log(session, incident, K.FIRST_REPORT, 7, text="书面首报").kind == K.FIRST_REPORT


def test_a_request_or_a_document_owes_no_time_of_happening(db: Database) -> None:
    for kind in ("request", "document"):
        with db.session() as session:
            incident = new(session)
            incident.occurred_at, incident.matter_kind = None, kind  # type: ignore[assignment]
            assert log(session, incident, K.FINAL_REPORT, 5, text="已办结").kind == K.FINAL_REPORT


def _read_steps(session: Session, incident_id: int | None) -> list[tuple[Any, ...]]:
    """The timeline as a query reads it now, in the form the kept timeline holds."""
    rows = session.exec(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)).all()
    return [
        (e.seq, str(e.kind), e.occurred_at, e.due_at, e.id, e.refers_to_id)
        for e in sorted(rows, key=lambda e: e.seq)
    ]


def test_the_kept_timeline_is_what_a_read_gives_after_every_write(db: Database) -> None:
    # Issue 16: one transaction reads a timeline once and keeps it up to date from its own
    # flushes; it must never differ from a read, nor outlive a write it did not see.
    from sqlalchemy import delete

    from dutydesk.services.incidents.steps import timeline_steps

    with db.session() as session:
        incident = new(session)
        other = new(session)
        assert [tuple(s) for s in timeline_steps(session, incident.id)] == _read_steps(
            session, incident.id
        )
        log(session, incident, K.FIRST_REPORT, 5, text="书面首报")
        log(session, incident, K.LEADER_INSTRUCTION, 9, text="每小时报告一次", target="周文斌")
        log(session, other, K.PHONE_REPORT, 7, target="值班长")
        for kept in (incident, other):
            assert [tuple(s) for s in timeline_steps(session, kept.id)] == _read_steps(
                session, kept.id
            )
        # A bulk delete through the session: nothing kept survives it.
        session.exec(delete(TimelineEntry).where(col(TimelineEntry.seq) > 2))
        assert [tuple(s) for s in timeline_steps(session, incident.id)] == _read_steps(
            session, incident.id
        )
        assert len(timeline_steps(session, incident.id)) == 2
