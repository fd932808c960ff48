"""Bulletin documents (docx layout, txt, md) and the ``dutydesk bulletin`` command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import RGBColor
from docx.text.paragraph import Paragraph

from dutydesk.rules.sms import units
from dutydesk.storage.engine import Database
from tests.docs_support import (
    CANARY,
    Night,
    east_asia_font,
    mm,
    pt,
    run_cli,
    seed_night,
    zip_text,
)


@pytest.fixture
def night(db: Database, monkeypatch: pytest.MonkeyPatch) -> Night:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "杨帆")
    return seed_night(db)


def cli(capsys: pytest.CaptureFixture[str], db_arg: str, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, db_arg, "bulletin", *args)


def issued(capsys: pytest.CaptureFixture[str], db_arg: str, *serials: str,
           clearance: str = "internal", sms_ok: tuple[str, ...] = ()) -> str:  # fmt: skip
    # Drafting with classified items takes an operator cleared for them (杨帆 is 机密-less).
    drafter = ("--operator", "张振华") if clearance not in ("internal", "public") else ()
    code, out, err = cli(capsys, db_arg, "draft", *serials, "--clearance", clearance, *drafter)
    assert code == 0, err
    bulletin_id = out.strip()
    allowed = [arg for serial in sms_ok for arg in ("--sms-ok", serial)]
    for step in (("review", bulletin_id), ("sign", bulletin_id, "--by", "张振华", *allowed)):
        assert cli(capsys, db_arg, *step)[0] == 0
    code, out, err = cli(capsys, db_arg, "issue", bulletin_id)
    assert code == 0, err
    return bulletin_id


def test_cli_workflow_messages(
    night: Night, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, db_arg, "draft", night.open_serial)
    assert (code, out) == (0, "1\n")
    assert "drafted bulletin #1: 《信息快报》2026年（未编号）" in err
    code, _, err = cli(capsys, db_arg, "sign", "1", "--by", "张振华")
    assert code == 2 and "must be reviewed" in err
    cli(capsys, db_arg, "review", "1")
    code, _, err = cli(capsys, db_arg, "sign", "1", "--by", "杨帆")
    assert code == 2 and err.strip().endswith("needs the role duty leader or leader")
    cli(capsys, db_arg, "sign", "1", "--by", "张振华")
    code, out, _ = cli(capsys, db_arg, "issue", "1")
    assert (code, out) == (0, "《信息快报》2026年第1期\n")
    cli(capsys, db_arg, "draft", night.open_serial)
    code, _, err = cli(capsys, db_arg, "discard", "2")
    assert code == 0 and "used no number" in err
    code, out, _ = cli(capsys, db_arg, "list", "--format", "csv", "--all")
    assert out.splitlines()[0] == "id,kind,year,issue_no,status,classification,title"
    assert "2,express,2026,,discarded" in out and "1,express,2026,1,issued" in out


def test_docx_layout_values(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletin_id = issued(capsys, db_arg, night.open_serial, night.secret_serial, clearance="secret")
    target = tmp_path / "b.docx"
    code, _, err = cli(capsys, db_arg, "show", bulletin_id, "--format", "docx", "-o",
                       str(target), "--clearance", "secret", "--operator", "张振华")  # fmt: skip
    assert code == 0, err
    document = Document(str(target))
    section = document.sections[0]
    assert (round(mm(section.page_width)), round(mm(section.page_height))) == (210, 297)
    margins = [section.top_margin, section.left_margin, section.bottom_margin,
               section.right_margin]  # fmt: skip
    assert [round(mm(m)) for m in margins] == [37, 28, 35, 26]
    paragraphs = document.paragraphs
    # The copy's 份号 above the mark, top left, in Chinese whatever the language (issue 13).
    assert paragraphs[0].text == "000001\n机密"
    masthead = paragraphs[1]
    assert masthead.text == "信息快报"
    run = masthead.runs[0]
    assert run.font.color.rgb == RGBColor(0xFF, 0, 0)
    assert pt(run.font.size) == 42
    assert east_asia_font(run) == "方正小标宋简体"
    assert paragraphs[2].text == "（机密）2026年第1期"  # the classified series' first
    unit_line = paragraphs[3]
    assert unit_line.text.startswith("中共临川市委办公室\t") and "2026年11月26日" in unit_line.text
    unit_properties = unit_line._p.pPr
    assert unit_properties is not None
    bottom = unit_properties.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert (bottom.get(qn("w:val")), bottom.get(qn("w:color"))) == ("single", "FF0000")
    body = next(p for p in paragraphs if p.text.startswith("据市应急管理局报告"))
    assert east_asia_font(body.runs[0]) == "仿宋_GB2312"
    assert pt(body.runs[0].font.size) == 16
    assert pt(body.paragraph_format.first_line_indent) == 32
    fonts_xml = zip_text(target.read_bytes())
    assert 'w:name="方正小标宋简体"' in fonts_xml and 'w:altName w:val="华文中宋"' in fonts_xml


@pytest.mark.parametrize("fmt", ["txt", "md", "docx"])
def test_show_without_clearance_shows_serials_only(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    bulletin_id = issued(capsys, db_arg, night.open_serial, night.secret_serial, clearance="secret")
    target = tmp_path / f"b.{fmt}"
    code, _, err = cli(capsys, db_arg, "show", bulletin_id, "--format", fmt, "-o", str(target))
    assert code == 0, err
    data = target.read_bytes()
    text = zip_text(data) if fmt == "docx" else data.decode()
    assert CANARY not in text and "幸福路" not in text
    assert night.secret_serial in text and "2026年第1期" in text


def test_txt_and_md_render_hostile_text_safely(
    night: Night, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletin_id = issued(capsys, db_arg, night.hostile_serial)
    code, out, _ = cli(capsys, db_arg, "show", bulletin_id)
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert out.splitlines()[:2] == ["信息快报", "2026年第1期"]
    code, out, _ = cli(capsys, db_arg, "show", bulletin_id, "--format", "md")
    assert "# 信息快报" in out and "note \\[/\\] end" in out and "\x1b" not in out


def test_canary_never_in_a_short_version_or_webhook_payload(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_OUTBOX_DIR", str(tmp_path / "box"))
    mixed = issued(
        capsys, db_arg, night.open_serial, night.secret_serial, clearance="secret",
        sms_ok=(night.open_serial,),
    )  # fmt: skip
    only = issued(capsys, db_arg, night.secret_serial, clearance="secret")
    code, out, err = cli(capsys, db_arg, "sms", mixed)
    assert code == 0 and CANARY not in out + err
    code, out, err = cli(capsys, db_arg, "sms", only)
    assert code == 2 and out == "" and "cipher channel only" in err
    code, out, err = cli(capsys, db_arg, "deliver", mixed)
    assert code == 0, err
    for path in (tmp_path / "box").iterdir():
        assert CANARY not in path.read_text(encoding="utf-8")
    code, _, err = cli(capsys, db_arg, "deliver", only)
    assert code == 2 and not any("002" in p.name for p in (tmp_path / "box").iterdir())
    assert io.StringIO(err).read().count("\n") == 1


def _framed(document: DocxDocument) -> list[Paragraph]:
    """The 版记's paragraphs: those in the frame at the foot of the type area."""
    return [
        p
        for p in document.paragraphs
        if p._p.pPr is not None and p._p.pPr.find(qn("w:framePr")) is not None
    ]


