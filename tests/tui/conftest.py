"""Console fixtures: a small real night at the desk, written through the ORM.

The seeded night is independent of the demo data set, so the Pilot tests can name the
incidents they expect (and the hostile strings they plant).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from textual import events
from textual.screen import Screen

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.vocab import Classification, EntryKind, Position, ShiftKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 2, 31, tzinfo=SHANGHAI)
"""The frozen moment of the console tests (same as the root conftest's DEMO_MOMENT)."""
HOSTILE = (
    "note [/] end",
    "[@click=app.quit]x[/]",
    "\x1b]52;c;ZWNobw==\x1b\\",
    "report\u202egpj.exe",
)
"""Stored text that must show literally and never act on the terminal or the app."""


AnyScreen = TypeVar("AnyScreen", bound=Screen[Any])


def on_top(app: DutyDeskApp, kind: type[AnyScreen]) -> AnyScreen:
    """The screen on top now, which must be a ``kind``; typed as one from here on.

    A test reads ``app.screen`` afresh after every key: a plain ``isinstance`` check on
    it would have mypy keep that type across the next ``await``, when the screen changes.
    """
    screen = app.screen
    assert isinstance(screen, kind), screen
    return screen


def burst(app: DutyDeskApp, text: str, *keys: str) -> None:
    """Queue ``text`` and then ``keys`` (``"enter"``, ``"ctrl+s"``) at once, as a fast
    typist, a paste or a loaded terminal delivers them: none waits for the one before to
    be handled (Pilot's ``press`` would wait for each)."""
    for char in text:
        app.post_message(events.Key(char, char))
    for key in keys:
        app.post_message(events.Key(key, "\r" if key == "enter" else None))


def local(day: int, hour: int, minute: int) -> datetime:
    """A Shanghai wall-clock moment in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def _incident(serial: str, received: datetime, **fields: Any) -> dict[str, Any]:
    day = date(int(serial[:4]), int(serial[4:6]), int(serial[6:8]))
    base: dict[str, Any] = {
        "serial": serial,
        "serial_date": day,
        "serial_no": int(serial[-3:]),
        "received_at": received,
        "channel": "phone",
        "category": "accident",
        "severity": "IV",
        "title": "",
        "summary": "",
        "classification": "internal",
        "status": "received",
        "is_open": True,
        "created_at": received,
        "updated_at": received,
    }
    base.update(fields)
    base["severity_rank"] = ["I", "II", "III", "IV", "unassessed"].index(base["severity"])
    return base


def seed_night(db: Database, *, hostile: bool = False) -> dict[str, int]:
    """Write a night shift's incidents, timelines, roster and absences; ids by serial."""
    from dutydesk.storage.models import (
        Assignment,
        DailyReport,
        Incident,
        IncidentReader,
        LeaveRegistration,
        Person,
        Shift,
        TimelineEntry,
    )

    bad = " | ".join(HOSTILE)
    incidents = [
        _incident(
            "20261126-004",
            local(26, 2, 14),
            title="幸福路燃气爆炸" if not hostile else bad,
            summary="幸福路12号居民楼燃气爆炸，3人受伤。",
            severity="II",
            status="verifying",
            location="幸福路12号",
            reporter_name="王警官",
            reporter_unit="幸福路派出所",
            due_at=local(26, 2, 26),
            due_step="phone_report",
        ),
        _incident(
            "20261126-002",
            local(26, 1, 40),
            title="学校食物中毒",
            summary="某小学学生出现呕吐腹泻。",
            channel="fax",
            category="public_health",
            severity="III",
            status="reported",
            due_at=local(26, 2, 43),
            due_step="continued_report",
        ),
        _incident(
            "20261126-003",
            local(26, 1, 58),
            title="涉密电报内容",
            summary="不得显示的内容",
            channel="cipher",
            category="social_security",
            severity="II",
            classification="secret",
            status="received",
            due_at=local(26, 3, 0),
            due_step="first_report",
        ),
        _incident(
            "20261125-031",
            local(25, 23, 5),
            title="群众来访反映欠薪",
            summary="十余名工人来访。",
            channel="walk_in",
            category="public_request",
            severity="IV",
            status="following",
            due_at=local(26, 4, 31),
            due_step="feedback",
        ),
    ]
    for number in range(5, 30):
        received = local(26, 0, 0) + timedelta(minutes=number)
        incidents.append(
            _incident(
                f"20261126-{number:03d}",
                received,
                title=f"例行事项{number}",
                summary="一般事项。",
                channel="sms_wechat",
                category="other",
                severity="unassessed",
                due_at=received + timedelta(hours=6),
                due_step="first_report",
            )
        )
    ids: dict[str, int] = {}
    with db.session() as session:
        people = {
            name: Person(name=name, title=title, clearance=Classification.INTERNAL)
            for name, title in [
                ("张三", "副主任"),
                ("李四", ""),
                ("王五", ""),
                ("赵六", ""),
                ("钱七", ""),
                ("刘强", "副市长"),
                ("郑华", "秘书长"),
                (HOSTILE[0] if hostile else "孙八", ""),
                (HOSTILE[1] if hostile else "周九", ""),
            ]
        }
        session.add_all(people.values())
        session.flush()
        for values in incidents:
            row = Incident(**values)
            session.add(row)
            session.flush()
            assert row.id is not None
            ids[row.serial] = row.id
        # 知悉范围 of the 机密 telegram (issue 13): 张三, the duty leader it was reported to.
        session.add(
            IncidentReader(
                incident_id=ids["20261126-003"],
                person_id=people["张三"].id,
                added_at=local(26, 1, 58),
            )
        )
        gas = ids["20261126-004"]
        steps = [
            ("received", local(26, 2, 14), "李四", "电话报告，3人受伤。", None, "", None),
            ("verified", local(26, 2, 19), "李四", "回拨派出所核实。", None, "", None),
            ("phone_report", local(26, 2, 22), "李四", "电话报告带班领导。", None, "张三", None),
            ("first_report", local(26, 2, 25), "王五", "书面首报。", None, "市委办", None),
            ("continued_report", local(26, 2, 27), "王五", "伤员送医。", 1, "", None),
            ("continued_report", local(26, 2, 29), "王五", "现场已控制。", 2, "", None),
            (
                "leader_instruction",
                local(26, 2, 30),
                "张三",
                "全力救治伤员。" if not hostile else "\n".join(HOSTILE),
                None,
                "刘强",
                local(29, 2, 30),
            ),
        ]
        for seq, (kind, when, actor, text, report_no, target, due) in enumerate(steps, 1):
            session.add(
                TimelineEntry(
                    incident_id=gas,
                    seq=seq,
                    kind=EntryKind(kind),
                    occurred_at=when,
                    recorded_at=when,
                    actor_name=actor,
                    text=text,
                    report_no=report_no,
                    target=target,
                    due_at=due,
                )
            )
        food = ids["20261126-002"]
        session.add(
            TimelineEntry(
                incident_id=food,
                seq=1,
                kind=EntryKind.RECEIVED,
                occurred_at=local(26, 1, 40),
                recorded_at=local(26, 1, 40),
                actor_name="李四",
                text="传真报告，学生呕吐腹泻。",
            )
        )
        night = Shift(
            shift_date=date(2026, 11, 25),
            kind=ShiftKind.NIGHT,
            start_at=local(25, 17, 30),
            end_at=local(26, 8, 30),
            special_period=True,
            special_note="联合值班",
        )
        day = Shift(
            shift_date=date(2026, 11, 26),
            kind=ShiftKind.DAY,
            start_at=local(26, 8, 30),
            end_at=local(26, 17, 30),
        )
        session.add_all([night, day])
        session.flush()
        assert night.id is not None and day.id is not None
        roster = [
            (night.id, "duty_leader", "张三", None, None),
            (night.id, "duty_officer", "李四", None, local(26, 1, 0)),
            (night.id, "duty_officer", "王五", local(26, 1, 0), None),
            (night.id, "confidential_officer", "赵六", None, None),
            (day.id, "duty_leader", HOSTILE[0] if hostile else "孙八", None, None),
            (day.id, "duty_officer", HOSTILE[1] if hostile else "周九", None, None),
            (day.id, "information_officer", "钱七", None, None),
        ]
        for shift_id, position, name, start, end in roster:
            person_id = people[name].id
            assert person_id is not None  # people were flushed above
            session.add(
                Assignment(
                    shift_id=shift_id,
                    position=Position(position),
                    person_id=person_id,
                    start_at=start,
                    end_at=end,
                )
            )
        # The special 值班日 of the 25th (联合值班) had its 零报告 made on time (16:00).
        session.add(
            DailyReport(
                report_date=date(2026, 11, 25),
                zero_report=True,
                recorded_by="李四",
                recorded_at=local(25, 15, 30),
            )
        )
        leader_id, acting_leader_id = people["刘强"].id, people["郑华"].id
        assert leader_id is not None and acting_leader_id is not None
        session.add(
            LeaveRegistration(
                leader_id=leader_id,
                start_at=local(25, 8, 0),
                end_at=local(28, 18, 0),
                destination="北京" if not hostile else HOSTILE[2] + HOSTILE[3],
                reason="开会",
                acting_leader_id=acting_leader_id,
                created_at=local(24, 9, 0),
            )
        )
    return ids


@pytest.fixture
def settings() -> Settings:
    """Default settings: Asia/Shanghai, day 08:30, night 17:30, handover 08:30."""
    return Settings(timezone="Asia/Shanghai", day_shift_start=time(8, 30))


@pytest.fixture
def clock() -> FrozenClock:
    """02:31 on Thursday 26 November 2026, Shanghai time."""
    return FrozenClock(NOW.astimezone(UTC))


@pytest.fixture
def make_app(db: Database, settings: Settings, clock: FrozenClock) -> Callable[..., DutyDeskApp]:
    """Build the production app on the test database."""

    def make(
        language: str = "en", clearance: Classification = Classification.INTERNAL
    ) -> DutyDeskApp:
        return DutyDeskApp(db, settings, clock, language, clearance)

    return make


@pytest.fixture
def night(db: Database) -> dict[str, int]:
    """The seeded night; incident ids by serial."""
    return seed_night(db)


@pytest.fixture
def hostile_night(db: Database) -> dict[str, int]:
    """The seeded night with hostile strings in the queue, timeline and roster."""
    return seed_night(db, hostile=True)
