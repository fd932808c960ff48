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
* body 三号 (16 pt) with exact 28.95 pt line spacing: 22 lines of 28 characters a page
  (:func:`set_grid` says how, for Word, WPS and LibreOffice alike);
* the language Chinese (zh-CN) in the styles and the settings, so that no renderer
  picks Japanese glyph forms for the CJK text;
* headings by level (:data:`HEADING_STYLES`): 一、 in 黑体, （一） in 楷体, 1. in 仿宋 bold;
* page numbers "— 1 —" in 4号 half-width 宋体 under the type area, odd pages right and
  even pages left, one character in (GB/T 9704-2012 §7.5).
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from dutydesk.reports.ooxml import xml_text, xml_texts

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
KAI_FONT = "楷体_GB2312"
SONG_FONT = "宋体"
LATIN_FONT = "Times New Roman"
FALLBACKS = {
    TITLE_FONT: "华文中宋",
    BODY_FONT: "仿宋",
    HEADING_FONT: "SimHei",
    KAI_FONT: "楷体",
    SONG_FONT: "SimSun",
}
"""Each named font and what Word/WPS should use where it is not installed."""

MARGINS_MM = {"top": 37, "left": 28, "bottom": 35, "right": 26}
"""GB/T 9704-2012 §5.2.1: the type area is 156 x 225 mm."""

TYPE_WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
"""The type area's width: 156 mm of A4's 210."""


def _twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


TYPE_WIDTH_TWIPS = _twips(210) - _twips(MARGINS_MM["left"]) - _twips(MARGINS_MM["right"])
"""The type area's width in twips as Word lays it out: the page less its two margins,
each rounded (11906 - 1587 - 1474 = 8845), the width tables and frames span."""

RED = RGBColor(0xFF, 0x00, 0x00)
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
LINE_PT = 28.95  # 225 mm / 22 lines
PAGE_NUMBER_PT = 14  # 四号
LANGUAGE = "zh-CN"


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
    normal_rpr = normal.element.get_or_add_rPr()
    _east_asia(normal_rpr, BODY_FONT)
    _character_spacing(normal_rpr)
    _declare_fallbacks(document)
    _chinese(document)
    set_grid(document)
    page_numbers(document)
    return document


def _east_asia(rpr: object, name: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)  # type: ignore[attr-defined]
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:hint"), "eastAsia")


def _character_spacing(rpr: object) -> None:
    """Condense every character by :data:`CHAR_SPACING_TWIPS` (see :func:`set_grid`)."""
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(CHAR_SPACING_TWIPS))
    # rPr's schema order: fonts, weight, colour, then spacing before size.
    rpr.insert_element_before(spacing, *_AFTER_SPACING)  # type: ignore[attr-defined]


_AFTER_SPACING = (
    "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
    "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang",
    "w:eastAsianLayout", "w:specVanish", "w:oMath",
)  # fmt: skip
"""What follows ``w:spacing`` in a run's properties (the schema's order, which Word keeps)."""


def _chinese(document: DocumentObject) -> None:
    """Tag the text Chinese: the styles' defaults and the settings' theme font language.

    python-docx's template says ``eastAsia="en-US"`` (styles) and ``"ja-JP"`` (settings),
    and a renderer then shapes the CJK text with Japanese glyph forms.
    """
    defaults = document.styles.element.find(qn("w:docDefaults"))
    for lang in defaults.iter(qn("w:lang")):
        lang.set(qn("w:eastAsia"), LANGUAGE)
    settings = document.settings.element
    theme = settings.find(qn("w:themeFontLang"))
    if theme is None:  # pragma: no cover - python-docx's template has one
        theme = OxmlElement("w:themeFontLang")
        settings.append(theme)
    theme.set(qn("w:eastAsia"), LANGUAGE)


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
    rule(para, side="bottom", color=color, eighths=eighths)


