"""Register mode at the console (issue 13): a classified item shows its register line.

A classified item registered in register mode has no title; where the title would be,
the queue, the search results and the timeline's header show its register line, to
every reader (the register is not secret; its content is never stored).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from dutydesk.services.incidents.incident import create_incident
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.services.incidents.register import RegisterFields
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.copies import CopyScreen
from dutydesk.tui.screens.intake import IntakeScreen
from dutydesk.tui.screens.main import MainScreen
from dutydesk.tui.screens.search import SearchScreen
from dutydesk.tui.widgets.form import Field
from dutydesk.vocab import Classification, Deployment
from tests.request_support import request
from tests.tui.conftest import NOW, on_top
from tests.tui.test_console import SIZE, settle
from tests.tui.test_intake import open_intake, summary_area

MakeApp = Callable[..., DutyDeskApp]
WIDE = (180, 40)
"""Wide enough for the whole register line in the queue's title column."""
LINE = "赣办电〔2026〕88号"
REFUSED = "Classified content must not be typed on a non-classified computer"


def add_register_item(db: Database) -> str:
    """A 机密 telegram registered in register mode: organ, 文号, ★期限, copy 3 of 5."""
    report = NewIncident(
        received_at=NOW,
        channel="cipher",
        category="other",
        severity="unassessed",
        classification="secret",
        title="",
        summary="",
        register=RegisterFields(
            organ="省委办公厅", doc_no=LINE, period="10年", copies=5, copy_no=3
        ),
    )
    with db.session() as session:
        req = request(session, now=NOW, deployment=Deployment.REGISTER)
        return create_incident(req, report, session=session).serial


async def _queue_line(app: DutyDeskApp, serial: str) -> str:
    queue = app.main.queue
    for index in range(queue.count or 0):
        row = queue.row(index)
        if row is not None and row.serial == serial:
            return queue.render_line(index + 1).text
    raise AssertionError(f"{serial} not in the queue")


