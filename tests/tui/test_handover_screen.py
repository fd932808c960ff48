"""Pilot tests of the handover screen (``h``): the pack, its acknowledgement, its export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import col, select
from textual.widgets import Input

from dutydesk.storage.engine import Database, as_utc
from dutydesk.storage.models import Handover
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.handover import HandoverScreen
from dutydesk.tui.screens.main import MainScreen
from dutydesk.tui.screens.prompt import PromptScreen
from dutydesk.vocab import Classification
from tests.templates import DemoTemplates
from tests.tui.conftest import NOW, on_top
from tests.tui.test_console import SIZE, screen_text, settle

MakeApp = Callable[..., DutyDeskApp]
CANARY = ("涉密电报内容", "不得显示的内容")
"""Title and summary of the seeded 机密 incident 20261126-003."""


def handovers(db: Database) -> list[Handover]:
    """Every stored pack, oldest first."""
    with db.session(write=False) as session:
        return list(session.exec(select(Handover).order_by(col(Handover.id))).all())


async def open_handover(pilot) -> HandoverScreen:  # type: ignore[no-untyped-def]
    """Settle the main screen, press ``h``, wait for the pack."""
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HandoverScreen)
    return screen


async def test_h_shows_the_pack_with_classified_items_by_serial_only(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_handover(pilot)
        text = screen.text
        assert "Duty handover pack" in text
        assert "幸福路燃气爆炸" in text
        assert "8. Classified items" in text
        assert "20261126-003  机密 secret" in text
        for canary in CANARY:
            assert canary not in text
            assert canary not in screen_text(app)
        assert handovers(app.context.db) == []  # looking stores nothing


async def test_acknowledge_stores_names_and_time_and_starts_the_next_period(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_handover(pilot)
        await pilot.press("a")
        await settle(pilot)
        prompt = on_top(app, PromptScreen)
        prompt.query_one(Input).value = "钱七，孙八"  # a full-width comma, as typed in Chinese
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        [stored] = handovers(db)
        assert stored.acknowledged_by == "钱七、孙八"
        assert as_utc(stored.acknowledged_at) == NOW
        assert as_utc(stored.period_end) == NOW
        assert "acknowledged by 钱七、孙八" in screen.status_text
        # The next period starts where the acknowledged one ended: nothing in it yet.
        assert "zero report" in screen.text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_blank_names_are_refused_in_place(make_app: MakeApp, db: Database, night) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_handover(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("space", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)  # still asking
        await pilot.press("escape")
        await settle(pilot)
        assert handovers(db) == []


async def test_export_writes_the_pack_where_asked_and_says_where(
    make_app: MakeApp, db: Database, night: dict[str, int], tmp_path: Path
) -> None:
    app = make_app("zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_handover(pilot)
        await pilot.press("x")
        await settle(pilot)
        field = app.screen.query_one(Input)
        assert field.value.endswith(".docx")
        target = tmp_path / "交接班.md"
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        written = target.read_text(encoding="utf-8")
        assert written.startswith("# ")
        assert "幸福路燃气爆炸" in written
        for canary in CANARY:
            assert canary not in written
        assert str(target) in screen.status_text
        [stored] = handovers(db)  # the paper carries the pack number it was stored as
        assert stored.acknowledged_at is None


async def test_a_classified_pack_exported_from_the_console_is_a_numbered_copy(
    make_app: MakeApp,
    db: Database,
    demo_templates: DemoTemplates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13: 份号 from the console as from ``dutydesk handover`` (the copy is logged).

    韩冬 (绝密) is named on the demo's classified telegrams, so his pack holds them.
    """
    monkeypatch.setenv("DUTYDESK_OPERATOR", "韩冬")
    demo_templates.load_into(db, NOW)
    app = make_app("zh_CN", clearance=Classification.TOP_SECRET)
    async with app.run_test(size=SIZE) as pilot:
        await open_handover(pilot)
        for number in (1, 2):
            await pilot.press("x")
            await settle(pilot)
            target = tmp_path / f"pack{number}.docx"
            app.screen.query_one(Input).value = str(target)
            await pilot.press("enter")
            await settle(pilot)
            first = Document(str(target)).paragraphs[0].text.split("\n")
            assert first[0] == f"{number:06d}", first
            assert first[-1].startswith("机密") or first[-1].startswith("绝密"), first
    made = db.read("SELECT copy_no, made_by FROM document_copy ORDER BY copy_no")
    assert [tuple(row) for row in made] == [(1, "韩冬"), (2, "韩冬")]
