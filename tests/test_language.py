"""The Chinese of the interface and of the documents: 公文 register, counts and times.

A 值班室 reads these at 3 a.m.: the office calls itself 我办, two things are 两起, the
follow-up record is 跟踪记录, a closed matter is 恢复办理, and no two statuses differ by
one character. Counts read "共接报值班事项22件，其中自然灾害3件、……" and times in
documents "25日10时41分".
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document

from dutydesk.i18n import catalog, label, set_language, t
from dutydesk.reports.wording import count_breakdown, document_datetime, document_time
from dutydesk.rules.bulletins import ItemFacts, draft_text
from dutydesk.rules.numbering import chinese_count
from dutydesk.storage.engine import Database
from dutydesk.vocab import Category, Classification, Status
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.docs_support import run_cli
from tests.request_support import request
from tests.templates import DemoTemplates

COLLOQUIAL = ("时间线", "重新打开", "我们", "您", "二起", "二件", "二条", "二个", "二名")
"""Words a 值班室 reader objects to, with the 公文 word in their place:
跟踪记录, 恢复办理, 我办, 本人 (an interface addresses no one as 您), 两起/两件/两条/两个/两名."""


# -- the catalogue -----------------------------------------------------------------------


def test_the_chinese_catalogue_speaks_the_office_register() -> None:
    found = [
        f"{key} = {text}"
        for key, text in catalog("zh_CN").items()
        for word in COLLOQUIAL
        if word in text
    ]
    assert not found


def test_no_status_reads_like_another_at_3am() -> None:
    chinese = catalog("zh_CN")
    # 已接报 and 已报告 differ by one character in the middle: 待报告/已上报 instead.
    assert "已接报" not in chinese.values() and "已报告" not in chinese.values()
    set_language("zh_CN")
    assert label(Status.RECEIVED) == "待报告" and label(Status.REPORTED) == "已上报"
    for group in ("status", "drill.state"):
        names = [text for key, text in chinese.items() if key.rsplit(".", 1)[0] == group]
        for first, second in itertools.combinations(names, 2):
            same = sum(a == b for a, b in zip(first, second, strict=False))
            assert max(len(first), len(second)) - same >= 2, (group, first, second)


# -- counts and times ----------------------------------------------------------------------


def test_two_of_a_thing_are_liang() -> None:
    assert [chinese_count(n) for n in (1, 2, 3, 10, 12, 20, 22)] == [
        "一", "两", "三", "十", "十二", "二十", "二十二",
    ]  # fmt: skip
    items = [
        ItemFacts(serial=f"20261125-00{n}", title=title, summary="有关情况。",
                  classification=Classification.INTERNAL)
        for n, title in ((1, "某小区停电"), (2, "某路段积水"))
    ]  # fmt: skip
    title, body = draft_text(items)
    assert title == "关于某小区停电等两起事项的情况"
    assert "我们" not in body and "我办将密切关注并及时续报" in body


def test_a_count_breakdown_reads_as_the_office_writes_it() -> None:
    set_language("zh_CN")
    parts = [
        (label(Category.NATURAL_DISASTER), 3),
        (label(Category.ACCIDENT), 5),
        (label(Category.PUBLIC_HEALTH), 0),
        (label(Category.PUBLIC_REQUEST), 14),
    ]
    assert count_breakdown(22, parts) == (
        "共接报值班事项22件，其中自然灾害3件、事故灾难5件、群众诉求14件"
    )
    assert count_breakdown(0, []) == "共接报值班事项0件"
    set_language("en")
    assert count_breakdown(22, [("accident", 5)]) == "22 incidents received, of which accident 5"


def test_document_times_are_written_out_in_chinese() -> None:
    moment = datetime(2026, 11, 25, 2, 41, tzinfo=UTC)  # 10:41 in Shanghai
    set_language("zh_CN")
    assert document_time(moment, SHANGHAI) == "25日10时41分"
    assert document_time(datetime(2026, 11, 25, 0, 30, tzinfo=SHANGHAI), SHANGHAI) == "25日0时30分"
    assert document_time(datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI), SHANGHAI) == "25日8时"
    assert document_time(datetime(2026, 11, 25, 13, 1, tzinfo=SHANGHAI), SHANGHAI) == "25日13时01分"
    # Another month than the document's own is named, so 1日 is never last month's.
    ref = datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI)
    assert document_time(moment, SHANGHAI, ref) == "11月25日10时41分"
    assert document_datetime(moment, SHANGHAI) == "2026年11月25日10时41分"
    set_language("en")
    assert document_time(moment, SHANGHAI) == "11-25 10:41"
    assert document_datetime(moment, SHANGHAI) == "2026-11-25 10:41 +08:00"  # with its zone


# -- the documents -------------------------------------------------------------------------


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    return demo_templates.load_into(db, DEMO_MOMENT)


LATIN_TIME = re.compile(r"\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}")


def test_the_handover_pack_counts_and_times_as_a_document(demo: Database) -> None:
    from dutydesk.config import Settings
    from dutydesk.reports.handover import render_text
    from dutydesk.rules.deadlines import load_rules
    from dutydesk.services.handover.pack import build_pack
    from dutydesk.services.handover.store import period_start

    set_language("zh_CN")
    settings = Settings()
    start = period_start(demo, DEMO_MOMENT, settings)
    pack = build_pack(
        request(demo, now=DEMO_MOMENT, rules=load_rules(), clearance=Classification.INTERNAL),
        start=start,
        at=DEMO_MOMENT,
        settings=settings,
    )
    text = render_text(pack, SHANGHAI)
    assert "本时段共接报值班事项29件，其中" in text
    assert "群众诉求9件" in text and "涉密2件" in text
    assert "时段：2026年11月25日8时30分 至 2026年11月26日2时31分" in text
    # Times in the lines are 25日10时41分, never 11-25 10:41 (the roster keeps HH:MM ranges).
    body = text.split(t("handover.section.roster"))[0]
    assert not LATIN_TIME.findall(body), LATIN_TIME.findall(body)[:5]
    assert "已接报" not in text and "已报告" not in text


def test_the_daily_summary_counts_in_words(
    demo: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李晓明")
    monkeypatch.setenv("DUTYDESK_PIN", "1111")
    target = tmp_path / "daily.docx"
    code, _, err = run_cli(capsys, demo_path(demo), "--lang", "zh_CN", "export", "daily",
                           "--date", "2026-11-25", "--format", "docx", "-o", str(target))  # fmt: skip
    assert code == 0, err
    text = "\n".join(p.text for p in Document(str(target)).paragraphs)
    assert re.search(r"共接报值班事项\d+件，其中自然灾害\d+件、", text), text[:400]
    cells = [c.text for row in Document(str(target)).tables[0].rows[1:] for c in row.cells]
    assert any(re.fullmatch(r"25日\d{1,2}时(\d{1,2}分)?", cell) for cell in cells), cells[:10]
    md = tmp_path / "daily.md"
    code, _, err = run_cli(capsys, demo_path(demo), "--lang", "zh_CN", "export", "daily",
                           "--date", "2026-11-25", "--format", "md", "-o", str(md))  # fmt: skip
    assert code == 0, err
    assert re.search(r"^共接报值班事项\d+件，其中自然灾害\d+件、", md.read_text("utf-8"), re.M)


def demo_path(db: Database) -> str:
    """What ``--db`` takes for the demo: its SQLite file, or its server URL."""
    return str(db.path) if db.path is not None else db.url


# -- the command line ---------------------------------------------------------------------


def test_cli_errors_and_list_headers_in_chinese(
    demo: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李晓明")
    monkeypatch.setenv("DUTYDESK_PIN", "1111")
    code, _, err = run_cli(capsys, demo_path(demo), "--lang", "zh_CN", "incident", "edit",
                           "20261125-001")  # fmt: skip
    assert code == 2
    assert "错误" in err and "error" not in err and "edit:" not in err, err
    assert re.search(r"[\u4e00-\u9fff]{4}", err), err
    code, out, err = run_cli(capsys, demo_path(demo), "--lang", "zh_CN", "user", "list")  # fmt: skip
    assert code == 0, err
    header = out.splitlines()[0]
    assert "姓名" in header and "涉密等级" in header and "Locked" not in header, header


# -- the drill report ---------------------------------------------------------------------


def test_the_chinese_drill_report_has_no_latin_units_or_script_ids(
    db: Database, tmp_path: Path
) -> None:
    from dutydesk.reports.drill import render_md
    from dutydesk.reports.drill_docx import render_docx
    from dutydesk.services import drills
    from tests.test_drills import SCENARIO, run_drill

    scenario = tmp_path / "test_fire.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    run_id, _, clock = run_drill(db, scenario)
    report = drills.build_report(db, run_id, now=clock.now())
    set_language("zh_CN")
    md = render_md(report, SHANGHAI)
    target = tmp_path / "drill.docx"
    target.write_bytes(render_docx(report, SHANGHAI))
    document = Document(str(target))
    docx = "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for table in document.tables for row in table.rows for c in row.cells]
    )
    for text in (md, docx):
        assert "速度x" not in text and "脚本test_fire" not in text and "test_fire" not in text
        assert not re.search(r"\d+[hms]\b|\d+h\d+m|\d+m\d+s", text), re.findall(
            r"\S*\d+[hms]\S*", text
        )
        assert "call" not in text and "inject-" not in text  # the scenario's ids
        assert "5分钟" in text and "超时" in text and "30分钟" in text
