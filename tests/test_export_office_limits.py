"""The daily summary's Office files at their limits: a cell's length, a sheet's rows, zip64.

Excel and WPS hold 32,767 UTF-16 units in a cell and 1,048,576 rows in a sheet; a zip
member passes 2 GiB only as zip64. A 1M-incident day's DOCX met the last as zipfile's
``RuntimeError`` after 40 s of work (issue 16's 1M export benchmark). The limits are
module constants, lowered here so that a small night reaches them: the code paths are
the ones a real large day takes.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from dutydesk.reports import daily_office, ooxml
from dutydesk.storage.engine import Database
from tests.docs_support import Night, add_incident, run_cli, seed_night
from tests.render_support import calc_sheets, render

DAY = "2026-11-25"
"""seed_night's duty day (its incidents came in at 01:31 on the 26th)."""


@pytest.fixture
def night(db: Database) -> Night:
    return seed_night(db)


def export(
    capsys: pytest.CaptureFixture[str], db_arg: str, target: Path, fmt: str, lang: str = "en"
) -> tuple[int, str, str]:
    return run_cli(
        capsys, db_arg, "--lang", lang, "export", "daily", "--date", DAY, "--format", fmt,
        "-o", str(target),
    )  # fmt: skip


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_a_text_longer_than_a_cell_holds_is_cut_in_the_workbook_and_says_so(
    night: Night, db: Database, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 30,001 characters, 40,001 UTF-16 units: astral characters count two in a cell.
    text = "甲" * 20_000 + "𠀀" * 10_000 + "尾"
    serial = add_incident(db, title="长篇续报", summary=text)
    code, _out, err = export(capsys, db_arg, tmp_path / "day.xlsx", "xlsx")
    assert code == 0, err
    sheet = load_workbook(tmp_path / "day.xlsx")["Incidents"]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == serial)
    cell = row[header.index("Summary")]
    assert isinstance(cell, str)
    assert utf16_units(cell) <= 32_767  # what a cell holds in Excel and WPS
    assert cell.startswith("甲" * 20_000 + "𠀀")
    assert "30001 characters in all" in cell and "csv" in cell
    assert "\ufffd" not in cell  # no half of a surrogate pair at the cut
    # The data formats keep the whole text.
    code, _out, err = export(capsys, db_arg, tmp_path / "day.csv", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO((tmp_path / "day.csv").read_text("utf-8"))))
    assert text in [value for line in rows for value in line]


def test_a_day_longer_than_a_sheet_is_refused_before_anything_is_written(
    night: Night,
    db_arg: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(daily_office, "XLSX_MAX_ROWS", 3)  # room for 2 below the header
    folder = tmp_path / "out"
    folder.mkdir()
    for lang, words in (("en", "this day has 3 incidents"), ("zh_CN", "该日有 3 起事项")):
        code, out, err = export(capsys, db_arg, folder / "day.xlsx", "xlsx", lang)
        assert code == 2 and out == ""
        assert words in err.lower() and "csv" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert list(folder.iterdir()) == []  # no file, not even a part of one


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_part_past_the_zip_limit_is_refused_in_words_and_leaves_no_file(
    night: Night,
    db_arg: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    monkeypatch.setattr(ooxml, "MEMBER_LIMIT", 1_500)  # the 2 GiB of a plain zip member
    folder = tmp_path / "out"
    folder.mkdir()
    code, out, err = export(capsys, db_arg, folder / f"day.{fmt}", fmt)
    assert code == 2 and out == ""
    assert "too large for an Office document" in err and "csv" in err
    assert "RuntimeError" not in err and "Traceback" not in err
    assert list(folder.iterdir()) == []


def zip64_members(data: bytes) -> set[str]:
    """The members whose local header carries a zip64 extra field (id 0x0001)."""
    found = set()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            head = data[info.header_offset : info.header_offset + 30]
            name_length, extra_length = struct.unpack("<HH", head[26:30])
            start = info.header_offset + 30 + name_length
            extra = data[start : start + extra_length]
            while len(extra) >= 4:
                kind, size = struct.unpack("<HH", extra[:4])
                if kind == 1:
                    found.add(info.filename)
                extra = extra[4 + size :]
    return found


def test_a_big_days_part_is_written_as_zip64_and_the_files_still_open(
    night: Night,
    db_arg: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for fmt in ("docx", "xlsx"):  # below the threshold: a plain zip, as every reader takes
        code, _out, err = export(capsys, db_arg, tmp_path / f"small.{fmt}", fmt)
        assert code == 0, err
        assert zip64_members((tmp_path / f"small.{fmt}").read_bytes()) == set()
    monkeypatch.setattr(daily_office, "ZIP64_FROM_ROWS", 3)  # the night's 3 incidents
    for fmt in ("docx", "xlsx"):
        code, _out, err = export(capsys, db_arg, tmp_path / f"big.{fmt}", fmt)
        assert code == 0, err
    docx = (tmp_path / "big.docx").read_bytes()
    assert zip64_members(docx) == {"word/document.xml"}
    xlsx = (tmp_path / "big.xlsx").read_bytes()
    assert zip64_members(xlsx) == {"xl/worksheets/sheet1.xml"}
    assert Document(io.BytesIO(docx)).tables[0].rows[1].cells[0].text == night.open_serial
    assert load_workbook(io.BytesIO(xlsx))["Incidents"]["A2"].value == night.open_serial
    # LibreOffice prints the zip64 file as it prints the plain one, rows and all.
    big = render(docx, tmp_path / "render", "big")
    small = render((tmp_path / "small.docx").read_bytes(), tmp_path / "render", "small")
    assert "燃气爆炸" in big.pages[0]
    assert big.pages == small.pages
    # And Calc opens the zip64 workbook with the cells of the plain one.
    small_xlsx = (tmp_path / "small.xlsx").read_bytes()
    sheets = calc_sheets(xlsx, tmp_path / "calc", "big")
    assert sheets == calc_sheets(small_xlsx, tmp_path / "calc", "small")
    assert sheets["Incidents"][1][0] == night.open_serial
