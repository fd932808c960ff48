"""Benchmark the console on a large queue and print the figures as JSON.

Not part of the test run. Builds (once) a database of 1,000,000 open incidents with
timelines (``build_db.py``), then runs the production app headless at 120x40 and times:

* ``first_rows_ms``: from process start to the first queue rows drawn on the main screen;
* ``cursor_move_ms`` / ``page_down_ms``: median cost of the action plus a full redraw of
  the queue and the screen (what a key costs the event loop);
* ``cursor_move_round_trip_ms``: Pilot's press until the app is idle again, which also
  waits for the debounced timeline read of the new incident;
* ``end_ms``: jumping to the last of a million rows, until its row is on screen
  (``end_p50_ms``/``end_p95_ms``: ten jumps, each after a reload emptied the cache); its
  yardstick ``offset_end_ms`` is the old read of that block by OFFSET, in the same run,
  and ``count_open_ms`` what counting the open incidents costs;
* ``cursor_move_p95_ms`` / ``page_down_p95_ms``: the 95th percentile of the same;
* ``intake_save_to_repaint_ms``: ctrl+s on a filled intake form, sent as the terminal
  driver sends a key, until the new incident is the selected, drawn row of the queue
  (the save runs in a thread worker); ``intake_save_pilot_press_ms`` the same with
  Pilot's ``press``, as measured before: it also waits until the whole process is idle
  (``wait_for_idle``, up to a second twice), so it times Pilot, not the console;
* ``intake_save_to_frame_ms`` (p50, p95, max): the same save until the app's own frame
  that shows the new row selected (``App._display``), waited for without polling;
  ``intake_save_frame_cpu_ms`` the event loop thread's CPU from the key to that frame,
  ``intake_save_repaint_cpu_ms`` from the form's close to it, and
  ``intake_save_frame_layouts`` the main screen's layouts in between (per save),
  ``intake_save_loop_cpu_ms`` the event loop's CPU from the key to 0.4 s after it;
* ``other_console_change_ms``: another ``Database`` (another console) registers an
  incident; time until this console's queue has counted it, without a key press
  (yardstick: the watcher's poll, ``poll_ms``); ``other_console_full_reloads`` and
  ``other_console_placed``: per write, the full reloads and the changes placed among
  the held rows without one;
* ``own_save_reloads`` / ``own_save_placed``: queue reloads per save of this console
  (zero when the new row was placed among the held rows; its own commit is not
  reloaded again by the watcher), and the saves placed without a read;
* ``gc_*``: every cycle collection of the run (``gc.callbacks``), per phase (``down``,
  ``pagedown``, ``end``, ``save``): how many, the full (generation 2) ones, the longest
  and their total, and how many of the phase's slow keys or saves had one inside;
  ``gc_frozen_objects`` what the desk had frozen when the keys began; the run's full
  collections (when, how long, objects freed) go to stderr;
* ``peak_rss_mb``: the process's peak resident memory.

The intake figures write to the database: run them on a copy.

    python tests/bench/bench_console.py /tmp/bench.sqlite3 [--incidents 1000000] [--quick]

``--quick`` builds the database with ``queue_db.py`` (open incidents only, no timelines:
minutes instead of tens of minutes at 200k).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()
IMPORTED = STARTED

import argparse  # noqa: E402 - the clock above must start before any import
import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


async def _measure(path: Path | str) -> dict[str, float]:
    global IMPORTED
    from dutydesk.clock import FrozenClock
    from dutydesk.config import Settings
    from dutydesk.storage.engine import Database, url_for
    from dutydesk.tui.app import DutyDeskApp

    IMPORTED = time.perf_counter()
    gc.callbacks.append(GC)

    db = Database(url_for(str(path)))
    if not db.is_sqlite:
        # As the launcher does (cli/runtime.prepare_console): the schema checked, and
        # SQLAlchemy imported, on this thread before the console's workers start; the
        # workers importing it at once from cold failed ("partially initialized module").
        db.ensure_schema()
    app = DutyDeskApp(db, Settings(), FrozenClock(datetime(2026, 11, 26, tzinfo=UTC)), "en")
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        queue = app.main.queue
        while queue.row(0) is None:
            await asyncio.sleep(0.001)
        # The rows are in; draw them (as the next screen update will) and stop the clock.
        queue.render_line(1)
        app.screen._compositor.render_update(full=True)
        figures["first_rows_ms"] = (time.perf_counter() - STARTED) * 1000
        figures["import_ms"] = (IMPORTED - STARTED) * 1000
        await pilot.pause()

        def drawn(action: str) -> float:
            # The console's own cost of a key: the action plus drawing every queue line
            # (a full redraw, the worst case) and compositing the screen.
            began = time.perf_counter()
            getattr(queue, f"action_{action}")()
            for y in range(queue.size.height):
                queue.render_line(y)
            app.screen._compositor.render_update(full=True)
            return (time.perf_counter() - began) * 1000

        async def round_trip(key: str) -> float:
            # Pilot's press waits until the app is idle, timeline read included.
            began = time.perf_counter()
            await pilot.press(key)
            return (time.perf_counter() - began) * 1000

        moves, pages = [], []
        for _ in range(30):
            moves.append(drawn("cursor_down"))
            await pilot.pause()
        for _ in range(15):
            pages.append(drawn("page_down"))
            await pilot.pause()
        figures["cursor_move_ms"] = statistics.median(moves)
        figures["page_down_ms"] = statistics.median(pages)
        figures["cursor_move_p95_ms"] = _p95(moves)
        figures["page_down_p95_ms"] = _p95(pages)
        figures["cursor_move_round_trip_ms"] = statistics.median(
            [await round_trip("down") for _ in range(10)]
        )
        began = time.perf_counter()
        await pilot.press("end")
        while queue.row(queue.cursor) is None:
            await asyncio.sleep(0.001)
        await pilot.pause()
        figures["end_ms"] = (time.perf_counter() - began) * 1000
        ends = []
        for _ in range(10):
            await pilot.press("home")
            generation = queue._generation
            queue.reload()  # an empty cache: the end is read, not found
            while queue._generation == generation or queue.row(queue.cursor) is None:
                await asyncio.sleep(0.001)
            await pilot.pause()
            began = time.perf_counter()
            queue.action_last()
            while queue.row(queue.cursor) is None:
                await asyncio.sleep(0.0005)
            queue.render_line(queue.cursor - int(queue.scroll_y) + 1)
            app.screen._compositor.render_update(full=True)
            ends.append((time.perf_counter() - began) * 1000)
            await pilot.pause()
        figures["end_p50_ms"] = statistics.median(ends)
        figures["end_p95_ms"] = _p95(ends)
        await pilot.press("home")
        await pilot.pause()
        # Objects the collector no longer walks (the desk settled, if the code does).
        figures["gc_frozen_objects"] = float(gc.get_freeze_count())
        figures.update(await _keys_to_screen(app, pilot))
        figures.update(_yardsticks(db, queue.count or 0))
        figures["open_incidents"] = float(queue.count or 0)
        figures.update(await _intake_figures(app, pilot, db))
        await pilot.press("ctrl+q")
    db.close()
    # The full collections of the run, for the record (when, how long, in ms).
    full = [
        (round((a - STARTED) * 1000), round((b - a) * 1000, 1), freed)
        for (a, b, g), freed in zip(GC.done, GC.freed, strict=True)
        if g == 2
    ]
    print(f"full collections (at ms, took ms, objects freed): {full}", file=sys.stderr)
    figures["gc_gen2_total"] = float(len(full))
    figures["gc_gen2_longest_ms"] = max((took for _, took, _ in full), default=0.0)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {name: round(value, 1) for name, value in figures.items()}


class _GcClock:
    """Every cycle collection of the run (``gc.callbacks``): when, which generation, how long.

    ``figures(phase, spans)`` sums the collections inside a phase: how many (all and
    generation 2), the longest and their total, and how many of the phase's slow spans
    (keys or saves slower than ``slow`` ms) had a collection inside them.
    """

    def __init__(self) -> None:
        self.done: list[tuple[float, float, int]] = []
        self.freed: list[int] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.done.append((self._began, time.perf_counter(), info["generation"]))
            self.freed.append(info["collected"])

    def figures(
        self, name: str, began: float, spans: list[tuple[float, float]], slow: float
    ) -> dict[str, float]:
        """The collections from ``began`` to now, and the slow spans they landed in."""
        inside = [(a, b, g) for a, b, g in self.done if a >= began]
        pauses = [(b - a) * 1000 for a, b, _ in inside]
        slow_spans = [(a, b) for a, b in spans if (b - a) * 1000 > slow]
        hit = [(a, b) for a, b in slow_spans if any(c < b and d > a for c, d, _ in inside)]
        return {
            f"gc_{name}_collections": float(len(inside)),
            f"gc_{name}_gen2": float(sum(1 for _, _, g in inside if g == 2)),
            f"gc_{name}_max_ms": max(pauses, default=0.0),
            f"gc_{name}_total_ms": sum(pauses),
            f"gc_{name}_slow": float(len(slow_spans)),
            f"gc_{name}_slow_with_gc": float(len(hit)),
        }


GC = _GcClock()


class _KeyClock:
    """Keys sent as the terminal driver sends them, each timed until the screen shows it.

    A key's time runs from its event entering the app's queue to the first screen update
    (``App._display``, after Textual rendered the changed regions) that shows the cursor
    on the row it asked for, drawn (its row read).
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.queue = app.main.queue
        self.shown: list[tuple[float, int, bool]] = []
        self.spans: list[tuple[float, float]] = []
        self.display = app._display

    def traced(self, screen: Any, update: Any) -> None:
        self.display(screen, update)
        if update is not None:
            queue = self.queue
            self.shown.append((time.perf_counter(), queue.cursor, queue.selected is not None))

    async def press(self, key: str, target: int, not_before: float = 0.0) -> float:
        from textual import events

        while time.perf_counter() < not_before:
            await asyncio.sleep(0.0005)
        seen = len(self.shown)
        event = events.Key(key, None)
        event.set_sender(self.app)
        began = time.perf_counter()
        self.app._driver.send_message(event)
        while time.perf_counter() < began + 10:
            for at, cursor, drawn in self.shown[seen:]:
                if cursor == target and drawn:
                    self.spans.append((began, at))
                    return (at - began) * 1000
            await asyncio.sleep(0.0005)
        raise TimeoutError(f"{key}: row {target} not shown in 10 s")


