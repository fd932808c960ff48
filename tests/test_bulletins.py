"""Bulletins: drafting, the review/sign-off/issue workflow, numbering, classification."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest

from dutydesk.errors import NotFoundError
from dutydesk.services.bulletins.read import BulletinError, get_bulletin
from dutydesk.services.bulletins.write import (
    discard_bulletin,
    draft_bulletin,
    edit_bulletin,
    issue_bulletin,
    review_bulletin,
    sign_bulletin,
)
from dutydesk.storage.engine import Database
from dutydesk.vocab import BulletinKind, BulletinStatus, Classification
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.docs_support import CANARY, add_incident, seed_night
from tests.request_support import request
from tests.templates import DemoTemplates

NOW = DEMO_MOMENT


def _draft(db: Database, *serials: str, kind: BulletinKind = BulletinKind.EXPRESS, **kw) -> int:  # type: ignore[no-untyped-def]
    return draft_bulletin(db, kind=kind, serials=serials, actor="杨帆", now=NOW, tz=SHANGHAI, **kw)


def _issue(db: Database, bulletin_id: int) -> int:
    review_bulletin(db, bulletin_id, actor="杨帆", now=NOW)
    sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=NOW)
    return issue_bulletin(request(db, actor_name="杨帆", now=NOW, tz=SHANGHAI), bulletin_id)


def test_draft_is_prefilled_in_official_register(db: Database) -> None:
    night = seed_night(db)
    bulletin_id = _draft(db, night.open_serial)
    view = get_bulletin(db, bulletin_id, tz=SHANGHAI, now=NOW)
    assert view.title == "东湖区幸福路一居民楼发生燃气爆炸"
    paragraphs = view.body.splitlines()
    assert paragraphs[0] == "据市应急管理局报告，东湖区幸福路12号一居民楼发生燃气爆炸，3人受伤。"
    assert paragraphs[1].startswith("经与东湖区应急管理局核实")
    assert paragraphs[-1] == "目前，伤员已送医，无生命危险。"
    assert view.status is BulletinStatus.DRAFT and view.issue_no is None
    assert view.classification is Classification.INTERNAL


def test_several_items_get_numbered_headings(db: Database) -> None:
    night = seed_night(db)
    view = get_bulletin(
        db, _draft(db, night.open_serial, night.hostile_serial), tz=SHANGHAI, now=NOW
    )
    assert view.title.startswith("关于东湖区幸福路一居民楼发生燃气爆炸等两起")
    assert view.body.splitlines()[0] == "一、东湖区幸福路一居民楼发生燃气爆炸"
    assert [item.serial for item in view.items] == [night.open_serial, night.hostile_serial]


def test_classification_is_the_highest_of_the_items(db: Database) -> None:
    night = seed_night(db)
    bulletin_id = _draft(
        db, night.open_serial, night.secret_serial, clearance=Classification.SECRET
    )
    view = get_bulletin(
        db, bulletin_id, tz=SHANGHAI, now=NOW, clearance=Classification.SECRET, viewer="张振华"
    )
    assert view.classification is Classification.SECRET and "密电" in view.body
    restricted = get_bulletin(db, bulletin_id, tz=SHANGHAI, now=NOW)
    assert restricted.restricted and restricted.body == "" and restricted.title == ""
    assert CANARY not in repr(restricted)


def test_drafting_a_classified_item_needs_clearance(db: Database) -> None:
    night = seed_night(db)
    with pytest.raises(BulletinError, match="not cleared"):
        _draft(db, night.secret_serial)
    with pytest.raises(NotFoundError):
        _draft(db, "20991231-001")
    with pytest.raises(BulletinError, match="twice"):
        _draft(db, night.open_serial, night.open_serial)


def test_workflow_order_and_sign_off_role(db: Database) -> None:
    night = seed_night(db)
    bulletin_id = _draft(db, night.open_serial)
    with pytest.raises(BulletinError, match="must be reviewed"):
        sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=NOW)
    review_bulletin(db, bulletin_id, actor="杨帆", now=NOW)
    with pytest.raises(BulletinError, match="no sign-off"):
        issue_bulletin(request(db, actor_name="杨帆", now=NOW, tz=SHANGHAI), bulletin_id)
    with pytest.raises(BulletinError, match="杨帆 cannot sign bulletins off"):
        sign_bulletin(db, bulletin_id, signer="杨帆", actor="杨帆", now=NOW)
    with pytest.raises(BulletinError, match="no person"):
        sign_bulletin(db, bulletin_id, signer="无名氏", actor="杨帆", now=NOW)
    with pytest.raises(BulletinError, match="a sign-off is your own act"):  # signed in
        sign_bulletin(db, bulletin_id, signer="周文斌", actor="杨帆", actor_id=3, now=NOW)
    sign_bulletin(db, bulletin_id, signer="周文斌", actor="杨帆", now=NOW)  # a leader
    # Editing after sign-off sends it back: what was signed is what is issued.
    edit_bulletin(db, bulletin_id, body="新的正文。", actor="杨帆", now=NOW)
    view = get_bulletin(db, bulletin_id, tz=SHANGHAI, now=NOW)
    assert view.status is BulletinStatus.DRAFT and view.signed_off_by == ""
    assert _issue(db, bulletin_id) == 1
    view = get_bulletin(db, bulletin_id, tz=SHANGHAI, now=NOW)
    assert (view.status, view.issue_no, view.year, view.signed_off_by) == (
        BulletinStatus.ISSUED,
        1,
        2026,
        "张振华",
    )
    with pytest.raises(BulletinError, match="already issued"):
        edit_bulletin(db, bulletin_id, title="x", actor="杨帆", now=NOW)
    with pytest.raises(BulletinError, match="already issued"):
        discard_bulletin(db, bulletin_id, actor="杨帆", now=NOW)
    actions = [
        row[0]
        for row in db.read(
            "SELECT action FROM audit_event WHERE action NOT LIKE 'state%' ORDER BY id"
        )
    ]
    assert actions[0] == "bulletin.draft" and "bulletin.issue" in actions


def test_numbers_per_kind_and_year_and_discarded_drafts_use_none(db: Database) -> None:
    night = seed_night(db)
    first = _draft(db, night.open_serial)
    dropped = _draft(db, night.open_serial)
    direct = _draft(db, night.open_serial, kind=BulletinKind.DIRECT, leader="周文斌")
    second = _draft(db, night.open_serial)
    discard_bulletin(db, dropped, actor="杨帆", now=NOW)
    assert _issue(db, first) == 1
    assert _issue(db, direct) == 1  # its own sequence
    assert _issue(db, second) == 2  # the discarded draft took no number
    with pytest.raises(BulletinError, match="discarded"):
        review_bulletin(db, dropped, actor="杨帆", now=NOW)
    next_year = NOW + timedelta(days=40)
    late = _draft(db, night.open_serial)
    review_bulletin(db, late, actor="杨帆", now=next_year)
    sign_bulletin(db, late, signer="张振华", actor="杨帆", now=next_year)
    assert issue_bulletin(request(db, actor_name="杨帆", now=next_year, tz=SHANGHAI), late) == 1
    assert db.read("SELECT year FROM bulletin WHERE id = :id", {"id": late})[0][0] == 2027


@pytest.mark.parametrize("kind", [BulletinKind.DIRECT, BulletinKind.EXPRESS])
def test_both_products_carry_leaders_away_in_the_office_s_words(
    db: Database, demo_templates: DemoTemplates, kind: BulletinKind
) -> None:
    # Issue 12: 《信息快报》 carries the leave reports too, and a deputy's work is looked
    # after ("其分管工作由…负责"), never "代理" nor "主持工作" (the top post's word).
    from dutydesk.reports.bulletin_text import render_txt

    demo_templates.load_into(db, NOW)  # on the pass's store
    serial = db.read("SELECT serial FROM incident WHERE classification = 'public' LIMIT 1")[0][0]
    bulletin_id = _draft(db, serial, kind=kind)
    view = get_bulletin(db, bulletin_id, tz=SHANGHAI, now=NOW)
    assert {a.leader for a in view.away} == {"刘志远", "吴海峰"}
    text = render_txt(view, unit="中共临川市委办公室", tz=SHANGHAI, now=NOW)
    assert "领导干部外出报备" in text
    assert "外出期间，其分管工作由陈国华同志负责。" in text
    assert "代理" not in text and "主持工作" not in text
    assert re.search(r"\d+月\d+日\d+时(\d\d分)?至", text), text  # 12月3日8时, not 08:00


_WORKER = """
import sys
from datetime import datetime
from zoneinfo import ZoneInfo
from dutydesk.storage.engine import Database, url_for
from dutydesk.services.bulletins.write import issue_bulletin
from dutydesk.services.request import Request
db = Database(url_for(sys.argv[1]))
now = datetime(2026, 11, 26, 2, 31, tzinfo=ZoneInfo("Asia/Shanghai"))
req = Request(db=db, now=now, tz=ZoneInfo("Asia/Shanghai"), actor_name="杨帆")
for bulletin_id in map(int, sys.argv[2].split(",")):
    issue_bulletin(req, bulletin_id)
