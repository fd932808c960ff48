"""Render a DOCX the way an office may open it: LibreOffice headless to PDF, read by poppler.

``render(data, workdir)`` converts the document with ``soffice --headless --convert-to pdf``
(a private LibreOffice profile per call, so two xdist workers never share a profile lock)
and reads it back: ``pdfinfo`` for the page count, ``pdftotext -layout`` for each page's
text as printed, ``pdftotext -bbox-layout`` for each printed line's text and position.
``calc_sheets(data, workdir)`` opens an XLSX in LibreOffice Calc and reads its sheets back.

The tools are Debian's ``libreoffice-writer-nogui``, ``libreoffice-calc-nogui``,
``poppler-utils`` and ``fonts-noto-cjk`` (``.ci/run`` installs them when missing).
Without them a test skips, saying why, only outside CI: under ``CI`` (set by every CI runner) a missing tool fails,
so CI cannot pass by skipping the rendered checks.

A test that renders is marked ``render`` (``pytest -m render`` runs them alone).
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import shutil
import statistics
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

TOOLS = ("soffice", "pdftotext", "pdfinfo")
PT_PER_MM = 72 / 25.4
PAGE_HEIGHT_PT = 297 * PT_PER_MM
TYPE_TOP_PT = 37 * PT_PER_MM
TYPE_BOTTOM_PT = (297 - 35) * PT_PER_MM
TYPE_LEFT_PT = 28 * PT_PER_MM
TYPE_RIGHT_PT = (210 - 26) * PT_PER_MM
_XHTML = "{http://www.w3.org/1999/xhtml}"
_HANGING = "，。、；：！？"


def require_tools() -> None:
    """Skip (outside CI) or fail (under CI) when a rendering tool is missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    _missing(
        f"{', '.join(missing)} not found: install libreoffice-writer-nogui, poppler-utils "
        "and fonts-noto-cjk (.ci/run does) to run the rendered-document checks"
    )


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


CALC_LIBRARY = "libsclo.so"
"""LibreOffice Calc's core, beside ``soffice`` in its program folder: Writer alone (the
package the DOCX checks need) loads no workbook ("source file could not be loaded")."""

CALC_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
"""Calc's CSV filter: comma, double quote, UTF-8 (76), cells as shown, values not
formulas, and every sheet to its own file (``-1``, LibreOffice 7.2 and later)."""


def calc_sheets(data: bytes, workdir: Path, name: str = "workbook") -> dict[str, list[list[str]]]:
    """Open XLSX bytes in LibreOffice Calc and read every sheet back as Calc shows it.

    Calc, not the library that wrote the file, is the reader here: a sheet spliced by
    hand (``reports/ooxml.splice_to``) that openpyxl forgives could still be refused or
    misread by a spreadsheet. Cells come back as text, as Calc shows them (a number
    ``5``, an empty cell ``""``); a formula would come back as its result.
    """
    require_tools()
    soffice = shutil.which("soffice")
    assert soffice is not None
    if not (Path(soffice).resolve().parent / CALC_LIBRARY).exists():
        _missing("LibreOffice Calc not found: install libreoffice-calc-nogui (.ci/run does)")
    said = _convert(data, workdir, f"{name}.xlsx", CALC_CSV)
    sheets = {}
    for path in sorted(workdir.glob(f"{name}-*.csv")):
        with path.open(encoding="utf-8", newline="") as stream:
            sheets[path.stem.removeprefix(f"{name}-")] = list(csv.reader(stream))
    assert sheets, f"Calc wrote no sheet: {said}"
    return sheets


BODY_LINE_PT = 18.0
"""A printed line this tall or more is body text (三号 on the grid: 20.8 pt boxes);
a table's 五号 rows measured 13.6 to 16.1."""


@dataclass(frozen=True)
class Line:
    """One printed line: its text (spaces between words kept out) and its box in points."""

    text: str
    x_min: float
    x_max: float
    y_min: float
    y_max: float

    @property
    def wide(self) -> bool:
        """Every character is a full-width (CJK) one: a line that fills its cells evenly."""
        return bool(self.text) and all(
            unicodedata.east_asian_width(char) in "WF" for char in self.text
        )


