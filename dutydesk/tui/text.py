"""The console's end of the one sanitising path: stored text -> ``Content``.

Every string that came from the database reaches a widget through :func:`safe` or
:func:`safe_block`. They run :mod:`dutydesk.rules.sanitize` (escape sequences and control
characters removed, bidi controls made visible) and wrap the result in a ``Content``
object, which Textual never parses as markup: ``note [/] end`` stays literal and
``[@click=app.quit]x[/]`` is just text.
"""

from __future__ import annotations

from textual.content import Content

from dutydesk.rules.sanitize import clean, one_line


def safe(value: object, style: str = "", *, limit: int | None = None) -> Content:
    """Stored text as one line of literal ``Content``.

    Args:
        value: The stored value (``None`` gives empty content).
        style: A Textual style string for the whole text, e.g. ``"bold"``.
        limit: Cut to this many characters with an ellipsis.

    """
    text = one_line(value, limit)
    return Content.styled(text, style) if style else Content(text)


def safe_block(value: object, style: str = "") -> Content:
    """Stored text that may span several lines, as literal ``Content``."""
    text = clean(value, multiline=True)
    return Content.styled(text, style) if style else Content(text)


def fit(content: Content, width: int) -> Content:
    """Cut or pad ``content`` to exactly ``width`` terminal cells (CJK counts double)."""
    return content.truncate(max(width, 0), ellipsis=True, pad=True)
