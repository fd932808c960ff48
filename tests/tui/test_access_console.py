"""Need-to-know at the console: every demo operator signs in and looks everywhere.

For each operator with a demo PIN: the queue rows, the timeline of each classified
incident, the search screen's results for its serial, and the handover pack screen.
The 机密 canary (in the secret incident's title, sealed as an accredited desk keeps it: the
demo fixture of test_sign_in) and the 秘密 one must appear exactly
where the operator's clearance reaches AND the operator is named in the incident's
知悉范围 (issue 13: a level alone opens nothing), and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from dutydesk.reports.handover import render_text
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.handover import HandoverScreen
from dutydesk.tui.screens.main import MainScreen
from tests.tui.conftest import SHANGHAI
from tests.tui.test_console import settle
from tests.tui.test_sign_in import SIZE, demo, sign_in, sign_in_app  # noqa: F401 - fixtures

CANARIES = {  # serial: (canary in its title, its level)
    "20261125-012": ("省委办公厅密电", 3),  # 机密 secret
    "20261126-001": ("省公安厅密电", 2),  # 秘密 confidential
}
OPERATORS = {  # name: (PIN, clearance level), as in data/demo/night.toml
    "张振华": ("888888", 3),
    "王立新": ("777777", 3),
    "孙丽": ("333333", 3),
    "李晓明": ("1111", 1),  # 三员分立: the system administrator holds no clearance
    "赵静": ("222222", 2),
    "黄雨婷": ("4444", 1),
    "许文博": ("5555", 1),
    "韩冬": ("666666", 4),
    "马骏": ("1212", 1),  # the security officer reads no content by the role
}
NAMED = {"孙丽", "韩冬"}
"""In both telegrams' 知悉范围 (night.toml): the duty leader they were reported to, and
the 机要局 by unit."""


async def _timeline_of(pilot: Pilot[Any], app: DutyDeskApp, serial: str) -> str:
    """Move the queue cursor to ``serial`` and return the timeline pane's text."""
    queue = app.main.queue
    rows = [row for block in sorted(queue._blocks) for row in queue._blocks[block]]
    target = next(index for index, row in enumerate(rows) if row.serial == serial)
    while queue.cursor < target:
        await pilot.press("down")
    while queue.cursor > target:
        await pilot.press("up")
    await settle(pilot)  # the timeline's read (a worker, after the cursor rests) is done
    assert app.main.timeline.incident_id == rows[target].id
    return app.main.timeline.text + str(app.main.timeline.border_title)


@pytest.mark.parametrize("operator", sorted(OPERATORS))
async def test_each_operator_sees_classified_content_only_where_cleared(
    sign_in_app: Callable[..., DutyDeskApp],  # noqa: F811 - the imported fixture
    operator: str,
) -> None:
    pin, level = OPERATORS[operator]
    if operator not in NAMED:
        level = 1  # cleared or not, an operator not named opens neither telegram
    app = sign_in_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, operator, pin)
        assert isinstance(app.screen, MainScreen)
        queue = app.main.queue
        rows = {row.serial: row for block in queue._blocks.values() for row in block}
        for serial, (canary, needed) in CANARIES.items():
            cleared = level >= needed
            title = rows[serial].title
            assert (title is not None and canary in title) == cleared, (operator, serial)
            shown = await _timeline_of(pilot, app, serial)
            assert (canary in shown) == cleared, (operator, serial, shown[:200])
        screen_text = app.export_screenshot()
        for canary, needed in CANARIES.values():
            if level < needed:
                assert canary not in screen_text
        # the search screen: found by serial by everyone, content only for the cleared
        for serial, (canary, needed) in CANARIES.items():
            await pilot.press("slash")
            await settle(pilot)
            await pilot.press(*serial, "enter")
            await settle(pilot)  # the search worker (debounced) has answered
            found = app.export_screenshot()
            assert serial in found, (operator, serial)
            assert (canary in found) == (level >= needed), (operator, serial)
            await pilot.press("escape")
            await settle(pilot)
        # the handover pack screen (the whole pack, not only what fits on screen)
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoverScreen) and screen.pack is not None
        pack_text = render_text(screen.pack, SHANGHAI)
        for serial, (canary, needed) in CANARIES.items():
            assert serial in pack_text
            assert (canary in pack_text) == (level >= needed), (operator, serial)


def test_fixture_names_are_used(demo: Database) -> None:  # noqa: F811
    """The demo fixture loads the operators the matrix above signs in as."""
    names = {row[0] for row in demo.read("SELECT p.name FROM person p JOIN credential c "
                                         "ON c.person_id = p.id")}  # fmt: skip
    assert names == set(OPERATORS)