@dataclass(frozen=True)
class Rendered:
    """A rendered document: page count, each page's layout text and printed lines."""

    page_count: int
    pages: tuple[str, ...]
    """``pdftotext -layout`` text of each page."""
    lines: tuple[tuple[Line, ...], ...]
    """Each page's printed lines, top to bottom."""

    def body_lines(self, page: int) -> list[Line]:
        """The lines of page ``page`` (0-based) inside the type area (37 to 262 mm)."""
        return [
            line
            for line in self.lines[page]
            if line.y_min >= TYPE_TOP_PT - 2 and line.y_max <= TYPE_BOTTOM_PT + 2
        ]

    def below_type_area(self, page: int) -> list[Line]:
        """The lines of page ``page`` under the type area: where the page number goes."""
        return [line for line in self.lines[page] if line.y_min > TYPE_BOTTOM_PT]

    def full_line_width(self) -> int:
        """The most characters inside the type area on one all-CJK line, over every page.

        A full stop or comma hanging past the right edge (punctuation allowed to overflow,
        Word's and LibreOffice's default for Chinese) is outside the type area: not counted.
        """
        return max(
            (len(line.text) - (line.x_max > TYPE_RIGHT_PT + 2 and line.text[-1] in _HANGING)
             for page in range(self.page_count) for line in self.body_lines(page) if line.wide),
            default=0,
        )  # fmt: skip

    def characters_a_line(self) -> int:
        """How many 三号 (16 pt) characters a body line holds, from their printed pitch.

        The pitch of each all-CJK body line of 16 pt text (a box 19 to 23 pt tall) of 4
        characters or more is its width over its characters; the type area's width over
        the narrowest pitch is how many fit. So a document with no full line of
        Chinese (a short bulletin) is measured too.
        """
        pitches = [
            (line.x_max - line.x_min) / len(line.text)
            for page in range(self.page_count)
            for line in self.body_lines(page)
            if line.wide
            and len(line.text) >= 4
            and 19 < line.y_max - line.y_min < 23
            and line.x_max <= TYPE_RIGHT_PT + 2
        ]
        assert pitches, "no line of 16 pt Chinese text to measure"
        return int((TYPE_RIGHT_PT - TYPE_LEFT_PT + 0.5) // min(pitches))

    def line_pitch(self) -> float:
        """The median distance between consecutive body-text lines on a page, in points."""
        steps = [
            after.y_min - before.y_min
            for page in range(self.page_count)
            for before, after in itertools.pairwise(
                line for line in self.body_lines(page) if line.y_max - line.y_min >= BODY_LINE_PT
            )
        ]
        return statistics.median(steps) if steps else 0.0

    def most_lines_on_a_page(self) -> int:
        """The most body-text lines (三号, on the grid) inside the type area of one page.

        A table's 五号 rows stand off the grid at their own height (issue 14: the handover
        pack's items are a table); they are not lines of the 22-line grid.
        """
        return max(
            (
                sum(1 for line in self.body_lines(page) if line.y_max - line.y_min >= BODY_LINE_PT)
                for page in range(self.page_count)
            ),
            default=0,
        )


def _convert(data: bytes, workdir: Path, file_name: str, to: str) -> str:
    """Write ``data`` to ``workdir/file_name`` and have LibreOffice convert it ``to``.

    A private profile per file, so two xdist workers never share a profile lock; what
    LibreOffice said is returned.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / file_name
    source.write_bytes(data)
    profile = (workdir / f".lo-profile-{source.stem}").resolve().as_uri()
    return _run(
        "soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
        "--convert-to", to, "--outdir", str(workdir), str(source), cwd=workdir,
    )  # fmt: skip


def _run(*args: str, cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{args[0]} failed: {done.stderr or done.stdout}"
    return done.stdout


def render(data: bytes, workdir: Path, name: str = "document") -> Rendered:
    """Render DOCX bytes to ``workdir/name.pdf`` with LibreOffice and read the PDF back."""
    require_tools()
    _convert(data, workdir, f"{name}.docx", "pdf")
    pdf = workdir / f"{name}.pdf"
    assert pdf.exists(), "LibreOffice wrote no PDF"
    info = _run("pdfinfo", str(pdf), cwd=workdir)
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    count = int(match.group(1))
    text = _run("pdftotext", "-layout", str(pdf), "-", cwd=workdir)
    pages = tuple(text.split("\f")[:count])
    _run("pdftotext", "-bbox-layout", str(pdf), str(workdir / f"{name}.html"), cwd=workdir)
    root = ET.parse(workdir / f"{name}.html").getroot()  # noqa: S314  (poppler's own output)
    lines: list[tuple[Line, ...]] = []
    for page in root.iter(f"{_XHTML}page"):
        found = []
        for line in page.iter(f"{_XHTML}line"):
            words = "".join((word.text or "") for word in line.iter(f"{_XHTML}word"))
            found.append(
                Line(
                    words.replace(" ", ""),
                    float(line.get("xMin", 0)),
                    float(line.get("xMax", 0)),
                    float(line.get("yMin", 0)),
                    float(line.get("yMax", 0)),
                )
            )
        lines.append(_rows(found))
    return Rendered(count, pages, tuple(lines))


def _rows(found: list[Line]) -> tuple[Line, ...]:
    """Poppler's lines joined into printed rows: pieces whose tops are within 3 pt.

    Poppler cuts a row where the gap between characters widens (a justified line, a tab),
    so one printed row may come as several of its lines.
    """
    rows: list[list[Line]] = []
    for line in sorted(found, key=lambda item: (item.y_min, item.x_min)):
        if rows and abs(rows[-1][0].y_min - line.y_min) < 3:
            rows[-1].append(line)
        else:
            rows.append([line])
    return tuple(
        Line(
            "".join(piece.text for piece in sorted(row, key=lambda item: item.x_min)),
            min(piece.x_min for piece in row),
            max(piece.x_max for piece in row),
            min(piece.y_min for piece in row),
            max(piece.y_max for piece in row),
        )
        for row in rows
    )
