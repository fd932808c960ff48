"""Marks on a document (GB/T 9704-2012 §7.2.2-7.2.3) and on each classified item in it.

A document carries the highest level of what it actually shows (秘密, 机密, 绝密; 内部 and
公开 carry no 密级), with ★ and the 保密期限 when one is known, in 三号黑体 at the top
left of its first page, and its 份号 (six digits) above it. Each classified item keeps
its own mark (【机密】) inside. A reader who is not cleared is shown no classified
content, so their document carries no mark. Pure: the copy number is given by
:mod:`dutydesk.services.integrity.copies` and only written here.
"""

from __future__ import annotations

from collections.abc import Iterable

from dutydesk.records import record
from dutydesk.vocab import Classification

COPY_DIGITS = 6
"""份号: six Arabic digits (GB/T 9704-2012 §7.2.2), 000001 for the first copy."""


@record
class Marking:
    """A document's 密级★保密期限 and 份号; ``level`` is always a classified level."""

    level: Classification
    term: str = ""
    """The 保密期限 as stored (``1年``); empty when none is stored: the level alone."""
    copy_no: int | None = None
    """The copy's number, when the copy was registered."""

    @property
    def copy_text(self) -> str:
        """The 份号 as printed (``000001``); empty when the copy has none."""
        return f"{self.copy_no:0{COPY_DIGITS}d}" if self.copy_no is not None else ""


def highest(levels: Iterable[Classification | str]) -> Classification | None:
    """The highest classified level among ``levels``; ``None`` when none is classified."""
    found = [Classification(level) for level in levels]
    classified = [level for level in found if level.is_classified]
    return max(classified, key=lambda level: level.level) if classified else None


def marking_of(
    levels: Iterable[tuple[Classification | str, str | None]], copy_no: int | None = None
) -> Marking | None:
    """The marking of a document showing items of (level, term); ``None``: unmarked.

    The term printed is the one of the items at the document's level when they agree on
    one (a document may not claim a shorter term than an item it holds); else the level
    alone.
    """
    pairs = [(Classification(level), term or "") for level, term in levels]
    top = highest(level for level, _ in pairs)
    if top is None:
        return None
    terms = {term for level, term in pairs if level is top}
    term = terms.pop() if len(terms) == 1 else ""
    return Marking(top, term, copy_no)


def term_of(record: object) -> str:
    """The 保密期限 stored on ``record``, if a field for it exists (empty otherwise)."""
    for name in ("secrecy_term", "classification_term", "term"):
        value = getattr(record, name, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


__all__ = ["COPY_DIGITS", "Marking", "highest", "marking_of", "term_of"]
