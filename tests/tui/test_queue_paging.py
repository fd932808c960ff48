"""The queue read by keyset (issue 16): the same rows, in the same order, as OFFSET read them.

A few thousand open incidents go in with plain SQL on the test's own store (SQLite, or
PostgreSQL in the second pass), with ties on the deadline, incidents with no deadline
(NULL, which SQLite sorts first and PostgreSQL last) and classified ones. The yardstick
is the old read: ``fetch_window`` (ORDER BY ... LIMIT/OFFSET) over the whole queue.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from textual.pilot import Pilot

from dutydesk.clock import FrozenClock
from dutydesk.services.incidents import queue
from dutydesk.services.incidents.queue import (
    QueueRow,
    fetch_after,
    fetch_around,
    fetch_before,
    fetch_last,
    fetch_window,
    place_of,
)
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.main import POLL_SECONDS, MainScreen
from dutydesk.tui.widgets.queue import BLOCK, QueueView
from dutydesk.vocab import Classification, Severity
from tests.tui.conftest import NOW
from tests.tui.test_console import SIZE, settle
from tests.tui.test_intake import open_intake, summary_area

ROWS = 2_345
MakeApp = Callable[..., DutyDeskApp]


def fill(db: Database, count: int = ROWS) -> None:
    """``count`` open incidents: most overdue, some tied, some with no deadline, a few late."""
    rng = random.Random(16)
    now = NOW.astimezone(UTC)
    severities = list(Severity)
    rows = []
    for index in range(1, count + 1):
        received = now - timedelta(days=3) + timedelta(seconds=rng.randint(0, 3 * 86_400))
        if index % 50 == 0:
            due = None  # no next deadline
        elif index % 90 == 0:
            due = now + timedelta(days=2, hours=rng.randint(0, 5))  # after a new intake's
        else:
            # Whole hours: many rows share a deadline, ordered by grade, receipt and id.
            due = now - timedelta(hours=rng.randint(1, 60))
        severity = rng.choice(severities)
        day = received.date()
        rows.append(
            {
                "serial": f"{day:%Y%m%d}-{index:04d}",
                "serial_date": day.isoformat() if db.is_sqlite else day,
                "serial_no": index,
                "received_at": db.time_param(received),
                "severity": severity.value,
                "severity_rank": severity.rank,
                "title": f"queue row {index}",
                "classification": (
                    Classification.SECRET if index % 97 == 0 else Classification.INTERNAL
                ).value,
                "due_at": None if due is None else db.time_param(due),
            }
        )
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incident (serial, serial_date, serial_no, received_at, channel, "
                "category, severity, severity_rank, title, summary, classification, status, "
                "is_open, due_at, due_step, created_at, updated_at, reporter_name, "
                "reporter_unit, reporter_phone, location, assigned_leader, "
                "assigned_department, version) VALUES (:serial, :serial_date, :serial_no, "
                ":received_at, 'phone', 'other', :severity, :severity_rank, :title, :title, "
                ":classification, 'following', TRUE, :due_at, 'continued_report', "
                ":received_at, :received_at, '', '', '', '', '', '', 1)"
            ),
            rows,
        )


def offset_order(
    db: Database, clearance: Classification = Classification.INTERNAL
) -> list[QueueRow]:
    """The whole queue as the old OFFSET read gives it."""
    return fetch_window(db, 0, ROWS + 100, clearance)


def test_keyset_reads_are_the_offset_order_on_this_store(db: Database) -> None:
    fill(db)
    for clearance in (Classification.INTERNAL, Classification.SECRET):
        expected = offset_order(db, clearance)
        assert len(expected) == ROWS
        # Restricted rows stay restricted for the uncleared, on every read.
        if clearance is Classification.INTERNAL:
            assert sum(row.restricted for row in expected) == ROWS // 97
        # Forward, a block at a time from the top, each after the last row read.
        walked: list[QueueRow] = []
        key = None
        while batch := fetch_after(db, key, BLOCK, clearance):
            walked += batch
            key = batch[-1].key
        assert walked == expected
        # Backward from the end, each before the first row read.
        walked, key = [], None
        while batch := fetch_before(db, key, BLOCK, clearance):
            walked = batch + walked
            key = batch[0].key
        assert walked == expected
    expected = offset_order(db)
    assert fetch_last(db, BLOCK) == expected[-BLOCK:]
    for skip in (1, 45, 999, ROWS - 10):
        assert fetch_last(db, BLOCK, skip=skip) == expected[-skip - BLOCK : -skip]
    for index in (0, 1, 47, 1_000, ROWS - 60, ROWS - 1):
        row = expected[index]
        assert row.key is not None
        assert fetch_around(db, row.key, 3, 4) == expected[max(index - 3, 0) : index + 5]
        for near in (10, 100_000):
            # From the top (within ``near``), from the end, or counted whole: one answer.
            place = place_of(db, row.id, near=near)
            assert place is not None and place.index == index


def test_open_counts_are_the_two_counts_in_one_walk(db: Database) -> None:
    # The status line's counts (issue 16): the overdue ones as the open ones less those
    # not yet due or with no deadline, which must be what counting them one by one gives.
    fill(db)
    now = NOW.astimezone(UTC)
    late = db.read(
        "SELECT count(*) FROM incident WHERE is_open = TRUE AND due_at < :now",
        {"now": db.time_param(now)},
    )
    counted = (queue.count_open(db), int(late[0][0]))
    assert queue.open_counts(db, now) == counted
    assert counted[0] == ROWS and 0 < counted[1] < ROWS - ROWS // 90  # NULL and later ones


async def test_queue_pages_to_the_end_and_back_with_the_offset_rows(
    make_app: MakeApp, db: Database
) -> None:
    fill(db)
    expected = [row.id for row in offset_order(db)]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.queue
        assert view.count == ROWS

        async def on_screen() -> None:
            await settle(pilot)
            top = int(view.scroll_y)
            shown = [view.row(i) for i in range(top, min(top + view.size.height - 1, ROWS))]
            assert [row.id if row else None for row in shown] == expected[top : top + len(shown)]
            current = view.selected
            assert current is not None and current.id == expected[view.cursor]

        for _ in range(4):
            await pilot.press("pagedown")
            await on_screen()
        await pilot.press("end")
        await on_screen()
        assert view.cursor == ROWS - 1
        for _ in range(5):
            await pilot.press("pageup")
            await on_screen()
        # Every block read was read beside another or from an end: the same rows.
        for block, rows in view._blocks.items():
            assert [row.id for row in rows] == expected[block * BLOCK : block * BLOCK + len(rows)]
        await pilot.press("home")
        await on_screen()
        assert view.cursor == 0


async def test_the_end_of_the_queue_is_held_so_the_jump_to_it_draws_at_once(
    make_app: MakeApp, db: Database
) -> None:
    # Issue 16: the block holding the last row is read with the queue's rows, so End
    # has its row without a read; after a reload (another console's write) it is again.
    fill(db)
    expected = [row.id for row in offset_order(db)]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.queue
        for _ in range(2):
            view.action_last()  # no await: nothing may be read between the key and the row
            current = view.selected
            assert current is not None and current.id == expected[-1]
            assert view.cursor == ROWS - 1
            await pilot.press("home")
            # Paged far from the end, the end stays held, however many blocks were read.
            for _ in range(3):
                await pilot.press("pagedown")
            view.reload()
            await settle(pilot)


async def test_after_rapid_moves_the_timeline_shows_the_incident_under_the_cursor(
    make_app: MakeApp, db: Database
) -> None:
    # The timeline reads only where the cursor rests (issue 16: a held key no longer
    # reads and lays out one timeline per row passed); where it rests, it must show.
    fill(db)
    expected = [row.id for row in offset_order(db)]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view, timeline = app.main.queue, app.main.timeline
        for keys in (["down"] * 9, ["pagedown", "down", "pagedown", "up"], ["end", "up"]):
            await pilot.press(*keys)
            await settle(pilot)  # the debounced read, its worker and its message
            current = view.selected
            assert current is not None and current.id == expected[view.cursor]
            assert timeline.detail is not None and timeline.detail.id == current.id
            assert current.serial in timeline.text


async def test_a_row_is_drawn_once_until_what_it_shows_changes(
    make_app: MakeApp, db: Database, clock: FrozenClock
) -> None:
    # Issue 16: a held key scrolled the pane and drew every line of it anew; a line
    # whose row, style and countdown are unchanged is now the strip drawn before.
    fill(db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.queue
        first = view.render_line(3)
        assert view.render_line(3) is first
        await pilot.press("down")
        assert view.render_line(3) is first  # the cursor left row 0, not row 2
        assert view.render_line(2) is not view.render_line(1)
        # A row with a deadline (SQLite puts those without one first): its countdown
        # moves on with the clock, so it is drawn anew.
        view.move_cursor(90)
        await settle(pilot)
        top = int(view.scroll_y)
        y = next(y for y in range(1, 30) if getattr(view.row(top + y - 1), "due_at", None))
        before = view.render_line(y)
        clock.advance(timedelta(days=1))
        later = view.render_line(y)
        assert later is not before and later.text != before.text
        row = view.row(top + y - 1)
        assert row is not None and row.heading in later.text


async def _save_intake(pilot: Pilot[None], summary: str) -> int:
    screen = await open_intake(pilot)
    summary_area(screen).text = summary
    await pilot.press("ctrl+s")
    await settle(pilot)
    app = pilot.app
    assert isinstance(app.screen, MainScreen)
    selected = app.screen.queue.selected
    assert selected is not None and selected.title == summary
    return selected.id


@pytest.mark.parametrize("near", [queue.NEAR_END, 10])
async def test_a_saved_incident_is_shown_at_its_place(
    make_app: MakeApp, db: Database, monkeypatch: pytest.MonkeyPatch, near: int
) -> None:
    # near=10: the new row is too far from the top to count down to, so it is placed
    # from the end of the queue, by the count known before the save plus this one.
    monkeypatch.setattr(queue, "NEAR_END", near)
    fill(db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.queue
        new = await _save_intake(pilot, "water main burst")
        expected = [row.id for row in offset_order(db)]
        assert view.count == ROWS + 1 == len(expected)
        assert view.cursor == expected.index(new)
        assert view.cursor > 100  # not at the top: found by its place, not by chance
        top = int(view.scroll_y)
        shown = [view.row(i) for i in range(top, min(top + view.size.height - 1, ROWS + 1))]
        assert [row.id if row else None for row in shown] == expected[top : top + len(shown)]


async def test_a_saved_incident_is_placed_among_the_held_rows_without_a_read(
    make_app: MakeApp, db: Database
) -> None:
    # The officer is at the end of the queue, where a new overdue-soon incident goes
    # (the rows are mostly overdue): the save's own read-back says where the row goes,
    # so the queue inserts it there without reading its rows again (issue 16).
    fill(db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.queue
        await pilot.press("end")
        await settle(pilot)
        reloads, placed = view.reloads, view.placed
        new = await _save_intake(pilot, "a gas smell on the stairs")
        assert (view.reloads, view.placed) == (reloads, placed + 1)  # no reload: placed
        expected = [row.id for row in offset_order(db)]
        assert view.count == ROWS + 1 == len(expected)
        assert view.cursor == expected.index(new) > 2 * BLOCK
        # Every held block is still the queue's rows at their places, the new one
        # included, and the rows below it moved down one (a block's last into the next).
        assert view._blocks
        for block, rows in view._blocks.items():
            assert [row.id for row in rows] == expected[block * BLOCK : block * BLOCK + len(rows)]
        top = int(view.scroll_y)
        shown = [view.row(i) for i in range(top, min(top + view.size.height - 1, ROWS + 1))]
        assert [row.id if row else None for row in shown] == expected[top : top + len(shown)]
        # Moving on from there reads the rest by keyset from the shifted rows: the same.
        await pilot.press("home")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert view.cursor == ROWS
        assert view.row(ROWS) is not None and view.row(ROWS).id == expected[-1]  # type: ignore[union-attr]


async def watched(pilot: Pilot[None], main: MainScreen) -> None:
    """Wait until the watcher has looked at the store twice more, and what it saw is done."""
    ticks = main.watch_ticks
    for _ in range(400):
        if main.watch_ticks >= ticks + 2:
            break
        await pilot.pause(POLL_SECONDS / 4)
    assert main.watch_ticks >= ticks + 2
    await settle(pilot)


async def reloaded(pilot: Pilot[None], view: QueueView, since: int) -> None:
    """Wait until the queue has started a reload after ``since`` and what it read is shown."""
    for _ in range(200):
        if view.reloads > since:
            break
        await pilot.pause(POLL_SECONDS / 4)
    await settle(pilot)


async def test_the_consoles_own_save_reloads_nothing_and_the_watcher_no_more(
    make_app: MakeApp, db: Database
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main
        view = main.queue
        await watched(pilot, main)  # its start-up read is done (one Changed of its own)
        before = view.reloads
        await _save_intake(pilot, "a tree down at the gate")
        # The watcher looks at the store twice after the save: its own commit must not
        # come back as another console's (no second reload).
        await watched(pilot, main)
        after_save = view.reloads
        # The new row was placed among the held rows (a short queue: all of it held),
        # so the save costs no reload at all.
        assert (after_save, view.placed) == (before, 1)
        # Another console's write is still seen: one reload.
        other = Database(db.url)
        try:
            from dutydesk.rules.deadlines import load_rules
            from dutydesk.services.incidents.intake import NewIncident, register
            from dutydesk.services.request import Request

            now = datetime.now(UTC)
            register(
                Request(db=other, now=now, tz=app.context.tz, rules_source=load_rules()),
                NewIncident(
                    received_at=now,
                    channel="phone",
                    category="other",
                    severity="IV",
                    classification="internal",
                    title="from the other desk",
                    summary="from the other desk",
                ),
            )
        finally:
            other.close()
        await reloaded(pilot, view, after_save)
        assert view.reloads == after_save + 1


async def test_another_consoles_write_is_counted_once_from_the_end(
    make_app: MakeApp, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cursor at the end of the queue: the reload after another console's write finds
    # its row from the end, counting the queue in that read; that count is the one shown
    # and kept for the next placing (no second walk over every open row after it).
    monkeypatch.setattr(queue, "NEAR_END", 10)
    fill(db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main
        view = main.queue
        await pilot.press("end")
        await settle(pilot)
        await watched(pilot, main)
        on = view.selected
        assert on is not None and view.cursor == ROWS - 1
        reloads = view.reloads
        other = Database(db.url)
        try:
            from sqlalchemy import text

            # A plain writer: one more open incident, after the last.
            with other.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO incident (serial, serial_date, serial_no, received_at, "
                        "channel, category, severity, severity_rank, title, summary, "
                        "classification, status, is_open, due_at, due_step, created_at, "
                        "updated_at, reporter_name, reporter_unit, reporter_phone, location, "
                        "assigned_leader, assigned_department, version) SELECT '20991231-0001', "
                        "serial_date, 9999, received_at, channel, category, severity, "
                        "severity_rank, 'from the other desk', summary, 'internal', status, "
                        "TRUE, due_at, due_step, created_at, updated_at, '', '', '', '', '', '', "
                        "1 FROM incident WHERE id = :id"
                    ),
                    {"id": on.id},
                )
        finally:
            other.close()
        await reloaded(pilot, view, reloads)
        expected = [row.id for row in offset_order(db)]
        assert view.count == view._counted == len(expected) == ROWS + 1
        assert view.selected is not None and view.selected.id == on.id
        assert view.cursor == expected.index(on.id)
