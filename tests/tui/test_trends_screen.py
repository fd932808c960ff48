"""The trends screen (key ``a``): windows, candidates, their incidents, back to the queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.trends import TrendsScreen
from tests.templates import DemoTemplates
from tests.trends_support import NOW, PLANTED, SECRET, seed_history
from tests.tui.test_console import screen_text, settle

MakeApp = Callable[..., DutyDeskApp]
SIZE = (120, 40)


async def test_a_opens_trends_and_a_candidate_leads_to_the_queue(
    make_app: MakeApp, db: Database
) -> None:
    ids = seed_history(db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrendsScreen)
        assert screen.report is not None and screen.report.window == "day"
        assert {c.kind for c in screen.report.candidates} == {"place", "phrase"}
        assert "东湖区" in screen_text(app)
        assert SECRET not in screen_text(app)

        await pilot.press("w")
        await settle(pilot)
        assert screen.report.window == "week"
        assert screen.report.candidates == ()  # eight days of history: no full week before
        assert "need history" in screen_text(app)

        await pilot.press("d")
        await settle(pilot)
        assert screen.report.window == "day" and screen.report.candidates
        await pilot.press("enter")
        await settle(pilot)
        assert screen.candidate is not None
        assert screen.incidents.option_count == len(PLANTED)
        assert PLANTED[0] in screen_text(app)
        assert "[@click=app.quit]x" in screen_text(app)  # literal, and the app still runs
        assert "\x1b" not in screen_text(app)

        await pilot.press("escape")  # back to the candidates, not out
        await settle(pilot)
        assert screen.candidate is None and app.screen is screen
        await pilot.press("enter", "down")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.main.timeline.incident_id == ids[PLANTED[1]]
        selected = app.main.queue.selected
        assert selected is not None and selected.serial == PLANTED[1]


async def test_assignment_moved_to_t(make_app: MakeApp, db: Database) -> None:
    from dutydesk.tui.main.incident_keys import ENTRY_KEYS
    from dutydesk.vocab import EntryKind

    assert ENTRY_KEYS[EntryKind.ASSIGNMENT] == "t"
    assert "a" not in ENTRY_KEYS.values()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_trends_screen_snapshot(
    snap_compare: Callable[..., bool],
    make_app: MakeApp,
    db: Database,
    demo_templates: DemoTemplates,
    language: str,
) -> None:
    # The demo holds one night, too short a history to test anything: eight quiet days
    # and the planted lift issue are written beside it.
    demo_templates.load_into(db, NOW)
    seed_history(db)

    async def open_trends(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)

    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=open_trends)


async def test_the_window_is_compared_with_the_same_window_a_year_earlier(
    make_app: MakeApp, db: Database
) -> None:
    # Issue 12: 同比 in the analyst's console too, not only the CLI and the weekly report.
    from datetime import timedelta

    from dutydesk.storage.models import Incident
    from tests.trends_support import _row

    seed_history(db)
    with db.session() as session:  # the desk's records go back further than a year;
        # two incidents in this window last year, one just after it
        rows = (("20251001-001", 24 * 55), ("20251125-001", 30), ("20251125-002", 28),
                ("20251126-001", -2))  # fmt: skip
        for serial, hours in rows:
            session.add(Incident(**_row(serial, NOW - timedelta(days=365, hours=hours - 20))))
    app = make_app("zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrendsScreen) and screen.report is not None
        total = screen.report.total
        assert screen.report.year_ago is not None and screen.report.year_ago.total == 2
        change = f"{abs(total - 2) / 2:.1%}"
        head = str(screen.query_one("#trends-head", Static).render())
        assert f"同比：去年同期2件，同比增长{change}" in head, head