def rule(para: Paragraph, *, side: str, color: str = "000000", eighths: int = 12) -> None:
    """Draw a rule along ``side`` ("top" or "bottom") of ``para``, the paragraph's width.

    Args:
        para: the paragraph (one rule per paragraph).
        side: ``top`` or ``bottom``.
        color: hex RGB.
        eighths: thickness in eighths of a point.

    """
    ppr = para._p.get_or_add_pPr()
    line = OxmlElement(f"w:{side}")
    for key, value in (("val", "single"), ("sz", str(eighths)), ("space", "1"), ("color", color)):
        line.set(qn(f"w:{key}"), value)
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        # Schema order matters to Word: pBdr goes before spacing, indentation and alignment.
        ppr.insert_element_before(borders, *_AFTER_PBDR)
    if side == "top":  # top before bottom, as the schema orders them
        borders.insert(0, line)
    else:
        borders.append(line)


HEADING_STYLES: dict[int, dict[str, Any]] = {
    1: {"font": HEADING_FONT, "indent": True},
    2: {"font": KAI_FONT, "indent": True},
    3: {"font": BODY_FONT, "bold": True, "indent": True},
}
"""Each heading level's style (GB/T 9704-2012 §7.3.3 and 公文 practice): 一、 in 黑体,
（一） in 楷体, 1. in 仿宋 bold; all 三号, first line indented two characters as body
paragraphs are. The keys are :func:`paragraph`'s (and the handover pack's writer's)."""

_LEVEL_PATTERNS = (
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^（[一二三四五六七八九十]+）|^\(\d+\) ")),
)
"""How a line says it is a heading: 一、 (first level), （一） (second; English ``(1) ``).
A third-level 1. also opens ordinary numbered paragraphs, so it is never guessed."""


def heading_level(text: str) -> int | None:
    """The heading level ``text`` is numbered as (1 for 一、, 2 for （一）), else ``None``."""
    for level, pattern in _LEVEL_PATTERNS:
        if pattern.match(text.strip()):
            return level
    return None


def heading(document: DocumentObject, text: str, level: int | None = None) -> Paragraph:
    """Add ``text`` as a heading of ``level`` (default: as it is numbered; else level 1)."""
    style = HEADING_STYLES[level or heading_level(text) or 1]
    return paragraph(document, text, **style)


def body_or_heading(document: DocumentObject, text: str) -> Paragraph:
    """Add a body line, styled as the heading its numbering says where it is one."""
    level = heading_level(text)
    if level is None:
        return paragraph(document, text, indent=True)
    return heading(document, text, level)


OFF_GRID = '<w:snapToGrid w:val="0"/>'
"""A table cell paragraph's property, as XML text for rows written as text (ooxml)."""


MASTHEAD_PT = 42
"""A 简报-type masthead name: large, red, 小标宋 (初号 is 42 pt)."""


