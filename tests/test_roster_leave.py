"""Roster import, changes with their audit trail, and leave registrations with refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from dutydesk.config import Settings
from dutydesk.services.roster.changes import cover, mark_special, swap
from dutydesk.services.roster.imports import import_roster
from dutydesk.services.roster.leave import LeaveRefused, LeaveRequest, add_leave, list_leave
from dutydesk.services.roster.shifts import RosterError, apply, generate, shift_views
from dutydesk.storage.engine import Database
from dutydesk.vocab import Position, ShiftKind
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.request_support import request
from tests.templates import DemoTemplates

S = Settings()
NIGHT, DAY = ShiftKind.NIGHT, ShiftKind.DAY


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    return demo_templates.load_into(db, DEMO_MOMENT)


def seats(db: Database, day: date, kind: ShiftKind) -> dict[Position, list[str]]:
    view = next(v for v in shift_views(db, day, day, S) if v.slot.kind is kind)
    found: dict[Position, list[str]] = {}
    for holder in view.holders:
        found.setdefault(holder.position, []).append(holder.name)
    return found


def audit(db: Database) -> list[tuple[str, str]]:
    return [
        (str(a), str(d))
        for a, d in db.read(
            "SELECT action, detail FROM audit_event WHERE action NOT LIKE 'state%' ORDER BY id"
        )
    ]


GOOD = """\ufeffdate,shift,position,name
2026-12-20,night,duty_leader,张振华
2026-12-20,夜班,值班员,李晓明
2026-12-20,night,information officer,杨帆
2026-12-20,night,机要员,韩冬
2026-12-21,白班,带班领导,王立新
"""


def test_csv_import_writes_every_line(demo: Database) -> None:
    report = import_roster(demo, GOOD, actor="李晓明", now=DEMO_MOMENT, settings=S)
    assert (report.seats, report.shifts) == (5, 2)
    assert seats(demo, date(2026, 12, 20), NIGHT)[Position.DUTY_OFFICER] == ["李晓明"]
    assert seats(demo, date(2026, 12, 21), DAY) == {Position.DUTY_LEADER: ["王立新"]}
    assert audit(demo)[-1][0] == "roster.import"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-13-01,night,duty_leader,张振华", "line 3, date: '2026-13-01' is not a date"),
        ("2026-12-01,evening,duty_leader,张振华", "line 3, shift: 'evening' is not day, night"),
        ("2026-12-01,night,值班长,张振华", "line 3, position: '值班长' is not one of"),
        ("2026-12-01,night,duty_leader,张三丰", "line 3, name: nobody called '张三丰'"),
        ("2026-12-01,night,duty_leader,黄雨婷", "line 3, name: 黄雨婷 does not hold the role"),
        ("2026-12-01,night,duty_leader", "line 3, name: missing"),
    ],
)
def test_bad_csv_names_line_and_field_and_writes_nothing(
    demo: Database, line: str, message: str
) -> None:
    before = demo.read("SELECT count(*) FROM assignment")[0][0]
    text = "date,shift,position,name\n2026-12-01,day,duty_officer,赵静\n" + line + "\n"
    with pytest.raises(RosterError, match="nothing imported") as info:
        import_roster(demo, text, actor="李晓明", now=DEMO_MOMENT, settings=S)
    assert message in str(info.value)
    assert demo.read("SELECT count(*) FROM assignment")[0][0] == before


def test_csv_header_must_name_every_column(demo: Database) -> None:
    with pytest.raises(RosterError, match="line 1: the header has no 'position' column"):
        import_roster(demo, "日期,班次,姓名\n2026-12-20,夜班,张振华\n", actor="李晓明",
                      now=DEMO_MOMENT, settings=S)  # fmt: skip


def test_generate_fills_only_empty_seats_and_apply_writes_them(demo: Database) -> None:
    first, last = date(2026, 12, 10), date(2026, 12, 13)
    proposal = generate(demo, first, last, S)
    assert proposal.rotation.problems == ()
    assert len(proposal.new_seats) == 4 * 7  # 4 days x (3 day + 4 night) seats
    assert apply(demo, proposal, actor="李晓明", now=DEMO_MOMENT, settings=S) == 28
    assert generate(demo, first, last, S).new_seats == []  # nothing left to fill
    assert audit(demo)[-1][0] == "roster.generate"


def test_generate_keeps_leaders_on_leave_off_the_roster(demo: Database) -> None:
    # 张振华 is both a duty leader and a leader: on leave, he is not rostered.
    add_leave(
        demo,
        LeaveRequest("张振华", datetime(2026, 12, 10, tzinfo=SHANGHAI),
                     datetime(2026, 12, 14, tzinfo=SHANGHAI), "北京", "学习", "陈国华"),
        actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI,
    )  # fmt: skip
    proposal = generate(demo, date(2026, 12, 10), date(2026, 12, 13), S)
    assert all(seat.name != "张振华" for seat in proposal.new_seats)


def test_swap_cover_and_special_are_recorded_with_who(demo: Database) -> None:
    night = DEMO_MOMENT.date()  # 2026-11-26 night: 张振华 李晓明 杨帆 韩冬
    warnings = swap(demo, (night, NIGHT, "李晓明"), (night + timedelta(days=1), NIGHT, "赵静"),
                    actor="王立新", now=DEMO_MOMENT)  # fmt: skip
    assert seats(demo, night, NIGHT)[Position.DUTY_OFFICER] == ["赵静"]
    assert any("李晓明" in w for w in warnings)  # he now works the night before a day
    start = datetime(2026, 11, 27, 2, 0, tzinfo=SHANGHAI)
    end = datetime(2026, 11, 27, 8, 30, tzinfo=SHANGHAI)
    cover(
        request(demo, actor_name="王立新", now=DEMO_MOMENT),
        day=night,
        kind=NIGHT,
        absent="杨帆",
        by="许文博",
        start=start,
        end=end,
    )
    view = next(v for v in shift_views(demo, night, night, S) if v.slot.kind is NIGHT)
    partial = [h for h in view.holders if h.name == "许文博"]
    assert partial and partial[0].start_at == start and partial[0].end_at == end
    assert (
        mark_special(
            request(demo, actor_name="王立新", now=DEMO_MOMENT),
            date(2027, 2, 10),
            date(2027, 2, 11),
            note="春节假期",
            settings=S,
        )
        == 4
    )
    actions = [action for action, _ in audit(demo)[-3:]]
    assert actions == ["roster.swap", "roster.cover", "roster.special"]
    actors = demo.read(
        "SELECT p.name FROM audit_event a JOIN person p ON p.id = a.actor_id "
        "WHERE a.action LIKE 'roster.%'"
    )
    assert {row[0] for row in actors} == {"王立新"}


def test_changes_that_would_double_seat_someone_are_refused(demo: Database) -> None:
    night = DEMO_MOMENT.date()
    from dutydesk.storage.models import PersonRole

    (yang,) = demo.read("SELECT id FROM person WHERE name = '杨帆'")[0]
    with demo.session() as session:  # 杨帆 may also sit as duty officer
        session.add(PersonRole(person_id=yang, role="duty_officer"))
    with pytest.raises(RosterError, match=r"杨帆 holds two positions.*nothing changed"):
        cover(
            request(demo, actor_name="王立新", now=DEMO_MOMENT),
            day=night,
            kind=NIGHT,
            absent="李晓明",
            by="杨帆",
        )
    with pytest.raises(RosterError, match="does not hold the role duty_officer"):
        cover(
            request(demo, actor_name="王立新", now=DEMO_MOMENT),
            day=night,
            kind=NIGHT,
            absent="李晓明",
            by="林小雅",
        )
    with pytest.raises(RosterError, match="inside the shift"):
        cover(
            request(demo, actor_name="王立新", now=DEMO_MOMENT),
            day=night,
            kind=NIGHT,
            absent="李晓明",
            by="钱磊",
            start=DEMO_MOMENT,
            end=DEMO_MOMENT - timedelta(hours=1),
        )


def _leave(leader: str, acting: str, start: int, end: int) -> LeaveRequest:
    base = datetime(2026, 12, 1, 8, tzinfo=SHANGHAI)
    return LeaveRequest(
        leader, base + timedelta(days=start), base + timedelta(days=end), "省城", "开会", acting
    )


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (_leave("周文斌", "周文斌", 0, 1), "cannot act for themself"),
        (_leave("周文斌", "陈国华", 2, 1), "--from must come before --to"),
        (_leave("周文斌", "无名氏", 0, 1), "--acting: nobody called '无名氏'"),
        (_leave("周文斌", "", 0, 1), "--acting: who acts"),
    ],
)
def test_leave_refusals(demo: Database, request_: LeaveRequest, message: str) -> None:
    with pytest.raises(LeaveRefused, match=message):
        add_leave(demo, request_, actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI)


def test_leave_is_refused_when_the_acting_leader_is_away_too(demo: Database) -> None:
    add_leave(demo, _leave("陈国华", "周文斌", 0, 3), actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI)
    with pytest.raises(LeaveRefused, match="--acting: 陈国华 is away too"):
        add_leave(
            demo, _leave("郑明", "陈国华", 2, 4), actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI
        )
    with pytest.raises(LeaveRefused, match="周文斌 acts for 陈国华"):
        add_leave(
            demo, _leave("周文斌", "郑明", 1, 2), actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI
        )
    # After 陈国华 is back, he may act.
    number = add_leave(
        demo, _leave("郑明", "陈国华", 3, 4), actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI
    )
    assert number > 0
    away = list_leave(
        demo, datetime(2026, 12, 4, 9, tzinfo=SHANGHAI), datetime(2026, 12, 4, 10, tzinfo=SHANGHAI)
    )
    assert [(a.leader, a.acting) for a in away] == [("郑明", "陈国华")]
    assert audit(demo)[-1][0] == "leave.add"


def test_a_whole_leave_report_and_the_return_from_it(demo: Database) -> None:
    # Issue 12, 外出报备: phone while away, approved by, type; 销假 ends the absence early.
    from dutydesk.services.roster.leave import report_back
    from dutydesk.vocab import LeaveType

    base = datetime(2026, 12, 7, 8, tzinfo=SHANGHAI)  # after the demo's own absences
    request = LeaveRequest(
        "郑明", base, base + timedelta(days=3), "北京", "参加会议", "陈国华",
        contact_phone="13907910000", approved_by="市委书记", leave_type=LeaveType.ABROAD,
    )  # fmt: skip
    number = add_leave(demo, request, actor="李晓明", now=DEMO_MOMENT, tz=SHANGHAI)
    (away,) = [a for a in list_leave(demo, base) if a.id == number]
    assert (away.contact_phone, away.approved_by, away.leave_type) == (
        "13907910000", "市委书记", "abroad",
    )  # fmt: skip
    back = base + timedelta(days=1)
    report_back(demo, number, at=back, actor="李晓明", now=back)
    assert [a.id for a in list_leave(demo, back + timedelta(hours=1))] == []  # not away now
    assert [a.id for a in list_leave(demo, base, back)] == [number]  # but was, before
    with pytest.raises(LeaveRefused, match="already back"):
        report_back(demo, number, at=back, actor="李晓明", now=back)
    assert audit(demo)[-1] == ("leave.return", f"back {back.isoformat()}")


@pytest.mark.parametrize(
    ("title", "sentence"),
    [
        ("市委副书记", "外出期间，其分管工作由陈国华同志负责。"),
        ("副市长", "外出期间，其分管工作由陈国华同志负责。"),
        ("市委秘书长", "外出期间，其分管工作由陈国华同志负责。"),
        ("市委书记", "外出期间，由陈国华同志主持工作。"),
        ("市长", "外出期间，由陈国华同志主持工作。"),
    ],
)
def test_only_the_top_post_is_presided_over_and_nobody_is_代理(title: str, sentence: str) -> None:
    from dutydesk.rules.leave import in_charge

    assert in_charge(title, "陈国华") == sentence
    assert "代理" not in in_charge(title, "陈国华")


def test_a_special_period_brings_every_open_emergency_to_daily_reports(demo: Database) -> None:
    # Issue 12: 特殊时期 can impose daily reports. The demo night is a special period:
    # the grade IV water-pollution report (72 h between continued reports) is due daily.
    from tests.request_support import request

    def due(serial: str) -> tuple[str, datetime]:
        row = demo.read("SELECT due_step, due_at FROM incident WHERE serial = :s", {"s": serial})
        moment = datetime.fromisoformat(str(row[0].due_at))
        return str(row[0].due_step), moment

    req = request(demo, now=DEMO_MOMENT, actor_name="王立新")
    step, daily = due("20261125-015")
    assert step == "continued_report"
    first, last = DEMO_MOMENT.date() - timedelta(days=2), DEMO_MOMENT.date() + timedelta(days=3)
    mark_special(req, first, last, note="", on=False, settings=S)
    lifted = due("20261125-015")[1]
    assert lifted - daily == timedelta(hours=48)  # back to grade IV's 72 h
    mark_special(req, first, last, note="博览会", on=True, settings=S)
    assert due("20261125-015")[1] == daily
