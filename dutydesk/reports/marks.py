"""Marks as each format prints them (:mod:`dutydesk.rules.marking` says which).

* txt, md: a first line, ``份号：000001　机密★1年``;
* csv, ndjson: a ``marking`` and a ``copy_no`` field on every record; json: a ``marking``
  object; xlsx: the first sheet's first cell;
* docx: the first paragraph at the top left, the 份号 above the 密级★保密期限, 三号 (16 pt),
  the level in 黑体 (GB/T 9704-2012 7.2.2-7.2.3);
* each classified item inside: ``【机密】`` before its title.

Only documents holding classified content are marked; the rest print as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dutydesk.i18n import t
from dutydesk.rules.marking import Marking
from dutydesk.rules.sanitize import clean
from dutydesk.vocab import Classification, member

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject


def level_text(level: Classification) -> str:
    """The level as a mark prints it: ``机密`` (English ``SECRET 机密``)."""
    return t(f"marking.{level.value}")


def mark_text(marking: Marking) -> str:
    """``机密★1年``, or the level alone when no term is stored."""
    level = level_text(marking.level)
    return t("marking.term", level=level, term=clean(marking.term)) if marking.term else level


def first_line(marking: Marking) -> str:
    """The first line of a marked text document: 份号 and 密级★保密期限."""
    if marking.copy_no is None:
        return mark_text(marking)
    return t("marking.first_line", copy=marking.copy_text, mark=mark_text(marking))


def item_mark(level: Classification | str) -> str:
    """``【机密】`` before a classified item's title; empty for the rest."""
    found = member(Classification, level)
    return t("marking.item", level=level_text(found)) if found.is_classified else ""


def marked_title(title: str, level: Classification | str) -> str:
    """A (sanitised) title with its item's own mark in front when it is classified."""
    return item_mark(level) + title


def marking_json(marking: Marking) -> dict[str, Any]:
    """The marking as a JSON object: level code, printed mark, term, 份号."""
    return {
        "level": marking.level.value,
        "mark": mark_text(marking),
        "term": marking.term or None,
        "copy_no": marking.copy_text or None,
    }


def record_fields(marking: Marking) -> dict[str, str]:
    """The two fields every csv/ndjson record of a marked document carries."""
    return {"marking": mark_text(marking), "copy_no": marking.copy_text}


def docx_mark(document: DocumentObject, marking: Marking, *, text: str | None = None) -> None:
    """Add the mark as the document's first paragraph: 份号, a line break, 密级★期限.

    One paragraph, so that the 份号 stands above the level at the top left as the
    standard places them, with nothing able to come between the two. ``text``: the
    level as printed, when the document is Chinese whatever the interface (bulletins).
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from dutydesk.reports import docx_style as ds

    para = ds.paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT)
    if marking.copy_no is not None:
        ds.style_run(para.add_run(marking.copy_text))
        para.runs[-1].add_break()
    mark = text if text is not None else mark_text(marking)
    ds.style_run(para.add_run(mark), font=ds.HEADING_FONT)


__all__ = [
    "docx_mark",
    "first_line",
    "item_mark",
    "level_text",
    "mark_text",
    "marked_title",
    "marking_json",
    "record_fields",
]