def masthead(
    document: DocumentObject, name: str, number: str, unit: str, date: str, signer: str = ""
) -> None:
    """The red masthead (红头) of a 简报-type product: name, 期号, unit and date, red rule.

    The name in red 初号小标宋, centred; ``2026年第N期`` under it; the issuing unit at the
    left and the date (after the signer, where the product has one) at the right margin;
    a red rule under that line. Every text is set as data (python-docx escapes it).
    """
    from docx.enum.text import WD_TAB_ALIGNMENT

    paragraph(
        document, name, font=TITLE_FONT, size=MASTHEAD_PT, color=RED,
        align=WD_ALIGN_PARAGRAPH.CENTER, exact=None,
    )  # fmt: skip
    paragraph(document, number, align=WD_ALIGN_PARAGRAPH.CENTER)
    line = paragraph(document, exact=None)
    # Unit at the left, date at the right margin: one right tab stop at the type width.
    line.paragraph_format.tab_stops.add_tab_stop(Mm(TYPE_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    right = f"\t{signer}  {date}" if signer else f"\t{date}"
    style_run(line.add_run(unit + right))
    bottom_rule(line)


TABLE_PT = 10.5
"""五号: the size of a table's cells, as the daily summary's and the handover pack's."""


def _cell_start(weight: str) -> str:
    props = (
        f'<w:rPr><w:rFonts w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" '
        f'w:eastAsia="{BODY_FONT}" w:hint="eastAsia"/>{weight}'
        f'<w:sz w:val="{int(TABLE_PT * 2)}"/></w:rPr>'
    )
    return (
        f'<w:tc><w:p><w:pPr>{OFF_GRID}<w:spacing w:before="0" w:after="0"/></w:pPr>'
        f'<w:r>{props}<w:t xml:space="preserve">'
    )


_CELL_START = {False: _cell_start(""), True: _cell_start("<w:b/>")}
"""Everything of a cell before its text, plain and bold: made once, not per cell."""


_CELL_END = "</w:t></w:r></w:p></w:tc>"


def cell_xml(text: str, *, bold: bool = False) -> str:
    """One table cell in 五号仿宋, off the line grid, ``text`` escaped (XML text)."""
    return f"{_CELL_START[bold]}{xml_text(text)}{_CELL_END}"


_SPLICE = re.compile(r"<!--dutydesk-splice-(\d+)-->")
"""Where :class:`Tables` puts XML text: a comment no stored text can make (text reaches
the XML escaped, ``<`` as ``&lt;``)."""


def row_xml(texts: list[str]) -> str:
    """``<w:tr>`` of one :func:`cell_xml` per text: the row's text escaped in one go."""
    start, end = _CELL_START[False], "</w:t></w:r></w:p></w:tc>"
    return "<w:tr>" + "".join(start + xml + end for xml in xml_texts(texts)) + "</w:tr>"


class Tables:
    """Ruled tables and body paragraphs that go into the saved file as text, not elements.

    A night of 10,000 incidents is 60,000 cells: parsing them into elements, moving the
    tree into the document and serialising it again took 17 of the 27 s a 10,000-row
    handover pack cost (profiled; issue 16). Each table is added as its header row and
    a marker; paragraphs given as XML text (:meth:`text`) gather until the next element
    is added to the body (:meth:`flush`), then stand behind one marker. :meth:`to_bytes`
    saves the document and puts the text, every value already escaped, where the
    markers are, in one pass.
    """

    def __init__(self, document: DocumentObject) -> None:
        self.document = document
        self.pieces: list[str] = []
        self.pending: list[str] = []

    def _splice(self) -> str:
        """A marker for the next piece of text (its number)."""
        return f"<!--dutydesk-splice-{len(self.pieces)}-->"

    def text(self, xml: str) -> None:
        """Add ``xml`` (whole body elements, escaped) at the end of the body."""
        self.pending.append(xml)

    def flush(self) -> None:
        """Put the paragraphs gathered so far in place: call it before adding an element."""
        if not self.pending:
            return
        from lxml import etree

        marker = etree.Comment(self._splice()[4:-3])
        self.document.element.body.find(qn("w:sectPr")).addprevious(marker)
        self.pieces.append("".join(self.pending))
        self.pending = []

    def add(
        self, headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...], widths: tuple[int, ...]
    ) -> None:
        """A table of ``rows`` under a bold header row, at the end of the body.

        ``widths`` are relative column widths; the table spans the type area.
        """
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        self.flush()
        total = sum(widths)
        twips = [TYPE_WIDTH_TWIPS * width // total for width in widths]
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in twips)
        head = "<w:tr><w:trPr><w:tblHeader/></w:trPr>" + "".join(
            cell_xml(text, bold=True) for text in headers
        )
        table = parse_xml(
            f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/>'
            f'<w:tblW w:w="{TYPE_WIDTH_TWIPS}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
            f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{head}</w:tr>"
            f"{self._splice()}</w:tbl>"
        )
        self.document.element.body.find(qn("w:sectPr")).addprevious(table)
        # cell_xml's text, joined by row: 60,000 cells at a few calls each (issue 16).
        start, between = "<w:tr>" + _CELL_START[False], _CELL_END + _CELL_START[False]
        end = _CELL_END + "</w:tr>"
        self.pieces.append(
            "".join(
                start + between.join(map(xml_text, row)) + end if row else "<w:tr></w:tr>"
                for row in rows
            )
        )

    def to_bytes(self) -> bytes:
        """The document as the bytes of a .docx file, every piece of text in place."""
        from dutydesk.reports.ooxml import FAST_DEFLATE, rewrite

        self.flush()
        pieces = self.pieces

        def fill(text: str) -> str:
            return _SPLICE.sub(lambda found: pieces[int(found.group(1))], text)

        data = to_bytes(self.document)
        if not pieces:
            return data
        return rewrite(data, "word/document.xml", fill, level=FAST_DEFLATE)


def off_grid(para: Paragraph) -> None:
    """Keep ``para`` off the line grid: a table's 五号 rows at their own height.

    On a lines grid every paragraph snaps to the 28.95 pt pitch by default, so a table
    row of 10.5 pt text would stand as tall as a body line.
    """
    ppr = para._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.insert_element_before(snap, *_AFTER_PBDR[_AFTER_PBDR.index("w:snapToGrid") + 1 :])


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


CHAR_SPACING_TWIPS = -5
"""Every character condensed by 0.25 pt (``w:spacing``, in twentieths of a point).

Why -0.25 pt: the type area is 156 mm = 442.2 pt wide (8845 twips once Word rounds the
margins, 442.25 pt). 28 characters of 16 pt take 448 pt, 5.8 pt too many; at a pitch
of 16 - 0.25 = 15.75 pt, 28 take 441.0 pt (fits, 1.2 pt to spare, which justification
spreads) and 29 take 456.75 pt (does not): 28 a line in Word, WPS and LibreOffice,
which all add the spacing after each character. -0.2 pt (the 4 twentieths next to it)
gives 28 x 15.8 = 442.4 pt, 0.15 pt over the width: 27 a line by this arithmetic."""


def set_grid(document: DocumentObject) -> None:
    """Give every section the GB/T 9704 grid: 22 lines of 28 characters a page.

    A lines-only document grid (``w:type="lines"``) with a 28.95 pt line pitch (579
    twentieths: 22 x 28.95 = 636.9 pt of the 637.8 pt type height), and the characters
    condensed by :data:`CHAR_SPACING_TWIPS` in the Normal style. The ``linesAndChars``
    grid with ``charSpace`` (:func:`char_space`) is right for Word, but LibreOffice lays
    each 16 pt character over two of its 15.8 pt cells: 14 a line, the handover pack on
    12 pages instead of 7.
    """
    for section in document.sections:
        sect_pr = section._sectPr
        grid = sect_pr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sect_pr.append(grid)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PT * 20)))
        if grid.get(qn("w:charSpace")) is not None:
            del grid.attrib[qn("w:charSpace")]


