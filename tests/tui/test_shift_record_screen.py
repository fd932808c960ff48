"""Pilot tests of the change of shift's record (``h`` then ``s``): make it, sign it.

On the seeded night at 02:31 the record is for the night shift's end at 08:30: the
night (张三 leading, 李四, 王五, 赵六) hands over to the day (孙八 leading, 周九, 钱七).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.services.accounts.auth import Operator
from dutydesk.services.handover.shifts import list_records
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.handover import HandoverScreen
from dutydesk.tui.screens.prompt import PromptScreen
from dutydesk.tui.screens.shift_record import ShiftRecordScreen
from dutydesk.vocab import Classification, Role
from tests.tui.conftest import HOSTILE, NOW, on_top
from tests.tui.test_console import SIZE, settle


def signed_in_app(db: Database, settings: Settings, clock: FrozenClock, name: str) -> DutyDeskApp:
    """The console with sign-in, to be signed in as ``name`` by :func:`open_record`."""
    app = DutyDeskApp(db, settings, clock, "en", sign_in=True)
    app.test_operator = name  # type: ignore[attr-defined]
    return app


DESK = frozenset({Role.DUTY_OFFICER})
"""A desk role: a signed-in operator without one has a read-only console (issue 17)."""


async def open_record(pilot: Pilot[Any], db: Database) -> ShiftRecordScreen:
    """Sign in as the app's operator, open the handover pack, then the shift record."""
    app = pilot.app
    assert isinstance(app, DutyDeskApp)
    await settle(pilot)
    name = app.test_operator  # type: ignore[attr-defined]
    [(person_id,)] = db.read("SELECT id FROM person WHERE name = :n", {"n": name})
    app.signed_in(Operator(int(person_id), name, DESK, Classification.INTERNAL))
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    on_top(app, HandoverScreen)
    await pilot.press("s")
    await settle(pilot)
    return on_top(app, ShiftRecordScreen)


def records(db: Database) -> list[Any]:
    """Every change of shift recorded around the seeded night."""
    return list_records(db, NOW - timedelta(days=2), NOW + timedelta(days=2))


async def test_m_makes_the_record_and_s_signs_in_the_rosters_role(
    db: Database, settings: Settings, clock: FrozenClock, night: dict[str, int]
) -> None:
    app = signed_in_app(db, settings, clock, "张三")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, db)
        assert "No record made yet" in screen.text
        assert "张三 (duty leader)" in screen.text and "周九" in screen.text
        assert records(db) == []  # looking makes nothing
        await pilot.press("m")
        await settle(pilot)
        [made] = records(db)
        assert made.missing == ("outgoing", "incoming", "leader")
        assert f"Record #{made.id}: signatures missing" in screen.text
        assert "幸福路燃气爆炸" in screen.text  # handed over still open
        assert "涉密电报内容" not in screen.text  # the 机密 item is never titled
        await pilot.press("s")
        await settle(pilot)
        # 张三 leads the outgoing night: the roster makes him the 带班领导 first.
        [signed] = records(db)
        assert signed.signatures["leader"] == ("张三", NOW)
        assert signed.missing == ("outgoing", "incoming")
        assert "张三 signed as duty leader at 02:31" in screen.status_text
        # Pressed again, the roster's other role for him (on the outgoing shift) is next.
        await pilot.press("s")
        await settle(pilot)
        [again] = records(db)
        assert again.signatures["outgoing"] == ("张三", NOW)
        assert "张三 signed as outgoing at 02:31" in screen.status_text
        actions = [r[0] for r in db.read("SELECT action FROM audit_event ORDER BY id")]
        assert actions[-2:] == ["shift_handover.sign.leader", "shift_handover.sign.outgoing"]


async def test_someone_not_on_the_incoming_shift_cannot_sign_as_incoming(
    db: Database, settings: Settings, clock: FrozenClock, night: dict[str, int]
) -> None:
    app = signed_in_app(db, settings, clock, "李四")  # on the outgoing night, not the day
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, db)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        [record] = records(db)
        assert record.missing == ("outgoing", "incoming", "leader")  # nothing stored
        assert screen.status_text == (
            "李四 is not on the roster as the incoming of this change of shift"
        )
        assert "\n" not in screen.status_text
        assert app.screen is screen  # refused in place, the record still on screen


