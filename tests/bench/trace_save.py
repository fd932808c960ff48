"""Where one intake save's time goes, from ctrl+s to the new row drawn (not a test).

Runs the production app headless at 120x40 on a copy of a queue database, saves
``--saves`` intakes (ctrl+s sent as the terminal driver sends it) and prints, per save,
the moments (wall ms since the key) and the event loop thread's CPU ms at each:
the key's action, the commit (save worker), the form's ``Done`` handled, the row
placed, the main screen resumed, then every layout (``Screen._refresh_layout``),
recompose (``Widget.recompose``) and frame (``App._display``: the compositor's
update written to the terminal) until the frame that shows the new row selected,
and what followed within ``--tail`` seconds. Then the medians of the parts.

    python tests/bench/trace_save.py COPY.sqlite3 [--saves 7] [--tail 0.5]

Runs on whichever dutydesk the interpreter imports (old code: run it with the old
tree's own venv from a scratch folder; check the printed ``dutydesk`` path).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAIN = threading.main_thread()


def _pending(screen: Any, *_: Any, **__: Any) -> str:
    """A screen, and the layout it owes when it resumes (what made it wait)."""
    owed = sorted({type(w).__name__ for ws in screen._layout_widgets.values() for w in ws})
    return f"{type(screen).__name__} layout={screen._layout_required} scroll={screen._scroll_required} {owed}"


def _refreshed(
    widget: Any, *regions: Any, layout: bool = False, recompose: bool = False, **_: Any
) -> str:
    """A refresh's widget, and whether it asks for a layout (L) or a recompose (R)."""
    return type(widget).__name__ + (" L" if layout else "") + (" R" if recompose else "")


class Trace:
    """Moments and inclusive CPU of wrapped calls, on the event loop's thread."""

    def __init__(self) -> None:
        self.began = 0.0
        self.cpu0 = 0.0
        self.events: list[tuple[float, float, str]] = []
        self.cpu: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.on = False
        self._depth: dict[str, int] = {}

    def start(self) -> None:
        self.events, self.cpu, self.count, self.on = [], {}, {}, True
        self.began, self.cpu0 = time.perf_counter(), time.thread_time()

    def mark(self, name: str) -> None:
        if not self.on:
            return
        main = threading.current_thread() is MAIN
        cpu = (time.thread_time() - self.cpu0) * 1000 if main else float("nan")
        self.events.append(((time.perf_counter() - self.began) * 1000, cpu, name))

    def wrap(
        self, owner: Any, attr: str, name: str, label: Callable[..., str] | None = None
    ) -> None:
        original = getattr(owner, attr)
        trace = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not trace.on or threading.current_thread() is not MAIN:
                return original(*args, **kwargs)
            tag = name + (f"[{label(*args, **kwargs)}]" if label else "")
            depth = trace._depth.get(name, 0)
            trace._depth[name] = depth + 1
            cpu = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                trace._depth[name] = depth
                if depth == 0:
                    spent = (time.thread_time() - cpu) * 1000
                    trace.cpu[name] = trace.cpu.get(name, 0.0) + spent
                    trace.count[tag] = trace.count.get(tag, 0) + 1
                    trace.mark(f"{tag} done ({spent:.1f} cpu)")

        setattr(owner, attr, wrapper)

    def wrap_async(self, owner: Any, attr: str, name: str, label: Callable[..., str]) -> None:
        original = getattr(owner, attr)
        trace = self

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if trace.on:
                tag = f"{name}[{label(*args)}]"
                trace.count[tag] = trace.count.get(tag, 0) + 1
                trace.mark(tag)
            return await original(*args, **kwargs)

        setattr(owner, attr, wrapper)