PAGE_NUMBER_GAP_MM = 7
"""From the type area's lower edge to the page number line (GB/T 9704-2012 §7.5)."""


def page_numbers(document: DocumentObject) -> None:
    """Number every page "— N —" in 4号 half-width 宋体 (GB/T 9704-2012 §7.5).

    Odd pages right, even pages left, each one character (14 pt) in from the type
    area's edge (an indent, not a space: a trailing space at a right margin is dropped
    by Word); odd and even footers differ, so the settings turn them on. The footer
    stands 35 - 7 mm - one 14 pt line above the page's lower edge, which puts the number
    7 mm under the type area.
    """
    document.settings.odd_and_even_pages_header_footer = True
    for section in document.sections:
        section.footer_distance = Mm(MARGINS_MM["bottom"] - PAGE_NUMBER_GAP_MM) - Pt(
            PAGE_NUMBER_PT * 1.2
        )
        for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
            footer.is_linked_to_previous = False
            para = footer.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
            fmt = para.paragraph_format
            fmt.space_before, fmt.space_after = Pt(0), Pt(0)
            if odd:
                fmt.right_indent = Pt(PAGE_NUMBER_PT)
            else:
                fmt.left_indent = Pt(PAGE_NUMBER_PT)
            _page_number_runs(para)


def _page_number_runs(para: Paragraph) -> None:
    """``— `` PAGE field `` —`` in 宋体 四号: Latin slots too, for half-width digits."""

    def styled(text: str = "") -> Run:
        run = style_run(para.add_run(text), font=SONG_FONT, size=PAGE_NUMBER_PT)
        run.font.name = SONG_FONT
        return run

    def field(kind: str) -> None:
        mark = OxmlElement("w:fldChar")
        mark.set(qn("w:fldCharType"), kind)
        styled()._r.append(mark)

    styled("— ")
    field("begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    styled()._r.append(instruction)
    field("separate")
    styled("1")  # the field's last result; every renderer recomputes it
    field("end")
    styled(" —")