async def test_someone_on_neither_shift_is_told_there_is_nothing_to_sign_as(
    db: Database, settings: Settings, clock: FrozenClock, night: dict[str, int]
) -> None:
    app = signed_in_app(db, settings, clock, "刘强")  # a leader away, on no shift
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, db)
        await pilot.press("s")
        await settle(pilot)
        assert screen.status_text == "Make the record first (m)."
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        [record] = records(db)
        assert record.missing == ("outgoing", "incoming", "leader")
        assert "刘强 is not on the roster at this change of shift" in screen.status_text


async def test_hostile_names_on_the_roster_show_literally(
    db: Database, settings: Settings, clock: FrozenClock, hostile_night: dict[str, int]
) -> None:
    app = signed_in_app(db, settings, clock, "张三")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, db)
        # The day shift's leader and officer are named with markup: drawn as typed.
        assert f"{HOSTILE[0]} (duty leader)" in screen.text
        assert HOSTILE[1] in screen.text
        assert app.is_running  # the [@click=app.quit] name did nothing


# -- 零报告: the special period's daily report in the console's header -------------------


def header(app: DutyDeskApp) -> str:
    """The status line's text."""
    from dutydesk.tui.widgets.status import StatusLine

    return str(app.main.query_one(StatusLine).content)


def overdue_incidents(db: Database, now: datetime) -> int:
    """What the header counted before the daily report had a clock of its own."""
    from dutydesk.services.incidents.queue import open_counts

    return open_counts(db, now)[1]


async def test_a_late_daily_report_is_counted_and_notified_once(
    db: Database, settings: Settings, night: dict[str, int]
) -> None:
    # The 25th is special (联合值班) and the seed made its report; unmade, it is late at
    # 02:31 on the 26th (the 值班日 of the 25th runs to 08:30), due since 16:00.
    from sqlalchemy import text

    with db.session() as session:
        session.execute(text("DELETE FROM daily_report"))
    clock = FrozenClock(NOW.astimezone(UTC))
    app = DutyDeskApp(db, settings, clock, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        incidents = overdue_incidents(db, NOW)
        assert f"Overdue {incidents + 1}" in header(app)
        late = [n for n in app._notifications if "daily report" in n.message]
        assert [n.message for n in late] == [
            "Special period: the daily report (零报告) of 2026-11-25 was due at 16:00 and is "
            "not recorded. Report to the superior, then record it: h then z in the console, "
            "or dutydesk roster zero-report --date 2026-11-25 --none"
        ]
        assert late[0].severity == "warning"
        clock.advance(timedelta(minutes=1))
        app.main.recount()  # what the next minute does: counted again, notified once
        await settle(pilot)
        assert f"Overdue {incidents + 1}" in header(app)
        assert len([n for n in app._notifications if "daily report" in n.message]) == 1


async def test_a_recorded_daily_report_is_not_counted(
    db: Database, settings: Settings, clock: FrozenClock, night: dict[str, int]
) -> None:
    app = DutyDeskApp(db, settings, clock, "en")  # the seed recorded the 25th's report
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert f"Overdue {overdue_incidents(db, NOW)}" in header(app)
        assert not app._notifications


async def test_z_on_the_handover_screen_records_the_days_zero_report(
    db: Database, settings: Settings, night: dict[str, int]
) -> None:
    # Issue 12: the 零报告 from the console too, not only `roster zero-report`.
    from sqlalchemy import text

    with db.session() as session:
        session.execute(text("DELETE FROM daily_report"))
    clock = FrozenClock(NOW.astimezone(UTC))
    app = DutyDeskApp(db, settings, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("enter")  # blank: refused in place, the question stays
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("无", "enter")
        await settle(pilot)
        rows = db.read("SELECT report_date, zero_report, recorded_by FROM daily_report")
        assert [(str(r[0]), bool(r[1])) for r in rows] == [("2026-11-25", True)]
        assert rows[0][2] == app.context.operator
        await pilot.press("z")  # again: the day's report is recorded already, said in a line
        await settle(pilot)
        await pilot.press(*"补报", "enter")
        await settle(pilot)
        assert len(db.read("SELECT id FROM daily_report")) == 1
        status = str(app.screen.query_one("#handover-status", Static).render())
        assert "已" in status and "2026-11-25" in status
