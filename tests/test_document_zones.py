"""Issue 10, defect 7: every time a person reads names the zone it is in.

A column of times names the zone once in its header (``Received (+08:00)``,
``接报（+08:00）``); a free-standing English time carries its offset
(``2026-12-03 03:50 +08:00``); a Chinese document keeps its 公文 times (``25日10时41分``)
and says its zone once, on its period line: ``（北京时间）`` in Asia/Shanghai, else the
offset (``（UTC+09:00）``). Each document is checked in both languages, in the default
zone and with another one configured (``DUTYDESK_TIMEZONE``), since a test that only ever
sees +08:00 cannot tell an offset from a hard-coded one.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from dutydesk.cli.app import main
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT
from tests.docs_support import run_cli, seed_night
from tests.templates import DemoTemplates

ZONES = {"Asia/Shanghai": "+08:00", "Asia/Tokyo": "+09:00"}
LANGUAGES = ("en", "zh_CN")


def column(language: str, zone: str) -> str:
    """What a time column's header ends with: `` (+09:00)`` or ``（+09:00）``."""
    return f" ({ZONES[zone]})" if language == "en" else f"（{ZONES[zone]}）"


def zone_note(zone: str) -> str:
    """What a Chinese document's period line ends with."""
    return "（北京时间）" if zone == "Asia/Shanghai" else f"（UTC{ZONES[zone]}）"


def docx_text(data: bytes) -> list[str]:
    document = Document(io.BytesIO(data))
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    return [p.text for p in document.paragraphs] + cells


parametrize_zones = pytest.mark.parametrize("zone", list(ZONES))
parametrize_languages = pytest.mark.parametrize("language", LANGUAGES)


# -- the daily summary ------------------------------------------------------------------


def _daily(
    capsys: pytest.CaptureFixture[str], db_arg: str, tmp_path: Path, fmt: str, language: str
) -> tuple[bytes, str]:
    target = tmp_path / f"daily.{fmt}"
    code, _, err = run_cli(
        capsys, db_arg, "--lang", language, "export", "daily", "--date", "2026-11-25",
        "--format", fmt, "-o", str(target),
    )  # fmt: skip
    assert code == 0, err
    return target.read_bytes(), err


_TIME_HEADERS = {
    "en": ("Received", "Phone report at", "Written first report at", "Last entry at"),
    "zh_CN": ("接报", "电话首报时间", "书面首报时间", "最新跟踪时间"),
}


@parametrize_zones
@parametrize_languages
def test_daily_xlsx_time_columns_name_their_zone(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, language: str, zone: str,
) -> None:  # fmt: skip
    """Header "Received" over "2026-11-26 01:31" said neither UTC nor local."""
    monkeypatch.setenv("DUTYDESK_TIMEZONE", zone)
    night = seed_night(db)
    data, _ = _daily(capsys, db_arg, tmp_path, "xlsx", language)
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for name in _TIME_HEADERS[language]:
        assert name + column(language, zone) in header, header
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == night.open_serial)
    received = row[header.index(_TIME_HEADERS[language][0] + column(language, zone))]
    assert received == ("2026-11-26 01:31" if zone == "Asia/Shanghai" else "2026-11-26 02:31")
    record = workbook.worksheets[-1]["A1"].value  # the window counted, on the last sheet
    assert (ZONES[zone] if language == "en" else zone_note(zone)) in record, record


@parametrize_zones
@parametrize_languages
def test_daily_md_headers_window_and_generated_line_name_the_zone(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, language: str, zone: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_TIMEZONE", zone)
    seed_night(db)
    data, err = _daily(capsys, db_arg, tmp_path, "md", language)
    lines = data.decode().replace("\\", "").splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("|---|---|---|"))
    header = [cell.strip() for cell in lines[rule - 1].strip("|").split("|")]
    for name in _TIME_HEADERS[language]:
        assert name + column(language, zone) in header, header
    window = lines[2]
    generated = lines[4]
    if language == "en":
        assert window.startswith("Duty day: ") and window.count(ZONES[zone]) == 2, window
        assert generated.startswith("Generated ") and ZONES[zone] in generated, generated
    else:
        assert window.startswith("值班日：") and window.endswith(zone_note(zone)), window
        assert "时" in generated  # the 公文 time stays; the zone was said once, above
    assert (ZONES[zone] if language == "en" else zone_note(zone)) in err  # the CLI's note


