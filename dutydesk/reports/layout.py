"""The shape every printed report is laid out in before it is rendered.

A report (the handover pack, the weekly summary) is first laid out as a :class:`Layout`:
a title, lines under it, numbered :class:`Section` s and closing lines, all in the
interface language and already sanitised. The text, Markdown and DOCX renderers print
that same layout, so the formats cannot drift apart. :func:`md_escape` is the one
Markdown escaper those renderers share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dutydesk.rules.marking import Marking


@dataclass(frozen=True)
class Table:
    """A section's items as columns, for a document that prints them as a table.

    The text and Markdown renderers print the section's lines instead; its last lines
    are these rows, one line per row.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    """A numbered part of a report: its heading and its lines (already sanitised)."""

    heading: str
    lines: tuple[str, ...]
    table: Table | None = None
    """The items as a table (DOCX, GB/T 9704 款式: issue 14); ``None``: lines only."""


@dataclass(frozen=True)
class Layout:
    """A report as the renderers print it: title, lines under it, sections, closing lines."""

    title: str
    preamble: tuple[str, ...]
    sections: tuple[Section, ...]
    closing: tuple[str, ...]
    marking: Marking | None = None
    """The 密级 and 份号 the report carries at its top left; ``None``: unmarked."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|!~])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def md_escape(text: str, *, line_start: bool = True) -> str:
    """Escape Markdown markup in already-sanitised text, so it prints as typed.

    ``line_start`` also escapes what would open a list or a heading underline at the start
    of a line; a heading's own text (after ``## ``) does not need it.
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    if not line_start:
        return escaped
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


__all__ = ["Layout", "Section", "Table", "md_escape"]
