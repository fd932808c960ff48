"""A bulletin as a Word document in the red-masthead layout (红头) of 简报-type products.

Top to bottom: the classification mark at the top left when classified (三号黑体, as
GB/T 9704 places 密级), the 紧急程度 (特　急, 加　急) under it where set; the masthead
name in large red 小标宋; 2026年第N期; the issuing unit at the left and the date at the
right (after the 签发人 on a 《信息快报》 that reports up:
:func:`dutydesk.rules.documents.prints_signer`); a red rule (the paragraph's bottom
border); then the title (二号小标宋, centred), the body (三号仿宋, first lines indented two
characters), and for 《信息直呈》 the leaders away; the 版记 at the foot of the last page
and "内部资料 注意保存" on an internal one (:mod:`dutydesk.reports.imprint`). A4 with
GB/T 9704 margins (:mod:`dutydesk.reports.docx_style`).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from docx.enum.text import WD_ALIGN_PARAGRAPH

from dutydesk.i18n import label, t
from dutydesk.reports import docx_style as ds
from dutydesk.reports.bulletin_text import away_lines, header_fields
from dutydesk.reports.imprint import add_imprint, internal_note
from dutydesk.reports.marks import docx_mark
from dutydesk.rules.bulletins import MARKS
from dutydesk.rules.documents import BulletinView, Distribution
from dutydesk.rules.marking import Marking
from dutydesk.rules.sanitize import clean
from dutydesk.vocab import Classification


def render_docx(
    view: BulletinView,
    *,
    unit: str,
    tz: ZoneInfo,
    now: datetime,
    marking: Marking | None = None,
    distribution: Distribution | None = None,
) -> bytes:
    """The bulletin as the bytes of a .docx file (``marking``: a registered copy's 份号).

    ``distribution``: the 版记's 报/送/发 lists and print run (``settings.distribution()``);
    ``None`` prints the 版记 with the 印发 line only.
    """
    document = ds.new_document()
    head = header_fields(view, tz=tz, now=now, distribution=distribution)
    if marking is not None:
        level = MARKS[marking.level] + (f"★{clean(marking.term)}" if marking.term else "")
        docx_mark(document, marking, text=level)
    elif head["mark"]:
        ds.paragraph(document, head["mark"], font=ds.HEADING_FONT)
    elif view.classification is Classification.INTERNAL:
        internal_note(document)
    if head["urgency"]:  # 紧急程度 below the 份号 and 密级, 3号黑体 (GB/T 9704 §7.2.3)
        ds.paragraph(document, head["urgency"], font=ds.HEADING_FONT)
    ds.masthead(
        document, head["name"], head["number"], clean(unit), head["date"], head["signer"] or ""
    )
    ds.paragraph(document)
    if view.restricted:
        what = t("bulletin.restricted", what=f"#{view.id}", level=label(view.classification))
        ds.paragraph(document, what)
        for item in view.items:
            ds.paragraph(document, f"{item.serial} [{label(item.classification)}]")
        return ds.to_bytes(document)
    ds.paragraph(
        document,
        clean(view.title),
        font=ds.TITLE_FONT,
        size=ds.TITLE_PT,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    ds.paragraph(document)
    for text in view.body.splitlines():
        if text.strip():  # 一、 item headings of a several-item bulletin, （一） under them
            ds.body_or_heading(document, clean(text.strip()))
    if view.away:
        ds.paragraph(document)
        ds.heading(document, "领导干部外出报备", 1)
        for text in away_lines(view.away, tz):
            ds.paragraph(document, text, indent=True)
    printed = (view.issued_at or now).astimezone(tz)
    add_imprint(
        document, view, unit=unit, printed=printed, distribution=distribution or Distribution()
    )
    return ds.to_bytes(document)
