"""Pilot tests of the roster week (``w`` on the roster pane) and the leave form (``L``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlmodel import col, select

from dutydesk.storage.engine import Database, as_utc
from dutydesk.storage.models import (
    Assignment,
    AuditEvent,
    LeaveRegistration,
    Person,
    PersonRole,
    Shift,
)
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.base.line_form import LineForm
from dutydesk.tui.screens.leave import LeaveScreen
from dutydesk.tui.screens.roster_week import RosterWeekScreen
from tests.tui.conftest import local
from tests.tui.test_console import SIZE, settle

MakeApp = Callable[..., DutyDeskApp]


@pytest.fixture
def roles(db: Database, night: dict[str, int]) -> None:
    """Roles for the seeded people, so swaps and covers are allowed."""
    wanted = {
        "张三": ["duty_leader"],
        "孙八": ["duty_leader"],
        "赵六": ["confidential_officer"],
        "钱七": ["confidential_officer", "information_officer"],
    }
    with db.session() as session:
        for name, names in wanted.items():
            person = session.exec(select(Person).where(Person.name == name)).one()
            assert person.id is not None
            session.add_all(PersonRole(person_id=person.id, role=role) for role in names)


def seats(db: Database, day: date, kind: str) -> list[tuple[str, str, object, object]]:
    """(position, name, start, end) on a shift."""
    with db.session(write=False) as session:
        rows = session.exec(
            select(Assignment.position, Person.name, Assignment.start_at, Assignment.end_at)
            .join(Person, Person.id == Assignment.person_id)  # type: ignore[arg-type]
            .join(Shift, Shift.id == Assignment.shift_id)  # type: ignore[arg-type]
            .where(Shift.shift_date == day, Shift.kind == kind)
        ).all()
    return sorted((str(p), str(n), as_utc(s), as_utc(e)) for p, n, s, e in rows)


def actions(db: Database) -> list[tuple[str, str]]:
    """(action, actor's name) of every audit event."""
    with db.session(write=False) as session:
        names = {p.id: p.name for p in session.exec(select(Person)).all()}
        return [(e.action, names.get(e.actor_id, "")) for e in session.exec(select(AuditEvent))]


@pytest.fixture(autouse=True)
def operator(monkeypatch: pytest.MonkeyPatch) -> str:
    """The officer at the keyboard: 李四 (every change is recorded with that name)."""
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")
    return "李四"


async def open_week(pilot) -> RosterWeekScreen:  # type: ignore[no-untyped-def]
    """Focus the roster pane and press ``w``."""
    await settle(pilot)
    await pilot.press("3", "w")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RosterWeekScreen)
    return screen


async def fill(pilot, key: str, values: dict[str, str]) -> LineForm:  # type: ignore[no-untyped-def]
    """Open a form with ``key``, type ``values`` over the prefilled ones, save."""
    await pilot.press(key)
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, LineForm)
    for name, value in values.items():
        form.control(name).value = value  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await settle(pilot)
    return form


async def test_week_grid_starts_on_the_shift_on_duty(make_app: MakeApp, roles: None) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        assert screen.monday == date(2026, 11, 23)
        assert len(screen.shifts) == 14
        current = screen.current
        assert current is not None
        assert (current.slot.shift_date, current.slot.kind.value) == (date(2026, 11, 25), "night")


async def test_swap_two_people_across_shifts(make_app: MakeApp, db: Database, roles: None) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        form = await fill(pilot, "s", {"other_shift": "2026-11-26 day", "second": "孙八"})
        assert isinstance(app.screen, RosterWeekScreen), form.status_text
        assert ("duty_leader", "孙八", None, None) in seats(db, date(2026, 11, 25), "night")
        assert ("duty_leader", "张三", None, None) in seats(db, date(2026, 11, 26), "day")
        assert ("roster.swap", "李四") in actions(db)


async def test_partial_cover_adds_the_helper_for_the_window(
    make_app: MakeApp, db: Database, roles: None
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        values = {"absent": "赵六", "by": "钱七", "from_time": "03:00", "to_time": "05:00"}
        await fill(pilot, "c", values)
        assert isinstance(app.screen, RosterWeekScreen)
        found = seats(db, date(2026, 11, 25), "night")
        assert ("confidential_officer", "钱七", local(26, 3, 0), local(26, 5, 0)) in found
        assert ("confidential_officer", "赵六", None, None) in found
        assert ("roster.cover", "李四") in actions(db)


async def test_mark_special_period(make_app: MakeApp, db: Database, roles: None) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        await fill(
            pilot, "p", {"first_day": "2026-11-27", "last_day": "2026-11-28", "note": "春运"}
        )
        with db.session(write=False) as session:
            marked = session.exec(select(Shift).where(Shift.special_note == "春运")).all()
        assert sorted((s.shift_date.day, s.kind) for s in marked) == [
            (27, "day"),
            (27, "night"),
            (28, "day"),
            (28, "night"),
        ]
        assert ("roster.special", "李四") in actions(db)


async def test_a_refused_change_keeps_the_form_open_with_the_reason(
    make_app: MakeApp, db: Database, roles: None
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        form = await fill(pilot, "c", {"absent": "赵六", "by": "李四"})
        assert app.screen is form
        assert "does not hold the role" in form.status_text
        assert form.text("by") == "李四"


LEAVE = {
    "leader": "张三",
    "start": "2026-11-27 08:00",
    "end": "2026-11-28 18:00",
    "destination": "北京",
    "reason": "开会",
}


async def test_leave_refused_when_the_acting_leader_is_away_too(
    make_app: MakeApp, db: Database, roles: None
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        form = await fill(pilot, "L", {**LEAVE, "acting": "刘强"})
        assert isinstance(form, LeaveScreen) and app.screen is form
        assert "is away too" in form.status_text
        with db.session(write=False) as session:
            assert len(session.exec(select(LeaveRegistration)).all()) == 1  # the seeded one
        form.control("acting").value = "郑华"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        with db.session(write=False) as session:
            rows = session.exec(select(LeaveRegistration).order_by(col(LeaveRegistration.id))).all()
        new = rows[-1]
        assert (new.destination, new.reason) == ("北京", "开会")
        assert (as_utc(new.start_at), as_utc(new.end_at)) == (local(27, 8, 0), local(28, 18, 0))
        assert ("leave.add", "李四") in actions(db)