async def _keys_to_screen(app: Any, pilot: Any) -> dict[str, float]:
    """Down and page down 30 a second, as a held key repeats, then End after a reload.

    Held, a key also pays for whatever the one before left to do (the timeline's read
    and repaint). ``end_key``: the queue's last block must be held or be read first
    (``END_PRESSES`` of them, each after a reload), split by ``_FrameMarks``.
    ``*_key_cpu_ms``: the process's CPU time per key over the held run.
    """
    clock = _KeyClock(app)
    queue = clock.queue
    app._display = clock.traced
    figures: dict[str, float] = {}
    try:
        for key, presses, step, slow in (("down", 60, 1, 16), ("pagedown", 30, queue._page, 33)):
            times, start, cpu = [], time.perf_counter(), time.process_time()
            clock.spans.clear()
            for number in range(presses):
                target = queue.cursor + step
                times.append(await clock.press(key, target, start + number / 30))
            figures.update(GC.figures(key, start, clock.spans, slow))
            await pilot.pause()
            figures[f"{key}_key_p50_ms"] = statistics.median(times)
            figures[f"{key}_key_p95_ms"] = _p95(times)
            # The process's CPU per key (every thread, and this loop's own polling): what a
            # key costs whatever the machine's load.
            figures[f"{key}_key_cpu_ms"] = (time.process_time() - cpu) * 1000 / presses
        ends, spans, waits, renders = [], [], [], []
        marks = _FrameMarks(app)
        try:
            for _ in range(END_PRESSES):
                await pilot.press("home")
                generation = queue._generation
                queue.reload()
                while queue._generation == generation or queue._loading:
                    await asyncio.sleep(0.001)
                await pilot.pause()
                clock.spans.clear()
                marks.clear()
                ends.append(await clock.press("end", (queue.count or 1) - 1))
                spans.extend(clock.spans)
                acted, ticked = marks.acted, marks.ticked
                if acted is not None and ticked is not None:
                    waits.append((ticked - acted) * 1000)
                    renders.append((clock.spans[-1][1] - ticked) * 1000)
                await pilot.pause()
        finally:
            marks.remove()
        # Only the End keys' own spans: the reloads between them are not the key's.
        figures.update(GC.figures("end", spans[0][0], spans, 16))
        figures["gc_end_collections_in_keys"] = float(
            sum(1 for a, b, _ in GC.done for c, d in spans if a < d and b > c)
        )
        figures["end_key_p50_ms"] = statistics.median(ends)
        figures["end_key_p95_ms"] = _p95(ends)
        figures["end_key_to_tick_p50_ms"] = statistics.median(waits)
        figures["end_key_to_tick_p95_ms"] = _p95(waits)
        figures["end_key_frame_p50_ms"] = statistics.median(renders)
        figures["end_key_frame_p95_ms"] = _p95(renders)
    finally:
        app._display = clock.display
    return figures


