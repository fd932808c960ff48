"""The keys line (:class:`dutydesk.tui.widgets.footer.KeysFooter`): rebuilt only on a change.

Textual's footer rebuilt its keys on every focus change and screen switch, the keys
being the same or not; each rebuild is a layout of the whole screen (issue 16). The
keys shown must still follow every real change: a key remapped, an action disabled.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Footer

from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.intake import IntakeScreen
from dutydesk.tui.screens.main import MainScreen
from tests.tui.conftest import on_top
from tests.tui.test_console import SIZE, screen_text, settle

MakeApp = Callable[..., DutyDeskApp]


def footer_line(app: DutyDeskApp) -> str:
    """The bottom line of the terminal: the footer."""
    return screen_text(app).splitlines()[-1]


def count_recomposes(footer: Footer) -> list[int]:
    """A list that grows by one each time ``footer`` rebuilds its keys."""
    counted: list[int] = []
    recompose = footer.recompose

    async def recomposed() -> None:
        counted.append(1)
        await recompose()

    footer.recompose = recomposed  # type: ignore[method-assign]
    return counted


async def test_the_keys_are_rebuilt_when_they_change_and_only_then(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    """The timeline shows the queue's keys; the roster adds its own; a form changes none."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = footer_line(app)
        recomposed = count_recomposes(app.main.query_one(Footer))
        steps = [("2", "timeline", 0, False), ("3", "roster", 1, True), ("1", "queue", 2, False)]
        for key, pane, rebuilt, week in steps:
            await pilot.press(key)
            await settle(pilot)
            assert app.main.focused is app.main.query_one(f"#{pane}")
            assert len(recomposed) == rebuilt, pane
            assert (" Week " in footer_line(app)) is week, (pane, footer_line(app))
        await pilot.press("n")
        await settle(pilot)
        on_top(app, IntakeScreen)
        await pilot.press("escape")  # nothing typed: closes without asking
        await settle(pilot)
        on_top(app, MainScreen)
        assert footer_line(app) == before
        assert len(recomposed) == 2  # none for the form's coming and going


async def test_a_key_remapped_while_the_console_runs_shows_in_the_footer(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert " n " in footer_line(app)
        recomposed = count_recomposes(app.main.query_one(Footer))
        app.set_keymap({"new_incident": "f2"})
        await settle(pilot)
        assert recomposed == [1]
        line = footer_line(app)
        assert " f2 " in line.lower() and " n " not in line, line


async def test_a_disabled_action_shows_dimmed_and_comes_back(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    """An action that ``check_action`` turns off is dimmed; the footer follows it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = app.main.query_one(Footer)
        allowed = {"edit": True}
        check = app.main.check_action

        def checked(action: str, parameters: tuple[object, ...]) -> bool | None:
            return None if action == "edit" and not allowed["edit"] else check(action, parameters)

        app.main.check_action = checked  # type: ignore[method-assign]

        def dimmed() -> bool:
            return any(
                getattr(key, "action", None) == "edit" and key.has_class("-disabled")
                for key in footer.children
            )

        assert not dimmed()
        allowed["edit"] = False
        app.main.refresh_bindings()
        await settle(pilot)
        assert dimmed()
        allowed["edit"] = True
        app.main.refresh_bindings()
        await settle(pilot)
        assert not dimmed()
