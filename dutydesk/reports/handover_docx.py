"""The handover pack as a Word document in the GB/T 9704-2012 layout.

A4, margins 37/28/35/26 mm, a grid of 22 lines of 28 characters, the title in 二号
小标宋 (22 pt, 方正小标宋简体 falling back to 华文中宋), the body in 三号仿宋 (16 pt,
仿宋_GB2312 falling back to 仿宋) at an exact 28.95 pt, first-level headings in 三号黑体
as the standard numbers them (一、二、...). Layout helpers are shared with the bulletins
(:mod:`dutydesk.reports.docx_style`). The text is :func:`dutydesk.reports.handover.sections`,
already sanitised; python-docx escapes it as XML text, so nothing in it is markup.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from dutydesk.reports import docx_style as ds
from dutydesk.reports.handover import sections
from dutydesk.reports.imprint import add_office_imprint
from dutydesk.reports.marks import docx_mark
from dutydesk.reports.ooxml import xml_text
from dutydesk.rules.handover import HandoverPack

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject


def _lines(text: str) -> list[str]:
    # A stored text with line breaks becomes several paragraphs: Word would otherwise
    # show the break as nothing at all.
    return text.split("\n")


_SLOT = "dutydesk-text-slot"
"""Stands for a line's text while a paragraph's XML is made into a template."""


class _Writer:
    """Adds paragraphs as XML text, one template per style.

    python-docx styles each run through its element API at ~0.7 ms a paragraph, which
    made a 1,000-incident night take 1.7 s; a deep copy of a finished ``w:p`` per line
    then cost 0.3 s of a 10,000-incident night's 23,000 lines (issue 16). The first
    paragraph of each style is made by python-docx; the XML a copy of it would have in
    the saved file, with its text replaced, is then the template of every later one:
    the same bytes, spliced in as text (:class:`~dutydesk.reports.docx_style.Tables`).
    """

    def __init__(self, document: DocumentObject, tables: ds.Tables) -> None:
        self.document = document
        self.tables = tables
        self.body = document.element.body
        self.templates: dict[tuple[object, ...], tuple[str, str]] = {}

    def add(self, text: str = "", **style: Any) -> None:
        key = (bool(text), *sorted(style.items()))
        template = self.templates.get(key)
        if template is None:
            self.tables.flush()  # what came before goes first
            para = ds.paragraph(self.document, text, **style)
            self.templates[key] = self._template(para._p, with_text=bool(text))
            return
        head, tail = template
        self.tables.text(head + _escaped(text) + tail if text else head)

    def _template(self, prototype: Any, *, with_text: bool) -> tuple[str, str]:
        """What a copy of ``prototype`` is in the saved body, split where its text goes.

        The copy is put at the end of the body and the body serialised with and without
        it: the difference is exactly its XML there (namespaces declared as the document
        declares them).
        """
        from lxml import etree

        element = copy.deepcopy(prototype)
        if with_text:
            node = element.find(f".//{qn('w:t')}")
            node.text = _SLOT
            node.set(qn("xml:space"), "preserve")
        before = etree.tostring(self.body, encoding="unicode")
        end = self.body.find(qn("w:sectPr"))
        end.addprevious(element)
        after = etree.tostring(self.body, encoding="unicode")
        self.body.remove(element)
        start = before.rfind("<w:sectPr")
        xml = after[start : start + len(after) - len(before)]
        head, _, tail = xml.partition(_SLOT) if with_text else (xml, "", "")
        return head, tail


def _escaped(text: str) -> str:
    """``text`` as lxml writes an element's text (``&``, ``<``, ``>``; ``\\r`` as a reference)."""
    escaped = xml_text(text)
    return escaped.replace("\r", "&#13;") if "\r" in escaped else escaped


_WIDTHS = {6: (17, 19, 12, 10, 31, 11), 4: (17, 45, 18, 20)}
"""Relative column widths by column count: received items (6) and open items (4)."""


def render_docx(
    pack: HandoverPack, tz: ZoneInfo, *, unit: str = "", cc: tuple[str, ...] = ()
) -> bytes:
    """The pack as the bytes of a .docx file.

    ``unit``: the office that prints it, for the 版记 at the foot of the last page (with
    ``cc``, its 抄送); empty: no 版记.
    """
    layout = sections(pack, tz)
    document = ds.new_document()
    if layout.marking:
        docx_mark(document, layout.marking)  # top left of the first page, above the title
    tables = ds.Tables(document)
    out = _Writer(document, tables)
    out.add(layout.title, font=ds.TITLE_FONT, size=ds.TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    out.add()  # one blank line under the title, as the standard spaces it
    for line in layout.preamble:
        out.add(line, align=WD_ALIGN_PARAGRAPH.CENTER)
    for section in layout.sections:
        out.add(section.heading, **ds.HEADING_STYLES[ds.heading_level(section.heading) or 1])
        table = section.table
        lines = section.lines[: len(section.lines) - len(table.rows)] if table else section.lines
        for line in lines:
            for part in _lines(line):
                out.add(part, indent=True)
        if table is not None:
            # The items as a table (serial, time, category, grade, summary, state), as an
            # office files them; the summary takes what the short columns leave.
            widths = _WIDTHS.get(len(table.headers), (1,) * len(table.headers))
            tables.add(table.headers, table.rows, widths)
    out.add()
    for line in layout.closing:
        out.add(line, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if unit:
        tables.flush()
        add_office_imprint(document, unit=unit, printed=pack.generated_at.astimezone(tz), cc=cc)
    return tables.to_bytes()


__all__ = ["render_docx"]
