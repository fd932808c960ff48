"""No key throws away what was typed without asking (issue 10, defect 4).

``escape`` on a form has always asked; ``ctrl+q`` (quit) and ``ctrl+o`` (sign out) are
priority keys of the app that reach past every form, so they must ask the same question
when any open screen holds unsaved text. "No" returns to the form with the text intact.
"""

from __future__ import annotations

from collections.abc import Callable

from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.bulletin import BulletinScreen
from dutydesk.tui.screens.confirm import ConfirmScreen
from dutydesk.tui.screens.entry import EntryScreen
from dutydesk.tui.screens.intake import IntakeScreen
from dutydesk.tui.screens.main import MainScreen
from tests.tui.conftest import on_top
from tests.tui.test_console import SIZE, settle
from tests.tui.test_intake import incidents, open_intake, summary_area

MakeApp = Callable[..., DutyDeskApp]


async def test_ctrl_q_on_a_typed_intake_asks_and_no_keeps_the_text(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await pilot.press(*"Caller on the line")
        await pilot.press("ctrl+q")
        await settle(pilot)
        on_top(app, ConfirmScreen)  # asked, still running
        assert app.return_code is None
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert summary_area(screen).text == "Caller on the line"
        assert app.focused is summary_area(screen)  # typing goes on where it was
        await pilot.press("ctrl+q", "y")
        await settle(pilot)
        assert app.return_code == 0  # "yes" quits
    assert len(incidents(db)) == 29  # nothing was saved on the way out


async def test_ctrl_q_with_nothing_typed_quits_at_once(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.return_code == 0


async def test_ctrl_q_on_a_typed_follow_up_entry_asks(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")  # supervision: the text field
        await settle(pilot)
        screen = on_top(app, EntryScreen)
        await pilot.press(*"called again")
        await pilot.press("ctrl+q")
        await settle(pilot)
        on_top(app, ConfirmScreen)
        await pilot.press("escape")  # escape answers no
        await settle(pilot)
        assert app.screen is screen and screen.text("text") == "called again"
        assert app.return_code is None


async def test_ctrl_q_on_an_edited_bulletin_asks(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = on_top(app, BulletinScreen)
        await pilot.press("enter")  # draft
        await settle(pilot)
        assert screen.view is not None
        screen.body_area.text = "edited body"
        await pilot.press("ctrl+q")
        await settle(pilot)
        on_top(app, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and screen.body_area.text == "edited body"
        assert app.return_code is None


async def test_the_question_is_asked_once_however_often_ctrl_q_is_pressed(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await pilot.press(*"x", "ctrl+q", "ctrl+q")
        await settle(pilot)
        assert sum(isinstance(s, ConfirmScreen) for s in app.screen_stack) == 1
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert isinstance(app.screen_stack[0], MainScreen)
        assert isinstance(screen, IntakeScreen)
