"""The console's end of the one sanitising path: stored text -> ``Content``.

Every string that came from the database reaches a widget through :func:`safe` or
:func:`safe_block`. They run :mod:`dutydesk.rules.sanitize` (escape sequences and control
characters removed, bidi controls made visible) and wrap the result in a ``Content``
object, which Textual never parses as markup: ``note [/] end`` stays literal and
``[@click=app.quit]x[/]`` is just text.
"""

from __future__ import annotations

from textual.content import Content

from dutydesk.i18n import t
from dutydesk.rules.sanitize import clean, one_line

BLOCK_CHARS = 4000
"""At most this many characters of one stored text are drawn in a pane."""
BLOCK_LINES = 80
"""... and at most this many of its lines. Textual wraps and measures every line of a
``Content`` each time it lays out: a 1 MB paste drawn whole froze the console for a
minute. The rest is named, not drawn; ``dutydesk incident show`` prints it all."""


def safe(value: object, style: str = "", *, limit: int | None = None) -> Content:
    """Stored text as one line of literal ``Content``.

    Args:
        value: The stored value (``None`` gives empty content).
        style: A Textual style string for the whole text, e.g. ``"bold"``.
        limit: Cut to this many characters with an ellipsis.

    """
    text = one_line(value, limit)
    return Content.styled(text, style) if style else Content(text)


def safe_block(value: object, style: str = "", *, cut: bool = True) -> Content:
    """Stored text that may span several lines, as literal ``Content``.

    Args:
        value: The stored value (``None`` gives empty content).
        style: A Textual style string for the whole text.
        cut: Draw at most :data:`BLOCK_CHARS` characters in :data:`BLOCK_LINES` lines,
            then a line saying how many characters are not shown.

    """
    raw = "" if value is None else value if isinstance(value, str) else str(value)
    shown, rest = raw, 0
    if cut and (len(raw) > BLOCK_CHARS or raw.count("\n", 0, BLOCK_CHARS) >= BLOCK_LINES):
        shown = raw[:BLOCK_CHARS]
        lines = shown.split("\n")
        if len(lines) > BLOCK_LINES:
            shown = "\n".join(lines[:BLOCK_LINES])
        rest = len(raw) - len(shown)
    text = clean(shown, multiline=True)
    content = Content.styled(text, style) if style else Content(text)
    if rest:
        more = Content.styled(t("app.more_text", count=f"{rest:,}"), "italic dim")
        content = Content("\n").join([content, more])
    return content


def fit(content: Content, width: int) -> Content:
    """Cut or pad ``content`` to exactly ``width`` terminal cells (CJK counts double)."""
    return content.truncate(max(width, 0), ellipsis=True, pad=True)
