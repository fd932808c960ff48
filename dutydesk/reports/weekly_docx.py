"""The weekly summary (值班工作周报) as a Word document in the GB/T 9704-2012 layout.

The same page, fonts and grid as the handover pack (:mod:`dutydesk.reports.docx_style`):
title in 二号小标宋, headings in 三号黑体, body in 三号仿宋. The text is
:func:`dutydesk.reports.trends.weekly_sections`, already sanitised; python-docx writes it
as XML text, so nothing in it is markup. A week is a page or two, so each paragraph is
styled directly (the handover pack's prototype copying is for thousand-line nights).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from docx.enum.text import WD_ALIGN_PARAGRAPH

from dutydesk.reports import docx_style as ds
from dutydesk.reports.trends import weekly_sections
from dutydesk.rules.trends import WeeklySummary


def render_weekly_docx(summary: WeeklySummary, tz: ZoneInfo) -> bytes:
    """The weekly summary as the bytes of a .docx file."""
    layout = weekly_sections(summary, tz)
    document = ds.new_document()
    ds.paragraph(
        document,
        layout.title,
        font=ds.TITLE_FONT,
        size=ds.TITLE_PT,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    ds.paragraph(document)  # one blank line under the title, as the standard spaces it
    for line in layout.preamble:
        ds.paragraph(document, line, align=WD_ALIGN_PARAGRAPH.CENTER)
    for section in layout.sections:
        ds.paragraph(document, section.heading, font=ds.HEADING_FONT, indent=True)
        for line in section.lines:
            for part in line.split("\n"):
                ds.paragraph(document, part, indent=True)
    return ds.to_bytes(document)


__all__ = ["render_weekly_docx"]
