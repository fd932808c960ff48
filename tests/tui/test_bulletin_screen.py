"""Pilot tests of the bulletin screen (``b``): draft -> review -> sign -> issue, short version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import col, select
from textual.widgets import Input, Select

from dutydesk.storage.engine import Database
from dutydesk.storage.models import Bulletin, BulletinItem, Person, PersonRole
from dutydesk.tui.app import DutyDeskApp
from dutydesk.tui.screens.bulletin import BulletinScreen
from dutydesk.tui.screens.confirm import ConfirmScreen
from dutydesk.tui.screens.main import MainScreen
from dutydesk.tui.screens.prompt import PickScreen
from dutydesk.vocab import Classification
from tests.templates import DemoTemplates
from tests.tui.conftest import NOW, on_top
from tests.tui.test_console import SIZE, screen_text, settle
from tests.tui.test_handover_screen import CANARY

MakeApp = Callable[..., DutyDeskApp]


def bulletins(db: Database) -> list[Bulletin]:
    """Every bulletin, oldest first."""
    with db.session(write=False) as session:
        return list(session.exec(select(Bulletin).order_by(col(Bulletin.id))).all())


@pytest.fixture
def signer(db: Database, night: dict[str, int]) -> str:
    """张三 may sign bulletins off (duty leader)."""
    with db.session() as session:
        person = session.exec(select(Person).where(Person.name == "张三")).one()
        assert person.id is not None
        session.add(PersonRole(person_id=person.id, role="duty_leader"))
    return "张三"


async def open_bulletin(pilot, *moves: str) -> BulletinScreen:  # type: ignore[no-untyped-def]
    """Settle, move the queue cursor, press ``b``."""
    await settle(pilot)
    if moves:
        await pilot.press(*moves)
        await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BulletinScreen)
    return screen


async def draft(pilot, screen: BulletinScreen) -> None:  # type: ignore[no-untyped-def]
    """Enter in the serials field drafts the bulletin."""
    await pilot.press("enter")
    await settle(pilot)
    assert screen.view is not None, screen.status_text


async def test_draft_review_sign_issue_gives_number_one(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await draft(pilot, screen)
        [row] = bulletins(db)
        assert (row.status, row.issue_no, row.title) == ("draft", None, "幸福路燃气爆炸")
        assert "幸福路12号" in screen.body_area.text  # prefilled from the incident
        screen.title_input.value = "幸福路燃气爆炸事故"
        await pilot.press("f2")  # saves the edit, then reviews
        await settle(pilot)
        [row] = bulletins(db)
        assert (row.status, row.title, row.reviewed_by) == (
            "reviewed",
            "幸福路燃气爆炸事故",
            app.context.operator,
        )
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, PickScreen)
        assert app.screen.values == [signer]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # a number is given for good: ask
        await pilot.press("y")
        await settle(pilot)
        [row] = bulletins(db)
        assert (row.status, row.issue_no, row.year) == ("issued", 1, 2026)
        assert "《信息快报》2026年第1期" in screen_text(app)
        assert "2026年第1期" in screen.status_text


async def test_issue_before_sign_off_is_refused_and_typing_is_kept(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await draft(pilot, screen)
        await pilot.press("f4")
        await settle(pilot)
        assert "no sign-off yet" in screen.status_text
        screen.title_input.value = "   "
        screen.body_area.load_text("改写的正文")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "cannot be blank" in screen.status_text
        assert screen.body_area.text == "改写的正文"  # what was typed stays
        assert bulletins(db)[0].body != "改写的正文"


async def test_a_discarded_draft_uses_no_number(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await draft(pilot, screen)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        [row] = bulletins(db)
        assert (row.status, row.issue_no) == ("discarded", None)
        # The next bulletin issued still gets number 1.
        screen = await open_bulletin(pilot)
        await draft(pilot, screen)
        for step in ("f2", "f3", "enter", "f4", "y"):
            await pilot.press(step)
            await settle(pilot)
        assert [(b.status, b.issue_no) for b in bulletins(db)] == [
            ("discarded", None),
            ("issued", 1),
        ]


async def test_more_incidents_can_be_added_by_serial(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await pilot.press("space", *"20261126-002")
        await draft(pilot, screen)
        assert [item.serial for item in screen.view.items] == ["20261126-004", "20261126-002"]  # type: ignore[union-attr]
        # Both 内部, neither decided 可发短信/微信 yet: no short version before sign-off.
        assert "可发短信/微信" in screen.short_panel.text


async def test_short_version_refused_for_a_secret_incident(
    make_app: MakeApp, db: Database, night: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "张三")  # named in the telegram's 知悉范围
    app = make_app(clearance=Classification.SECRET)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot, "j", "j")  # 20261126-003, 机密
        await draft(pilot, screen)
        assert bulletins(db)[0].classification == "secret"
        panel = screen.short_panel
        assert panel.version is None
        assert panel.refusal is not None and "cipher channel only" in panel.refusal
        assert "cipher channel only" in screen_text(app)


async def test_canary_never_reaches_a_short_version(
    make_app: MakeApp, db: Database, signer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "张三")  # named in the telegram's 知悉范围
    app = make_app(clearance=Classification.SECRET)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot, "j", "j")
        await pilot.press("space", *"20261126-002")
        await draft(pilot, screen)
        await sign_off(pilot, screen, sms_ok=1)  # 20261126-002 (内部) may go by SMS
        panel = screen.short_panel
        assert panel.version is not None and panel.version.omitted
        assert "left out" in panel.text
        for canary in CANARY:
            assert canary not in panel.text
            assert canary not in panel.version.full


async def test_an_uncleared_officer_cannot_draft_from_a_secret_incident(
    make_app: MakeApp, db: Database, night: dict[str, int]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot, "j", "j")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.view is None
        assert "not cleared" in screen.status_text
        assert bulletins(db) == []
        for canary in CANARY:
            assert canary not in screen_text(app)


async def sign_off(pilot, screen: BulletinScreen, sms_ok: int = 0) -> None:  # type: ignore[no-untyped-def]
    """Review and sign the bulletin on screen (the only signer is offered).

    With ``sms_ok``, F6 first marks that many 内部 items 可发短信/微信 (the first ones).
    """
    await pilot.press("f2")
    await settle(pilot)
    for index in range(sms_ok):
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press(*["down"] * index, "enter")
        await settle(pilot)
    for step in ("f3", "enter"):
        await pilot.press(step)
        await settle(pilot)
    assert screen.view is not None and screen.view.signed_off_by, screen.status_text


async def test_f6_chooses_the_internal_items_that_may_go_by_sms(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await pilot.press("space", *"20261126-002")
        await draft(pilot, screen)
        assert "可发短信/微信" in screen.short_panel.text  # undecided: refused, no content
        assert screen.short_panel.version is None
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        pick = on_top(app, PickScreen)
        assert [value.split()[1] for value in pick.values] == ["20261126-004", "20261126-002"]
        await pilot.press("enter")  # marks 20261126-004
        await settle(pilot)
        assert "20261126-004" in screen.status_text
        await pilot.press("f3", "enter")
        await settle(pilot)
        with db.session(write=False) as session:
            decided = session.exec(
                select(BulletinItem.sms_allowed).order_by(col(BulletinItem.position))
            ).all()
        assert decided == [True, False]
        assert "20261126-004 (可发短信/微信)" in screen_text(app)  # shown with the bulletin
        panel = screen.short_panel
        assert panel.version is not None and panel.version.held_back == 1
        assert "(1/" in panel.text or panel.version.segments  # a short version now
        assert "1 内部 item(s) left out" in panel.text
        await pilot.press("f6")  # decided at sign-off: not changed here
        await settle(pilot)
        assert "Decided at sign-off" in screen.status_text


async def test_issuing_asks_first_and_no_keeps_the_number_unused(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await draft(pilot, screen)
        await sign_off(pilot, screen)
        await pilot.press("f4")
        await settle(pilot)
        dialog = on_top(app, ConfirmScreen)
        assert "number" in dialog.question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        [row] = bulletins(db)
        assert (row.status, row.issue_no, row.issued_at) == ("reviewed", None, None)


async def test_b_on_an_incident_with_a_draft_opens_that_draft(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await draft(pilot, screen)
        screen.title_input.value = "已改的标题"
        await pilot.press("ctrl+s", "escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        [first] = bulletins(db)
        screen = await open_bulletin(pilot)  # b again on the same incident
        assert screen.view is not None and screen.view.id == first.id
        assert screen.title_input.value == "已改的标题"
        assert [b.id for b in bulletins(db)] == [first.id]  # no duplicate


async def test_the_bulletin_screen_lists_the_incidents_bulletins(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await draft(pilot, screen)
        await sign_off(pilot, screen)
        await pilot.press("f4", "y")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_bulletin(pilot)  # issued: b starts a new one, and says so
        assert screen.view is None
        assert "《信息快报》2026年第1期" in screen.others_text
        assert "issued" in screen.others_text
        await draft(pilot, screen)
        assert [(b.status, b.issue_no) for b in bulletins(db)] == [("issued", 1), ("draft", None)]
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_bulletin(pilot)  # the new draft opens, the issued one listed
        assert screen.view is not None and screen.view.status == "draft"
        assert "《信息快报》2026年第1期" in screen.others_text
        assert "draft" in screen.others_text


async def test_a_classified_bulletin_exported_from_the_console_is_a_numbered_copy(
    make_app: MakeApp,
    db: Database,
    demo_templates: DemoTemplates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13: F7 on a 机密 draft prints copy 000001, logged for ``bulletin copies N``."""
    monkeypatch.setenv("DUTYDESK_OPERATOR", "韩冬")  # named on the demo's 机密 telegram
    demo_templates.load_into(db, NOW)
    app = make_app("zh_CN", clearance=Classification.TOP_SECRET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(BulletinScreen(app.main.context, ["20261125-012"]))
        await settle(pilot)
        screen = on_top(app, BulletinScreen)
        await draft(pilot, screen)
        assert screen.view is not None and screen.view.classification is Classification.SECRET
        await pilot.press("f7")
        await settle(pilot)
        target = tmp_path / "快报.docx"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        first = Document(str(target)).paragraphs[0].text.split("\n")
        assert first[0] == "000001" and first[-1].startswith("机密"), first
        bulletin = f"bulletin:{screen.view.id}"
    made = db.read("SELECT document, copy_no FROM document_copy")
    assert [tuple(row) for row in made] == [(bulletin, 1)]


# -- Issue 13: a 《信息直呈》 short version goes to the named leader -------------------------


def leader_of(db: Database, name: str) -> int:
    """The id of ``name``, given a phone number for the .to.txt."""
    with db.session() as session:
        person = session.exec(select(Person).where(Person.name == name)).one()
        person.phone = "13900000001"
        assert person.id is not None
        return person.id


async def choose_leader(pilot, offered: list[str]) -> None:  # type: ignore[no-untyped-def]
    """F5: the leaders are offered; enter takes the first."""
    await pilot.press("f5")
    await settle(pilot)
    pick = on_top(pilot.app, PickScreen)
    assert pick.values == offered
    await pilot.press("enter")
    await settle(pilot)


async def test_a_direct_submission_drafted_in_the_console_names_its_leader(
    make_app: MakeApp, db: Database, signer: str, tmp_path: Path
) -> None:
    """F5 chooses the leader before drafting; the delivery then writes the .to.txt."""
    from dutydesk.services.bulletins.delivery import deliver

    leader_id = leader_of(db, signer)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        screen.query_one("#bulletin-kind", Select).value = "direct"
        await choose_leader(pilot, [signer])
        assert signer in screen.status_text
        screen.query_one("#bulletin-serials", Input).focus()
        await draft(pilot, screen)
        [row] = bulletins(db)
        assert (row.kind, row.leader_id) == ("direct", leader_id)
        assert f"presented to (呈送): {signer}" in screen_text(app)
        await sign_off(pilot, screen, sms_ok=1)
        await pilot.press("f4", "y")
        await settle(pilot)
        [row] = bulletins(db)
        assert (row.status, row.issue_no) == ("issued", 1)
        assert row.id is not None
    report = deliver(db, row.id, outbox=tmp_path, webhook_url=None, actor="李四", now=NOW)
    to = tmp_path / "2026-direct-001.to.txt"
    assert to in report.files
    assert to.read_text(encoding="utf-8") == f"{signer}\t13900000001\n"


async def test_the_leader_is_chosen_after_drafting_and_typing_is_kept(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    leader_id = leader_of(db, signer)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await draft(pilot, screen)  # a 《信息快报》: it names nobody
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen is screen
        assert "信息直呈" in screen.status_text and "\n" not in screen.status_text
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_bulletin(pilot, "j")  # another incident, as a 《信息直呈》
        screen.query_one("#bulletin-kind", Select).value = "direct"
        screen.query_one("#bulletin-serials", Input).focus()
        await draft(pilot, screen)
        assert "呈送" not in screen_text(app)
        screen.title_input.value = "改过的标题"
        await choose_leader(pilot, [signer])
        assert screen.title_input.value == "改过的标题"  # what was typed stays
        direct = bulletins(db)[-1]
        assert (direct.kind, direct.leader_id, direct.title) == ("direct", leader_id, "改过的标题")
        assert f"presented to (呈送): {signer}" in screen_text(app)


async def test_a_refused_leader_is_said_in_one_line_and_typing_is_kept(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    """The leader's role is checked by the service when stored (here: taken away meanwhile)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        screen.query_one("#bulletin-kind", Select).value = "direct"
        screen.query_one("#bulletin-serials", Input).focus()
        await draft(pilot, screen)
        screen.title_input.value = "改过的标题"
        await pilot.press("f5")
        await settle(pilot)
        on_top(app, PickScreen)
        with db.session() as session:
            for role in session.exec(select(PersonRole)).all():
                session.delete(role)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert signer in screen.status_text and "\n" not in screen.status_text
        assert screen.title_input.value == "改过的标题"
        [row] = bulletins(db)
        assert (row.leader_id, row.title) == (None, "幸福路燃气爆炸")


# -- Issue 14: the 紧急程度 (F9), before drafting or after ------------------------------------


async def choose_urgency(pilot, index: int) -> None:  # type: ignore[no-untyped-def]
    """F9: none, 加急, 特急 are offered; ``index`` moves down to one, enter takes it."""
    await pilot.press("f9")
    await settle(pilot)
    pick = on_top(pilot.app, PickScreen)
    assert len(pick.values) == 3
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


async def test_urgency_chosen_before_and_after_drafting_is_stored(
    make_app: MakeApp, db: Database, signer: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bulletin(pilot)
        await choose_urgency(pilot, 2)  # 特急, before the draft
        assert "Extra urgent" in screen.status_text
        screen.query_one("#bulletin-serials", Input).focus()
        await draft(pilot, screen)
        [row] = bulletins(db)
        assert row.urgency == "extra_urgent"
        assert "Extra urgent (特急)" in screen_text(app)
        screen.title_input.value = "改过的标题"
        await choose_urgency(pilot, 1)  # 加急, after: stored with what was typed
        [row] = bulletins(db)
        assert (row.urgency, row.title, row.status) == ("urgent", "改过的标题", "draft")
        assert screen.title_input.value == "改过的标题"
        assert "Urgent (加急)" in screen_text(app)
