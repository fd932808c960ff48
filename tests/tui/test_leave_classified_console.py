"""Pilot tests: a leader's itinerary carries a classification in the console (issue 13).

The leave form (``L`` on the roster pane) offers the level, 内部 unless chosen; in
register mode a classified itinerary is refused in one line with what was typed kept.
The roster pane shows a classified itinerary, marked, only to a console cleared and
named for it (audited); any other console sees who is away and who acts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from textual.widgets import Select

from dutydesk.services.roster.leave import LeaveRequest, add_leave
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.leave import LeaveScreen
from dutydesk.vocab import Classification, Deployment
from tests.conftest import SHANGHAI
from tests.tui.test_console import SIZE, settle

MakeApp = Callable[..., DutyDeskApp]
CANARY = "北戴河秘密会址"


@pytest.fixture(autouse=True)
def operator(monkeypatch: pytest.MonkeyPatch) -> str:
    """The officer at the keyboard: 李四."""
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")
    return "李四"


def trips(db: Database) -> list[tuple[str, str, str]]:
    """(leader, classification, destination) of every registration, in order."""
    rows = db.read(
        "SELECT p.name, r.classification, r.destination FROM leave_registration r"
        " JOIN person p ON p.id = r.leader_id ORDER BY r.id"
    )
    return [(str(n), str(c), str(d)) for n, c, d in rows]


def sealed_trip(db: Database) -> None:
    """张三's 机密 trip today, registered by 李四 on an accredited network (sealed)."""
    request = LeaveRequest(
        leader="张三",
        start_at=datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI),
        end_at=datetime(2026, 11, 26, 23, 0, tzinfo=SHANGHAI),
        destination=CANARY,
        reason="",
        acting="郑华",
        classification=Classification.SECRET,
    )
    add_leave(
        db, request, actor="李四", now=datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI),
        tz=SHANGHAI, deployment=Deployment.CLASSIFIED_NETWORK,
    )  # fmt: skip


async def test_leave_form_refuses_a_classified_itinerary_and_registers_who_and_when(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        typed = {
            "leader": "张三",
            "start": "2026-11-26 08:00",
            "end": "2026-11-26 20:00",
            "destination": CANARY,
            "acting": "郑华",
        }
        await pilot.press("L")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, LeaveScreen)
        level = form.control("classification")
        assert isinstance(level, Select) and level.value == "internal"  # the desk's default
        level.value = "secret"
        for name, value in typed.items():
            form.control(name).value = value  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and isinstance(form, LeaveScreen)
        assert "Classified content must not be typed" in form.status_text
        assert form.text("destination") == CANARY  # what was typed stays
        assert [t for t in trips(db) if t[0] == "张三"] == []
        form.control("destination").value = ""  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form, form.status_text
        assert ("张三", "secret", "") in trips(db)
        app.main.roster.reload()
        await settle(pilot)
        text = app.main.roster.text
        assert "张三副主任 -> [机密 secret] itinerary classified" in text
        assert "in charge: 郑华" in text


async def test_roster_pane_shows_a_classified_itinerary_only_to_a_named_cleared_console(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    sealed_trip(db)
    app = make_app(clearance=Classification.SECRET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert f"张三副主任 -> [机密 secret] {CANARY}" in app.main.roster.text
    viewed = db.read(
        "SELECT object_type, detail FROM audit_event WHERE action = 'classified_viewed'"
    )
    assert [(str(o), str(d)) for o, d in viewed] == [("roster", "leave:2 (secret)")]
    uncleared = make_app()
    async with uncleared.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = uncleared.main.roster.text
        assert CANARY not in text
        assert "张三副主任 -> [机密 secret] itinerary classified" in text
