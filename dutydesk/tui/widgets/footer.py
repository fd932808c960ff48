"""The key line at the foot of every screen: Textual's footer, its keys styled once.

Textual's ``FooterKey`` starts out compact (its ``compact`` reactive defaults to true)
and the footer then binds it to its own ``compact`` (false): each key on mount adds the
``-compact`` class, restyles, removes it and restyles again. The main screen's footer
holds about twenty keys and is composed again whenever the screen's bindings change, so
those two restyles a key were the largest single part of the time from the PIN check to
the queue's rows (issue 16: ~180 of ~1,000 profiled ms). Here each key is given the
footer's value before it mounts, so it mounts in its final style; what is drawn is the
same.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

# Not exported by textual.widgets; textual is pinned exactly (pyproject.toml), and
# tests/tui/test_footer.py fails if this stops being the class the footer composes.
from textual.widgets._footer import FooterKey


class DeskFooter(Footer):
    """:class:`textual.widgets.Footer` whose keys mount in the footer's own style."""

    def compose(self) -> ComposeResult:
        """Textual's keys, each told the footer's ``compact`` before it mounts."""
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget
