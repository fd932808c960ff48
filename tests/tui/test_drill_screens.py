"""Drills in the console: a scenario run at speed 10 through intake and follow-up, and its report.

The app's clock is a FrozenClock, advanced between key presses: at speed 10 one real
second is ten scenario seconds, so the figures the report shows are known exactly.
Snapshots of the drill screen and the report screen, en and zh_CN, 120x40.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from textual.pilot import Pilot
from textual.widgets import Input

from dutydesk.clock import FrozenClock
from dutydesk.config import data_dir
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.main.incident_keys import ENTRY_KEYS
from dutydesk.tui.screens.drill import DrillReportScreen, DrillScreen
from dutydesk.tui.screens.entry import EntryScreen
from dutydesk.tui.screens.intake import IntakeScreen
from dutydesk.tui.screens.main import MainScreen
from dutydesk.vocab import EntryKind
from tests.request_support import request
from tests.tui.test_console import SIZE, screen_text, settle
from tests.tui.test_followup import fill

MakeApp = Callable[..., DutyDeskApp]
LANGUAGES = ["en", "zh_CN"]


async def tick(pilot: Pilot[None]) -> None:
    """Let the main screen's drill timer run once (it ticks every half second)."""
    await pilot.pause(0.6)
    await settle(pilot)


async def tick_until(pilot: Pilot[None], done: Callable[[], bool], ticks: int = 40) -> None:
    """Tick until ``done()``: the timer's worker may start late on a loaded machine."""
    for _ in range(ticks):
        await tick(pilot)
        if done():
            return
    raise AssertionError("the drill timer never did it")


async def log(pilot: Pilot[None], key: str, last: bool = False, **values: object) -> None:
    """Press a follow-up key on the main screen, fill the form, save.

    After the ``last`` step the drill's timer may already have put its report in front.
    """
    app = pilot.app
    assert isinstance(app, DutyDeskApp)
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(app.screen, EntryScreen), key
    await fill(app, **values)
    await pilot.press("ctrl+s")
    await settle(pilot)
    expected = (MainScreen, DrillReportScreen) if last else MainScreen
    assert isinstance(app.screen, expected), getattr(app.screen, "status_text", "")


async def test_a_drill_at_speed_10_through_intake_and_follow_up_is_measured(
    make_app: MakeApp, db: Database, night: dict[str, int], clock: FrozenClock
) -> None:
    app = make_app()
    start = clock.now()

    def at(seconds: float) -> None:
        clock.moment = start + timedelta(seconds=seconds)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        assert "chemical_fire" in screen.text
        screen.query_one("#drill-speed", Input).value = "10"
        await pilot.press("enter")  # the first scenario: chemical_fire
        await settle(pilot)
        await tick_until(pilot, lambda: "waiting for intake" in screen.text)
        assert app.main.drill_run_id == 1
        assert "waiting for intake" in screen.text  # the report at 0m came in
        # 12 real seconds = 2 scenario minutes later the officer takes the report.
        at(12)
        await pilot.press("enter")
        await settle(pilot)
        intake = app.screen
        assert isinstance(intake, IntakeScreen)
        assert "恒达化工" in intake.text("summary")  # prefilled with what the caller says
        assert intake.text("reporter_name") == "陈建国"
        # The caller says it has just happened: the written report must say when.
        control = intake.control("occurred_at")
        assert isinstance(control, Input)
        control.value = intake.text("received_at")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        serial, drill_run = db.read(
            "SELECT serial, drill_run_id FROM incident WHERE id = (SELECT max(id) FROM incident)"
        )[0]
        assert drill_run == 1
        assert app.main.queue.selected is not None and app.main.queue.selected.serial == serial
        assert app.main.queue.selected.drill
        assert "[DRILL]" in app.main.timeline.text
        queue_line = next(line for line in screen_text(app).splitlines() if serial in line)
        assert "[DRILL]" in queue_line  # the live queue shows the drill incident, marked
        # 72 s = 12 scenario minutes: the severity goes up to III.
        at(72)

        def severity() -> str:
            rows = db.read("SELECT severity FROM incident WHERE serial = :s", {"s": serial})
            return str(rows[0][0])

        await tick_until(pilot, lambda: severity() == "III")
        at(90)  # phone report at 15 scenario minutes: on the 15-minute target
        await log(
            pilot, ENTRY_KEYS[EntryKind.PHONE_REPORT], target="张三", text="已电话报告带班领导"
        )
        at(150)  # 25 minutes: the leader instruction arrives
        await tick_until(pilot, lambda: "周文斌" in app.main.timeline.text)
        at(270)  # written first report at 45 minutes (target 60)
        await log(pilot, ENTRY_KEYS[EntryKind.FIRST_REPORT], text="书面首报")
        at(300)  # assignment at 50 minutes: 10 over its 40-minute target
        await log(
            pilot, ENTRY_KEYS[EntryKind.ASSIGNMENT], True, target="市应急管理局", text="按批示办理"
        )
        await tick_until(pilot, lambda: isinstance(app.screen, DrillReportScreen))
        report_screen = app.screen
        assert isinstance(report_screen, DrillReportScreen)  # every step done: the report
        report = report_screen.report
        assert report is not None and report.status == "finished"
        figures = {step.step: (step.elapsed, step.link, step.verdict) for step in report.steps}
        minutes = timedelta(minutes=1)
        assert figures == {
            "intake": (2 * minutes, 2 * minutes, "met"),
            "phone_report": (15 * minutes, 13 * minutes, "met"),
            "first_report": (45 * minutes, 30 * minutes, "met"),
            "assignment": (50 * minutes, 5 * minutes, "late"),
        }
        # Slowest links first: the late assignment, then the closest to their targets.
        assert [s.step for s in report.steps] == [
            "assignment",
            "phone_report",
            "intake",
            "first_report",
        ]
        text = report_screen.text
        assert "late +10m" in text and "scenario time" in text
        assert app.main.drill_run_id is None  # the clock stopped with the run


