"""``dutydesk export daily`` in every format: contents, layout, BOM, formulas, clearance."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from dutydesk.storage.engine import Database
from tests.conftest import SHANGHAI
from tests.docs_support import (
    CANARY,
    FORMULA,
    Night,
    add_incident,
    mm,
    run_cli,
    seed_night,
    zip_text,
)
from tests.hostile import SHORT
from tests.render_support import calc_sheets

FORMATS = ("csv", "json", "ndjson", "md", "xlsx", "docx")
NIGHT_DUTY_DAY = "2026-11-25"
"""seed_night's incidents, received at 01:31 on the 26th, are the night of the 25th's
值班日 (08:30 on the 25th to 08:30 on the 26th): offices count them in the 25th's summary."""


@pytest.fixture
def night(db: Database) -> Night:
    return seed_night(db)


def export(
    capsys: pytest.CaptureFixture[str],
    db_arg: str,
    tmp_path: Path,
    fmt: str,
    *extra: str,
    lang: str = "en",
) -> tuple[bytes, str]:
    target = tmp_path / f"daily.{fmt}"
    code, out, err = run_cli(
        capsys, db_arg, "--lang", lang, "export", "daily", "--date", NIGHT_DUTY_DAY, "--format", fmt,
        "-o", str(target), *extra,
    )  # fmt: skip
    assert code == 0, err
    assert out == ""  # the data went to the file; messages to stderr
    assert "3 incident(s)" in err or "共 3 件" in err
    return target.read_bytes(), err


