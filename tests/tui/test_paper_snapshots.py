"""Snapshots of the handover, shift record, bulletin and roster week screens on the demo night, 120x40.

Review the SVGs (``pytest --snapshot-report``) before ``--snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.services.accounts.auth import Operator
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.vocab import Classification, Role
from tests.tui.test_console import settle
from tests.tui.test_snapshots import SIZE, demo  # noqa: F401 - the demo fixture

MakeApp = Callable[..., DutyDeskApp]
LANGUAGES = ["en", "zh_CN"]


def pressing(*keys: str) -> Callable[[Pilot[Any]], Any]:
    """A ``run_before`` that settles, presses ``keys`` one by one, settling after each."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for name in keys:
            await pilot.press(name)
            await settle(pilot)
        pilot.app.clear_notifications()  # toasts come and go; the screen is the point
        await settle(pilot)

    return run


@pytest.mark.parametrize("language", LANGUAGES)
def test_handover_screen(
    snap_compare: Callable[..., bool],
    make_app: MakeApp,
    demo: Database,  # noqa: F811
    language: str,
) -> None:
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=pressing("h"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_bulletin_screen(
    snap_compare: Callable[..., bool],
    make_app: MakeApp,
    demo: Database,  # noqa: F811
    language: str,
) -> None:
    # The demo's top incident, drafted: title, body and the short version's segments.
    run = pressing("b", "enter")
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=run)


@pytest.mark.parametrize("language", LANGUAGES)
def test_roster_week_screen(
    snap_compare: Callable[..., bool],
    make_app: MakeApp,
    demo: Database,  # noqa: F811
    language: str,
) -> None:
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=pressing("3", "w"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_shift_record_screen(
    snap_compare: Callable[..., bool],
    demo: Database,  # noqa: F811
    settings: Settings,
    clock: FrozenClock,
    language: str,
) -> None:
    """The night's record made and signed by 黄雨婷, the outgoing duty officer."""
    [(person_id,)] = demo.read("SELECT id FROM person WHERE name = '黄雨婷'")
    operator = Operator(
        int(person_id), "黄雨婷", frozenset({Role.DUTY_OFFICER}), Classification.INTERNAL
    )
    press = pressing("h", "s", "m", "s")

    async def run(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, DutyDeskApp)
        await settle(pilot)
        app.signed_in(operator)
        await press(pilot)

    app = DutyDeskApp(demo, settings, clock, language, sign_in=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=run)
