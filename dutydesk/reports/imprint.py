"""The 版记 (GB/T 9704-2012 §7.4) at the foot of a document's last page, and its top-left note.

Between rules the width of the type area (the first and last thick, 1 pt ≈ 0.35 mm; the
middle thin, 0.75 pt ≈ 0.25 mm), in 4号仿宋, each line one character in from the edges:

* a 简报-type 《信息快报》: 报：…  送：…  发：… (the office's distribution lists, from
  the settings), then （共印N份） at the right;
* a 《信息直呈》: 呈：the leader it is presented to;
* the handover pack, the daily summary and the weekly report: 抄送：… where the office
  configured one (``imprint_cc``);
* then the issuing unit at the left and "2026年11月26日印发" at the right.

How it stays at the foot in Word, WPS and LibreOffice alike (measured by
``tests/test_rendered_docs.py``): the block is one frame anchored to the bottom of the
type area (``w:framePr`` ``vAnchor="margin" yAlign="bottom"``), the body flowing above
it. Two things LibreOffice needs, found by rendering: (1) no paragraph border in the
frame - a ``w:pBdr`` on any framed paragraph made LibreOffice 7.4 drop the frame and lay
the lines in the flow, 76 pt above the foot - so each rule is an empty framed
paragraph with black shading, exactly as tall as the rule; (2) a paragraph after the
frame: frame paragraphs that end the document were laid in the flow too, so a tiny
empty paragraph (1 pt, off the grid) closes the body. A floating table
(``w:tblpPr tblpYSpec="bottom"``) was tried: LibreOffice 7.4 floats it only when it is
at least ~15 pt narrower than the type area, and the rules must be as wide as it.

When the body leaves no room for the block on its last page, the frame goes with its
anchor to a new page, at its foot, and that page is numbered like the others. §7.5
leaves the page numbers off a 版记 page only when a blank page comes before it (a
document printed on both sides whose 版记 must fall on an even page); dutydesk never
inserts that blank page, so every page it prints is numbered.

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


def _rule(document: DocumentObject, eighths: int) -> Paragraph:
    """A rule across the frame: an empty framed paragraph shaded black, ``eighths``/8 pt tall.

    Not a paragraph border: LibreOffice drops a frame whose paragraphs have one (above).
    """
    para = ds.paragraph(document, size=1, exact=eighths / 8)
    _framed(para)
    ds.off_grid(para)
    shading = OxmlElement("w:shd")
    for key, value in (("val", "clear"), ("color", "auto"), ("fill", "000000")):
        shading.set(qn(f"w:{key}"), value)
    ppr = para._p.get_or_add_pPr()
    ppr.insert_element_before(shading, *ds._AFTER_PBDR[1:])
    # The paragraph mark's own size, so that no renderer makes the line taller.
    ds.style_run(para.add_run(""), size=1)
    return para


def _line(document: DocumentObject, left: str, right: str = "") -> Paragraph:
    para = ds.paragraph(document, size=IMPRINT_PT, exact=IMPRINT_PT * 1.5)
    _framed(para)
    ds.off_grid(para)  # its own 21 pt lines, not the body's 28.95 pt grid
    if right:  # at the right, one character in
        para.paragraph_format.tab_stops.add_tab_stop(
            Mm(ds.TYPE_WIDTH_MM) - Pt(IMPRINT_PT), WD_TAB_ALIGNMENT.RIGHT
        )
    text = (_INDENT + left if left else "") + (f"\t{right}" if right else "")
    ds.style_run(para.add_run(text), size=IMPRINT_PT)
    return para


def printed_on(moment: datetime) -> str:
    """``2026年11月26日印发``: the 印发日期 of a local ``moment``."""
    return f"{moment.year}年{moment.month}月{moment.day}日印发"


def add_block(
    document: DocumentObject,
    lines: list[str],
    *,
    unit: str,
    printed: datetime,
    copies: int = 0,
) -> None:
    """Append a 版记: ``lines`` (already sanitised), （共印N份）, then the 印发 line.

    The one construction every document's 版记 uses (see the module's docstring).
    ``printed``: the local moment it was issued or printed; ``copies``: 0 for no
    （共印N份） line.
    """
    _rule(document, THICK)
    texts = [_line(document, text) for text in lines]
    if copies:
        texts.append(_line(document, "", f"（共印{copies}份）"))
    if texts:
        _rule(document, THIN)
    _line(document, clean(unit), printed_on(printed))
    _rule(document, THICK)
    # LibreOffice lays frame paragraphs that end the document in the flow: close it.
    closing = ds.paragraph(document, size=1, exact=1)
    ds.off_grid(closing)


def add_imprint(
    document: DocumentObject,
    view: BulletinView,
    *,
    unit: str,
    printed: datetime,
    distribution: Distribution,
) -> None:
    """Append the 版记 of ``view`` (``printed``: the local date it was issued or printed)."""
    copies = distribution.copies if view.kind is BulletinKind.EXPRESS else 0
    add_block(
        document,
        distribution_lines(view, distribution),
        unit=unit,
        printed=printed,
        copies=copies,
    )


def add_office_imprint(
    document: DocumentObject, *, unit: str, printed: datetime, cc: tuple[str, ...] = ()
) -> None:
    """The 版记 of the desk's own documents: 抄送 (where configured), 印发机关 and 印发日期.

    For the handover pack, the daily summary and the weekly report (issue 14).
    """
    lines = [f"抄送：{'，'.join(clean(name) for name in cc)}。"] if cc else []
    add_block(document, lines, unit=unit, printed=printed)


def internal_note(document: DocumentObject) -> None:
    """Print 内部资料 注意保存 at the top left, where a classification mark would stand."""
    ds.paragraph(document, INTERNAL_NOTE, font=ds.HEADING_FONT)
