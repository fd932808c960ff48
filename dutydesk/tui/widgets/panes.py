"""Scrollable text panes: the common base of the timeline and roster panes.

A pane is a focusable ``VerticalScroll`` holding one ``Static`` that shows a ``Content``
built by the subclass. Keys scroll it; every binding has a translated description.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.workers import ReportsWorkerErrors


class TextPane(ReportsWorkerErrors, VerticalScroll, can_focus=True, inherit_bindings=False):
    """A focusable, scrollable pane of text."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("down,j", "scroll_down", "scroll_down", show=False),
        key("up,k", "scroll_up", "scroll_up", show=False),
        key("pagedown", "page_down", "page_down", show=False),
        key("pageup", "page_up", "page_up", show=False),
        key("home", "scroll_home", "first", show=False),
        key("end", "scroll_end", "last", show=False),
    ]

    def __init__(self, context: Context, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.context = context
        self._body = Static(Content(""), classes="pane-body")

    def compose(self):  # type: ignore[no-untyped-def]  # noqa: D102 - Textual's hook
        yield self._body

    def show(self, content: Content) -> None:
        """Replace the pane's text."""
        self._body.update(content)

    @property
    def text(self) -> str:
        """The plain text the pane shows now (for tests and screen readers)."""
        return str(self._body.content)