def _imprint(document: DocxDocument) -> list[Paragraph]:
    """The 版记's lines of text (its rules are the empty framed paragraphs between)."""
    return [p for p in _framed(document) if p.text]


def _rule_heights(document: DocxDocument) -> list[float]:
    """Each rule of the 版记 (an empty, black-shaded framed paragraph): its height in pt."""
    heights = []
    for paragraph in _framed(document):
        if paragraph.text:
            continue
        ppr = paragraph._p.pPr
        assert ppr is not None
        shading = ppr.find(qn("w:shd"))
        assert shading is not None and shading.get(qn("w:fill")) == "000000"
        assert ppr.find(qn("w:pBdr")) is None  # LibreOffice drops a frame with borders
        heights.append(int(ppr.find(qn("w:spacing")).get(qn("w:line"))) / 20)
    return heights


def test_express_bulletin_ends_with_the_distribution_imprint(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Issue 14: 报/送/发 from the settings, （共印N份）, then the 印发 line, between rules."""
    config = tmp_path / "config.toml"
    config.write_text(
        'distribution_report = ["省委办公厅"]\n'
        'distribution_send = ["市委领导同志", "市政府领导同志"]\n'
        "distribution_issue = []\n"
        "distribution_copies = 45\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DUTYDESK_CONFIG", str(config))
    bulletin_id = issued(capsys, db_arg, night.open_serial)
    target = tmp_path / "b.docx"
    code, _, err = cli(capsys, db_arg, "show", bulletin_id, "--format", "docx", "-o", str(target))
    assert code == 0, err
    document = Document(str(target))
    imprint = _imprint(document)
    assert [p.text.strip("\u3000") for p in imprint] == [
        "报：省委办公厅。",
        "送：市委领导同志，市政府领导同志。",
        "\t（共印45份）",
        "中共临川市委办公室\t2026年11月26日印发",
    ]
    framed = _framed(document)
    # The very end of the document, but for the 1 pt paragraph that closes the body.
    assert [p._p for p in framed] == [p._p for p in document.paragraphs[-1 - len(framed) : -1]]
    assert not document.paragraphs[-1].text
    # Thick above, thin between the distribution and the 印发 line, thick below.
    assert [bool(p.text) for p in framed] == [False, True, True, True, False, True, False]
    assert _rule_heights(document) == [1.0, 0.75, 1.0]
    for paragraph in imprint:
        run = next(run for run in paragraph.runs if run.text)
        assert (east_asia_font(run), pt(run.font.size)) == ("仿宋_GB2312", 14)
        ppr = paragraph._p.pPr
        assert ppr is not None
        frame = ppr.find(qn("w:framePr"))
        assert (frame.get(qn("w:yAlign")), frame.get(qn("w:w"))) == ("bottom", "8845")  # 156 mm
    # An internal product with no classification mark: 内部资料 注意保存 at the top left.
    assert document.paragraphs[0].text == "内部资料 注意保存"


def test_direct_bulletin_names_whom_it_is_for(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, db_arg, "draft", night.open_serial, "--kind", "direct",
                         "--to", "周文斌")  # fmt: skip
    assert code == 0, err
    target = tmp_path / "d.docx"
    code, _, err = cli(capsys, db_arg, "show", out.strip(), "--format", "docx", "-o", str(target))
    assert code == 0, err
    imprint = [p.text.strip("\u3000") for p in _imprint(Document(str(target)))]
    assert imprint[0] == "呈：周文斌"
    assert not any(text.startswith(("报：", "发：")) or "共印" in text for text in imprint)


def test_a_concatenating_gateway_says_how_many_parts_it_sends(
    night: Night, db_arg: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Issue 14: one long text on stdout, and on stderr the parts the network carries."""
    bulletin_id = issued(capsys, db_arg, night.open_serial, sms_ok=(night.open_serial,))
    monkeypatch.setenv("DUTYDESK_SMS_GATEWAY_CONCATENATES", "true")
    code, out, err = run_cli(capsys, db_arg, "--lang", "zh_CN", "bulletin", "sms", bulletin_id)
    assert code == 0, err
    [text] = out.splitlines()
    parts = -(-units(text) // 67) if units(text) > 70 else 1
    assert f"共 1 条长短信，分 {parts} 段发送（每段 67 字）：" in err.splitlines(), err
    monkeypatch.setenv("DUTYDESK_SMS_GATEWAY_CONCATENATES", "false")
    code, out, err = run_cli(capsys, db_arg, "--lang", "zh_CN", "bulletin", "sms", bulletin_id)
    assert code == 0 and len(out.splitlines()) >= parts and "长短信" not in err  # numbered
