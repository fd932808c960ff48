"""The 版记 (GB/T 9704-2012 §7.4) at the end of a bulletin's last page, and its top-left note.

Between rules the width of the type area (the first and last thick, 0.35 mm; the middle
thin, 0.25 mm), in 4号仿宋, each line one character in from the edges:

* a 简报-type 《信息快报》: 报：…  送：…  发：… (the office's distribution lists, from
  the settings), then （共印N份） at the right;
* a 《信息直呈》: 呈：the leader it is presented to;
* then the issuing unit at the left and "2026年11月26日印发" at the right.

The block is one frame anchored to the bottom of the type area (``w:framePr``
``yAlign="bottom"``), meant to sit at the foot of the last page however long the body.
LibreOffice (the rendered tests) lays it in the flow right after the body instead, the
last thing on the last page but not at its foot: known, measured by
``tests/test_rendered_docs.py::test_bulletin_imprint_sits_at_the_foot_of_the_last_page``
(an xfail while so). Word and WPS have not been checked here.

"内部资料 注意保存" goes at the top left of an internal product (where no classification
mark is printed).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from dutydesk.reports import docx_style as ds
from dutydesk.rules.documents import BulletinView, Distribution
from dutydesk.rules.sanitize import clean
from dutydesk.vocab import BulletinKind

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.text.paragraph import Paragraph

IMPRINT_PT = 14
"""四号: the 版记's size."""
THICK, THIN = 8, 6
"""Rule heights in eighths of a point: 1 pt ≈ 0.35 mm, 0.75 pt ≈ 0.25 mm."""
INTERNAL_NOTE = "内部资料 注意保存"
_INDENT = "\u3000"  # one character in from the rule's ends (GB/T 9704 §7.4.2)


def distribution_lines(view: BulletinView, distribution: Distribution) -> list[str]:
    """The 版记's distribution lines: 报/送/发 for a 《信息快报》, 呈 for a 《信息直呈》."""
    if view.kind is BulletinKind.DIRECT:
        return [f"呈：{clean(view.presented_to)}"] if view.presented_to.strip() else []
    lines = []
    for head, names in (
        ("报", distribution.report),
        ("送", distribution.send),
        ("发", distribution.issue),
    ):
        if names:
            lines.append(f"{head}：{'，'.join(clean(name) for name in names)}。")
    return lines


def _framed(para: Paragraph) -> None:
    """Put ``para`` in the frame at the foot of the type area (consecutive ones share it)."""
    frame = OxmlElement("w:framePr")
    for key, value in (
        ("w", str(ds.TYPE_WIDTH_TWIPS)),
        ("hAnchor", "margin"),
        ("vAnchor", "margin"),
        ("xAlign", "center"),
        ("yAlign", "bottom"),
        ("wrap", "notBeside"),
    ):
        frame.set(qn(f"w:{key}"), value)
    ppr = para._p.get_or_add_pPr()
    ppr.insert_element_before(
        frame, "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", *ds._AFTER_PBDR
    )


def _line(document: DocumentObject, left: str, right: str = "") -> Paragraph:
    para = ds.paragraph(document, size=IMPRINT_PT, exact=IMPRINT_PT * 1.5)
    _framed(para)
    if right:  # at the right, one character in
        para.paragraph_format.tab_stops.add_tab_stop(
            Mm(ds.TYPE_WIDTH_MM) - Pt(IMPRINT_PT), WD_TAB_ALIGNMENT.RIGHT
        )
    text = (_INDENT + left if left else "") + (f"\t{right}" if right else "")
    ds.style_run(para.add_run(text), size=IMPRINT_PT)
    return para


def add_imprint(
    document: DocumentObject,
    view: BulletinView,
    *,
    unit: str,
    printed: datetime,
    distribution: Distribution,
) -> None:
    """Append the 版记 of ``view`` (``printed``: the local date it was issued or printed)."""
    lines = distribution_lines(view, distribution)
    paragraphs = [_line(document, text) for text in lines]
    if view.kind is BulletinKind.EXPRESS and distribution.copies:
        paragraphs.append(_line(document, "", f"（共印{distribution.copies}份）"))
    if paragraphs:
        ds.rule(paragraphs[0], side="top", eighths=THICK)
        ds.rule(paragraphs[-1], side="bottom", eighths=THIN)
    when = f"{printed.year}年{printed.month}月{printed.day}日印发"
    last = _line(document, clean(unit), when)
    if not paragraphs:  # nothing to distribute: the 印发 line alone between thick rules
        ds.rule(last, side="top", eighths=THICK)
    ds.rule(last, side="bottom", eighths=THICK)


def internal_note(document: DocumentObject) -> None:
    """Print 内部资料 注意保存 at the top left, where a classification mark would stand."""
    ds.paragraph(document, INTERNAL_NOTE, font=ds.HEADING_FONT)
