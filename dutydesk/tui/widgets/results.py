"""Search results: a Line-API list of incident rows drawn exactly as the queue draws them.

Holds one page (or a few) of :class:`~dutydesk.services.incidents.queue.QueueRow` in memory; the
search service never returns more than 500 at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dutydesk.services.incidents.queue import QueueRow
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.widgets.rows import ROW_COMPONENTS, RowPainter


class ResultsView(RowPainter, ScrollView, can_focus=True, inherit_bindings=False):
    """Found incidents with a cursor; Enter posts :class:`ResultsView.Chosen`."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("down,j", "cursor_down", "down", show=False),
        key("up,k", "cursor_up", "up", show=False),
        key("pagedown", "page(1)", "page_down", show=False),
        key("pageup", "page(-1)", "page_up", show=False),
        key("enter", "choose", "open_result"),
    ]

    COMPONENT_CLASSES = set(ROW_COMPONENTS)  # noqa: RUF012

    # ScrollView's own overflow does not reach this class: see RowPainter.
    DEFAULT_CSS = """
    ResultsView {
        overflow-y: auto;
        overflow-x: hidden;
    }
    """

    @dataclass
    class Chosen(Message):
        """The officer picked a result."""

        incident_id: int

    @dataclass
    class NearEnd(Message):
        """The cursor reached the last loaded row: time for the next page."""

    def __init__(self, context: Context, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.context = context
        self.rows: list[QueueRow] = []
        self.cursor = 0
        self.message = ""
        """Shown instead of rows when there are none (searching, nothing found)."""

    def show(self, rows: list[QueueRow], *, append: bool = False, message: str = "") -> None:
        """Replace (or extend) the rows; ``message`` shows when there are none."""
        if append:
            self.rows = [*self.rows, *rows]
        else:
            self.rows = list(rows)
            self.cursor = 0
            self.scroll_to(y=0, animate=False, immediate=True)
        self.message = message
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + 1)
        self.refresh()

    @property
    def selected(self) -> QueueRow | None:
        """The row under the cursor."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def move_cursor(self, index: int) -> None:
        """Put the cursor on ``index`` (clamped) and keep it in view."""
        if not self.rows:
            return
        self.cursor = max(0, min(index, len(self.rows) - 1))
        shown = max(self.size.height - 1, 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + shown:
            self.scroll_to(y=self.cursor - shown + 1, animate=False, immediate=True)
        self.refresh()
        if self.cursor >= len(self.rows) - 1:
            self.post_message(self.NearEnd())

    def action_cursor_down(self) -> None:
        """Next result."""
        self.move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        """Previous result."""
        self.move_cursor(self.cursor - 1)

    def action_page(self, pages: int) -> None:
        """A page down or up."""
        self.move_cursor(self.cursor + pages * max(self.size.height - 2, 1))

    def action_choose(self) -> None:
        """Open the result under the cursor."""
        row = self.selected
        if row is not None:
            self.post_message(self.Chosen(row.id))

    def render_line(self, y: int) -> Strip:
        """The column header, then one result per line."""
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self.header_strip(width, base)
        index = int(self.scroll_y) + y - 1
        if not self.rows:
            return self.message_strip(self.message if y == 1 else "", width, base)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("queue--cursor")
        return self.row_strip(self.rows[index], width, style)