@parametrize_zones
@parametrize_languages
def test_daily_docx_names_the_zone_under_the_title_and_in_the_table(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, language: str, zone: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_TIMEZONE", zone)
    seed_night(db)
    data, _ = _daily(capsys, db_arg, tmp_path, "docx", language)
    document = Document(io.BytesIO(data))
    window, generated = document.paragraphs[1].text, document.paragraphs[2].text
    if language == "en":
        assert window.count(ZONES[zone]) == 2 and ZONES[zone] in generated, (window, generated)
    else:
        assert window.endswith(zone_note(zone)), window
    header = [cell.text for cell in document.tables[0].rows[0].cells]
    assert _TIME_HEADERS[language][0] + column(language, zone) in header, header


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_daily_data_formats_carry_the_configured_offset(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, fmt: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_TIMEZONE", "Asia/Tokyo")
    seed_night(db)
    data, _ = _daily(capsys, db_arg, tmp_path, fmt, "en")
    assert "2026-11-26T02:31:00+09:00" in data.decode()


# -- the handover pack, the weekly report and trends, on the demo -----------------------


@pytest.fixture
def cli(
    db: Database,
    db_arg: str,
    demo_templates: DemoTemplates,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., tuple[str, str, bytes]]:
    """``dutydesk --lang L ARGS`` on the demo, signed in: (stdout, stderr, raw stdout)."""
    demo_templates.load_into(db, DEMO_MOMENT)
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李晓明")
    monkeypatch.setenv("DUTYDESK_PIN", "1111")

    def run(language: str, *args: str) -> tuple[str, str, bytes]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsysbinary.readouterr()
        try:
            main(["--db", db_arg, "--now", DEMO_MOMENT.isoformat(), "--lang", language,
                  *args])  # fmt: skip
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsysbinary.readouterr()
        assert code == 0, captured.err.decode()
        return captured.out.decode("utf-8", "replace"), captured.err.decode(), captured.out

    return run


def lines_of(fmt: str, data: bytes) -> list[str]:
    """A document's lines (paragraphs and cells of a DOCX), Markdown escapes removed."""
    if fmt == "docx":
        return docx_text(data)
    return [line.strip().replace("\\", "") for line in data.decode().splitlines()]


def starting(lines: list[str], *prefixes: str) -> str:
    """The first line that starts with one of ``prefixes``."""
    return next(line for line in lines if line.startswith(prefixes))


@parametrize_zones
@parametrize_languages
@pytest.mark.parametrize("fmt", ["txt", "md", "docx"])
def test_handover_period_and_made_lines_name_the_zone(
    cli: Callable[..., tuple[str, str, bytes]], monkeypatch: pytest.MonkeyPatch,
    language: str, zone: str, fmt: str,
) -> None:  # fmt: skip
    """The pack's "Period:" line said ``2026-11-25 08:30 to 2026-11-26 02:31``."""
    monkeypatch.setenv("DUTYDESK_TIMEZONE", zone)
    _, _, raw = cli(language, "handover", "--preview", "--format", fmt)
    lines = lines_of(fmt, raw)
    period = starting(lines, "Period: ", "时段：")
    made = starting(lines, "Made ", "生成时间：")
    if language == "en":
        assert period.count(ZONES[zone]) == 2 and ZONES[zone] in made, (period, made)
    else:
        assert period.endswith(zone_note(zone)), period
        assert "8时30分" in period  # the 公文 times themselves stay as they were
        assert "UTC" not in made and "北京时间" not in made  # said once, on the period line


@parametrize_zones
@parametrize_languages
@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_weekly_report_names_its_zone(
    cli: Callable[..., tuple[str, str, bytes]], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, language: str, zone: str, fmt: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_TIMEZONE", zone)
    target = tmp_path / f"week.{fmt}"
    cli(language, "report", "weekly", "--format", fmt, "-o", str(target))
    lines = lines_of(fmt, target.read_bytes())
    period = starting(lines, "Week: ", "本周：")
    made = starting(lines, "Made ", "生成时间：")
    if language == "en":
        assert period.count(ZONES[zone]) == 2 and ZONES[zone] in made, (period, made)
    else:
        assert period.endswith(zone_note(zone)), period


@parametrize_zones
@parametrize_languages
def test_trends_span_line_names_its_zone(
    cli: Callable[..., tuple[str, str, bytes]], monkeypatch: pytest.MonkeyPatch,
    language: str, zone: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_TIMEZONE", zone)
    _, err, _ = cli(language, "trends")
    span = err.splitlines()[0]
    assert span.count(ZONES[zone]) == 2, span


# -- the drill report ---------------------------------------------------------------------


@parametrize_zones
@parametrize_languages
def test_drill_report_names_its_zone(
    db: Database, tmp_path: Path, language: str, zone: str
) -> None:
    from zoneinfo import ZoneInfo

    from dutydesk.i18n import set_language
    from dutydesk.reports.drill import render_md
    from dutydesk.reports.drill_docx import render_docx
    from dutydesk.services import drills
    from tests.test_drills import SCENARIO, run_drill

    scenario = tmp_path / "test_fire.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    run_id, _, clock = run_drill(db, scenario)
    report = drills.build_report(db, run_id, now=clock.now())
    set_language(language)
    tz = ZoneInfo(zone)
    md = render_md(report, tz).replace("\\", "").splitlines()
    docx = docx_text(render_docx(report, tz))
    for run in (md[2], docx[1]):
        assert (ZONES[zone] if language == "en" else zone_note(zone)) in run, run
    due = "Due" if language == "en" else "时间"
    assert f"| {due}{column(language, zone)} |" in "\n".join(md)
    assert due + column(language, zone) in docx
