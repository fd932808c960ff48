"""Pilot tests of follow-up entries, field edits, report clocks, live sharing and search."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.incidents.edits import update_fields
from dutydesk.services.incidents.intake import register
from dutydesk.storage.engine import Database
from dutydesk.storage.search import SearchSpec
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.edit import EditScreen
from dutydesk.tui.screens.entry import EntryScreen, LogChooser
from dutydesk.tui.screens.main import MainScreen
from dutydesk.tui.screens.search import SearchScreen
from dutydesk.vocab import EntryKind
from tests.request_support import intake, request
from tests.tui.conftest import NOW, SHANGHAI, on_top
from tests.tui.test_console import SIZE, settle
from tests.tui.test_intake import entries, incidents

MakeApp = Callable[..., DutyDeskApp]


async def fill(app: DutyDeskApp, **values: object) -> None:
    """Fill the open form's fields: text for inputs and areas, values for selects."""
    screen = app.screen
    assert isinstance(screen, EntryScreen | EditScreen)
    for name, value in values.items():
        control = screen.control(name)
        if isinstance(control, Select):
            control.value = value
        elif isinstance(control, TextArea):
            control.text = str(value)
        else:
            assert isinstance(control, Input)
            control.value = str(value)


# (key, fields to fill, kind recorded, text the timeline then shows)
STEPS: list[tuple[str, dict[str, object], str, str]] = [
    ("v", {"text": "再次回拨核实"}, "verified", "再次回拨核实"),
    ("p", {"target": "张三", "text": "电话续报"}, "phone_report", "to 张三"),
    ("c", {"text": "伤员已脱险"}, "continued_report", "Continued report 3"),
    (
        "i",
        {"target": "刘强", "text": "请卫健委全力救治。", "due_at": "2026-11-28"},
        "leader_instruction",
        "feedback due 11-28 17:30",
    ),
    ("t", {"target": "市卫健委", "text": "按批示办理"}, "assignment", "to 市卫健委"),
    ("s", {"text": "电话督办"}, "supervision", "电话督办"),
    ("o", {"text": "备注 [/] 不是标记"}, "note", "备注 [/] 不是标记"),
    ("w", {"text": "终报：处置完毕"}, "final_report", "终报：处置完毕"),
    ("r", {"text": "家属反映新情况"}, "reopened", "家属反映新情况"),
]


async def test_each_follow_up_key_writes_its_entry_and_the_timeline_shows_it(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    gas = night["20261126-004"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, values, kind, shown in STEPS:
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, EntryScreen), key
            assert app.screen.kind is EntryKind(kind)
            await fill(app, **values)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, MainScreen), (key, getattr(app.screen, "status_text", ""))
            last = entries(db, gas)[-1]
            assert last.kind == kind
            assert last.actor_name == app.context.operator
            if "text" in values:
                assert last.text == values["text"]
            assert shown in app.main.timeline.text, (key, app.main.timeline.text)
        statuses = {i.serial: i.status for i in incidents(db)}
        assert statuses["20261126-004"] == "following"  # closed by the final report, reopened


async def test_feedback_and_correction_choose_the_entry_they_refer_to(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    gas = night["20261126-004"]
    instruction = next(e for e in entries(db, gas) if e.kind == "leader_instruction")
    first = entries(db, gas)[0]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await fill(app, refers_to=instruction.id, text="卫健委：已落实")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await fill(app, refers_to=first.id, text="应为4人受伤")
        await pilot.press("ctrl+s")
        await settle(pilot)
        *_, feedback, correction = entries(db, gas)
        assert (feedback.kind, feedback.refers_to_id) == ("feedback", instruction.id)
        assert (correction.kind, correction.refers_to_id) == ("correction", first.id)
        assert entries(db, gas)[0].text == "电话报告，3人受伤。"  # the original stays


async def test_l_lists_every_kind_and_opens_the_chosen_form(make_app: MakeApp, night) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LogChooser)
        await pilot.press("down", "enter")  # the second kind: phone report
        await settle(pilot)
        assert isinstance(app.screen, EntryScreen)
        assert app.screen.kind is EntryKind.PHONE_REPORT


