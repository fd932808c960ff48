"""A leader's instruction sets the pace of continued reports in its own words (issue 12)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from dutydesk.rules.cadence import cadence_in
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.incident import add_entry, create_incident
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident, TimelineEntry
from dutydesk.vocab import EntryKind
from tests.request_support import request

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
T0 = datetime(2026, 11, 26, 2, 14, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("四、市应急局、东湖区每小时报告一次进展。", 60),
        ("请每半小时续报一次。", 30),
        ("每2小时报告处置情况", 120),
        ("每两个小时汇报", 120),
        ("每30分钟报告", 30),
        ("每十五分钟报告一次", 15),
        ("每隔1小时报告", 60),
        ("半小时一报", 30),
        ("两小时报告一次", 120),
        ("每天17时前报告处置进展", 1440),
        ("请每日报送", 1440),
        ("每小时报告一次，伤亡情况每半小时报告", 30),  # the strictest asked for
        ("有新情况随时报告。", None),
        ("请及时报告。", None),
        ("每天下午开会研究。", None),  # no report asked for
        ("", None),
    ],
)
def test_the_cadence_an_instruction_asks_for(text: str, minutes: int | None) -> None:
    assert cadence_in(text) == minutes


def _fire(session: Session, kind: str = "emergency") -> Incident:
    return create_incident(
        request(session, now=T0, tz=TZ, rules=RULES),
        NewIncident(
            received_at=T0,
            channel="phone",
            category="accident",
            severity="III",
            classification="internal",
            title="燃气爆炸",
            summary="幸福路12号燃气爆炸，3人受伤",
            occurred_at=T0 - timedelta(minutes=10),
            kind=kind,
        ),
        session=session,
    )


def _log(session: Session, incident: Incident, kind: EntryKind, minutes: int, **extra: Any) -> None:
    at = T0 + timedelta(minutes=minutes)
    add_entry(
        request(session, now=at, rules=RULES),
        incident,
        NewEntry(kind=kind, occurred_at=at, **extra),
        session=session,
    )


def test_an_hourly_instruction_brings_the_continued_report_within_the_hour(db: Database) -> None:
    with db.session() as session:
        incident = _fire(session)
        _log(session, incident, EntryKind.FIRST_REPORT, 20, text="书面首报")
        assert incident.due_step == "continued_report"
        before = incident.due_at
        assert before is not None and before > T0 + timedelta(minutes=20 + 60)
        _log(session, incident, EntryKind.LEADER_INSTRUCTION, 30, target="周文斌",
             text="请东湖区每小时报告一次进展。")  # fmt: skip
        assert incident.report_every_minutes == 60
        # Due an hour after the last report (the first, at +20 min).
        assert incident.due_step == "continued_report"
        assert incident.due_at == T0 + timedelta(minutes=80)
        rows = session.exec(
            select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
            .order_by(col(TimelineEntry.seq))
        ).all()  # fmt: skip
        instruction, change = rows[-2], rows[-1]
        assert change.kind == EntryKind.FIELD_CHANGE
        assert change.refers_to_id == instruction.id
        assert 'report_every_minutes: "" → "60"' in change.text
        assert f"按第{instruction.seq}条领导批示" in change.text


def test_a_looser_instruction_never_slows_a_stricter_cadence(db: Database) -> None:
    with db.session() as session:
        incident = _fire(session)
        _log(session, incident, EntryKind.LEADER_INSTRUCTION, 5, target="周文斌",
             text="每半小时报告一次。")  # fmt: skip
        entries = len(session.exec(select(TimelineEntry.id)).all())
        _log(session, incident, EntryKind.LEADER_INSTRUCTION, 10, target="孙丽",
             text="每两小时报告一次。")  # fmt: skip
        assert incident.report_every_minutes == 30
        assert len(session.exec(select(TimelineEntry.id)).all()) == entries + 1  # no change


def test_a_request_s_instruction_sets_no_continued_report_cadence(db: Database) -> None:
    with db.session() as session:
        incident = _fire(session, kind="request")
        _log(session, incident, EntryKind.LEADER_INSTRUCTION, 5, target="周文斌",
             text="请每天报告办理进展。")  # fmt: skip
        assert incident.report_every_minutes is None
