"""The panes as a night officer uses them: timeline follow, search Enter, the ``l`` chooser.

Issue 10, "friction a night officer felt": each test here failed before its fix.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from dutydesk.models import Incident
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.followup import add_entry
from dutydesk.store import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.entry import EntryScreen, LogChooser
from dutydesk.tui.screens.main import MainScreen
from dutydesk.tui.screens.search import SearchScreen
from dutydesk.vocab import EntryKind
from tests.tui.conftest import NOW
from tests.tui.test_console import SIZE, settle

MakeApp = Callable[..., DutyDeskApp]


def write_notes(db: Database, incident_id: int, count: int, prefix: str) -> None:
    """Another console appends ``count`` notes to the incident (own connections)."""
    other = Database(db.url)
    try:
        with other.session() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            for number in range(count):
                add_entry(
                    session=session,
                    incident=incident,
                    kind=EntryKind.NOTE,
                    occurred_at=NOW,
                    actor_name="王五",
                    text=f"{prefix}{number}",
                    now=NOW,
                    rules=load_rules(),
                )
                session.flush()
    finally:
        other.close()


async def another_console_wrote(pilot: Pilot[None], app: DutyDeskApp, text: str) -> None:
    """What the watcher does on seeing another connection's commit, then wait for ``text``.

    The message is posted here rather than waited for: the watcher's first reading may
    come after the write, and the point is what the pane does with the new entry.
    """
    app.main.post_message(MainScreen.Changed())
    await settle(pilot)
    assert text in app.main.timeline.text


async def test_timeline_at_its_end_follows_another_consoles_new_entry(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = app.main.timeline
        assert timeline.incident_id == night["20261126-004"]
        write_notes(db, night["20261126-004"], 12, "另一台")  # more than the pane holds
        await another_console_wrote(pilot, app, "另一台11")
        await settle(pilot)
        assert timeline.max_scroll_y > 0
        assert timeline.scroll_y == timeline.max_scroll_y  # the newest entry is in view


async def test_timeline_scrolled_up_to_read_stays_put_when_an_entry_arrives(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = app.main.timeline
        write_notes(db, night["20261126-004"], 12, "先写")
        await another_console_wrote(pilot, app, "先写11")
        timeline.scroll_to(y=1, animate=False, immediate=True)  # reading, not at the end
        await settle(pilot)
        assert timeline.max_scroll_y > 0 and timeline.scroll_y == 1
        write_notes(db, night["20261126-004"], 2, "后写")
        await another_console_wrote(pilot, app, "后写1")
        await settle(pilot)
        assert timeline.scroll_y == 1


async def test_timeline_at_its_end_follows_the_officers_own_entry(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = app.main.timeline
        write_notes(db, night["20261126-004"], 10, "先写")
        await another_console_wrote(pilot, app, "先写9")
        timeline.scroll_end(animate=False, immediate=True)
        await settle(pilot)
        for number in range(3):
            await pilot.press("o")
            await settle(pilot)
            assert isinstance(app.screen, EntryScreen)
            app.screen.control("text").text = f"本机备注{number}"  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)
        assert "本机备注2" in timeline.text
        assert timeline.max_scroll_y > 0
        assert timeline.scroll_y == timeline.max_scroll_y


async def test_one_enter_in_the_search_query_opens_the_selected_result(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"爆炸")
        await pilot.pause(0.4)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main.timeline.incident_id == night["20261126-004"]


async def test_enter_typed_before_the_results_arrive_opens_the_first_one(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"爆炸", "enter")  # faster than the search's quiet time
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main.timeline.incident_id == night["20261126-004"]


async def test_enter_in_the_results_opens_the_result_under_the_cursor(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"例行事项")
        await pilot.pause(0.4)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press("down", "down")  # into the results, then the second row
        await settle(pilot)
        second = screen.results.rows[1].id
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main.timeline.incident_id == second


async def test_each_letter_shown_in_the_l_chooser_picks_its_kind(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    from dutydesk.tui.screens.actions import ENTRY_KEYS

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for kind, letter in ENTRY_KEYS.items():
            await pilot.press("l")
            await settle(pilot)
            assert isinstance(app.screen, LogChooser)
            await pilot.press(letter)
            await settle(pilot)
            assert isinstance(app.screen, EntryScreen), letter
            assert app.screen.kind is kind, letter
            await pilot.press("escape")  # nothing typed: closes without asking
            await settle(pilot)
            assert isinstance(app.screen, MainScreen), letter