async def test_a_refused_entry_says_why_and_keeps_what_was_typed(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = len(entries(db, night["20261126-004"]))
        await pilot.press("r")  # reopen an open incident
        await settle(pilot)
        await fill(app, text="理由")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = on_top(app, EntryScreen)
        assert "not closed, so there is nothing to reopen" in screen.status_text
        assert screen.text("text") == "理由"
        assert len(entries(db, night["20261126-004"])) == before


async def test_field_edit_records_old_and_new_values(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    gas = night["20261126-004"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        await fill(app, severity="I", location="幸福路12号院")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        change = entries(db, gas)[-1]
        assert change.kind == "field_change"
        assert 'severity: "II" → "I"' in change.text
        assert 'location: "幸福路12号" → "幸福路12号院"' in change.text
        assert "changed" in app.main.timeline.text


async def test_the_edit_form_takes_the_report_elements_and_refuses_a_bad_figure(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    # Issue 12: casualty figures, the sensitive flag and the kind from the console too.
    gas = night["20261126-004"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        await fill(app, injured="three")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)  # refused: nothing saved, text kept
        assert app.screen.text("injured") == "three"
        assert "whole number" in str(app.screen.query_one("#form-status", Static).render())
        await fill(app, injured="3", trapped="2")
        app.screen.query_one("#field-sensitive Checkbox", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        change = entries(db, gas)[-1]
        assert 'injured: "" → "3"' in change.text and 'sensitive: "no" → "yes"' in change.text
        assert "受伤3人、被困2人" in app.main.timeline.text


async def test_version_conflict_shows_the_current_state_and_keeps_the_change(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    gas = night["20261126-004"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = on_top(app, EditScreen)
        await fill(app, title="燃气爆炸（更新）")
        # Meanwhile another officer raises the severity at another console.
        with db.session() as session:
            update_fields(
                request(session, actor_name="王五", now=NOW, rules=load_rules()),
                session=session,
                incident_id=gas,
                expected_version=None,
                changes={"severity": "I"},
            )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "was changed by someone else" in screen.status_text
        assert screen.text("title") == "燃气爆炸（更新）"  # nothing typed is lost
        assert "Severity: I" in str(screen.query_one("#edit-current").render())
        await pilot.press("ctrl+s")  # apply it on top of the current version
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        gas_now = next(i for i in incidents(db) if i.id == gas)
        assert (gas_now.title, gas_now.severity) == ("燃气爆炸（更新）", "I")


async def until(pilot: Pilot[None], done: Callable[[], bool], seconds: float = 30) -> None:
    """Wait for ``done()``: the watcher polls every 0.4 s, later on a loaded machine."""
    for _ in range(int(seconds / 0.2)):
        await pilot.pause(0.2)
        if done():
            await settle(pilot)
            return
    raise AssertionError("never happened")


async def test_a_passing_deadline_notifies_once(
    db: Database, settings: Settings, night: dict[str, int]
) -> None:
    clock = FrozenClock(NOW.astimezone(UTC))
    app = DutyDeskApp(db, settings, clock, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app._notifications  # already overdue at start: no toast
        clock.advance(timedelta(minutes=13))  # 02:44: 20261126-002 (due 02:43) passes
        await pilot.pause(1.0)
        await settle(pilot)
        texts = [n.message for n in app._notifications]
        assert texts == ["20261126-002: continued rpt is now overdue"]
        assert (night["20261126-002"], "continued_report") in app.main.notified
        assert "overdue 1 min" in app.main.queue.render_line(1).text + "".join(
            app.main.queue.render_line(y).text for y in range(1, 6)
        )
        clock.advance(timedelta(seconds=30))
        await pilot.pause(1.0)
        await settle(pilot)
        assert len(app._notifications) == 1  # once


async def test_an_instruction_is_chased_before_it_falls_due_and_escalated_after(
    db: Database, settings: Settings, night: dict[str, int]
) -> None:
    # Issue 12: 催办 reminders before the due date; escalation when late. The seed sets
    # clocks as the service would: 20261126-002's next step is a leader's instruction's
    # feedback, due 2 h 1 min from now.
    due = NOW.astimezone(UTC) + timedelta(hours=2, minutes=1)
    from sqlalchemy import text

    with db.session() as session:
        session.execute(
            text("UPDATE incident SET due_step = 'feedback', due_at = :due WHERE id = :id"),
            {"due": db.time_param(due), "id": night["20261126-002"]},
        )
    clock = FrozenClock(NOW.astimezone(UTC))
    app = DutyDeskApp(db, settings, clock, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app._notifications
        clock.advance(timedelta(minutes=2))  # now 2 h before the feedback is due
        await until(
            pilot, lambda: any(n.message.startswith("Chase it") for n in app._notifications)
        )
        chased = [n for n in app._notifications if n.message.startswith("Chase it")]
        assert [n.message for n in chased] == ["Chase it: 20261126-002: feedback is due at 04:32"]
        clock.advance(timedelta(hours=2))  # past due: escalated, as an error
        await until(
            pilot, lambda: any(n.message.startswith("20261126-002") for n in app._notifications)
        )
        late = [n for n in app._notifications if n.message.startswith("20261126-002")]
        assert [n.severity for n in late] == ["error"]
        assert "overdue" in late[0].message and "tell the duty leader" in late[0].message
        # Other steps passing at the same time are flagged as before, as warnings.
        others = [n.severity for n in app._notifications if "is now overdue" in n.message]
        assert others and set(others) == {"warning"}


async def test_another_consoles_intake_appears_without_a_key_and_the_cursor_keeps_its_incident(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        selected = app.main.queue.selected
        assert selected is not None
        other = Database(db.url)  # another console: its own connections
        try:
            new = register(
                *intake(
                    other,
                    received_at=NOW,
                    channel="phone",
                    category="accident",
                    severity="I",
                    classification="internal",
                    title="另一台值班机登记",
                    summary="另一台值班机登记的特别重大事项",
                    now=NOW,
                    tz=SHANGHAI,
                    rules=load_rules(),
                )
            )
            # No key is pressed: the console's watcher must notice by itself. How fast is
            # measured by tests/bench/bench_console.py; here a generous bound only stops
            # a hang (a tight one failed on a loaded machine).
            for _ in range(600):
                if app.main.queue.count == 30:
                    break
                await asyncio.sleep(0.05)
        finally:
            other.close()
        assert app.main.queue.count == 30
        await settle(pilot)
        serials = [row.serial for i in range(30) if (row := app.main.queue.row(i))]
        assert new.serial in serials
        # The cursor stays on the incident it was on, wherever it moved to.
        assert app.main.queue.selected is not None
        assert app.main.queue.selected.id == selected.id


@pytest.mark.parametrize("query", ["爆炸", "爆"])
async def test_search_finds_by_short_chinese_and_enter_shows_the_timeline(
    make_app: MakeApp, night: dict[str, int], query: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        assert app.main.timeline.incident_id != night["20261126-004"]
        await pilot.press("slash")
        await settle(pilot)
        screen = on_top(app, SearchScreen)
        await pilot.press(*query)
        await settle(pilot)  # waits for the debounced search's worker
        assert [row.serial for row in screen.results.rows] == ["20261126-004"]
        await pilot.press("enter")  # one Enter opens the selected (first) result
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main.timeline.incident_id == night["20261126-004"]
        assert "电话报告带班领导。" in app.main.timeline.text


async def test_search_shows_classified_rows_restricted(make_app: MakeApp, night) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"20261126-003")
        await settle(pilot)  # waits for the debounced search's worker
        screen = on_top(app, SearchScreen)
        assert [row.restricted for row in screen.results.rows] == [True]
        drawn = screen.results.render_line(1).text
        assert "restricted" in drawn and "涉密电报内容" not in drawn


async def test_search_results_scroll_to_the_cursor(make_app: MakeApp, night) -> None:  # type: ignore[no-untyped-def]
    # The results list had the queue's defect (issue 10, defect 2): no vertical overflow,
    # so results past the first screen could be chosen but never seen.
    app = make_app()
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        screen = on_top(app, SearchScreen)
        await pilot.press(*"例行事项")
        await settle(pilot)  # waits for the debounced search's worker
        results = screen.results
        assert len(results.rows) > results.size.height
        results.focus()
        for _ in range(len(results.rows) - 1):
            await pilot.press("j")
        await settle(pilot)
        last = results.rows[-1]
        assert results.cursor == len(results.rows) - 1
        assert int(results.scroll_y) > 0
        drawn = [results.render_line(y).text for y in range(1, results.size.height)]
        assert any(last.serial in line for line in drawn)


async def test_search_reads_each_next_page_after_the_last_row(
    make_app: MakeApp, db: Database, night: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 15: the next page starts after the last result shown (the index's own order),
    # not at an offset the index walks from the top; pages of two, so every boundary is hit.
    from dutydesk.services.incidents.search import search
    from dutydesk.tui.screens import search as search_screen

    monkeypatch.setattr(search_screen, "PAGE", 2)
    whole = [row.id for row in search(request(db), "例行事项", limit=500).rows]
    assert len(whole) > 4
    index = type(db.search_index)
    asked: list[SearchSpec] = []
    find = index.find

    def recording(self: Any, spec: SearchSpec) -> Any:
        asked.append(spec)
        return find(self, spec)

    monkeypatch.setattr(index, "find", recording)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        screen = on_top(app, SearchScreen)
        await pilot.press(*"例行事项")
        await settle(pilot)  # waits for the debounced search's worker
        results = screen.results
        assert len(results.rows) == 2 and "+" in screen.status_text
        results.focus()
        while results.cursor < len(results.rows) - 1:  # each move to the end reads a page
            await pilot.press("j")
            await settle(pilot)
        assert [row.id for row in results.rows] == whole
        assert "+" not in screen.status_text
    # Under load the debounce can pass between two typed characters, and a part of the
    # term ("例") is searched too: only the whole term's searches are the pages.
    asked = [spec for spec in asked if spec.terms == ("例行事项",)]
    # Every page after the first started after the row above it, never at an offset.
    assert len(asked) == -(-len(whole) // 2) and all(spec.offset == 0 for spec in asked)
    assert [spec.after.id for spec in asked[1:] if spec.after] == whole[1::2][: len(asked) - 1]


async def test_phone_report_is_prefilled_with_tonights_duty_leader(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    """Friction (issue 10): "reported to" starts as the roster's duty leader for now."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        screen = on_top(app, EntryScreen)
        assert screen.text("target") == "张三"  # night shift's 带班领导 at 02:31
        assert not screen.dirty  # the roster's value, not the officer's typing
        await fill(app, text="已电话报告")
        await pilot.press("ctrl+s")
        await settle(pilot)
        last = entries(db, night["20261126-004"])[-1]
        assert (last.kind, last.target) == ("phone_report", "张三")


async def test_a_new_incident_shows_both_report_clocks_until_each_is_met(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    """Friction (issue 10): the phone (20 min) and written (40 min) clocks, not only the next."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Tunnel collapse, two trapped")
        app.screen.query_one("#field-severity Select", Select).value = "II"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        header = app.main.timeline.text.splitlines()[0]
        assert "phone report in 20 min" in header and "first report in 40 min" in header
        await pilot.press("p")  # the phone report is made: its clock goes
        await settle(pilot)
        await fill(app, text="报带班领导")
        await pilot.press("ctrl+s")
        await settle(pilot)
        header = app.main.timeline.text.splitlines()[0]
        assert "phone report in" not in header and "first report in 40 min" in header


async def test_a_first_report_waits_for_the_time_it_happened_typed_in_the_edit_form(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    # Issue 12: 事发时间 is a required 报告要素 of the written first report.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Tunnel collapse, two trapped")
        await pilot.press("ctrl+s")  # 事发时间 not known yet: the intake takes it blank
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("f")
        await settle(pilot)
        await fill(app, text="书面首报：隧道塌方")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = on_top(app, EntryScreen)  # refused in one line, the text kept
        assert "a written report must state it" in screen.status_text
        assert screen.text("text") == "书面首报：隧道塌方"
        await pilot.press("escape")
        await settle(pilot)
        if not isinstance(app.screen, MainScreen):  # the discard question
            await pilot.press("y")
            await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        edit = on_top(app, EditScreen)
        assert edit.text("occurred_at") == ""
        await fill(app, occurred_at="next week")
        await pilot.press("ctrl+s")
        await settle(pilot)
        edit = on_top(app, EditScreen)  # a bad time: refused, what was typed kept
        assert edit.text("occurred_at") == "next week"
        await fill(app, occurred_at="02:20")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        serial = app.main.queue.selected.serial if app.main.queue.selected else ""
        occurred = db.read("SELECT occurred_at FROM incident WHERE serial = :s", {"s": serial})
        assert str(occurred[0][0]).startswith("2026-11-25 18:20")  # 02:20 Shanghai, in UTC
        await pilot.press("f")
        await settle(pilot)
        await fill(app, text="书面首报：隧道塌方")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen), getattr(app.screen, "status_text", "")
        kinds = db.read(
            "SELECT e.kind FROM timeline_entry e JOIN incident i ON i.id = e.incident_id"
            " WHERE i.serial = :s",
            {"s": serial},
        )
        assert "first_report" in {row.kind for row in kinds}
