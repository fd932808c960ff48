"""The weekly summary (值班工作周报) as a Word document in the GB/T 9704-2012 layout.

The same page, fonts and grid as the handover pack (:mod:`dutydesk.reports.docx_style`):
title in 二号小标宋, headings 一、 in 三号黑体 and （一） (按类别, 按来源渠道, …) in 三号楷体
(:data:`dutydesk.reports.docx_style.HEADING_STYLES`), body in 三号仿宋. The text is
:func:`dutydesk.reports.trends.weekly_sections`, already sanitised; python-docx writes it
as XML text, so nothing in it is markup. A week is a page or two, so each paragraph is
styled directly (the handover pack's prototype copying is for thousand-line nights).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from docx.enum.text import WD_ALIGN_PARAGRAPH

from dutydesk.reports import docx_style as ds
from dutydesk.reports.bulletin_text import chinese_date
from dutydesk.reports.imprint import add_office_imprint
from dutydesk.reports.trends import weekly_sections
from dutydesk.rules.bulletins import issue_label
from dutydesk.rules.sanitize import clean
from dutydesk.rules.trends import WeeklySummary


def render_weekly_docx(
    summary: WeeklySummary, tz: ZoneInfo, *, unit: str = "", cc: tuple[str, ...] = ()
) -> bytes:
    """The weekly summary as the bytes of a .docx file, under its red masthead.

    Issue 14: a weekly report is a 简报-type product. Its masthead is its title, its 期号
    the ISO week of the year the week begins in (a year's weekly reports number 1 to 52
    or 53, week by week, whoever prints them), the issuing ``unit`` and the day it was
    made under it; the 版记 (印发 by ``unit``, 抄送 ``cc`` where configured) at the foot of
    its last page, as the office issues it.
    """
    layout = weekly_sections(summary, tz)
    report = summary.report
    document = ds.new_document()
    year, week, _ = report.start.astimezone(tz).isocalendar()
    ds.masthead(
        document,
        layout.title,
        issue_label(year, week),
        clean(unit),
        chinese_date(report.generated_at, tz),
    )
    ds.paragraph(document)  # one blank line under the rule, as the bulletins space it
    for line in layout.preamble:
        ds.paragraph(document, line, align=WD_ALIGN_PARAGRAPH.CENTER)
    for section in layout.sections:
        ds.heading(document, section.heading, 1)
        for line in section.lines:
            for part in line.split("\n"):  # （一）按类别… in 楷体: second-level headings
                ds.body_or_heading(document, part)
    if unit:
        printed = report.generated_at.astimezone(tz)
        add_office_imprint(document, unit=clean(unit), printed=printed, cc=cc)
    return ds.to_bytes(document)


__all__ = ["render_weekly_docx"]