async def test_stop_shows_the_report_and_ends_the_run(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app("zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("down", "enter")  # urban_flood
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, DrillReportScreen)
        assert "未完成" in app.screen.text and "【演练】" in app.screen.text
        assert db.read("SELECT status FROM drill_run")[0][0] == "stopped"
        await pilot.press("x")  # the report as md and docx beside the database
        await settle(pilot)
        # Beside a SQLite file; a server database's go to the user's data folder.
        folder = db.path.parent if db.path is not None else data_dir()
        written = folder / "drill-1.md"
        assert "演练评估" in written.read_text(encoding="utf-8")
        document = Document(str(folder / "drill-1.docx"))
        assert any("【演练】" in p.text for p in document.paragraphs)


# -- snapshots ----------------------------------------------------------------------------


@pytest.fixture
def finished_run(db: Database, night: dict[str, int], tmp_path: Path) -> int:
    """A stopped run of the test scenario with every figure known (tests/test_drills.py)."""
    from dutydesk.services import drills
    from tests.test_drills import SCENARIO, run_drill

    path = tmp_path / "test_fire.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    run_id, _, clock = run_drill(db, path)
    drills.stop_run(request(db, now=clock.now()))
    return run_id


def pressing(*keys: str) -> Callable[[Pilot[Any]], Any]:
    """Settle, press ``keys`` one by one, settle; toasts cleared."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for name in keys:
            await pilot.press(name)
            await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    return run


@pytest.mark.parametrize("language", LANGUAGES)
def test_drill_screen_snapshot(
    snap_compare: Callable[..., bool], make_app: MakeApp, night: dict[str, int], language: str
) -> None:
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=pressing("D"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_drill_report_snapshot(
    snap_compare: Callable[..., bool], make_app: MakeApp, finished_run: int, language: str
) -> None:
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=pressing("D", "m"))


async def test_hostile_scenario_text_shows_literally(
    db: Database, night: dict[str, int], clock: FrozenClock, tmp_path: Path
) -> None:
    from datetime import time

    from dutydesk.config import Settings
    from dutydesk.vocab import Classification
    from tests.tui.conftest import HOSTILE

    folder = tmp_path / "drills"
    folder.mkdir()
    (folder / "aaa_hostile.toml").write_text(
        f'title = "{HOSTILE[1]}"\n[[inject]]\nat = "0m"\nkind = "report"\n'
        f'summary = "{HOSTILE[0]}"\n',
        encoding="utf-8",
    )
    settings = Settings(
        timezone="Asia/Shanghai", day_shift_start=time(8, 30), drills_dir=str(folder)
    )
    app = DutyDeskApp(db, settings, clock, "en", Classification.INTERNAL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        assert "[@click=app.quit]x[" in screen.text  # cut to its column, never markup
        # Start it: the report's summary is announced and listed literally, the app lives.
        await pilot.press("end", "enter")
        await settle(pilot)
        await tick_until(pilot, lambda: "note [/] end" in screen.text)
        assert any("note [/] end" in str(n.message) for n in app._notifications)
        assert app.is_running


@pytest.fixture
def running_flood(db: Database, night: dict[str, int], clock: FrozenClock) -> int:
    """urban_flood at speed 10, started 25 scenario minutes before the app's moment.

    Both reports have come in, the hotline one is taken; the severity change (30m) and
    the instruction (40m) are still due: a fixed picture for the snapshot.
    """
    from dutydesk.rules.deadlines import load_rules
    from dutydesk.services import drills
    from tests.conftest import SHANGHAI

    start = clock.now() - timedelta(seconds=150)
    run_id = drills.start_run(
        db, drills.find_scenario("urban_flood"), speed=10, actor="李四", now=start
    )
    fired = drills.fire_due(request(db, now=clock.now(), rules=load_rules()))
    hotline = fired[0]
    drills.take_report(
        request(db, actor_name="李四", now=clock.now(), tz=SHANGHAI, rules=load_rules()),
        hotline.inject_id,
        NewIncident(
            received_at=clock.now(),
            channel=hotline.values["channel"],
            category=hotline.values["category"],
            # Graded II on intake: its phone report is due in 30 min, so it sorts high.
            severity="II",
            classification="internal",
            title=hotline.values["title"],
            summary=hotline.values["summary"],
        ),
    )
    return run_id


@pytest.mark.parametrize("language", LANGUAGES)
def test_running_drill_snapshot(
    snap_compare: Callable[..., bool], make_app: MakeApp, running_flood: int, language: str
) -> None:
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=pressing("D"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_screen_marks_the_drill_incident_snapshot(
    snap_compare: Callable[..., bool], make_app: MakeApp, running_flood: int, language: str
) -> None:
    # The drill incident in the live queue and, selected, in the timeline pane: marked.
    run = pressing("down", "down", "down")  # past 004, 002 and the restricted 003
    assert snap_compare(make_app(language), terminal_size=SIZE, run_before=run)
