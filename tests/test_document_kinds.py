"""Issue 14: 紧急程度 (特急/加急), 签发人 only on 上行文, and the heading levels of a 公文.

The rules are pure (``dutydesk/rules/documents.py``); the documents are made through the
command line as the desk makes them and reopened with python-docx. Their rendered pages
are checked in tests/test_rendered_docs.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from sqlmodel import col, select

from dutydesk.reports import docx_style as ds
from dutydesk.rules.documents import (
    Distribution,
    prints_signer,
    urgency_mark,
    urgency_prefix,
)
from dutydesk.storage.engine import Database
from dutydesk.storage.models import AuditEvent, Bulletin
from dutydesk.vocab import BulletinKind, Urgency
from tests.conftest import DEMO_MOMENT
from tests.docs_support import Night, east_asia_font, pt, run_cli, seed_night
from tests.templates import DemoTemplates

UP = Distribution(report=("省委办公厅",), send=("市委领导同志",))
ACROSS = Distribution(send=("市委领导同志",), issue=("各县（区）委",))


def test_urgency_is_printed_two_characters_a_character_apart() -> None:
    assert urgency_mark(Urgency.EXTRA_URGENT) == "特\u3000急"
    assert urgency_mark(Urgency.URGENT) == "加\u3000急"
    assert urgency_mark(Urgency.NONE) == ""
    assert urgency_prefix(Urgency.EXTRA_URGENT) == "【特急】"
    assert urgency_prefix(Urgency.NONE) == ""


def test_signer_is_printed_on_an_upward_express_only() -> None:
    """GB/T 9704-2012 §7.2.6: 签发人 on 上行文; a 《信息直呈》 goes to our own leader."""
    assert prints_signer(BulletinKind.EXPRESS, UP)
    assert not prints_signer(BulletinKind.EXPRESS, ACROSS)
    assert not prints_signer(BulletinKind.DIRECT, UP)
    assert not prints_signer(BulletinKind.DIRECT, Distribution())


def test_heading_levels_are_read_from_their_numbering() -> None:
    assert ds.heading_level("一、接报情况") == 1
    assert ds.heading_level("（二）按来源渠道") == 2
    assert ds.heading_level("(2) By channel") == 2
    assert ds.heading_level("1.伤员已送医") is None  # a numbered paragraph, not a heading
    assert ds.heading_level("东湖区（一）号楼") is None


@pytest.fixture
def night(db: Database, monkeypatch: pytest.MonkeyPatch) -> Night:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "杨帆")
    return seed_night(db)


def cli(capsys: pytest.CaptureFixture[str], db_arg: str, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, db_arg, "--lang", "zh_CN", "bulletin", *args)


def _ok(capsys: pytest.CaptureFixture[str], db_arg: str, *args: str) -> str:
    code, out, err = cli(capsys, db_arg, *args)
    assert code == 0, err
    return out


def _signed_and_shown(
    capsys: pytest.CaptureFixture[str], db_arg: str, target: Path, bulletin_id: str
) -> DocxDocument:
    _ok(capsys, db_arg, "review", bulletin_id)
    _ok(capsys, db_arg, "sign", bulletin_id, "--by", "张振华")
    _ok(capsys, db_arg, "show", bulletin_id, "--format", "docx", "-o", str(target))
    return Document(str(target))


def test_an_urgent_bulletin_prints_its_urgency_under_the_top_left_note(
    night: Night, db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """特急 in 3号黑体 at the top left, below 内部资料 (where a 密级 would stand)."""
    bulletin_id = _ok(capsys, db_arg, "draft", night.open_serial, "--urgency", "特急").strip()
    document = _signed_and_shown(capsys, db_arg, tmp_path / "b.docx", bulletin_id)
    top = document.paragraphs
    assert [p.text for p in top[:3]] == ["内部资料 注意保存", "特\u3000急", "信息快报"]
    run = top[1].runs[0]
    assert (east_asia_font(run), pt(run.font.size), top[1].alignment) == ("黑体", 16, None)
    with db.session(write=False) as session:
        details = session.exec(
            select(AuditEvent.detail).where(AuditEvent.action == "bulletin.draft")
        ).all()
    assert details == ["draft express 2026/- urgency=extra_urgent"]  # on the chain with it


def test_urgency_is_edited_in_either_language_and_the_sign_off_is_asked_again(
    night: Night, db: Database, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletin_id = _ok(capsys, db_arg, "draft", night.open_serial).strip()
    _ok(capsys, db_arg, "review", bulletin_id)
    _ok(capsys, db_arg, "sign", bulletin_id, "--by", "张振华")
    _ok(capsys, db_arg, "edit", bulletin_id, "--urgency", "urgent")

    def stored() -> tuple[str, str, int | None]:
        with db.session(write=False) as session:
            row = session.exec(select(Bulletin)).one()
            return row.urgency, row.status, row.signed_off_by_id

    assert stored() == ("urgent", "draft", None)
    _ok(capsys, db_arg, "edit", bulletin_id, "--urgency", "加急")  # the same: still 加急
    assert stored()[0] == "urgent"
    code, _, err = cli(capsys, db_arg, "edit", bulletin_id, "--urgency", "火急")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "urgency" in err, err
    assert stored()[0] == "urgent"  # the bad value lost nothing
    _ok(capsys, db_arg, "edit", bulletin_id, "--urgency", "无")
    assert stored()[0] == "none"
    with db.session(write=False) as session:
        details = session.exec(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "bulletin.edit")
            .order_by(col(AuditEvent.id))
        ).all()
    assert details == [
        "edit express 2026/- urgency=urgent",
        "edit express 2026/-",
        "edit express 2026/- urgency=none",
    ]


def test_an_extra_urgent_short_version_starts_with_the_mark(
    night: Night, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletin_id = _ok(capsys, db_arg, "draft", night.open_serial, "--urgency", "extra_urgent")
    bulletin_id = bulletin_id.strip()
    _ok(capsys, db_arg, "review", bulletin_id)
    _ok(capsys, db_arg, "sign", bulletin_id, "--by", "张振华", "--sms-ok", night.open_serial)
    out = _ok(capsys, db_arg, "sms", bulletin_id)
    assert out.startswith("【特急】【信息快报2026年（未编号）】") or out.startswith("(1/"), out
    assert "【特急】【信息快报" in out


def _unit_line(document: DocxDocument) -> str:
    return next(p.text for p in document.paragraphs if p.text.startswith("中共临川市委办公室\t"))


def test_signer_printed_where_the_express_reports_up_and_not_on_a_direct(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    express = _ok(capsys, db_arg, "draft", night.open_serial).strip()
    document = _signed_and_shown(capsys, db_arg, tmp_path / "e.docx", express)
    assert "签发人：张振华" in _unit_line(document)  # the default 报：省委办公厅 reports up
    direct = _ok(capsys, db_arg, "draft", night.open_serial, "--kind", "direct", "--to", "周文斌")
    document = _signed_and_shown(capsys, db_arg, tmp_path / "d.docx", direct.strip())
    assert "签发" not in _unit_line(document)
    text = _ok(capsys, db_arg, "show", direct.strip())
    assert "签发" not in text
    config = tmp_path / "config.toml"
    config.write_text("distribution_report = []\n", encoding="utf-8")
    monkeypatch.setenv("DUTYDESK_CONFIG", str(config))
    _ok(capsys, db_arg, "show", express, "--format", "docx", "-o", str(tmp_path / "x.docx"))
    assert "签发" not in _unit_line(Document(str(tmp_path / "x.docx")))


def test_weekly_report_numbers_its_second_level_headings_in_kai(
    db: Database, db_arg: str, demo_templates: DemoTemplates, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """按类别, 按来源渠道, … were plain body lines; now （一）… in 楷体, 一、 in 黑体."""
    demo_templates.load_into(db, DEMO_MOMENT)
    monkeypatch.setenv("DUTYDESK_OPERATOR", "黄雨婷")
    monkeypatch.setenv("DUTYDESK_PIN", "4444")
    target = tmp_path / "weekly.docx"
    code, _, err = run_cli(
        capsys, db_arg, "--lang", "zh_CN", "report", "weekly", "--at", DEMO_MOMENT.isoformat(),
        "--format", "docx", "-o", str(target), now=DEMO_MOMENT.isoformat(),
    )  # fmt: skip
    assert code == 0, err
    paragraphs = Document(str(target)).paragraphs
    second = [p for p in paragraphs if ds.heading_level(p.text) == 2]
    assert [p.text for p in second[:2]] == ["（一）按类别", "（二）按来源渠道"]
    for paragraph in second:
        assert east_asia_font(paragraph.runs[0]) == "楷体_GB2312"
    first = next(p for p in paragraphs if p.text.startswith("二、"))
    assert east_asia_font(first.runs[0]) == "黑体"
    # A count line under （一） stays body text.
    after = paragraphs[paragraphs.index(second[0]) + 1]
    assert east_asia_font(after.runs[0]) == "仿宋_GB2312"
