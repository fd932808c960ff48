"""A held key in the queue (issue 16, keys at 1M): what each press costs the event loop.

Counts, never times: the workers a run of moves starts for the timeline, the reads it
makes, and the style look-ups a redraw of the queue makes. Where the cursor rests, the
timeline shows its incident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dutydesk.services.incidents import timeline as incident_timeline
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.text import fit, safe
from dutydesk.tui.widgets import timeline as timeline_module
from dutydesk.tui.widgets.queue import QueueView
from dutydesk.tui.widgets.rows import _fitted
from tests.tui.test_console import SIZE, settle
from tests.tui.test_queue_paging import fill, offset_order

MakeApp = Callable[..., DutyDeskApp]

QUIET = 0.5
"""The timeline's debounce in these tests: far longer than a burst of moves takes, so
the count does not depend on the machine's load (the console's own is 80 ms)."""


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The incidents the timeline reads, in order (its debounce set to :data:`QUIET`)."""
    monkeypatch.setattr(timeline_module, "DEBOUNCE_SECONDS", QUIET)
    done: list[int] = []
    fetch = incident_timeline.fetch_detail

    def counted(db: Database, incident_id: int, *args: Any, **kwargs: Any) -> Any:
        done.append(incident_id)
        return fetch(db, incident_id, *args, **kwargs)

    # The name the pane calls (it imported it): patched where it is looked up.
    monkeypatch.setattr(timeline_module, "fetch_detail", counted)
    return done


def count_workers(widget: Any) -> list[str]:
    """Record the group of every worker ``widget`` starts from now on."""
    started: list[str] = []
    run_worker = widget.run_worker

    def counted(*args: Any, **kwargs: Any) -> Any:
        started.append(kwargs.get("group", ""))
        return run_worker(*args, **kwargs)

    widget.run_worker = counted
    return started


async def test_held_moves_start_one_timeline_read_where_the_cursor_rests(
    make_app: MakeApp, db: Database, reads: list[int]
) -> None:
    # Each move started a worker for the timeline and cancelled the one before (a thread
    # started and one woken per key, 3 ms of the event loop under cProfile at 1M): a
    # held key now starts one, which reads the incident where the cursor rests.
    fill(db)
    expected = [row.id for row in offset_order(db)]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view, timeline = app.main.queue, app.main.timeline
        started = count_workers(timeline)
        reads.clear()
        for _ in range(10):
            view.action_cursor_down()  # as a held key repeats: no wait between moves
        view.action_page_down()
        await settle(pilot)
        current = view.selected
        assert current is not None and current.id == expected[view.cursor]
        assert started == ["timeline"]
        assert reads == [current.id]
        assert timeline.detail is not None and timeline.detail.id == current.id
        assert current.serial in timeline.text


async def test_a_reload_while_the_cursor_waits_then_a_move_shows_the_last_incident(
    make_app: MakeApp, db: Database, reads: list[int]
) -> None:
    # Another console's write reloads the timeline while a read waits for the cursor to
    # rest: the reload reads at once, and a move after it is not lost to the waiting one.
    fill(db)
    expected = [row.id for row in offset_order(db)]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view, timeline = app.main.queue, app.main.timeline
        reads.clear()
        view.action_cursor_down()
        await pilot.pause()  # the move's Selected handled: a worker waits for quiet
        timeline.reload()
        await pilot.pause()
        view.action_cursor_down()
        await settle(pilot)
        current = view.selected
        assert current is not None and current.id == expected[2]
        assert reads[-1] == current.id
        assert timeline.detail is not None and timeline.detail.id == current.id
        assert current.serial in timeline.text


async def test_a_redraw_of_the_queue_works_out_its_style_once(
    make_app: MakeApp, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 16: each line asked for the pane's style, which walks every ancestor for
    # its background: a quarter of drawing the queue on every scroll of a held key.
    fill(db)
    asked: list[int] = []
    rich_style = QueueView.rich_style

    def counted(self: QueueView) -> Any:
        asked.append(1)
        return rich_style.fget(self)  # type: ignore[attr-defined]

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.queue
        assert view.render_line(0) is view.render_line(0)  # the column header is kept
        monkeypatch.setattr(QueueView, "rich_style", property(counted))
        view.refresh()  # every line of the pane drawn again
        await pilot.pause()
        lines = view.size.height
        assert lines > 10
        assert 0 < len(asked) <= 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "A",
        "2026-0001234",
        "in 3h 05m",
        "Overdue 23h 59m",
        "x" * 40,
        "tab\there",
        "bell\a",
        "del\x7f",
        "esc\x1b[31mred",
        "火灾 报警",
        "e\u0301",
        "bidi\u202eevil",
        "line\nbreak",
        "  ",
    ],
)
def test_a_cell_is_fitted_as_the_sanitising_path_fits_it(text: str) -> None:
    # The queue's cells skip Content for printable ASCII (a page down's new rows): the
    # same characters, cut and padded alike, at every width.
    for width in range(-1, 45):
        assert _fitted(text, width) == fit(safe(text), width).plain, (text, width)
