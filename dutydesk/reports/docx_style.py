"""Word documents in the layout of Chinese official documents (GB/T 9704-2012).

Shared by every DOCX dutydesk writes (bulletins, the daily summary, the handover pack):

* A4 (210 x 297 mm), margins top 37, left 28, bottom 35, right 26 mm;
* fonts named as the offices have them, each with a fallback declared in the document's
  font table (``w:altName``), which Word and WPS use when the named font is missing:
  方正小标宋简体 -> 华文中宋 (titles), 仿宋_GB2312 -> 仿宋 (body), 黑体 -> SimHei,
  楷体_GB2312 -> 楷体;
* the East Asian font set on every run (``w:rFonts/@w:eastAsia``): python-docx's
  ``font.name`` sets only the Latin slots, and Chinese text would fall back to the
  template's font;
* body 三号 (16 pt) with exact 28.95 pt line spacing: 22 lines of 28 characters a page.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
KAI_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
FALLBACKS = {TITLE_FONT: "华文中宋", BODY_FONT: "仿宋", HEADING_FONT: "SimHei", KAI_FONT: "楷体"}
"""Each named font and what Word/WPS should use where it is not installed."""

MARGINS_MM = {"top": 37, "left": 28, "bottom": 35, "right": 26}
"""GB/T 9704-2012 §5.2.1: the type area is 156 x 225 mm."""

RED = RGBColor(0xFF, 0x00, 0x00)
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
LINE_PT = 28.95  # 225 mm / 22 lines


def new_document() -> DocumentObject:
    """An empty A4 document with GB/T 9704 margins, a 仿宋 16 pt body and font fallbacks."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.font.name = LATIN_FONT
    _east_asia(normal.element.get_or_add_rPr(), BODY_FONT)
    _declare_fallbacks(document)
    return document


def _east_asia(rpr: object, name: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)  # type: ignore[attr-defined]
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:hint"), "eastAsia")


def _declare_fallbacks(document: DocumentObject) -> None:
    """Add each font of :data:`FALLBACKS` to ``word/fontTable.xml`` with its ``altName``."""
    from lxml import etree

    for part in document.part.package.iter_parts():
        if str(part.partname) != "/word/fontTable.xml":
            continue
        root = etree.fromstring(part.blob)
        for name, alternative in FALLBACKS.items():
            font = etree.SubElement(root, qn("w:font"))
            font.set(qn("w:name"), name)
            alt = etree.SubElement(font, qn("w:altName"))
            alt.set(qn("w:val"), alternative)
            charset = etree.SubElement(font, qn("w:charset"))
            charset.set(qn("w:val"), "86")  # GB2312
            family = etree.SubElement(font, qn("w:family"))
            family.set(qn("w:val"), "modern" if name == HEADING_FONT else "roman")
        # A generic Part keeps its bytes in _blob; python-docx has no font-table API.
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def style_run(
    run: Run,
    *,
    font: str = BODY_FONT,
    size: float = BODY_PT,
    bold: bool = False,
    color: RGBColor | None = None,
) -> Run:
    """Set a run's fonts (Latin and East Asian), size, weight and colour."""
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    _east_asia(run._element.get_or_add_rPr(), font)
    return run


def paragraph(
    document: DocumentObject,
    text: str = "",
    *,
    font: str = BODY_FONT,
    size: float = BODY_PT,
    bold: bool = False,
    color: RGBColor | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    exact: float | None = LINE_PT,
) -> Paragraph:
    """Add a paragraph of one styled run.

    Args:
        document: where to add it.
        text: its text (already sanitised by the caller).
        font: East Asian font name.
        size: points.
        bold: bold weight.
        color: text colour.
        align: alignment (left by default).
        indent: indent the first line by two characters, as body paragraphs are.
        exact: exact line spacing in points; ``None`` for single spacing.

    """
    para = document.add_paragraph()
    if align is not None:
        para.alignment = align
    fmt = para.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    if exact is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if text:
        style_run(para.add_run(text), font=font, size=size, bold=bold, color=color)
    return para


_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def bottom_rule(para: Paragraph, color: str = "FF0000", eighths: int = 12) -> None:
    """Draw a rule under ``para`` (a paragraph bottom border), red by default.

    Args:
        para: the paragraph.
        color: hex RGB.
        eighths: thickness in eighths of a point (12 = 1.5 pt).

    """
    ppr = para._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", str(eighths)), ("space", "1"), ("color", color)):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    # Schema order matters to Word: pBdr goes before spacing, indentation and alignment.
    ppr.insert_element_before(borders, *_AFTER_PBDR)


def to_bytes(document: DocumentObject) -> bytes:
    """The document as the bytes of a .docx file."""
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


CHARS_PER_LINE = 28
LINES_PER_PAGE = 22


def char_space(size: float = BODY_PT, chars: int = CHARS_PER_LINE) -> int:
    """``w:docGrid/@w:charSpace`` for ``chars`` characters of ``size`` pt a line.

    The type area is 156 mm wide; 28 characters of 16 pt take 448 pt, 5.8 pt more than
    the 442.2 pt available, so each character pitch shrinks by ~0.21 pt. Word counts the
    difference in 4096ths of a point (-848 here).
    """
    width_pt = (210 - MARGINS_MM["left"] - MARGINS_MM["right"]) / 25.4 * 72
    return round((width_pt / chars - size) * 4096)


def set_grid(document: DocumentObject) -> None:
    """Give every section the GB/T 9704 grid: 22 lines of 28 characters a page.

    A ``linesAndChars`` document grid with a 28.95 pt line pitch (579 twentieths) and
    the character pitch of :func:`char_space`, which is how Word and WPS lay text out
    on "每页22行，每行28个字".
    """
    for section in document.sections:
        sect_pr = section._sectPr
        grid = sect_pr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sect_pr.append(grid)
        grid.set(qn("w:type"), "linesAndChars")
        grid.set(qn("w:linePitch"), str(round(LINE_PT * 20)))
        grid.set(qn("w:charSpace"), str(char_space()))
