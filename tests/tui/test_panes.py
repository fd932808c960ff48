"""The panes as a night officer uses them: timeline follow, search Enter, the ``l`` chooser.

Issue 10, "friction a night officer felt": each test here failed before its fix.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.cells import cell_len
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets._toast import Toast

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.accounts.auth import Operator
from dutydesk.services.incidents.followup import NewEntry, add_entry
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.entry import EntryScreen, LogChooser
from dutydesk.tui.screens.main import MainScreen
from dutydesk.tui.screens.search import SearchScreen
from dutydesk.vocab import Classification, EntryKind, Role
from tests.request_support import request
from tests.tui.conftest import NOW
from tests.tui.test_console import SIZE, line_text, screen_text, settle

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
                    request(session, actor_name="王五", now=NOW, rules=load_rules()),
                    incident,
                    NewEntry(kind=EntryKind.NOTE, occurred_at=NOW, text=f"{prefix}{number}"),
                    session=session,
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
        await at_its_end(pilot, timeline)  # the newest entry is in view


async def test_timeline_follows_when_a_frame_lays_out_the_old_text_under_the_anchor(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    """The compositor may anchor the pane against the old, shorter text's layout.

    On a loaded machine a frame came between the new text and its layout: the anchored
    offset went negative, the pane took that for "the text fits", dropped the anchor
    and stayed at its top with the newest entries out of sight (2 full runs in 8). The
    frame is made here by setting the offset the compositor set.
    """
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = app.main.timeline
        write_notes(db, night["20261126-004"], 12, "另一台")
        await another_console_wrote(pilot, app, "另一台11")
        await at_its_end(pilot, timeline)
        timeline.set_reactive(type(timeline).scroll_y, -1)  # what the compositor did
        timeline._to_end()
        assert timeline.is_anchored
        await at_its_end(pilot, timeline)
        assert timeline.max_scroll_y > 0


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


async def at_its_end(pilot: Pilot[None], timeline: object) -> None:
    """Wait (a few frames at most) until the timeline shows its last line.

    A new entry can re-wrap the text a line longer once the scrollbar appears; the pane
    follows on the next frame, so a check right after the save may be a frame early.
    """
    from dutydesk.tui.widgets.timeline import TimelineView

    assert isinstance(timeline, TimelineView)
    for _ in range(200):  # up to 10 s: frames come late on a loaded machine
        if timeline.scroll_y == timeline.max_scroll_y:
            return
        await pilot.pause(0.05)
    assert timeline.scroll_y == timeline.max_scroll_y


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
        await at_its_end(pilot, timeline)


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
        await settle(pilot)  # the search worker (debounced) has answered
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
        await settle(pilot)  # the search worker (debounced) has answered
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
    from dutydesk.tui.main.incident_keys import ENTRY_KEYS

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


# -- 120x40: nothing cut ---------------------------------------------------------------


def footer_line(app: DutyDeskApp) -> str:
    """The bottom line of the terminal: the footer."""
    return screen_text(app).splitlines()[-1]


@pytest.fixture
def signed_in_app(
    db: Database, settings: Settings, clock: FrozenClock, night: dict[str, int]
) -> Callable[..., DutyDeskApp]:
    """The app on a database that requires sign-in (its footer has ^o Sign out)."""

    def make(language: str = "en") -> DutyDeskApp:
        return DutyDeskApp(db, settings, clock, language, sign_in=True)

    return make


async def sign_in_as(pilot: Pilot[None], name: str, clearance: Classification) -> None:
    """Run as ``name`` at ``clearance`` (the sign-in screen's own message, without a PIN)."""
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, DutyDeskApp)
    app.signed_in(Operator(1, name, frozenset({Role.DUTY_OFFICER}), clearance))
    await settle(pilot)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("pane", ["queue", "timeline", "roster"])
async def test_every_key_in_the_footer_is_whole_at_120_columns(
    signed_in_app: Callable[..., DutyDeskApp], language: str, pane: str
) -> None:
    app = signed_in_app(language)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "王立新", Classification.SECRET)
        app.main.focus_pane(pane)
        await settle(pilot)
        footer = footer_line(app)
        shown = [
            binding.description
            for _, binding, enabled, _ in app.active_bindings.values()
            if binding.show and enabled
        ]
        assert len(shown) > 5
        for description in shown:
            assert f" {description} " in f"{footer} ", (description, footer)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("name", ["王立新", "欧阳慕容雪"])
async def test_the_header_shows_the_operator_and_a_long_clearance_whole(
    signed_in_app: Callable[..., DutyDeskApp], language: str, name: str
) -> None:
    app = signed_in_app(language)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, name, Classification.TOP_SECRET)
        header = screen_text(app).splitlines()[0]
        # Issue 13: the clearance is also named as 涉密人员类别 (绝密: 核心).
        level = "（绝密，核心涉密人员）" if language == "zh_CN" else "(绝密 top secret, 核心)"
        assert f"{name} {level}" in header, header
        assert ("超时 1" if language == "zh_CN" else "Overdue 1") in header, header
        assert ("未办结 29" if language == "zh_CN" else "Open 29") in header, header


async def test_a_toast_on_the_main_screen_covers_no_pane_border(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.notify("Recorded continued report 3 on 20261126-004 as entry 9; the clock restarts.")
        await settle(pilot)
        [toast] = app.screen.query_one("#textual-toastrack").query(Toast)
        roster = app.main.roster.region
        inside = Region(roster.x + 1, roster.y + 1, roster.width - 2, roster.height - 2)
        assert inside.contains_region(toast.region), (toast.region, inside)


LONG_TITLE = "东湖区阳光花园小区电梯长期故障居民联名来函请求协调解决"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_queue_title_gets_the_room_at_120_columns(
    make_app: MakeApp, db: Database, night: dict[str, int], language: str
) -> None:
    with db.session() as session:
        incident = session.get(Incident, night["20261126-004"])
        assert incident is not None
        incident.title = LONG_TITLE
    app = make_app(language)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        line = line_text(app, 1)
        # Seven characters were too few to tell incidents apart. The title takes every
        # cell left over: eleven characters beside the queue's scrollbar (29 open rows).
        assert LONG_TITLE[:11] in line, line
        queue = app.main.queue
        assert queue.show_vertical_scrollbar
        assert cell_len(line) == queue.scrollable_content_region.width
        status = "verifying" if language == "en" else "核实中"
        assert line.rstrip().endswith(status), line


async def test_a_short_timeline_shows_each_new_entry_from_its_top(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    # Found by tests/e2e: following new entries with Textual's anchor() scrolled a timeline
    # shorter than the pane to a negative offset (-8): blank lines on top, the newest
    # entries pushed out of sight.
    from tests.tui.test_console import screen_text

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"幸福路口一辆货车起火")
        await pilot.press("ctrl+s")
        await settle(pilot)
        for key, text in (("v", "核实属实"), ("o", "备注一"), ("o", "备注二")):
            await pilot.press(key)
            await settle(pilot)
            await pilot.press(*text, "ctrl+s")
            await settle(pilot)
            timeline = app.main.timeline
            assert timeline.scroll_y >= 0
            pane = timeline.region
            drawn = screen_text(app).splitlines()[pane.y : pane.bottom]
            assert any(text in line for line in drawn), f"{text} not drawn"
            assert "幸福路口一辆货车起火" in drawn[1], "the header is not on the pane's top line"