"""


@pytest.mark.slow
def test_two_processes_issuing_fifty_each_get_no_gaps_and_no_duplicates(
    db: Database, db_arg: str
) -> None:
    night = seed_night(db)
    ids = []
    for _ in range(100):
        bulletin_id = _draft(db, night.open_serial)
        review_bulletin(db, bulletin_id, actor="杨帆", now=NOW)
        sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=NOW)
        ids.append(bulletin_id)
    halves = (ids[0::2], ids[1::2])  # interleaved, so the two really race
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, db_arg, ",".join(map(str, half))],
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    numbers = sorted(
        row[0] for row in db.read("SELECT issue_no FROM bulletin WHERE status = 'issued'")
    )
    assert numbers == list(range(1, 101))


def test_an_issued_bulletin_is_the_written_report_of_each_open_incident(db: Database) -> None:
    # Issue 12: issuing 快报第1期 left its incident still owing a first report.
    night = seed_night(db)
    first_item = night.hostile_serial  # no report yet: the bulletin is its first report
    bulletin_id = _draft(db, first_item, night.open_serial)
    _issue(db, bulletin_id)

    def last_entry(serial: str) -> tuple[str, str]:
        rows = db.read(
            "SELECT e.kind, e.text FROM timeline_entry e JOIN incident i ON i.id = e.incident_id"
            " WHERE i.serial = :serial ORDER BY e.seq DESC LIMIT 1",
            {"serial": serial},
        )
        return str(rows[0].kind), str(rows[0].text)

    assert last_entry(first_item) == ("first_report", "以《信息快报》2026年第1期书面报告")
    kind, text = last_entry(night.open_serial)  # it had a continued report: the next one
    assert (kind, text) == ("continued_report", "以《信息快报》2026年第1期书面报告")
    due = db.read("SELECT due_step FROM incident WHERE serial = :s", {"s": first_item})
    assert due[0].due_step != "first_report"  # the clock moved on with the issue


def _set(db: Database, serial: str, occurred: str) -> None:
    from sqlalchemy import text

    with db.session() as session:  # as an incident stored before the field existed
        session.execute(
            text(f"UPDATE incident SET occurred_at = {occurred} WHERE serial = :s"),  # noqa: S608
            {"s": serial},
        )


def test_a_bulletin_is_not_issued_for_an_emergency_whose_time_is_not_known(db: Database) -> None:
    # Issue 12: 事发时间 is a required element of the written report a bulletin records.
    seed_night(db)  # people to sign it off
    fire = add_incident(db, title="东湖区一厂房起火", summary="东湖区一厂房起火，无人员伤亡")
    _set(db, fire, "NULL")
    bulletin_id = _draft(db, fire)
    with pytest.raises(BulletinError, match=f"{fire}.*--occurred"):
        _issue(db, bulletin_id)
    status = db.read("SELECT status, issue_no FROM bulletin WHERE id = :i", {"i": bulletin_id})
    assert tuple(status[0]) == ("reviewed", None)  # not issued, no number taken
    kinds = db.read(
        "SELECT e.kind FROM timeline_entry e JOIN incident i ON i.id = e.incident_id"
        " WHERE i.serial = :s",
        {"s": fire},
    )
    assert "first_report" not in {row.kind for row in kinds}
    _set(db, fire, "received_at")
    assert issue_bulletin(request(db, actor_name="杨帆", now=NOW, tz=SHANGHAI), bulletin_id) == 1


def test_a_bulletin_and_the_handover_print_the_latest_casualty_figures(db: Database) -> None:
    # Issue 12: casualty fields; bulletins and the handover print the latest figures.
    from sqlalchemy import text

    from dutydesk.config import Settings
    from dutydesk.reports.handover import render_text
    from dutydesk.services.handover.pack import build_pack
    from tests.request_support import request

    night = seed_night(db)
    with db.session() as session:
        session.execute(
            text("UPDATE incident SET deaths = 1, injured = 4 WHERE serial = :s"),
            {"s": night.open_serial},
        )
    view = get_bulletin(db, _draft(db, night.open_serial), tz=SHANGHAI, now=NOW)
    assert "截至目前，已造成死亡1人、受伤4人。" in view.body
    pack = build_pack(
        request(db, now=NOW), start=NOW - timedelta(hours=12), at=NOW, settings=Settings()
    )
    (item,) = [i for i in pack.open if i.serial == night.open_serial]
    assert item.casualties == "死亡1人、受伤4人"
    assert "（死亡1人、受伤4人）" in render_text(pack, SHANGHAI)
