"""The desk's long-lived objects leave the cycle collector's walks, and come back (issue 16).

Once the desk is up its objects are frozen (``gc.freeze``): full collections, 20-150 ms
in held keys at 1M before, no longer walk them. A sign-out or a quit unfreezes them, so
that a signed-out desk does not stay in memory for ever. Counted, never timed.
"""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.storage.engine import Database
from dutydesk.tui import gc_policy
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.main import MainScreen
from tests.templates import DemoTemplates
from tests.tui.conftest import NOW
from tests.tui.test_console import settle
from tests.tui.test_sign_in import sign_in

SIZE = (120, 40)


def collected(thing: object) -> bool:
    """True if the collector walks ``thing`` (``gc.get_objects`` leaves frozen ones out)."""
    return any(candidate is thing for candidate in gc.get_objects())


@pytest.fixture
def signing_app(
    db: Database, demo_templates: DemoTemplates, settings: Settings, clock: FrozenClock
) -> Callable[[], DutyDeskApp]:
    """The production app on the demo night, which requires sign-in."""
    demo = demo_templates.load_into(db, NOW)

    def make() -> DutyDeskApp:
        return DutyDeskApp(demo, settings, clock, "en", sign_in=True)

    return make


async def test_the_desk_up_leaves_the_collectors_walks(
    make_app: Callable[..., DutyDeskApp], night: dict[str, int]
) -> None:
    app = make_app()
    defaults = gc.get_threshold()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main
        main._each_second()  # the desk's once-a-second tick
        assert gc.get_freeze_count() > 0
        # Ten times fewer collections of the youngest generation while the desk is up.
        assert gc.get_threshold() == (defaults[0] * 10, *defaults[1:])
        # The screen, its panes and the queue's held rows: frozen, not walked.
        assert not collected(main)
        assert not collected(main.queue)
        assert not collected(main.queue.row(0))
        assert collected(object.__new__(type("Fresh", (), {})))  # made since: walked
    # Quit: the desk's unmount unfroze everything (a test process runs many desks).
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == defaults


async def test_a_lazy_import_is_frozen_at_the_next_tick(
    make_app: Callable[..., DutyDeskApp], night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main
        main._each_second()
        # Nothing imported since (checked at once: the desk's workers import lazily).
        assert gc_policy.tick() != "settled"
        frozen = gc.get_freeze_count()
        # A lazy import (the intake form's, the ORM's at the first save), as a module
        # added to sys.modules: whichever test imported the real ones first in this process.
        probe = type(sys)("dutydesk.tui.gc_policy_probe")
        sys.modules[probe.__name__] = probe
        try:
            held: Any = {"made after the first settle": [1, 2]}
            assert collected(held)
            main._each_second()
            assert not collected(held)
            assert gc.get_freeze_count() > frozen
        finally:
            del sys.modules[probe.__name__]
    assert gc.get_freeze_count() == 0


async def test_a_form_open_over_the_desk_is_not_frozen(
    make_app: Callable[..., DutyDeskApp], night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")  # the intake form over the desk
        await settle(pilot)
        form = app.screen
        assert form is not app.main
        probe = type(sys)("dutydesk.tui.gc_policy_probe")  # as if the form imported more
        sys.modules[probe.__name__] = probe
        try:
            app.main._each_second()
            assert collected(form)  # not frozen: it goes when it closes
            await pilot.press("escape")
            await settle(pilot)
            app.main._each_second()  # uncovered: now the desk settles
            assert not collected(app.main)
        finally:
            del sys.modules[probe.__name__]


class Knot:
    """A reference cycle: only the cycle collector frees it."""

    def __init__(self) -> None:
        self.me = self


def garbage_in_the_oldest_generation() -> weakref.ref[Knot]:
    """A cycle promoted to the oldest generation, then dropped (a closed form's widgets)."""
    knot = Knot()
    gc.collect(1)  # survives: promoted to generation 2
    return weakref.ref(knot)


async def test_a_quiet_desk_collects_its_waiting_garbage(
    make_app: Callable[..., DutyDeskApp], night: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main
        main._each_second()  # settles
        # Busy (a collection within the quiet period): the garbage waits.
        monkeypatch.setattr(gc_policy, "QUIET_SECONDS", 3600.0)
        busy = garbage_in_the_oldest_generation()
        main._each_second()
        assert busy() is not None
        # Quiet: the tick collects it.
        monkeypatch.setattr(gc_policy, "QUIET_SECONDS", 0.0)
        quiet = garbage_in_the_oldest_generation()
        main._each_second()
        assert busy() is None and quiet() is None
        assert gc.get_count()[1:] == (0, 0)


async def test_signed_out_desks_do_not_pile_up(signing_app: Callable[[], DutyDeskApp]) -> None:
    app = signing_app()
    desks: list[weakref.ref[MainScreen]] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(5):
            await sign_in(pilot, "黄雨婷", "4444")
            desks.append(weakref.ref(app.main))
            app.main._each_second()
            assert gc.get_freeze_count() > 0  # the desk is up: frozen
            await pilot.press("ctrl+o")
            await settle(pilot)
            assert app.signed_out
            # Unfrozen at the sign-out itself (and collected), never kept for ever.
            assert gc.get_freeze_count() == 0
        # Counted, not timed: five desks signed out, at most the last two still alive.
        # (A finished Textual thread worker can keep its screen until its thread runs
        # again, e79c01d alike; frozen, every desk would stay.)
        assert len([desk for desk in desks if desk() is not None]) <= 2
