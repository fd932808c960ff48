"""The incident write path: serials, timeline numbering, status workflow, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from dutydesk.rules.deadlines import load_rules
from dutydesk.rules.workflow import status_after
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.incident import (
    IncidentError,
    add_entry,
    create_incident,
    next_serial,
)
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident, TimelineEntry
from dutydesk.vocab import EntryKind, Status
from tests.request_support import request

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
T0 = datetime(2026, 11, 25, 22, 0, tzinfo=TZ)


def new(
    session: Session, received_at: datetime = T0, severity: str = "II", **extra: str
) -> Incident:
    fields: dict[str, Any] = {
        "channel": "phone",
        "category": "accident",
        "classification": "internal",
        "title": "测试事件",
        "summary": "据某区应急管理局电话报告，……",
        "occurred_at": received_at - timedelta(minutes=10),
    }
    fields.update(extra)
    return create_incident(
        request(session, now=received_at, tz=TZ, rules=RULES),
        NewIncident(received_at=received_at, severity=severity, **fields),
        session=session,
    )


def entry(
    session: Session, incident: Incident, kind: EntryKind, minutes: int, **extra: Any
) -> TimelineEntry:
    at = incident.received_at + timedelta(minutes=minutes)
    return add_entry(
        request(session, now=at, rules=RULES),
        incident,
        NewEntry(kind=kind, occurred_at=at, **extra),
        session=session,
    )


def test_serials_are_per_local_day_and_gapless(db: Database) -> None:
    with db.session() as session:
        # 23:50 and 00:10 Beijing time are different serial days, though the same UTC day.
        times = [T0, T0 + timedelta(hours=1, minutes=50), T0 + timedelta(hours=2, minutes=10)]
        times += [T0 + timedelta(hours=3), T0 + timedelta(hours=4)]
        serials = [new(session, received_at=moment).serial for moment in times]
    assert serials == [
        "20261125-001",
        "20261125-002",
        "20261126-001",
        "20261126-002",
        "20261126-003",
    ]
    with db.session() as session:
        assert next_serial(session=session, day=date(2026, 11, 26)) == ("20261126-004", 4)
        assert next_serial(session=session, day=date(2026, 11, 27)) == ("20261127-001", 1)


def test_new_incident_has_received_entry_and_first_deadline(db: Database) -> None:
    with db.session() as session:
        incident = new(session, severity="II", title="燃气爆炸 [/] end")
        entries = session.exec(select(TimelineEntry)).all()
    assert incident.status is Status.RECEIVED
    assert incident.is_open
    assert incident.severity_rank == 1
    assert incident.title == "燃气爆炸 [/] end"  # stored exactly as given
    assert [(e.seq, e.kind) for e in entries] == [(1, EntryKind.RECEIVED)]
    assert entries[0].text == incident.summary
    assert incident.due_step == "phone_report"
    assert incident.due_at == (T0 + timedelta(minutes=20)).astimezone(UTC)  # the city's 20


def test_continued_reports_are_numbered(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        entry(session, incident, EntryKind.FIRST_REPORT, 20)
        numbers = [
            entry(session, incident, EntryKind.CONTINUED_REPORT, m).report_no for m in (60, 90)
        ]
        entry(session, incident, EntryKind.NOTE, 100)
        numbers.append(entry(session, incident, EntryKind.CONTINUED_REPORT, 120).report_no)
        seqs = [
            e.seq
            for e in session.exec(select(TimelineEntry).order_by(col(TimelineEntry.seq))).all()
        ]
    assert numbers == [1, 2, 3]
    assert seqs == [1, 2, 3, 4, 5, 6]


def test_status_follows_the_timeline(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        seen = [incident.status]
        for kind, minutes in [
            (EntryKind.VERIFIED, 5),
            (EntryKind.PHONE_REPORT, 10),
            (EntryKind.FIRST_REPORT, 40),
            (EntryKind.ASSIGNMENT, 50),
            (EntryKind.PHONE_REPORT, 55),  # late, but never moves the status back
            (EntryKind.FINAL_REPORT, 300),
            (EntryKind.REOPENED, 400),
        ]:
            entry(session, incident, kind, minutes, target="市应急管理局", text="理由")
            seen.append(incident.status)
        version = incident.version
    assert seen == [
        Status.RECEIVED,
        Status.VERIFYING,
        Status.REPORTED,
        Status.REPORTED,
        Status.FOLLOWING,
        Status.FOLLOWING,
        Status.CLOSED,
        Status.FOLLOWING,
    ]
    assert incident.is_open
    assert version == 8
    assert incident.assigned_department == "市应急管理局"


@pytest.mark.parametrize(
    ("current", "kind", "after"),
    [
        (Status.RECEIVED, EntryKind.NOTE, Status.RECEIVED),
        (Status.RECEIVED, EntryKind.CONTINUED_REPORT, Status.FOLLOWING),
        (Status.VERIFYING, EntryKind.FEEDBACK, Status.FOLLOWING),
        (Status.FOLLOWING, EntryKind.VERIFIED, Status.FOLLOWING),
        (Status.REPORTED, EntryKind.CLOSED, Status.CLOSED),
        (Status.CLOSED, EntryKind.FEEDBACK, Status.CLOSED),
        (Status.FOLLOWING, EntryKind.REOPENED, Status.FOLLOWING),
    ],
)
def test_status_after(current: Status, kind: EntryKind, after: Status) -> None:
    assert status_after(current, kind) is after


def test_due_is_recomputed_after_each_entry(db: Database) -> None:
    with db.session() as session:
        incident = new(session, severity="II")
        steps = [(incident.due_step, incident.due_at)]
        entry(session, incident, EntryKind.PHONE_REPORT, 10)
        steps.append((incident.due_step, incident.due_at))
        entry(session, incident, EntryKind.FIRST_REPORT, 45)
        steps.append((incident.due_step, incident.due_at))
        instruction = entry(
            session, incident, EntryKind.LEADER_INSTRUCTION, 60, target="周文斌", text="批示"
        )
        steps.append((incident.due_step, incident.due_at))
        entry(session, incident, EntryKind.FEEDBACK, 120, refers_to_id=instruction.id)
        steps.append((incident.due_step, incident.due_at))
        entry(session, incident, EntryKind.FINAL_REPORT, 180)
        steps.append((incident.due_step, incident.due_at))
    at = [T0 + timedelta(minutes=m) for m in (20, 40, 45 + 24 * 60)]
    assert steps[0] == ("phone_report", at[0])
    assert steps[1] == ("first_report", at[1])
    assert steps[2] == ("continued_report", at[2])
    # An instruction without its own due date gets the default three days; the
    # continued report (24 h) is still due first.
    assert instruction.due_at == T0 + timedelta(minutes=60, days=3)
    assert steps[3] == ("continued_report", at[2])
    assert steps[4] == ("continued_report", at[2])
    # The final report closes the matter but not the instruction: its feedback goes back
    # to the leader (报结) within a day of arriving (issue 12).
    assert steps[5] == ("report_back", T0 + timedelta(minutes=120, hours=24))
    assert incident.assigned_leader == "周文斌"


def test_instruction_due_soon_comes_first_until_answered(db: Database) -> None:
    with db.session() as session:
        incident = new(session, severity="IV")
        entry(session, incident, EntryKind.FIRST_REPORT, 30)
        due = T0 + timedelta(hours=2)
        instruction = entry(
            session,
            incident,
            EntryKind.LEADER_INSTRUCTION,
            40,
            due_at=due,
            target="周文斌",
            text="批示",
        )
        assert (incident.due_step, incident.due_at) == ("feedback", due)
        entry(session, incident, EntryKind.FEEDBACK, 90, refers_to_id=instruction.id)
        # Answered: now the feedback is owed to the leader (报结, 24 h), before the next
        # continued report of a grade IV matter (72 h).
        assert (incident.due_step, incident.due_at) == (
            "report_back",
            T0 + timedelta(minutes=90, hours=24),
        )
        entry(session, incident, EntryKind.REPORTED_BACK, 100, refers_to_id=instruction.id)
        assert incident.due_step == "continued_report"


def test_refusals_say_why(db: Database) -> None:
    with db.session() as session:
        incident = new(session)
        other = new(session)
        with pytest.raises(IncidentError, match="before the incident was received"):
            entry(session, incident, EntryKind.NOTE, -5)
        stray = entry(session, other, EntryKind.NOTE, 5)
        with pytest.raises(IncidentError, match="not on this incident's timeline"):
            entry(session, incident, EntryKind.FEEDBACK, 5, refers_to_id=stray.id)
        with pytest.raises(IncidentError, match="kind"):
            entry(session, incident, "shrug", 5)  # type: ignore[arg-type]
        with pytest.raises(IncidentError, match="summary"):
            new(session, summary="  ")
        with pytest.raises(IncidentError, match="channel"):
            new(session, channel="pigeon")
        with pytest.raises(IncidentError, match="timezone"):
            new(session, received_at=datetime(2026, 11, 25, 22, 0))
