"""The drill report as a Word document, in the house layout (:mod:`.docx_style`).

Title in 二号小标宋, body in 三号仿宋, the steps and injects as tables; the text is
:mod:`dutydesk.reports.drill`'s, already sanitised (python-docx writes it as XML text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from docx.enum.text import WD_ALIGN_PARAGRAPH

from dutydesk.i18n import current_language, t
from dutydesk.reports import docx_style as ds
from dutydesk.reports.drill import (
    heading,
    inject_cells,
    inject_headers,
    notes,
    run_line,
    step_cells,
    step_headers,
)
from dutydesk.rules.drills import DrillReport

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject

TABLE_PT = 12
"""Table text: 小四, so seven columns fit the 156 mm type area."""


def _table(document: DocumentObject, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = "Table Grid"
    for column, text in enumerate(headers):
        cell = table.rows[0].cells[column]
        ds.off_grid(cell.paragraphs[0])
        ds.style_run(cell.paragraphs[0].add_run(text), font=ds.HEADING_FONT, size=TABLE_PT)
    for number, values in enumerate(rows, 1):
        for column, text in enumerate(values):
            para = table.rows[number].cells[column].paragraphs[0]
            ds.off_grid(para)
            ds.style_run(para.add_run(text), size=TABLE_PT)


def render_docx(report: DrillReport, tz: ZoneInfo) -> bytes:
    """The report as DOCX bytes."""
    document = ds.new_document()
    ds.paragraph(
        document,
        heading(report),
        font=ds.TITLE_FONT,
        size=ds.TITLE_PT,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        exact=None,
    )
    ds.paragraph(document, run_line(report, tz), align=WD_ALIGN_PARAGRAPH.CENTER)
    for line in notes(report):
        ds.paragraph(document, line, indent=True)
    # GB/T 9704 numbers first-level headings 一、二、; an English report says 1. 2.
    first, second = ("一、", "二、") if current_language() == "zh_CN" else ("1. ", "2. ")
    ds.paragraph(document, f"{first}{t('drill.report.steps')}", font=ds.HEADING_FONT)
    if report.steps:
        _table(document, step_headers(), [step_cells(step, report) for step in report.steps])
    else:
        ds.paragraph(document, t("drill.report.none"), indent=True)
    ds.paragraph(document, f"{second}{t('drill.report.injects')}", font=ds.HEADING_FONT)
    _table(
        document,
        inject_headers(tz, report.started_at),
        [inject_cells(inject, tz, report, document=True) for inject in report.injects],
    )
    return ds.to_bytes(document)
