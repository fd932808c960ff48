"""Marks on what a cleared reader gets (issue 13): the document's 密级 and 份号, each
classified item's own mark, true counts, the classified bulletin series and its
distribution log (份号, to whom, signed back).

On the demo night (20261125-012 机密, 20261126-001 秘密) run as 韩冬 (绝密, PIN 666666);
an uncleared reader (李晓明 at the default, internal) gets today's outputs, unmarked.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from openpyxl import load_workbook

from dutydesk.cli.app import main
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT
from tests.docs_support import docx_lines
from tests.templates import DemoTemplates

NOW = "2026-11-26T08:30+08:00"
SECRET_SERIAL = "20261125-012"
CONFIDENTIAL_SERIAL = "20261126-001"
LEVEL = {"zh_CN": "机密", "en": "SECRET 机密"}
ITEM = {"zh_CN": "【机密】", "en": "[SECRET 机密]"}


class Result:
    def __init__(self, code: int, out: str, err: str, raw: bytes) -> None:
        self.code, self.out, self.err, self.raw = code, out, err, raw


Cli = Callable[..., Result]


@pytest.fixture
def cli(
    db: Database,
    db_arg: str,
    demo_templates: DemoTemplates,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    """``dutydesk ARGS`` on the demo night, as 韩冬 (绝密) unless ``who`` says otherwise."""
    demo_templates.load_into(db, DEMO_MOMENT)

    def run(*args: str, who: tuple[str, str] = ("韩冬", "666666"), lang: str = "zh_CN") -> Result:
        monkeypatch.setenv("DUTYDESK_OPERATOR", who[0])
        monkeypatch.setenv("DUTYDESK_PIN", who[1])
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsysbinary.readouterr()
        try:
            main(["--db", db_arg, "--now", NOW, "--lang", lang, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsysbinary.readouterr()
        out = captured.out.decode("utf-8", "replace")
        return Result(code, out, captured.err.decode(), captured.out)

    return run


def _first_paragraph_is_mark(raw: bytes, level: str, copy_no: str | None = "000001") -> None:
    """The first paragraph: 份号 above the 密级 in 三号黑体 (16 pt), at the left margin."""
    document = Document(io.BytesIO(raw))
    first = document.paragraphs[0]
    assert first.alignment in (None, WD_ALIGN_PARAGRAPH.LEFT)
    lines = first.text.split("\n")
    if copy_no is not None:
        assert lines[0] == copy_no, first.text
    assert lines[-1].startswith(level), first.text
    mark = next(run for run in first.runs if run.text.startswith(level))
    assert mark.font.size is not None and mark.font.size.pt == 16
    properties = mark._element.rPr
    assert properties is not None
    fonts = properties.find(qn("w:rFonts"))
    assert fonts is not None and fonts.get(qn("w:eastAsia")) == "黑体"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("fmt", ["txt", "md", "json", "docx"])
def test_handover_for_a_cleared_reader_carries_the_level(
    cli: Cli, fmt: str, lang: str, tmp_path: Path
) -> None:
    target = tmp_path / f"pack.{fmt}"
    result = cli(
        "handover", "--clearance", "top_secret", "--format", fmt, "-o", str(target), lang=lang
    )
    assert result.code == 0, result.err
    if fmt == "docx":
        raw = target.read_bytes()
        _first_paragraph_is_mark(raw, LEVEL[lang])
        text = "\n".join(docx_lines(Document(io.BytesIO(raw))))
    else:
        text = target.read_text(encoding="utf-8")
    if fmt == "json":
        data = json.loads(text)
        assert data["marking"]["level"] == "secret"
        assert data["marking"]["copy_no"] == "000001"
        received = {item["serial"]: item for item in data["received"]}
        assert received[SECRET_SERIAL]["classification"] == "secret"
        assert data["classified_received"] == 2
        return
    if fmt in {"txt", "md"}:
        first = text.splitlines()[0]
        assert LEVEL[lang] in first and "000001" in first, first
    line = next(x for x in text.splitlines() if SECRET_SERIAL in x).replace("\\", "")
    assert ITEM[lang] in line, line
    if lang == "zh_CN":
        assert "涉密2件" in text  # true for the reader: both classified telegrams
        section8 = text.split("八、涉密事项")[1].split("九、")[0]
        assert SECRET_SERIAL in section8 and CONFIDENTIAL_SERIAL in section8


def test_uncleared_handover_is_unmarked(cli: Cli) -> None:
    result = cli("handover", "--preview", who=("李晓明", "1111"))
    assert result.code == 0, result.err
    first = result.out.splitlines()[0]
    assert first == "值班交接班材料"
    assert "份号" not in result.out and "【机密】" not in result.out


def test_each_classified_copy_takes_the_next_number(cli: Cli) -> None:
    first = cli("handover", "--clearance", "top_secret", "--preview")
    second = cli("handover", "--clearance", "top_secret", "--preview")
    assert "000001" in first.out.splitlines()[0]
    assert "000002" in second.out.splitlines()[0]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson", "md", "xlsx", "docx"])
def test_daily_export_for_a_cleared_reader_carries_the_level(
    cli: Cli, fmt: str, lang: str, tmp_path: Path
) -> None:
    target = tmp_path / f"daily.{fmt}"
    result = cli(
        "export", "daily", "--date", "2026-11-25", "--clearance", "top_secret",
        "--format", fmt, "-o", str(target), lang=lang,
    )  # fmt: skip
    assert result.code == 0, result.err
    if fmt == "docx":
        raw = target.read_bytes()
        _first_paragraph_is_mark(raw, LEVEL[lang])
        document = Document(io.BytesIO(raw))
        cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
        assert any(c.startswith(ITEM[lang]) for c in cells)
        return
    if fmt == "xlsx":
        sheet = load_workbook(target).worksheets[0]
        assert LEVEL[lang] in str(sheet["A1"].value) and "000001" in str(sheet["A1"].value)
        titles = [str(c.value) for c in sheet[sheet.max_row]] + [
            str(row[7].value) for row in sheet.iter_rows(min_row=3)
        ]
        assert any(ITEM[lang] in t for t in titles)
        return
    text = target.read_text(encoding="utf-8")
    if fmt == "json":
        data = json.loads(text)
        assert data["marking"]["level"] == "secret" and data["marking"]["copy_no"] == "000001"
        return
    if fmt == "ndjson":
        records = [json.loads(line) for line in text.splitlines()]
        assert all(r["marking"].startswith(LEVEL[lang]) for r in records)
        assert all(r["copy_no"] == "000001" for r in records)
        return
    if fmt == "csv":
        head, *rows = text.splitlines()
        assert head.split(",")[-2:] == ["marking", "copy_no"]
        assert all(LEVEL[lang] in row and row.endswith("000001") for row in rows)
        return
    first = text.splitlines()[0]
    assert LEVEL[lang] in first and "000001" in first
    assert ITEM[lang] in text.replace("\\", "")


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_uncleared_daily_export_is_unmarked(cli: Cli, fmt: str) -> None:
    result = cli("export", "daily", "--date", "2026-11-25", "--format", fmt, who=("李晓明", "1111"))
    assert result.code == 0, result.err
    assert "marking" not in result.out and "份号" not in result.out
    assert "【机密】" not in result.out


def _issued(cli: Cli, serial: str) -> int:
    # A level alone opens nothing: the security officer names the leader who drafts it.
    named = cli("incident", "readers", serial, "--add", "张振华", who=("马骏", "1212"))
    assert named.code == 0, named.err
    drafted = cli("bulletin", "draft", serial, "--clearance", "secret", who=("张振华", "888888"))
    assert drafted.code == 0, drafted.err
    bulletin_id = int(drafted.out.strip())
    for step in (("review",), ("sign",), ("issue",)):
        done = cli("bulletin", *step, str(bulletin_id), who=("张振华", "888888"))
        assert done.code == 0, done.err
    return bulletin_id


def test_classified_bulletins_have_their_own_series(cli: Cli) -> None:
    open_one = _issued(cli, "20261125-019")
    secret_one = _issued(cli, SECRET_SERIAL)
    open_two = _issued(cli, "20261125-004")
    listed = cli("bulletin", "list", "--format", "json", who=("张振华", "888888"))
    numbers = {b["id"]: b for b in json.loads(listed.out)}
    assert numbers[open_one]["issue_no"] == 1 and numbers[open_one]["series"] == "open"
    assert numbers[secret_one]["issue_no"] == 1 and numbers[secret_one]["series"] == "classified"
    assert numbers[open_two]["issue_no"] == 2  # the 机密 issue took no number of the open series
    shown = cli(
        "bulletin", "show", str(secret_one), "--clearance", "secret", who=("张振华", "888888")
    )
    assert "（机密）" in shown.out or "(机密)" in shown.out


@pytest.mark.parametrize("fmt", ["txt", "md", "docx"])
def test_printing_a_classified_bulletin_gives_copies_and_logs_them(
    cli: Cli, fmt: str, tmp_path: Path
) -> None:
    bulletin_id = _issued(cli, SECRET_SERIAL)
    leader = ("张振华", "888888")
    for n in (1, 2):
        target = tmp_path / f"b{n}.{fmt}"
        shown = cli(
            "bulletin", "show", str(bulletin_id), "--clearance", "secret",
            "--format", fmt, "-o", str(target), who=leader,
        )  # fmt: skip
        assert shown.code == 0, shown.err
        if fmt == "docx":
            _first_paragraph_is_mark(target.read_bytes(), "机密", f"{n:06d}")
        else:
            first = target.read_text(encoding="utf-8").splitlines()[0]
            assert "机密" in first and f"{n:06d}" in first
    gave = cli("bulletin", "copies", str(bulletin_id), "--give", "2", "--to", "王立新", who=leader)
    assert gave.code == 0, gave.err
    back = cli("bulletin", "copies", str(bulletin_id), "--back", "2", who=leader)
    assert back.code == 0, back.err
    log = cli("bulletin", "copies", str(bulletin_id), "--format", "json", who=leader)
    rows = json.loads(log.out)
    assert [r["copy_no"] for r in rows] == ["000001", "000002"]
    assert rows[0]["made_by"] == "张振华" and rows[0]["given_to"] is None
    assert rows[1]["given_to"] == "王立新" and rows[1]["given_at"] and rows[1]["returned_at"]
    audit = cli("audit", "list", "--format", "json", who=("许文博", "5555"))
    actions = [e["action"] for e in json.loads(audit.out)]
    assert {"copy.made", "copy.given", "copy.returned"} <= set(actions)


def test_copies_refuses_a_copy_not_made(cli: Cli) -> None:
    bulletin_id = _issued(cli, SECRET_SERIAL)
    result = cli("bulletin", "copies", str(bulletin_id), "--give", "9", "--to", "王立新",
                 who=("张振华", "888888"))  # fmt: skip
    assert result.code != 0
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_uncleared_bulletin_show_is_unchanged(cli: Cli) -> None:
    bulletin_id = _issued(cli, "20261125-019")
    shown = cli("bulletin", "show", str(bulletin_id), who=("李晓明", "1111"))
    assert shown.code == 0, shown.err
    assert "份号" not in shown.out and not shown.out.startswith("0")


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_weekly_report_holds_no_classified_item_so_carries_no_mark(
    cli: Cli, fmt: str, tmp_path: Path
) -> None:
    """The weekly summary is aggregates read in meeting rooms: a classified item is only
    counted (涉密2件, 不予显示), never listed, for any reader (services/trends.py). A
    document is marked by what it holds, so it carries no 密级 and no 份号 even for
    韩冬 (绝密, named in both telegrams' 知悉范围); should it ever list one, this fails."""
    target = tmp_path / f"weekly.{fmt}"
    result = cli("report", "weekly", "--at", "2026-11-25", "--format", fmt, "-o", str(target))
    assert result.code == 0, result.err
    if fmt == "docx":
        text = "\n".join(p.text for p in Document(io.BytesIO(target.read_bytes())).paragraphs)
    else:
        text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0].lstrip("# ") == "值班工作周报"
    assert "涉密2件" in text  # counted, true for every reader
    for shown in (SECRET_SERIAL, CONFIDENTIAL_SERIAL, "赣办电", "份号", ITEM["zh_CN"]):
        assert shown not in text, shown


def test_each_classified_item_of_a_bulletin_keeps_its_own_mark() -> None:
    """A bulletin of several items carries the highest level at its top left (above), and
    inside, a classified item's heading its own 【机密】; an open item's none."""
    from dutydesk.rules.bulletins import ItemFacts, draft_text
    from dutydesk.vocab import Classification

    items = [
        ItemFacts(serial="20261125-001", title="某小区停电", summary="有关情况。",
                  classification=Classification.INTERNAL),
        ItemFacts(serial="20261125-002", title="某厂泄漏", summary="有关情况。",
                  classification=Classification.SECRET),
    ]  # fmt: skip
    _title, body = draft_text(items)
    headings = [line for line in body.splitlines() if line[:2] in ("一、", "二、")]
    assert headings == ["一、某小区停电", "二、【机密】某厂泄漏"]
