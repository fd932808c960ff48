"""Pilot tests of the console: they drive the production app and assert on its state."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from dutydesk.i18n import t
from dutydesk.services.incidents.queue import fetch_window
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.keys import KeysScreen
from dutydesk.tui.screens.main import WATCH_GROUP
from dutydesk.vocab import Category, Channel, Classification, Severity
from tests.tui.conftest import NOW, local

MakeApp = Callable[..., DutyDeskApp]
SIZE = (120, 40)


async def settle(pilot: Pilot[None]) -> None:
    """Let messages flow and every worker (and the workers they start) finish.

    Done when two pauses in a row find no worker running (however long a chain of
    workers and messages is); each pause repaints, so no more of them than that. The
    main screen's watcher runs as long as the console does: it is not waited for.
    """
    quiet = 0
    while quiet < 2:
        await pilot.pause()
        busy = [worker for worker in pilot.app.workers if worker.group != WATCH_GROUP]
        if busy:
            # An exclusive worker replaced by a newer one is done too (WorkerCancelled).
            with contextlib.suppress(WorkerCancelled):
                await pilot.app.workers.wait_for_complete(busy)
            quiet = 0
        else:
            quiet += 1


def line_text(app: DutyDeskApp, y: int) -> str:
    """The plain text of line ``y`` of the queue pane (0 is the column header)."""
    return app.main.queue.render_line(y).text


def screen_text(app: DutyDeskApp) -> str:
    """Every character on the terminal, as the compositor would send it."""
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(strip.text for strip in line) for line in update.strips)


async def test_first_screen_is_most_urgent_first(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.main.queue
        assert queue.count == 29
        assert [queue.row(i).serial for i in range(4)] == [  # type: ignore[union-attr]
            "20261126-004",
            "20261126-002",
            "20261126-003",
            "20261125-031",
        ]
        assert app.focused is queue
        assert "overdue 5 min" in line_text(app, 1)
        assert "in 12 min" in line_text(app, 2)
        assert app.main.timeline.incident_id == night["20261126-004"]


async def test_cursor_moves_show_that_incidents_timeline(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = app.main.timeline
        assert "电话报告带班领导。" in timeline.text
        assert "Continued report 2" in timeline.text
        assert "leader instruction" in timeline.text
        assert "to 张三" in timeline.text  # the phone report went to him
        assert "from 刘强" in timeline.text and "to 刘强" not in timeline.text  # his instruction
        assert "feedback due 11-29 02:30" in timeline.text
        # Newest last.
        assert timeline.text.index("现场已控制。") > timeline.text.index("电话报告，3人受伤。")

        await pilot.press("down")
        await settle(pilot)
        assert app.main.queue.cursor == 1
        assert timeline.incident_id == night["20261126-002"]
        assert "传真报告，学生呕吐腹泻。" in timeline.text
        assert "电话报告带班领导。" not in timeline.text

        await pilot.press("k")
        await settle(pilot)
        assert timeline.incident_id == night["20261126-004"]
        assert "电话报告带班领导。" in timeline.text

        await pilot.press("j", "j")
        await settle(pilot)
        assert timeline.incident_id == night["20261126-003"]
        assert "restricted" in timeline.text
        assert "涉密电报内容" not in timeline.text
        assert "不得显示的内容" not in timeline.text


async def test_classified_row_shows_restricted_not_its_title(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        line = line_text(app, 3)
        assert "20261126-003" in line
        assert "01:58" in line
        assert "secret" in line
        assert "restricted" in line
        assert "涉密电报内容" not in screen_text(app)


async def test_cleared_viewer_sees_the_classified_title(
    make_app: MakeApp, night: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "张三")  # named in its 知悉范围 (issue 13)
    app = make_app(clearance=Classification.SECRET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "涉密电报内容" in line_text(app, 3)
        assert "restricted" not in line_text(app, 3)


async def test_a_cleared_viewer_not_named_sees_the_classified_row_restricted(
    make_app: MakeApp, night: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")  # cleared by level, not named
    app = make_app(clearance=Classification.TOP_SECRET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "涉密电报内容" not in line_text(app, 3)
        assert "restricted" in line_text(app, 3)


async def test_tab_cycles_focus_through_the_three_panes(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = []
        for _ in range(4):
            assert app.focused is not None
            seen.append(app.focused.id)
            await pilot.press("tab")
        assert seen == ["queue", "timeline", "roster", "queue"]
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused is not None and app.focused.id == "roster"
        await pilot.press("1")
        assert app.focused is not None and app.focused.id == "queue"


async def test_page_down_home_and_end(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.main.queue
        page = queue.size.height - 2
        await pilot.press("pagedown")
        await settle(pilot)
        assert queue.cursor == page
        assert app.main.timeline.incident_id == queue.row(page).id  # type: ignore[union-attr]
        await pilot.press("pageup")
        assert queue.cursor == 0
        await pilot.press("end")
        await settle(pilot)
        assert queue.cursor == 28
        assert queue.row(28) is not None
        await pilot.press("home")
        assert queue.cursor == 0


def assert_cursor_row_on_screen(app: DutyDeskApp) -> None:
    """The row under the cursor is drawn on the terminal, as a person would see it."""
    queue = app.main.queue
    row = queue.selected
    assert row is not None
    first = int(queue.scroll_y)
    assert first <= queue.cursor < first + queue.size.height - 1, "cursor scrolled out of view"
    pane = queue.region
    lines = screen_text(app).splitlines()[pane.y + 2 : pane.y + pane.height - 1]
    assert any(row.serial in line for line in lines), f"{row.serial} is not on the screen"


async def test_the_cursor_row_is_always_on_screen(
    make_app: MakeApp, night: dict[str, int], db: Database
) -> None:
    # Issue 10, defect 2: the queue moved its cursor past row 19 but kept drawing rows
    # 1-19 (the pane could not scroll), so the last rows, a 机密 one among them, could
    # never be seen.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.main.queue
        assert queue.count == 29 and queue.size.height - 1 < 29
        for _ in range(28):
            await pilot.press("j")
            assert_cursor_row_on_screen(app)
        assert queue.cursor == 28
        await pilot.press("home")
        assert_cursor_row_on_screen(app)
        await pilot.press("pagedown")
        await settle(pilot)
        assert_cursor_row_on_screen(app)
        await pilot.press("end")
        await settle(pilot)
        assert queue.cursor == 28
        assert_cursor_row_on_screen(app)
        await pilot.resize_terminal(120, 30)  # a smaller terminal: still in view
        await settle(pilot)
        assert_cursor_row_on_screen(app)
        await pilot.press("pageup")
        await settle(pilot)
        assert_cursor_row_on_screen(app)
        await pilot.press("k")
        assert_cursor_row_on_screen(app)
        await pilot.resize_terminal(*SIZE)
        await pilot.press("end")
        await settle(pilot)
        # A live reload (another desk closed the top incident) keeps the cursor's row in view.
        with db.session() as session:
            top = session.get(Incident, night["20261126-004"])
            assert top is not None
            top.is_open = False
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert queue.count == 28
        assert_cursor_row_on_screen(app)


async def test_question_mark_lists_every_key(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, KeysScreen)
        text = screen.text
        main = app.main
        for node in (app, main.queue, main.timeline, main.roster, screen):
            for _key, binding in node._bindings:
                assert binding.description in text, binding
        for words in ("Quit", "Keys", "Commands", "Next pane", "Page down", "Down", "Refresh"):
            assert words in text
        assert "^q" in text and "^p" in text and "j" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, KeysScreen)


async def test_keys_screen_in_chinese(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app("zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
        text = app.screen.text
        for words in ("退出", "下一页", "下一窗格", "命令", "事件队列", "全局"):
            assert words in text


async def test_every_binding_has_description_id_and_tooltip(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app("zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        main = app.main
        for node in (app, main, main.queue, main.timeline, main.roster, app.screen):
            for _key, binding in node._bindings:
                assert binding.id, binding
                assert binding.description and binding.tooltip, binding
                # Translated, not a catalog key left behind.
                assert not binding.description.startswith("keys."), binding
                assert not binding.tooltip.startswith("tip."), binding


async def test_ctrl_p_opens_the_translated_palette(
    make_app: MakeApp, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"shift roster")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, CommandPalette)
        assert app.focused is not None and app.focused.id == "roster"


async def test_ctrl_q_quits(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_status_line(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        line = screen_text(app).splitlines()[0]
        assert "Thu 26 Nov 02:31:00" in line
        assert "Night shift 17:30-08:30" in line
        assert "Handover in 5 h 59 min" in line
        assert "Open 29" in line
        assert "Overdue 1" in line


async def test_chinese_screen(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app("zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        expected = ("事件队列", "跟踪记录", "值班表", "夜班 17:30-08:30", "距交接班 5 小时 59 分")
        for words in expected:
            assert words in text
        assert "续报一" in app.main.timeline.text
        assert "续报二" in app.main.timeline.text
        assert "超时5分钟" in line_text(app, 1)


async def test_roster_pane(make_app: MakeApp, night: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = app.main.roster.text
        assert "Now: Night shift 17:30-08:30" in text
        assert "special period 联合值班" in text
        assert "张三" in text
        assert "李四 17:30-01:00" in text
        assert "王五 01:00-08:30" in text
        assert "(vacant)" in text
        assert "Next: Day 11-26 08:30-17:30" in text
        assert "not rostered" in text  # the night of the 26th has no roster
        assert "刘强副市长 -> 北京" in text
        assert "in charge: 郑华" in text  # looks after the work; never "acting" (代理)


async def test_refresh_reads_new_incidents(
    make_app: MakeApp, night: dict[str, int], db: Database
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        received = local(26, 2, 30)
        with db.session() as session:
            session.add(
                Incident(
                    serial="20261126-030",
                    serial_date=received.date(),
                    serial_no=30,
                    received_at=received,
                    channel=Channel.PHONE,
                    category=Category.NATURAL_DISASTER,
                    severity=Severity.I,
                    severity_rank=0,
                    title="山体滑坡",
                    summary="",
                    due_at=local(26, 2, 20),
                    due_step="phone_report",
                    created_at=received,
                    updated_at=received,
                )
            )
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.main.queue.count == 30
        assert "山体滑坡" in line_text(app, 1)
        assert "Open 30" in screen_text(app).splitlines()[0]


async def test_hostile_text_is_shown_literally_and_never_acts(
    make_app: MakeApp, hostile_night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        main = app.main
        row = main.queue.row(0)
        assert row is not None and row.id == hostile_night["20261126-004"]
        queue_line = line_text(app, 1)
        assert "note [/] end" in queue_line
        timeline, roster = main.timeline.text, main.roster.text
        for text in (timeline, roster):
            assert "note [/] end" in text
            assert "[@click=app.quit]x[/]" in text
        assert "report⟨U+202E⟩gpj.exe" in timeline
        assert "report⟨U+202E⟩gpj.exe" in roster
        # Clicking where the fake link is drawn must not quit the app.
        await pilot.click("#queue", offset=(60, 1))
        await pilot.click("#timeline", offset=(10, 1))
        await settle(pilot)
        assert app.is_running
        everything = screen_text(app) + timeline + roster + queue_line
        for forbidden in ("\x1b", "\x07", "\u202e", "ZWNobw=="):
            assert forbidden not in everything


async def test_queue_reads_only_the_visible_window(tmp_path: object, settings, clock) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from tests.bench.build_db import build

    path = Path(str(tmp_path)) / "big.sqlite3"
    build(path, 3000, 1.0)
    db = Database(f"sqlite:///{path}")
    try:
        app = DutyDeskApp(db, settings, clock, "en")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            queue = app.main.queue
            assert queue.count == 3000
            # The visible 100-row block, one block of read-ahead and the block holding the
            # last row (End draws without a read, issue 16): 300 rows, not 3,000.
            assert sorted(queue._blocks) == [0, 1, 29]
            await pilot.press("end")
            await settle(pilot)
            assert queue.cursor == 2999
            assert_cursor_row_on_screen(app)
            last = queue.row(2999)
            assert last is not None
            assert last.id == fetch_window(db, 2999, 1)[0].id
            assert app.main.timeline.incident_id == last.id
            assert len(queue._blocks) <= 5  # the top two, plus the last blocks and read-ahead
    finally:
        db.close()


def test_frozen_moment_is_the_demo_moment() -> None:
    assert NOW.isoformat() == "2026-11-26T02:31:00+08:00"
    assert t("pane.queue") == "Incident queue"