END_PRESSES = 30
"""End presses a run: the p95 of ten was their slowest press (stop 32)."""


class _FrameMarks:
    """When the End action ran, and when the screen's frame timer next fired.

    Textual draws a frame on a timer ticking at most ``TEXTUAL_FPS`` (60) times a second:
    a change made less than a tick after the frame before waits for the next tick. The
    action to the tick (``end_key_to_tick_*``: message hops and that wait) and the tick
    to the frame written (``end_key_frame_*``: layout, render, compositing) tell the
    console's own cost from the pacing.
    """

    def __init__(self, app: Any) -> None:
        self.acted: float | None = None
        self.ticked: float | None = None
        self._queue = app.main.queue
        self._timer = app.main._update_timer
        self._tick = self._timer._callback
        last = self._queue.action_last

        def action_last() -> None:
            last()
            self.acted = time.perf_counter()

        def tick() -> Any:
            if self.acted is not None and self.ticked is None:
                self.ticked = time.perf_counter()
            return self._tick()

        self._queue.action_last = action_last
        self._timer._callback = tick

    def clear(self) -> None:
        """Forget the press before."""
        self.acted = self.ticked = None

    def remove(self) -> None:
        """Put the queue's action and the timer's callback back."""
        del self._queue.action_last
        self._timer._callback = self._tick


