"""Issue 14: every DOCX checked the way an office sees it, rendered by LibreOffice headless.

Each document (handover pack, bulletin, weekly report, drill report, daily summary) is
made as the desk makes it, converted to PDF (tests/render_support.py) and measured on
the printed pages: 28 characters on a full body line, 22 lines on a full page, and the
page number "— N —" under the type area, right on odd pages and left on even ones, one
character in from the type area's edge (GB/T 9704-2012 §7.5).

Marked ``render``: ``.venv/bin/python -m pytest -m render`` runs them alone.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from dutydesk.i18n import set_language
from dutydesk.reports.docx_style import LINE_PT, new_document, paragraph, to_bytes
from dutydesk.reports.handover_docx import render_docx
from dutydesk.reports.imprint import add_office_imprint
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.docs_support import run_cli, seed_night
from tests.render_support import (
    PT_PER_MM,
    TYPE_BOTTOM_PT,
    TYPE_LEFT_PT,
    TYPE_RIGHT_PT,
    Rendered,
    render,
)
from tests.templates import DemoTemplates
from tests.test_handover import pack_at

pytestmark = pytest.mark.render

UNIT = "中共临川市委办公室"
ONE_CHARACTER_PT = 14.0
""""空一字" beside the page number: one character of its own 4号 (14 pt) size."""


def assert_page_numbers(rendered: Rendered) -> None:
    """Every page numbered "— N —" under the type area, odd right and even left."""
    for index in range(rendered.page_count):
        number = index + 1
        below = rendered.below_type_area(index)
        assert [line.text for line in below] == [f"—{number}—"], (number, below)
        line = below[0]
        # pdftotext -layout may drop the narrow spaces around the digits.
        assert re.search(rf"— ?{number} ?—\s*$", rendered.pages[index]), rendered.pages[index]
        # 7 mm from the type area's lower edge to the top of the number line (±1.5 mm).
        assert abs((line.y_min - TYPE_BOTTOM_PT) / PT_PER_MM - 7) < 1.5, line
        if number % 2:
            assert abs(TYPE_RIGHT_PT - ONE_CHARACTER_PT - line.x_max) < 3, line
        else:
            assert abs(line.x_min - TYPE_LEFT_PT - ONE_CHARACTER_PT) < 3, line


def assert_office_imprint(rendered: Rendered, *, cc: str | None = None) -> None:
    """The desk's own 版记 ends the last page: 抄送 (where configured), then 印发, at the foot."""
    texts = [line.text for line in rendered.body_lines(rendered.page_count - 1)]
    assert texts[-1] == f"{UNIT}2026年11月26日印发", texts
    if cc is not None:
        assert texts[-2] == cc, texts
    assert_at_the_foot(rendered)


def assert_grid(rendered: Rendered, *, full_page: bool) -> None:
    """28 characters a line; 22 lines a full page, 28 on a full line (when it has them)."""
    assert rendered.characters_a_line() == 28
    if full_page:
        assert rendered.full_line_width() == 28
        # 22 lines a page: the pitch (225 mm / 22) fills the type area; a page of body
        # text holds 22, or 21 where widow control carried a paragraph's line over.
        assert abs(rendered.line_pitch() - LINE_PT) < 0.3, rendered.line_pitch()
        assert rendered.most_lines_on_a_page() in (21, 22)


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    return demo_templates.load_into(db, DEMO_MOMENT)


def test_handover_pack_renders_on_the_grid_with_page_numbers(
    demo: Database, tmp_path: Path
) -> None:
    """It rendered at 14 characters a line over 12 pages, with no page numbers and no 版记."""
    set_language("zh_CN")
    data = render_docx(pack_at(demo, DEMO_MOMENT), SHANGHAI, unit=UNIT, cc=("市委秘书长",))
    rendered = render(data, tmp_path, "handover")
    assert_grid(rendered, full_page=True)
    assert rendered.page_count <= 7
    assert_page_numbers(rendered)
    assert_office_imprint(rendered, cc="抄送：市委秘书长。")


def test_weekly_report_renders_on_the_grid_with_page_numbers(
    demo: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_OPERATOR", "黄雨婷")
    monkeypatch.setenv("DUTYDESK_PIN", "4444")
    target = tmp_path / "weekly.docx"
    code, _, err = run_cli(
        capsys, db_arg, "--lang", "zh_CN", "report", "weekly", "--format", "docx",
        "-o", str(target), now=DEMO_MOMENT.isoformat(),
    )  # fmt: skip
    assert code == 0, err
    rendered = render(target.read_bytes(), tmp_path, "weekly")
    assert_grid(rendered, full_page=False)
    assert_page_numbers(rendered)
    assert_office_imprint(rendered)  # no 抄送 configured: the 印发 line alone
    # Second-level headings (issue 14): 按类别… were plain lines, now （一）… in 楷体.
    texts = [line.text for page in range(rendered.page_count) for line in rendered.body_lines(page)]
    second = [text for text in texts if text.startswith(("（一）", "（二）"))]
    assert second[:2] == ["（一）按类别", "（二）按来源渠道"], texts


def _night_cli(db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], *args: str) -> None:
    code, _, err = run_cli(capsys, db_arg, "--lang", "zh_CN", *args)
    assert code == 0, err


def test_bulletin_renders_on_the_grid_with_page_numbers(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Bulletins set no grid: they printed 27 characters a line."""
    monkeypatch.setenv("DUTYDESK_OPERATOR", "杨帆")
    night = seed_night(db)
    _night_cli(db, db_arg, capsys, "bulletin", "draft", night.open_serial)
    _night_cli(db, db_arg, capsys, "bulletin", "review", "1")
    _night_cli(db, db_arg, capsys, "bulletin", "sign", "1", "--by", "张振华")
    _night_cli(db, db_arg, capsys, "bulletin", "issue", "1")
    target = tmp_path / "bulletin.docx"
    _night_cli(db, db_arg, capsys, "bulletin", "show", "1", "--format", "docx", "-o", str(target))
    rendered = render(target.read_bytes(), tmp_path, "bulletin")
    assert_grid(rendered, full_page=False)
    assert_page_numbers(rendered)


def test_daily_summary_renders_with_page_numbers(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The daily summary set no grid either; its table rows are 五号 and off the grid."""
    seed_night(db)
    target = tmp_path / "daily.docx"
    _night_cli(
        db, db_arg, capsys, "export", "daily", "--date", "2026-11-25", "--format", "docx",
        "-o", str(target),
    )  # fmt: skip
    rendered = render(target.read_bytes(), tmp_path, "daily")
    assert_grid(rendered, full_page=False)
    # The table's 五号 lines (boxes under 17 pt tall) stand at their own pitch, not on the
    # 28.95 pt grid: on it the three incidents' table took a second page.
    table = [line for line in rendered.body_lines(0) if line.y_max - line.y_min < 17]
    gaps = sorted(b.y_min - a.y_min for a, b in itertools.pairwise(table))
    assert len(gaps) > 4 and gaps[len(gaps) // 2] < 20, gaps
    assert rendered.page_count == 1
    assert_page_numbers(rendered)
    assert_office_imprint(rendered)


def test_drill_report_renders_with_page_numbers(
    db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李晓明")
    for args in (("drill", "start", "chemical_fire", "--speed", "10"), ("drill", "stop")):
        code, _, err = run_cli(capsys, db_arg, "--lang", "zh_CN", *args)
        assert code == 0, err
    target = tmp_path / "drill.docx"
    code, _, err = run_cli(
        capsys, db_arg, "--lang", "zh_CN", "drill", "report", "1", "--format", "docx",
        "-o", str(target),
    )  # fmt: skip
    assert code == 0, err
    rendered = render(target.read_bytes(), tmp_path, "drill")
    assert_grid(rendered, full_page=False)
    assert rendered.page_count == 1  # the tables' 小四 rows at their own height
    assert_page_numbers(rendered)


def test_bulletin_imprint_sits_at_the_foot_of_the_last_page(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """GB/T 9704-2012 §7.4: the 版记 at the foot of the last page.

    It was laid in the flow right after the body, 76 pt above the foot (LibreOffice drops
    a frame whose paragraphs have borders: dutydesk/reports/imprint.py).
    """
    monkeypatch.setenv("DUTYDESK_OPERATOR", "杨帆")
    night = seed_night(db)
    _night_cli(db, db_arg, capsys, "bulletin", "draft", night.open_serial)
    _night_cli(db, db_arg, capsys, "bulletin", "review", "1")
    _night_cli(db, db_arg, capsys, "bulletin", "sign", "1", "--by", "张振华")
    _night_cli(db, db_arg, capsys, "bulletin", "issue", "1")
    target = tmp_path / "bulletin.docx"
    _night_cli(db, db_arg, capsys, "bulletin", "show", "1", "--format", "docx", "-o", str(target))
    rendered = render(target.read_bytes(), tmp_path, "imprint")
    last = rendered.page_count - 1
    texts = [line.text for line in rendered.body_lines(last)]
    assert texts[-5:-1] == [
        "报：省委办公厅。",
        "送：市委、市人大常委会、市政府、市政协领导同志。",
        "发：各县（区）委，市委各部委，市直各单位党组（党委）。",
        "（共印60份）",
    ], texts
    assert texts[-1].startswith("中共临川市委办公室") and texts[-1].endswith("印发"), texts
    assert texts[0] == "内部资料注意保存"  # top left of an internal product
    assert rendered.body_lines(0)[0].x_min - TYPE_LEFT_PT < 2
    assert_page_numbers(rendered)
    assert_at_the_foot(rendered)


def assert_at_the_foot(rendered: Rendered) -> None:
    """The 印发 line ends the last page's type area: within 3 pt of its lower edge."""
    last_line = rendered.body_lines(rendered.page_count - 1)[-1]
    assert last_line.text.endswith("印发"), last_line
    # Its text box ends just above the last thick rule, which closes the type area.
    assert abs(TYPE_BOTTOM_PT - last_line.y_max) < 3, (TYPE_BOTTOM_PT, last_line)


def test_an_imprint_with_no_room_left_goes_to_the_foot_of_a_new_page(tmp_path: Path) -> None:
    """A body of 21 full lines leaves 30 pt of the 22nd: the 版记 (two lines, 45 pt) moves on."""
    document = new_document()
    for _ in range(21):
        paragraph(document, "值班室" * 8 + "值班", indent=True)  # 26 and the indent: a line
    add_office_imprint(
        document, unit="中共临川市委办公室", printed=DEMO_MOMENT.astimezone(SHANGHAI),
        cc=("市委秘书长",),
    )  # fmt: skip
    rendered = render(to_bytes(document), tmp_path, "spill")
    assert rendered.page_count == 2
    assert len(rendered.body_lines(0)) == 21
    assert [line.text for line in rendered.body_lines(1)] == [
        "抄送：市委秘书长。",
        "中共临川市委办公室2026年11月26日印发",
    ]
    assert_at_the_foot(rendered)
    assert_page_numbers(rendered)  # the 版记 page too: no blank page comes before it


def test_urgency_is_printed_at_the_top_left_of_page_one(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """GB/T 9704-2012 §7.2.3: 特急 顶格 at the top left, below the note where a 密级 stands,
    above the masthead; no urgency was printed at all before."""
    monkeypatch.setenv("DUTYDESK_OPERATOR", "杨帆")
    night = seed_night(db)
    _night_cli(db, db_arg, capsys, "bulletin", "draft", night.open_serial, "--urgency", "特急")
    _night_cli(db, db_arg, capsys, "bulletin", "review", "1")
    _night_cli(db, db_arg, capsys, "bulletin", "sign", "1", "--by", "张振华")
    target = tmp_path / "urgent.docx"
    _night_cli(db, db_arg, capsys, "bulletin", "show", "1", "--format", "docx", "-o", str(target))
    rendered = render(target.read_bytes(), tmp_path, "urgent")
    top = rendered.body_lines(0)
    assert [line.text for line in top[:3]] == ["内部资料注意保存", "特急", "信息快报"], top[:3]
    mark = top[1]
    assert mark.x_min - TYPE_LEFT_PT < 2, mark  # 顶格: at the type area's left edge
    # Two characters a character apart: 特, a full-width space, 急 (three 16 pt cells).
    assert 44 < mark.x_max - mark.x_min < 50, mark
    assert_page_numbers(rendered)
