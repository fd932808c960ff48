"""The daily summary as an Excel workbook and as a Word document.

XLSX (openpyxl): one sheet per table (incidents, by category, by severity, by channel),
bold header row, column widths, header frozen. Every text cell is an inline string
cell: text starting with ``=``, ``+``, ``-`` or ``@`` is stored as text, never as a
formula, so opening the file runs nothing; and a cell a spreadsheet could take for a
formula (``rules.sanitize.looks_like_formula``: also after spaces, or full-width
``＝＋－＠``) is marked "quoted text" (``quotePrefix``), so editing it later runs nothing
either.

DOCX (python-docx, GB/T 9704 page): title, the totals, then the incidents as a table.
The libraries write the files and the header rows; the incident rows are spliced in as
XML text (:mod:`dutydesk.reports.ooxml`): cell by cell through the libraries' objects,
10,000 incidents took 6-8 s here against a 1 s budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from io import BytesIO
from typing import IO, TYPE_CHECKING
from zoneinfo import ZoneInfo

from docx.enum.text import WD_ALIGN_PARAGRAPH

from dutydesk.i18n import t
from dutydesk.reports import docx_style as ds
from dutydesk.reports.daily import (
    COLUMNS,
    DisplayCells,
    document_reference,
    headers,
    title_text,
    totals_sentences,
    totals_tables,
    window_text,
)
from dutydesk.reports.imprint import add_office_imprint
from dutydesk.reports.marks import docx_mark, first_line
from dutydesk.reports.ooxml import (
    TooLargeForOffice,
    add_quoted_text_format,
    column_letter,
    sheet_row,
    splice_to,
)
from dutydesk.reports.wording import document_datetime
from dutydesk.rules.documents import DailyRow, DailySummary
from dutydesk.rules.sanitize import looks_like_formula

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject

_WIDTHS = (14, 18, 10, 12, 8, 8, 8, 36, 28, 24, 8, 24, 24, 24, 12, 48, 60)
"""Incident sheet column widths in characters (CJK counts double in Excel); a time
column is as wide as its header with the zone (``Written first report at (+08:00)``)."""

SHEET_INCIDENTS = "incidents"

XLSX_MAX_ROWS = 1_048_576
"""The rows of a worksheet in Excel and WPS: a longer sheet opens cut, its last incidents
silently missing, so a day with more is refused before anything is written."""

XLSX_CELL_UNITS = 32_767
"""The characters a cell holds in Excel and WPS, counted in UTF-16 units (a character
outside the BMP counts two). A longer cell makes Excel call the file damaged and "repair"
it by emptying the cell, so a longer text is cut, and says so, in the workbook only."""

ZIP64_FROM_ROWS = 500_000
"""From this many incidents the spliced part may pass 2 GiB (at a million rows the
sheet's XML was 1.47 GB and the DOCX table's more than 2.1), so it is written as zip64;
below it, a plain zip, which every reader takes. A long-text day can pass 2 GiB with
fewer rows: then :class:`TooLargeForOffice` says so."""

_LONG_COLUMNS = frozenset(
    {"title", "location", "reporter_unit", "last_entry_text", "summary"}
)  # the free-text columns, the only ones that can pass a cell's limit


def fit_cell(text: str) -> str:
    """``text`` as a spreadsheet cell holds it: whole, or cut with a note.

    Cut to :data:`XLSX_CELL_UNITS` UTF-16 units, the note saying the full length and
    where the whole text is.
    """
    if len(text) <= XLSX_CELL_UNITS // 2:  # no text this short can pass, even all astral
        return text
    units = text.encode("utf-16-le")
    if len(units) <= 2 * XLSX_CELL_UNITS:
        return text
    note = t("daily.cell_cut", count=len(text))
    keep = 2 * (XLSX_CELL_UNITS - len(note.encode("utf-16-le")) // 2)
    # A cut inside a surrogate pair leaves half a character: "ignore" drops that half.
    return units[:keep].decode("utf-16-le", errors="ignore") + note


def render_xlsx(summary: DailySummary, tz: ZoneInfo) -> bytes:
    """The summary as the bytes of an .xlsx workbook."""
    buffer = BytesIO()
    write_xlsx(summary, tz, buffer)
    return buffer.getvalue()


def write_xlsx(
    summary: DailySummary, tz: ZoneInfo, out: IO[bytes], rows: Iterable[DailyRow] | None = None
) -> None:
    """:func:`render_xlsx` written to ``out``, the incident rows from ``rows`` streamed.

    The workbook without them is small; its incident sheet is then written out with the
    rows spliced in as they come (:func:`~dutydesk.reports.ooxml.splice_to`).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(
        title: str,
        head: list[str],
        rows: list[list[str | int]],
        widths: tuple[int, ...],
        above: list[list[str]] | None = None,
    ) -> None:
        worksheet = workbook.create_sheet(title)
        worksheet.freeze_panes = f"A{2 + len(above or [])}"
        for index, size in enumerate(widths, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = size
        for line in above or []:
            mark = WriteOnlyCell(worksheet, value=line[0])
            mark.font, mark.data_type = bold, "s"
            worksheet.append([mark])
        header = []
        for text in head:
            cell = WriteOnlyCell(worksheet, value=text)
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for values in rows:
            cells = []
            for value in values:
                cell = WriteOnlyCell(worksheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    cell.quotePrefix = looks_like_formula(value)  # nor once edited
                cells.append(cell)
            worksheet.append(cells)

    keys = [key for key, _ in COLUMNS]
    entries_index = keys.index("entries")
    long_indexes = [index for index, key in enumerate(keys) if key in _LONG_COLUMNS]
    letters = [column_letter(i) for i in range(1, 1 + len(COLUMNS))]

    def incident_rows(quoted: int) -> Iterator[str]:
        display = DisplayCells(tz)
        for number, row in enumerate(summary.rows if rows is None else rows, first_row):
            cells: list[object] = list(display(row))
            if row.entries is not None:
                cells[entries_index] = row.entries  # a number Excel can sum
            _fit_long_cells(cells, long_indexes)
            yield sheet_row(number, cells, letters, quoted)

    # A marked summary's first cell is its 份号 and 密级; the header row comes under it.
    marks = [[first_line(summary.marking)]] if summary.marking else []
    first_row = 2 + len(marks)
    _refuse_too_many_rows(summary, first_row)
    sheet(t("daily.incidents"), headers(summary, tz), [], _WIDTHS, marks)  # rows spliced in
    for heading, table in totals_tables(summary):
        sheet(heading, [heading, t("daily.count")], [[n, c] for n, c in table], (24, 10))
    chain: list[list[str | int]] = (
        [[t("handover.chain", head=summary.chain_head)]] if summary.chain_head else []
    )
    sheet(t("daily.record"), [window_text(summary, tz)], chain, (72,))
    buffer = BytesIO()
    workbook.save(buffer)
    data, quoted = add_quoted_text_format(buffer.getvalue())
    big = summary.size >= ZIP64_FROM_ROWS
    sheet_xml = "xl/worksheets/sheet1.xml"
    splice_to(data, sheet_xml, "</sheetData>", incident_rows(quoted), out, zip64=big)


def _fit_long_cells(cells: list[object], indexes: list[int]) -> None:
    """Each text at ``indexes`` of ``cells`` as a cell holds it (:func:`fit_cell`)."""
    for index in indexes:
        text = cells[index]
        if isinstance(text, str) and len(text) > XLSX_CELL_UNITS // 2:
            cells[index] = fit_cell(text)


def _refuse_too_many_rows(summary: DailySummary, first_row: int) -> None:
    """Refuse, before anything is written, a day a sheet cannot hold from ``first_row``.

    Raises:
        TooLargeForOffice: more incidents than :data:`XLSX_MAX_ROWS` leaves room for.

    """
    room = XLSX_MAX_ROWS - first_row + 1
    if summary.size > room:
        raise TooLargeForOffice(t("error.office.xlsx_rows", count=summary.size, most=room))


_DOCX_COLUMNS = (
    "serial", "received_at", "category", "severity", "classification", "status", "title",
    "entries",
)  # fmt: skip


def render_docx(
    summary: DailySummary, tz: ZoneInfo, *, unit: str = "", cc: tuple[str, ...] = ()
) -> bytes:
    """The summary as the bytes of a .docx document.

    ``unit``: the office that prints it, for the 版记 at the foot of the last page (with
    ``cc``, its 抄送); empty: no 版记.
    """
    buffer = BytesIO()
    write_docx(summary, tz, buffer, unit=unit, cc=cc)
    return buffer.getvalue()


def write_docx(
    summary: DailySummary,
    tz: ZoneInfo,
    out: IO[bytes],
    rows: Iterable[DailyRow] | None = None,
    *,
    unit: str = "",
    cc: tuple[str, ...] = (),
) -> None:
    """:func:`render_docx` written to ``out``, the incident rows from ``rows`` streamed."""
    document = ds.new_document()
    if summary.marking:
        docx_mark(document, summary.marking)  # top left of the first page
    center = WD_ALIGN_PARAGRAPH.CENTER
    ds.paragraph(document, title_text(summary), font=ds.TITLE_FONT, size=ds.TITLE_PT, align=center)
    ds.paragraph(document, window_text(summary, tz), align=center)
    moment = document_datetime(summary.generated_at, tz)
    ds.paragraph(document, t("daily.generated", moment=moment, count=summary.size), align=center)
    if not summary.size:
        ds.paragraph(document, t("daily.none"), indent=True)
    for (heading, _), sentence in zip(
        totals_tables(summary), totals_sentences(summary), strict=True
    ):
        ds.paragraph(document, heading, font=ds.HEADING_FONT, indent=True)
        ds.paragraph(document, sentence + t("wording.stop"), indent=True)
    if summary.chain_head:
        ds.paragraph(document, t("handover.chain", head=summary.chain_head), indent=True)
    if not summary.size:
        _imprint(document, summary, tz, unit, cc)
        document.save(out)
        return
    ds.paragraph(document, t("daily.incidents"), font=ds.HEADING_FONT, indent=True)
    keys = [key for key, _ in COLUMNS]
    picks = [keys.index(key) for key in _DOCX_COLUMNS]
    titles = headers(summary, tz)
    table = document.add_table(rows=1, cols=len(picks))
    table.style = "Table Grid"
    for cell, index in zip(table.rows[0].cells, picks, strict=True):
        ds.off_grid(cell.paragraphs[0])
        ds.style_run(cell.paragraphs[0].add_run(titles[index]), size=10.5, bold=True)
    reference = document_reference(summary, tz)

    def table_rows() -> Iterator[str]:
        display = DisplayCells(tz, reference)
        for row in summary.rows if rows is None else rows:
            cells = display(row)
            yield ds.row_xml([cells[i] for i in picks])

    _imprint(document, summary, tz, unit, cc)  # after the table the rows are spliced into
    big = summary.size >= ZIP64_FROM_ROWS
    data = ds.to_bytes(document)
    splice_to(data, "word/document.xml", "</w:tbl>", table_rows(), out, zip64=big)


def _imprint(
    document: DocumentObject, summary: DailySummary, tz: ZoneInfo, unit: str, cc: tuple[str, ...]
) -> None:
    if unit:
        add_office_imprint(document, unit=unit, printed=summary.generated_at.astimezone(tz), cc=cc)