def as_text(fmt: str, data: bytes) -> str:
    return zip_text(data) if fmt in {"xlsx", "docx"} else data.decode("utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_canary_never_in_an_export_without_clearance(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    data, err = export(capsys, db_arg, tmp_path, fmt)
    text = as_text(fmt, data)
    assert CANARY not in text and CANARY not in err
    assert "省委办公厅密电" not in text
    assert night.secret_serial in text  # serial and classification are shown
    assert "secret" in text or "机密" in text or "Secret" in text
    assert "1 classified (not shown)" in err


def test_the_withheld_count_is_said_in_the_officers_language(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The count of rows withheld was joined to the Chinese line with an English "; ".
    _data, err = export(capsys, db_arg, tmp_path, "csv", lang="zh_CN")
    line = next(text for text in err.splitlines() if "共 3 件" in text)
    assert line.endswith("共 3 件；其中 1 件涉密（不显示）"), line
    assert "; " not in line


@pytest.mark.parametrize("fmt", FORMATS)
def test_cleared_operator_sees_classified_content(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    data, _ = export(capsys, db_arg, tmp_path, fmt, "--clearance", "secret", "--operator", "张振华")
    assert CANARY in as_text(fmt, data)


def test_clearance_is_the_operators_not_the_options(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--clearance alone, or beyond the named operator's own, opens nothing."""
    for extra in ((), ("--operator", "杨帆")):  # 杨帆 is cleared to 秘密 only
        code, out, err = run_cli(
            capsys, db_arg, "export", "daily", "--date", NIGHT_DUTY_DAY, "--format", "csv",
            "--clearance", "secret", *extra,
        )  # fmt: skip
        assert code == 2 and out == "" and CANARY not in err
        assert len(err.strip().splitlines()) == 1 and "--clearance" in err


def test_csv_rows_totals_and_neutralised_formulas(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = export(capsys, db_arg, tmp_path, "csv")
    assert not data.startswith(b"\xef\xbb\xbf")  # no BOM unless --excel
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [row["serial"] for row in rows] == [
        night.open_serial,
        night.hostile_serial,
        night.secret_serial,
    ]
    first = rows[0]
    assert first["entries"] == "5" and first["status"] == "following"
    assert first["phone_report_at"].startswith("2026-11-26T01:41")
    assert first["first_report_at"].startswith("2026-11-26T01:46")  # the written one
    assert first["last_entry_kind"] == "continued_report"
    hostile = rows[1]
    assert hostile["title"] == "'" + FORMULA
    assert hostile["summary"].startswith("'@SUM")
    assert hostile["location"] == "'-2+3"
    secret = rows[2]
    assert secret["title"] == "" and secret["classification"] == "secret"
    data, _ = export(capsys, db_arg, tmp_path, "csv", "--excel")
    assert data.startswith(b"\xef\xbb\xbf")
    _code, out, _ = run_cli(
        capsys, db_arg, "export", "daily", "--date", NIGHT_DUTY_DAY, "--table", "totals"
    )
    totals = {(r["dimension"], r["key"]): r["count"] for r in csv.DictReader(io.StringIO(out))}
    assert totals[("category", "accident")] == "1"
    assert totals[("category", "restricted")] == "1"
    assert totals[("channel", "phone")] == "2"


def test_json_and_ndjson(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = export(capsys, db_arg, tmp_path, "json")
    document = json.loads(data)
    assert document["date"] == NIGHT_DUTY_DAY and len(document["incidents"]) == 3
    assert document["incidents"][1]["title"] == FORMULA  # JSON is exact data
    assert document["totals"]["severity"]["II"] == 2
    lines, _ = export(capsys, db_arg, tmp_path, "ndjson")
    records = [json.loads(line) for line in lines.decode().splitlines()]
    assert [r["serial"] for r in records] == [i["serial"] for i in document["incidents"]]


def test_xlsx_sheets_cells_and_layout(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = export(capsys, db_arg, tmp_path, "xlsx")
    assert not data.startswith(b"\xef\xbb\xbf")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [
        "Incidents",
        "By category",
        "By severity",
        "By channel",
        "Record",
    ]
    sheet = workbook["Incidents"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "Serial" and sheet["A1"].font.b
    assert sheet.column_dimensions["H"].width == 36
    assert sheet["A2"].value == night.open_serial
    assert sheet["K2"].value == 5  # entry count is a number
    assert sheet["H3"].value == FORMULA and sheet["H3"].data_type == "s"  # text, not formula
    assert sheet["I3"].data_type == "s"
    assert sheet["H4"].value == "classified (not shown)"
    totals = workbook["By category"]
    assert [c.value for c in totals[1]] == ["By category", "Count"]


def test_docx_layout(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = export(capsys, db_arg, tmp_path, "docx")
    document = Document(io.BytesIO(data))
    section = document.sections[0]
    assert round(mm(section.page_width)) == 210 and round(mm(section.page_height)) == 297
    assert [round(mm(section.top_margin)), round(mm(section.left_margin)),
            round(mm(section.bottom_margin)), round(mm(section.right_margin))] == [37, 28, 35, 26]  # fmt: skip
    assert document.paragraphs[0].text == "Duty summary for 2026年11月25日"
    table = document.tables[0]
    assert len(table.rows) == 4
    assert table.rows[1].cells[0].text == night.open_serial
    assert table.rows[3].cells[6].text == "classified (not shown)"


def test_empty_day_is_a_zero_report(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run_cli(
        capsys, db_arg, "--lang", "zh_CN", "export", "daily", "--date", "2026-01-01",
        "--format", "md",
    )  # fmt: skip
    assert code == 0
    assert "当日未接报值班事项（零报告）" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--format", "txt"), "'txt' is not one of 'csv'"),
        (("--format", "json", "--excel"), "--excel applies to --format csv only"),
        (("--date", "26/11/2026"), "expected YYYY-MM-DD"),
        (("--clearance", "cosmic"), "clearance"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
    fragment: str,
) -> None:  # fmt: skip
    code, out, err = run_cli(capsys, db_arg, "export", "daily", *args)
    assert code != 0 and out == ""
    assert fragment in err


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_chain_head(
    night: Night, db: Database, db_arg: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], fmt: str,
) -> None:  # fmt: skip
    """The head (as ``verify`` prints it) is in the file, or on stderr beside CSV rows."""
    from dutydesk.services.integrity.chain_read import chain_head, signed_head

    head = chain_head(db)
    assert head.seq > 0
    data, err = export(capsys, db_arg, tmp_path, fmt)
    where = err if fmt in {"csv", "ndjson"} else as_text(fmt, data)
    # Issue 17: signed, "#57 3f9a1c2b… ✓5e0c47a19b2d3f68" (the MAC under the head key).
    signed = signed_head(db)
    assert signed.startswith(head.short + " ✓") and signed in where, where[-300:]
    if fmt == "json":
        assert json.loads(data)["chain_head"] == signed


# The open incident of seed_night: received 01:31, verified 01:36, phone report 01:41,
# written first report 01:46, continued report 01:51 (docs_support.add_incident).
_OPEN_BY_HEADER = {
    "en": {
        "Serial": None,  # the serial, checked against the night
        "Received (+08:00)": "2026-11-26 01:31",  # defect 7: a time column names its zone
        "Ch.": "phone",
        "Category": "accident",
        "Sev.": "II",
        "Classification": "internal",
        "Status": "following",
        "Title": "东湖区幸福路一居民楼发生燃气爆炸",
        "Location": None,
        "Reporting unit": "市应急管理局",
        "Entries": 5,
        "Phone report at (+08:00)": "2026-11-26 01:41",
        "Written first report at (+08:00)": "2026-11-26 01:46",
        "Last entry at (+08:00)": "2026-11-26 01:51",
        "Last entry kind": "continued report",
        "Last entry": "续报：伤员已送医，无生命危险。",
        "Summary": "东湖区幸福路12号一居民楼发生燃气爆炸，3人受伤",
    },
    "zh_CN": {
        "编号": None,
        "接报（+08:00）": "2026-11-26 01:31",
        "渠道": "电话",
        "类别": "事故灾难",
        "级别": "Ⅱ级",
        "密级": "内部",
        "状态": "跟踪中",
        "标题": "东湖区幸福路一居民楼发生燃气爆炸",
        "地点": None,
        "报告单位": "市应急管理局",
        "跟踪记录数": 5,
        "电话首报时间（+08:00）": "2026-11-26 01:41",
        "书面首报时间（+08:00）": "2026-11-26 01:46",
        "最新跟踪时间（+08:00）": "2026-11-26 01:51",
        "最新跟踪类型": "续报",
        "最新跟踪": "续报：伤员已送医，无生命危险。",
        "摘要": "东湖区幸福路12号一居民楼发生燃气爆炸，3人受伤",
    },
}


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_xlsx_every_header_names_the_value_under_it(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    language: str,
) -> None:  # fmt: skip
    """Defects 8 and 13 of issue 10: each header says what its column holds.

    "Reporter" sat on the reporting unit; "First report" held the phone report.
    """
    data, _ = export(capsys, db_arg, tmp_path, "xlsx", lang=language)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == night.open_serial)
    got = dict(zip(header, row, strict=True))
    expected = dict(_OPEN_BY_HEADER[language])
    expected[next(iter(expected))] = night.open_serial
    assert got == expected


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
def test_data_formats_keep_phone_and_written_first_report_apart(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """Defect 8: ``first_report_at`` is the written first report; the phone one has its own key."""
    data, _ = export(capsys, db_arg, tmp_path, fmt)
    text = data.decode("utf-8")
    if fmt == "csv":
        records = list(csv.DictReader(io.StringIO(text)))
    elif fmt == "ndjson":
        records = [json.loads(line) for line in text.splitlines()]
    else:
        records = json.loads(text)["incidents"]
    first = next(r for r in records if r["serial"] == night.open_serial)
    assert first["phone_report_at"].startswith("2026-11-26T01:41")
    assert first["first_report_at"].startswith("2026-11-26T01:46")
    assert "reporter_unit" in first and first["reporter_unit"] == "市应急管理局"


@pytest.mark.parametrize(
    ("language", "wanted"),
    [
        ("en", ("Reporting unit", "Phone report at (+08:00)", "Written first report at (+08:00)")),
        ("zh_CN", ("报告单位", "电话首报时间（+08:00）", "书面首报时间（+08:00）")),
    ],
)
def test_md_headers_name_their_columns(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    language: str, wanted: tuple[str, ...],
) -> None:  # fmt: skip
    """Defects 8 and 13 in Markdown: the same names as the workbook, cell under header."""
    data, _ = export(capsys, db_arg, tmp_path, "md", lang=language)
    lines = data.decode().splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("|---|---|---|"))
    header = [cell.strip() for cell in lines[rule - 1].strip("|").split("|")]
    row = next(line for line in lines[rule:] if night.open_serial in line)
    cells = dict(zip(header, [c.strip() for c in row.strip("|").split("|")], strict=True))
    for name in wanted:
        assert name in cells
    assert cells[wanted[0]] == "市应急管理局"
    # A Chinese document writes its times out (issue 12); English keeps the sortable form.
    times = {
        "en": ("2026-11-26 01:41", "2026-11-26 01:46"),
        "zh_CN": ("26日1时41分", "26日1时46分"),
    }
    assert (cells[wanted[1]], cells[wanted[2]]) == times[language]


# -- the 值班日 (issue 12): a duty office counts its day from one change of shift ------


def _day_serials(
    capsys: pytest.CaptureFixture[str], db_arg: str, *extra: str
) -> tuple[list[str], str]:
    code, out, err = run_cli(
        capsys, db_arg, "export", "daily", "--date", "2026-12-02", "--format", "json", *extra,
        now="2026-12-03T09:00+08:00",
    )  # fmt: skip
    assert code == 0, err
    return [item["serial"] for item in json.loads(out)["incidents"]], err


def test_the_summary_counts_the_duty_day_from_change_of_shift_to_change_of_shift(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The 2nd's summary runs 8:00 on the 2nd to 8:00 on the 3rd: 07:59 on the 3rd is in it,
    08:00 on the 3rd is not (nor 07:59 on the 2nd, still the 1st's night)."""
    monkeypatch.setenv("DUTYDESK_DAY_SHIFT_START", "08:00")

    def at(day: int, hour: int, minute: int, title: str) -> str:
        moment = datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)
        return add_incident(db, title=title, summary=title, received=moment)

    night_before = at(2, 7, 59, "一日夜间事项")
    opening = at(2, 8, 0, "二日接班后事项")
    last_minute = at(3, 7, 59, "二日夜间事项")
    next_day = at(3, 8, 0, "三日接班后事项")
    serials, err = _day_serials(capsys, db_arg)
    assert serials == [opening, last_minute]
    assert "Duty day: 2026-12-02 08:00 +08:00 to 2026-12-03 08:00 +08:00" in err
    calendar, _ = _day_serials(capsys, db_arg, "--calendar-day")
    assert calendar == [night_before, opening]
    assert next_day not in serials + calendar


@pytest.mark.parametrize(
    ("language", "duty", "calendar"),
    [
        ("zh_CN", "值班日：12月2日8时至12月3日8时（北京时间）",
         "自然日：12月2日0时至12月3日0时（北京时间）"),
        ("en", "Duty day: 2026-12-02 08:00 +08:00 to 2026-12-03 08:00 +08:00",
         "Calendar day: 2026-12-02 00:00 +08:00 to 2026-12-03 00:00 +08:00"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["md", "docx", "xlsx", "json"])
def test_every_document_says_the_window_it_counts(
    db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, language: str, duty: str, calendar: str, fmt: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_DAY_SHIFT_START", "08:00")
    for extra, wanted in (((), duty), (("--calendar-day",), calendar)):
        target = tmp_path / f"daily.{fmt}"
        code, _, err = run_cli(
            capsys, db_arg, "--lang", language, "export", "daily", "--date", "2026-12-02",
            "--format", fmt, "-o", str(target), *extra, now="2026-12-03T09:00+08:00",
        )  # fmt: skip
        assert code == 0, err
        data = target.read_bytes()
        if fmt == "json":
            window = json.loads(data)["window"]
            hour = "00:00" if extra else "08:00"
            assert window == {
                "kind": "calendar_day" if extra else "duty_day",
                "start": f"2026-12-02T{hour}:00+08:00",
                "end": f"2026-12-03T{hour}:00+08:00",
            }
        else:
            assert wanted in as_text(fmt, data).replace("\\", "")
        if fmt == "docx":  # under the title, where a reader looks first
            assert Document(io.BytesIO(data)).paragraphs[1].text == wanted


@pytest.mark.render
def test_xlsx_opens_in_libreoffice_calc_with_the_cells_openpyxl_reads(
    night: Night, db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The rows are spliced into the sheet as XML text (reports/ooxml.splice_to, deflated
    # at zlib's fastest level); openpyxl reading its own kind of file proves little, so
    # a spreadsheet opens it: every sheet, every cell as Calc shows it. Hostile text in
    # the title, summary and location: Calc must show the text, never run a formula.
    hostile = [text for key, text in SHORT.items() if key != "nul"]  # PostgreSQL: no U+0000
    for number, text in enumerate(hostile):
        add_incident(db, title=f"{number} {text}", summary=text, location=text[:40])
    code, _out, err = run_cli(
        capsys, db_arg, "--lang", "zh_CN", "export", "daily", "--date", NIGHT_DUTY_DAY,
        "--format", "xlsx", "-o", str(tmp_path / "daily.xlsx"),
    )  # fmt: skip
    assert code == 0, err
    data = (tmp_path / "daily.xlsx").read_bytes()
    workbook = load_workbook(io.BytesIO(data))
    shown = calc_sheets(data, tmp_path / "calc")
    assert list(shown) == sorted(workbook.sheetnames)
    for sheet in workbook.worksheets:
        written = [
            ["" if value is None else str(value) for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        assert shown[sheet.title] == written, sheet.title
    incidents = shown[workbook.sheetnames[0]]
    assert len(incidents) == 1 + 3 + len(hostile)
    titles = {row[7] for row in incidents[1:]}
    assert FORMULA in titles and f"{hostile.index(FORMULA)} {FORMULA}" in titles