async def run(path: Path, saves: int, tail: float, profiled: bool) -> dict[str, Any]:
    from textual import events
    from textual._compositor import Compositor
    from textual.app import App
    from textual.screen import Screen
    from textual.widget import Widget

    import dutydesk
    from dutydesk.clock import FrozenClock
    from dutydesk.config import Settings
    from dutydesk.storage.engine import Database, url_for
    from dutydesk.tui.app import DutyDeskApp
    from dutydesk.tui.base.form import FormScreen
    from dutydesk.tui.screens.intake import IntakeScreen
    from dutydesk.tui.widgets.queue import QueueView

    trace = Trace()
    # The event loop's thread only (cProfile profiles the thread that enables it), from
    # the form's close to the frame that draws the row: the repaint.
    profile = cProfile.Profile() if profiled else None
    pop_screen = App.pop_screen

    def popped(self: Any) -> Any:
        if profile is not None and trace.on:
            profile.enable()
        return pop_screen(self)

    App.pop_screen = popped  # type: ignore[method-assign]
    kind = lambda node, *_, **__: type(node).__name__  # noqa: E731
    trace.wrap(IntakeScreen, "action_save", "action_save")
    trace.wrap(FormScreen, "on_form_screen_done", "done_handled")
    trace.wrap(Screen, "dismiss", "dismiss")
    trace.wrap(QueueView, "place", "place")
    trace.wrap(Screen, "_on_screen_resume", "resume", _pending)
    trace.wrap(Screen, "_refresh_layout", "layout", kind)
    trace.wrap(App, "_display", "display")
    trace.wrap(Compositor, "render_update", "render")
    trace.wrap(Compositor, "update_widgets", "update_widgets")
    trace.wrap_async(Widget, "recompose", "recompose", kind)
    trace.wrap(Widget, "refresh", "refresh", _refreshed)
    register = IntakeScreen._register

    def committed(self: Any, fields: Any) -> Any:
        result = register(self, fields)
        trace.mark("committed (worker)")
        return result

    IntakeScreen._register = committed  # type: ignore[method-assign]

    db = Database(url_for(str(path)))
    app = DutyDeskApp(db, Settings(), FrozenClock(datetime(2026, 11, 26, tzinfo=UTC)), "en")
    report: dict[str, Any] = {"dutydesk": dutydesk.__file__, "saves": []}
    async with app.run_test(size=(120, 40)) as pilot:
        queue = app.main.queue
        while queue.row(0) is None:
            await asyncio.sleep(0.01)
        await pilot.pause(0.5)
        display = App._display
        for number in range(saves):
            await pilot.press("n")
            await pilot.pause()
            marker = uuid.uuid4().hex[:12]
            app.screen.control("summary").text = f"{marker}, trace intake {number}"  # type: ignore[attr-defined]
            await pilot.pause(0.3)
            drawn: list[float] = []

            def shown(
                self: Any,
                screen: Any,
                update: Any,
                marker: str = marker,
                drawn: list[float] = drawn,
            ) -> None:
                display(self, screen, update)
                row = queue.selected
                if (
                    update is not None
                    and row is not None
                    and marker in (row.title or "")
                    and not drawn
                ):
                    drawn.append(time.perf_counter())
                    trace.mark("NEW ROW DRAWN")
                    if profile is not None:
                        profile.disable()

            App._display = shown  # type: ignore[method-assign,assignment]
            trace.start()
            event = events.Key("ctrl+s", None)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
            while not drawn:
                await asyncio.sleep(0.0005)
            await asyncio.sleep(tail)
            trace.on = False
            App._display = display  # type: ignore[method-assign]
            at = next(ms for ms, _, name in trace.events if name == "NEW ROW DRAWN")
            cpu_at = next(cpu for _, cpu, name in trace.events if name == "NEW ROW DRAWN")
            report["saves"].append(
                {
                    "row_drawn_ms": round(at, 1),
                    "row_drawn_cpu_ms": round(cpu_at, 1),
                    "events": [f"{ms:8.1f} {cpu:7.1f}  {name}" for ms, cpu, name in trace.events],
                    "counts": dict(trace.count),
                    "cpu": {k: round(v, 1) for k, v in trace.cpu.items()},
                }
            )
            ticks = app.main.watch_ticks
            while app.main.watch_ticks < ticks + 2:
                await asyncio.sleep(0.01)
            await pilot.pause(0.3)
        await pilot.press("ctrl+q")
    db.close()
    rows = report["saves"]
    report["median_row_drawn_ms"] = statistics.median(s["row_drawn_ms"] for s in rows)
    report["median_row_drawn_cpu_ms"] = statistics.median(s["row_drawn_cpu_ms"] for s in rows)
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(90)
        report["profile"] = out.getvalue().splitlines()
    return report


def main() -> None:
    """Trace the saves and print them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--saves", type=int, default=7)
    parser.add_argument("--tail", type=float, default=0.5)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile from the form closing to the row drawn"
    )
    args = parser.parse_args()
    report = asyncio.run(run(args.path, args.saves, args.tail, args.profile))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
