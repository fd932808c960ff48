"""Snapshots of the console on the demo night, frozen at 02:31, at 120x40.

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
from tests.templates import DemoTemplates
from tests.tui.conftest import NOW
from tests.tui.test_console import settle

SIZE = (120, 40)


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    """The demo night loaded as of the frozen moment."""
    return demo_templates.load_into(db, NOW)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_main_screen(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DutyDeskApp],
    demo: Database,
    language: str,
) -> None:
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=settle)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_keys_screen(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DutyDeskApp],
    demo: Database,
    language: str,
) -> None:
    async def open_keys(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=open_keys)


def test_main_screen_after_moving_down(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DutyDeskApp],
    demo: Database,
) -> None:
    async def move(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "j")
        await settle(pilot)

    assert snap_compare(make_app("zh_CN"), terminal_size=SIZE, run_before=move)


def _after(*keys: str, pause: float = 0.0) -> Callable[[Pilot[Any]], Any]:
    """A ``run_before`` that settles, presses ``keys`` and settles again."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        if pause:
            await pilot.pause(pause)
        await settle(pilot)

    return run


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_intake_form(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DutyDeskApp],
    demo: Database,
    language: str,
) -> None:
    run = _after("n", *"Xingfu Road", pause=0.6)
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=run)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_leader_instruction_form(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DutyDeskApp],
    demo: Database,
    language: str,
) -> None:
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=_after("i"))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_edit_form(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DutyDeskApp],
    demo: Database,
    language: str,
) -> None:
    """The selected incident's fields, 事发时间 and the report elements among them."""
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=_after("e"))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_search_screen(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DutyDeskApp],
    demo: Database,
    language: str,
) -> None:
    run = _after("slash", *"火灾", pause=0.5)
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=run)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_main_screen_signed_in_with_a_long_clearance(
    snap_compare: Callable[..., bool],
    demo: Database,
    settings: Settings,
    clock: FrozenClock,
    language: str,
) -> None:
    """The header at 120 columns keeps the operator and 绝密 top secret whole."""

    async def sign_in(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, DutyDeskApp)
        app.signed_in(
            Operator(1, "欧阳慕容雪", frozenset({Role.DUTY_OFFICER}), Classification.TOP_SECRET)
        )
        await settle(pilot)

    app = DutyDeskApp(demo, settings, clock, language, sign_in=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=sign_in)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_copy_movement_form(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DutyDeskApp],
    night: dict[str, int],
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    """``m`` on a register-mode 机密 telegram: 呈批 of a numbered copy, to whom."""
    from tests.tui.test_register_console import add_named_register_item

    monkeypatch.setenv("DUTYDESK_OPERATOR", "韩冬")
    incident_id, _serial = add_named_register_item(db, "韩冬")

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.main.timeline.load(incident_id)  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("tab", *"3", "tab", *"Zhang")
        await settle(pilot)

    app = make_app(language, clearance=Classification.SECRET)
    assert snap_compare(app, terminal_size=SIZE, run_before=run)