def _p95(values: list[float]) -> float:
    """The 95th percentile (the largest of fewer than 20 values)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _yardsticks(db: Any, count: int) -> dict[str, float]:
    """The old reads, timed in this run: the last block by OFFSET, and the counts.

    ``count_open_ms`` is what the code's ``count_open`` costs (the store's counter since
    migration 0026); ``count_rows_ms`` the ``count(*)`` of the open rows it replaced.
    """
    from dutydesk.services.incidents.queue import BLOCK_ROWS, count_open, fetch_window

    offsets, counts, rows = [], [], []
    for _ in range(5):
        began = time.perf_counter()
        fetch_window(db, max(count - BLOCK_ROWS, 0), BLOCK_ROWS)
        offsets.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        count_open(db)
        counts.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        db.read("SELECT count(*) FROM incident WHERE is_open = TRUE")
        rows.append((time.perf_counter() - began) * 1000)
    return {
        "offset_end_ms": statistics.median(offsets),
        "count_open_ms": statistics.median(counts),
        "count_rows_ms": statistics.median(rows),
    }


async def _intake_figures(app: Any, pilot: Any, db: Any) -> dict[str, float]:
    """Save an intake and wait for its row; then let another console write and wait."""
    from textual import events

    from dutydesk.rules.deadlines import load_rules
    from dutydesk.services.incidents.intake import NewIncident, register
    from dutydesk.services.request import Request
    from dutydesk.storage.engine import Database

    queue = app.main.queue
    figures: dict[str, float] = {}

    async def until(done: Any, what: str) -> None:
        # A failed save would otherwise wait for ever: give up loudly after 30 s.
        deadline = time.perf_counter() + 30
        while not done():
            if time.perf_counter() > deadline:
                notes = [n.message for n in app._notifications]
                status = getattr(app.screen, "status_text", "")
                raise TimeoutError(f"{what}: not seen after 30 s ({notes}, {status})")
            await asyncio.sleep(0.0005)

    def send_key(key: str) -> None:
        # As the terminal driver delivers a key: no Pilot settling after it (Pilot's
        # press waits until the whole process is idle, up to a second twice, which is
        # what the figure measured before: 500-800 ms of Pilot, not of the console).
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)

    async def save(number: int, press: bool) -> tuple[float, int, int]:
        await pilot.press("n")
        await pilot.pause()
        # Unrelated texts: similar ones would (rightly) stop at the duplicate warning.
        marker = uuid.uuid4().hex[:12]
        app.screen.control("summary").text = f"{marker}, bench intake {number}"
        await pilot.pause()
        reloads, placed = queue.reloads, getattr(queue, "placed", 0)
        began = time.perf_counter()
        if press:
            await pilot.press("ctrl+s")
        else:
            send_key("ctrl+s")
        await until(
            lambda title=marker: (
                queue.selected is not None and title in (queue.selected.title or "")
            ),
            "the saved incident selected",
        )
        queue.render_line(queue.cursor - int(queue.scroll_y) + 1)
        app.screen._compositor.render_update(full=True)
        took = (time.perf_counter() - began) * 1000
        ticks = app.main.watch_ticks
        while app.main.watch_ticks < ticks + 2:  # the watcher has seen the commit
            await asyncio.sleep(0.01)
        await pilot.pause()
        return took, queue.reloads - reloads, getattr(queue, "placed", 0) - placed

    rounds = [await save(number, press=False) for number in range(9)]
    saves = [took for took, _, _ in rounds]
    figures["intake_save_to_repaint_ms"] = statistics.median(saves)
    figures["intake_save_to_repaint_p95_ms"] = _p95(saves)
    figures["intake_save_to_repaint_max_ms"] = max(saves)
    figures["own_save_reloads"] = statistics.mean(r for _, r, _ in rounds)
    figures["own_save_placed"] = statistics.mean(p for _, _, p in rounds)
    pressed = [(await save(number, press=True))[0] for number in range(3)]
    figures["intake_save_pilot_press_ms"] = statistics.median(pressed)
    figures.update(await _saves_to_frame(app, pilot, send_key))
    other = Database(db.url)
    seen = []
    # Full reloads (every pane read again) and changes placed without one; main before
    # issue 16's third pass had no counter of either: every write was a full reload.
    full = getattr(app.main, "full_reloads", None)
    applied = getattr(queue, "live_applied", 0)
    for number in range(7):
        count = queue.count
        began = time.perf_counter()
        await asyncio.to_thread(
            register,
            Request(
                db=other, now=app.context.clock.now(), tz=app.context.tz, rules_source=load_rules()
            ),
            NewIncident(
                received_at=app.context.clock.now(),
                channel="phone",
                category="other",
                severity="IV",
                classification="internal",
                title=f"other console {number}",
                summary=f"other console {number}",
            ),
        )
        await until(lambda before=count: queue.count != before, "another console's incident")
        seen.append((time.perf_counter() - began) * 1000)
        await pilot.pause(0.2)
    other.close()
    if full is not None:
        figures["other_console_full_reloads"] = (app.main.full_reloads - full) / len(seen)
    figures["other_console_placed"] = (getattr(queue, "live_applied", 0) - applied) / len(seen)
    figures["other_console_change_ms"] = statistics.median(seen)
    figures["other_console_change_p95_ms"] = _p95(seen)
    figures["other_console_change_max_ms"] = max(seen)
    from dutydesk.tui.screens.main import CHANGE_POLL_SECONDS

    figures["poll_ms"] = CHANGE_POLL_SECONDS * 1000
    return figures


async def _saves_to_frame(app: Any, pilot: Any, send_key: Any) -> dict[str, float]:
    """Saves timed to the frame the app writes with the new row selected (issue 16).

    ``intake_save_to_repaint_ms`` stops when the queue has selected the row and draws
    it itself; these wait, without polling, for the app's own frame (``App._display``,
    the compositor's update on its way to the terminal) that shows it, as the key
    figures do. ``*_frame_cpu_ms``: the event loop thread's CPU from the key to that
    frame (the save worker's thread not counted); ``*_repaint_cpu_ms``: from the form's
    close (``App.pop_screen``) to that frame; ``*_frame_layouts``: the main screen's
    layouts (``Screen._refresh_layout``) in between, per save;
    ``intake_save_loop_cpu_ms``: the event loop thread's CPU from the key to 0.4 s
    after the frame, all that the save made it do.
    """
    main, queue = app.main, app.main.queue
    display, pop, layout = app._display, app.pop_screen, main._refresh_layout
    state: dict[str, Any] = {}

    def traced(screen: Any, update: Any) -> None:
        display(screen, update)
        row, marker = queue.selected, state.get("marker")
        if marker and update is not None and row is not None and marker in (row.title or ""):
            state.update(marker=None, frame=(time.perf_counter(), time.thread_time()))
            state["drawn"].set()

    def popped() -> Any:
        if state.get("marker") and "popped" not in state:
            state["popped"] = time.thread_time()
        return pop()

    def laid_out(*args: Any, **kwargs: Any) -> None:
        if state.get("marker"):
            state["layouts"] += 1
        layout(*args, **kwargs)

    app._display, app.pop_screen, main._refresh_layout = traced, popped, laid_out
    walls, cpus, repaints, layouts, totals = [], [], [], [], []
    spans: list[tuple[float, float]] = []
    first = time.perf_counter()
    try:
        for number in range(9):
            await pilot.press("n")
            await pilot.pause()
            marker = uuid.uuid4().hex[:12]
            app.screen.control("summary").text = f"{marker}, bench frame {number}"
            await pilot.pause()
            state.clear()
            state.update(drawn=asyncio.Event(), layouts=0)
            began, cpu = time.perf_counter(), time.thread_time()
            state["marker"] = marker
            send_key("ctrl+s")
            await asyncio.wait_for(state["drawn"].wait(), 30)
            at, cpu_at = state["frame"]
            spans.append((began, at))
            walls.append((at - began) * 1000)
            cpus.append((cpu_at - cpu) * 1000)
            repaints.append((cpu_at - state["popped"]) * 1000)
            layouts.append(state["layouts"])
            # What the save costs the event loop in all, what follows the frame included
            # (the toast, the timeline's read, the counts; Textual's footer rebuilt its
            # keys here): one sleep, no polling, then the thread's CPU since the key.
            await asyncio.sleep(0.4)
            totals.append((time.thread_time() - cpu) * 1000)
            ticks = main.watch_ticks
            while main.watch_ticks < ticks + 2:  # the watcher has seen the commit
                await asyncio.sleep(0.01)
            await pilot.pause()
    finally:
        del app._display, app.pop_screen, main._refresh_layout  # the class's own again
    return {
        **GC.figures("save", first, spans, 50),
        "gc_save_collections_in_saves": float(
            sum(1 for a, b, _ in GC.done for c, d in spans if a < d and b > c)
        ),
        "intake_save_to_frame_ms": statistics.median(walls),
        "intake_save_to_frame_p95_ms": _p95(walls),
        "intake_save_to_frame_max_ms": max(walls),
        "intake_save_frame_cpu_ms": statistics.median(cpus),
        "intake_save_repaint_cpu_ms": statistics.median(repaints),
        "intake_save_frame_layouts": statistics.mean(layouts),
        "intake_save_loop_cpu_ms": statistics.median(totals),
    }


def main() -> None:
    """Build the database if needed, measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", help="a SQLite file, or a PostgreSQL URL (built elsewhere)")
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="build with queue_db.py")
    args = parser.parse_args()
    # A server's database is measured as it is (issue 15: live updates by LISTEN/NOTIFY
    # beside SQLite's poll); `dutydesk demo --db URL` or build_pg.py makes one.
    target: str | Path = args.path if "://" in args.path else Path(args.path)
    if isinstance(target, Path) and not target.exists():
        if args.quick:
            from tests.bench import queue_db

            queue_db.build(target, args.incidents)
        else:
            from tests.bench.build_db import build

            build(target, args.incidents, 1.0)
        print("built; run again for launch timings")
        return
    import dutydesk

    print(f"dutydesk: {dutydesk.__file__}", file=sys.stderr)  # which code ran (old or new)
    print(json.dumps(asyncio.run(_measure(target)), indent=2))


if __name__ == "__main__":
    main()