async def test_queue_and_timeline_show_the_register_line_to_every_reader(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    serial = add_register_item(db)
    for clearance in (Classification.INTERNAL, Classification.SECRET):
        app = make_app(clearance=clearance)
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            line = await _queue_line(app, serial)
            assert "省委办公厅" in line and LINE in line, line
            assert "★10年" in line
            # Neither console's reader is named in its 知悉范围, so neither opens it; the
            # register line shows to both (it holds no content).
            assert "restricted" in line
            app.main.timeline.load(
                int(db.read("SELECT id FROM incident WHERE serial = :s", {"s": serial})[0][0])
            )
            await settle(pilot)
            timeline = app.main.timeline
            assert LINE in str(timeline.border_title), timeline.border_title
            assert LINE in timeline.text


async def test_search_results_show_the_register_line(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    serial = add_register_item(db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*serial)
        await settle(pilot)  # waits for the debounced search's worker
        screen = on_top(app, SearchScreen)
        assert [row.serial for row in screen.results.rows] == [serial]
        drawn = screen.results.render_line(1).text
        assert "省委办公厅" in drawn and LINE in drawn, drawn


async def test_intake_refuses_content_for_a_classified_item_and_keeps_it(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        screen.query_one("#field-classification Select", Select).value = "secret"
        summary_area(screen).focus()
        await pilot.press(*"Plant blast")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert on_top(app, IntakeScreen) is screen  # still on the form
        status = str(screen.query_one("#form-status", Static).render())
        assert REFUSED in status, status
        assert summary_area(screen).text == "Plant blast"  # what was typed is kept
    assert db.read("SELECT count(*) FROM incident WHERE classification = 'secret'")[0][0] == 1


async def test_intake_form_content_never_reaches_the_database_file(
    make_app: MakeApp, db: Database, db_path: Path, night: dict[str, int]
) -> None:
    """Issue 13's canary matrix, the console's input: refused, and not in the file's bytes."""
    canary = "金丝雀表单7K"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        screen.query_one("#field-classification Select", Select).value = "secret"
        for name in ("title", "location"):
            field = screen.control(name)
            assert isinstance(field, Input)
            field.value = canary
        summary_area(screen).focus()
        await pilot.press(*canary)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert on_top(app, IntakeScreen) is screen
        status = str(screen.query_one("#form-status", Static).render())
        assert REFUSED in status and len(status.strip().splitlines()) == 1, status
    pattern = {"canary": f"%{canary}%"}
    assert not db.read("SELECT id FROM incident WHERE title LIKE :canary OR summary LIKE :canary"
                       " OR location LIKE :canary", pattern)  # fmt: skip
    files = [db_path, db_path.with_name(db_path.name + "-wal")]  # none on a server
    assert not any(canary.encode() in f.read_bytes() for f in files if f.exists())


async def test_intake_registers_a_classified_item_by_its_register_row(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        register_box = screen.query_one("#register-row")
        assert not register_box.display  # an ordinary item has no register
        screen.query_one("#field-classification Select", Select).value = "secret"
        await settle(pilot)
        assert register_box.display
        for name, value in (
            ("organ", "省委办公厅"), ("doc_no", LINE), ("period", "10年"),
            ("copies", "5"), ("copy_no", "3"), ("signer", "赵六"),
        ):  # fmt: skip
            control = screen.control(name)
            assert isinstance(control, Input)
            control.value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert on_top(app, MainScreen)
    row = db.read(
        "SELECT i.title, i.summary, r.organ, r.doc_no, r.period, r.copies, r.copy_no, r.signer "
        "FROM incident i JOIN classified_register r ON r.incident_id = i.id"
    )
    assert [tuple(r) for r in row] == [("", "", "省委办公厅", LINE, "10年", 5, 3, "赵六")]


def add_named_register_item(db: Database, reader: str) -> tuple[int, str]:
    """A 机密 telegram in register mode whose 知悉范围 names ``reader`` (a 机要 clerk)."""
    from dutydesk.storage.models import Person

    with db.session() as session:
        session.add(Person(name=reader, unit="机要科", clearance=Classification.SECRET))
    report = NewIncident(
        received_at=NOW, channel="cipher", category="other", severity="unassessed",
        classification="secret", title="", summary="", readers=(reader,),
        register=RegisterFields(organ="省委办公厅", doc_no=LINE, period="10年", copies=5, copy_no=3),
    )  # fmt: skip
    with db.session() as session:
        req = request(session, now=NOW, deployment=Deployment.REGISTER)
        made = create_incident(req, report, session=session)
        return int(made.id or 0), made.serial


async def open_copy_form(pilot: Pilot[None], app: DutyDeskApp, incident_id: int) -> CopyScreen:
    """Show the item on the timeline, then press ``m``."""
    await settle(pilot)  # the queue's first selection first, or it replaces this one
    app.main.timeline.load(incident_id)
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)
    return on_top(app, CopyScreen)


def fill(screen: CopyScreen, **values: str) -> None:
    """Type into the form's inputs as the officer would have."""
    for name, value in values.items():
        control = screen.control(name)
        assert isinstance(control, Input)
        control.value = value


async def test_m_records_a_copy_going_out_and_signed_back_from_the_console(
    make_app: MakeApp, db: Database, night: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "韩冬")
    incident_id, _serial = add_named_register_item(db, "韩冬")
    app = make_app(clearance=Classification.SECRET)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_copy_form(pilot, app, incident_id)
        fill(screen, copy_no="3", holder="张书记")  # 呈批 is the first choice
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert on_top(app, MainScreen), screen.status_text
        moved = db.read("SELECT copy_no, holder, signed_back_at FROM register_copy")
        assert [tuple(row) for row in moved] == [(3, "张书记", None)]
        assert "张书记" in app.main.timeline.text
        screen = await open_copy_form(pilot, app, incident_id)
        screen.query_one("#field-movement Select", Select).value = "back"
        back = screen.query_one("#field-back Select", Select)
        seq = db.read(
            "SELECT e.seq FROM register_copy c JOIN timeline_entry e ON e.id = c.entry_id"
        )
        back.value = int(seq[0][0])  # the one copy still out is offered
        fill(screen, holder="韩冬")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert on_top(app, MainScreen)
        # A return (清退) is done by someone: the timeline says by whom, not "to".
        screen = await open_copy_form(pilot, app, incident_id)
        screen.query_one("#field-movement Select", Select).value = "returned"
        fill(screen, copy_no="3", holder="韩冬")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert on_top(app, MainScreen), screen.status_text
        assert "by 韩冬" in app.main.timeline.text and "to 韩冬" not in app.main.timeline.text
    back_row = db.read(
        "SELECT signed_back_by, signed_back_at IS NOT NULL FROM register_copy ORDER BY id LIMIT 1"
    )
    assert [tuple(row) for row in back_row] == [("韩冬", 1)]
    audited = db.read("SELECT count(*) FROM audit_event WHERE action = 'copy_signed_back'")
    assert audited[0][0] == 1


async def test_a_return_without_its_copy_number_is_refused_in_place_and_keeps_the_typing(
    make_app: MakeApp, db: Database, night: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "韩冬")
    incident_id, _serial = add_named_register_item(db, "韩冬")
    app = make_app(clearance=Classification.SECRET)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_copy_form(pilot, app, incident_id)
        screen.query_one("#field-movement Select", Select).value = "returned"
        fill(screen, holder="韩冬")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert on_top(app, CopyScreen) is screen
        refused = screen.query_one("#field-copy_no", Field).error
        assert "Return and destruction name the copy" in refused
        fill(screen, copy_no="9")  # the register has 5 copies: the service refuses it
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert on_top(app, CopyScreen) is screen
        assert "copy 9 is not among the 5 copies" in screen.status_text
        control = screen.control("holder")
        assert isinstance(control, Input) and control.value == "韩冬"
    assert db.read("SELECT count(*) FROM register_copy")[0][0] == 0


async def test_m_on_an_ordinary_incident_says_it_has_no_register(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        said = [str(n.message) for n in app._notifications]
        assert any("is not classified: it has no register" in text for text in said), said
