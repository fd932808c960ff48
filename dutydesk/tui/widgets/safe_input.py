"""A one-line input that never sends control characters to the terminal.

Its own module, apart from :mod:`.form`: the sign-in screen needs the input, and ``form``
imports Textual's ``TextArea`` (its document model, ~10 ms) for the multi-line fields,
which nothing on the way to the sign-in screen's first frame draws (issue 16).
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Input

from dutydesk.rules.sanitize import DROP_WHILE_EDITING

# The same characters ``rules.sanitize.clean`` removes or shows, dropped from what is
# drawn. They are zero cells wide, so the cursor stays where Textual computes it.
_HIDDEN = DROP_WHILE_EDITING


def drawable(strip: Strip) -> Strip:
    """``strip`` without control characters in its text (styles and width kept)."""
    if not any(_needs_cleaning(segment.text) for segment in strip):
        return strip
    segments = [
        Segment(segment.text.translate(_HIDDEN), segment.style, segment.control)
        for segment in strip
    ]
    return Strip(segments, strip.cell_length)


def _needs_cleaning(text: str) -> bool:
    return any(
        ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or ord(char) in _HIDDEN for char in text
    )


class SafeInput(Input):
    """A one-line input whose drawing drops control characters (the value keeps them).

    The cursor does not blink: the console only changes when data or the clock does
    (and snapshots stay stable).
    """

    def on_mount(self) -> None:
        """A steady cursor."""
        self.cursor_blink = False

    def render_line(self, y: int) -> Strip:
        """Draw as ``Input`` does, minus control characters."""
        return drawable(super().render_line(y))
