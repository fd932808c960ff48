"""Issue 14: what every DOCX carries for GB/T 9704-2012, read back with python-docx.

The language (zh-CN in the styles and the settings), the page numbers (odd and even
footers, "— PAGE —" in 四号宋体, one character in) and the lines grid. The rendered
pages are measured in tests/test_rendered_docs.py.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from dutydesk.i18n import set_language
from dutydesk.reports.handover_docx import render_docx
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.docs_support import east_asia_font, pt
from tests.templates import DemoTemplates
from tests.test_handover import pack_at


@pytest.fixture
def pack_docx(db: Database, demo_templates: DemoTemplates) -> bytes:
    set_language("zh_CN")
    return render_docx(pack_at(demo_templates.load_into(db, DEMO_MOMENT), DEMO_MOMENT), SHANGHAI)


def test_the_text_is_tagged_chinese(pack_docx: bytes) -> None:
    """styles.xml said eastAsia="en-US" and settings.xml "ja-JP" (python-docx's template)."""
    with zipfile.ZipFile(io.BytesIO(pack_docx)) as archive:
        styles = archive.read("word/styles.xml").decode()
        settings = archive.read("word/settings.xml").decode()
    # Only the tags are compared: a failing `in` over the whole part makes pytest diff
    # tens of kilobytes of XML, which takes minutes.
    assert re.findall(r"<w:lang [^>]*>", styles) == [
        '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
    ]
    assert re.findall(r"<w:themeFontLang [^>]*>", settings) == [
        '<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>'
    ]


def test_page_numbers_odd_right_even_left_one_character_in(pack_docx: bytes) -> None:
    document = Document(io.BytesIO(pack_docx))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    for para in (odd, even):
        assert para.text == "— 1 —"  # the PAGE field's cached result between em dashes
        assert 'w:instrText xml:space="preserve"> PAGE <' in para._p.xml
        run = para.runs[0]
        assert pt(run.font.size) == 14 and east_asia_font(run) == "宋体"
        assert run.font.name == "宋体"  # the digits half-width 宋体 too
    assert odd.alignment == WD_ALIGN_PARAGRAPH.RIGHT and pt(odd.paragraph_format.right_indent) == 14
    assert even.alignment == WD_ALIGN_PARAGRAPH.LEFT and pt(even.paragraph_format.left_indent) == 14


def test_grid_is_lines_only_with_condensed_characters(pack_docx: bytes) -> None:
    document = Document(io.BytesIO(pack_docx))
    grid = document.sections[0]._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("lines", "579")
    spacing = document.styles["Normal"].element.rPr.find(qn("w:spacing"))
    assert spacing.get(qn("w:val")) == "-5"  # -0.25 pt: 28 x 15.75 = 441 pt <= 442.2 pt
