"""One incident per line, as the queue draws it: shared by the queue and search results.

The column layout depends only on the width and the language (cached); a row's cells
come from a :class:`~dutydesk.services.incidents.queue.QueueRow`, with its countdown computed at
draw time from the clock, so a redraw is all a ticking clock needs. Restricted rows
show serial, time and classification only (and a register-mode item's register line,
which holds no content).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from dutydesk.i18n import current_language, label, short_label, t
from dutydesk.services.incidents.queue import QueueRow
from dutydesk.tui.context import Context
from dutydesk.tui.format import countdown, hhmm
from dutydesk.tui.text import fit, safe
from dutydesk.vocab import Category, Channel, Severity, Status

ROW_COMPONENTS = frozenset(
    {
        "queue--header",
        "queue--cursor",
        "queue--overdue",
        "queue--restricted",
        "queue--placeholder",
    }
)
"""Component classes a row-drawing widget declares (styled in app.tcss)."""

# Column caps in terminal cells; a column is as wide as its longest label as drawn (in the
# current language) up to its cap, so Chinese, with shorter labels, leaves more room for
# the title.
_CAPS = {"channel": 8, "category": 9, "severity": 6, "status": 9}
_ENUMS = {"channel": Channel, "category": Category, "severity": Severity, "status": Status}
_SHORT = frozenset({"channel", "category"})
"""Columns drawn with :func:`~dutydesk.i18n.short_label` (and sized by it)."""
_MIN_TITLE = 10
_ROOMY_TITLE = 24
"""Below this many cells (twelve Chinese characters) the title cannot tell incidents
apart: the channel column, which the timeline's header line also shows, gives way."""


@dataclass(frozen=True)
class _Layout:
    widths: tuple[tuple[str, int], ...]


@lru_cache(maxsize=16)
def _layout(width: int, language: str) -> _Layout:
    def sized(name: str) -> int:
        draw = short_label if name in _SHORT else label
        labels = [draw(member) for member in _ENUMS[name]] + [t(f"column.{name}")]
        return min(_CAPS[name], max(cell_len(text) for text in labels))

    due = max(cell_len(t("due.overdue_hours", hours=23, minutes=59)), cell_len(t("column.due")))
    left = [("serial", 12), ("due", due), ("received_short", 5)]
    left += [(name, sized(name)) for name in ("channel", "category", "severity")]
    status = ("status", sized("status"))
    used = 1 + sum(w + 1 for _, w in left) + status[1]
    title = width - used - 1
    if title < _ROOMY_TITLE:
        channel = dict(left)["channel"]
        left = [column for column in left if column[0] != "channel"]
        title += channel + 1
    return _Layout((*left, ("title", max(title, _MIN_TITLE)), status))


def _fitted(text: str, width: int) -> str:
    """``fit(safe(text), width).plain``, without building ``Content`` for plain ASCII.

    Printable ASCII has nothing for the sanitiser to remove and takes one cell a
    character, so the cut (with its ellipsis) and the padding are string operations:
    a page down draws 21 new rows of eight cells (issue 16, keys at 1M). Anything else
    (CJK, controls, bidi marks) goes the one sanitising path.
    """
    if text.isascii() and text.isprintable():
        if len(text) > width:
            return text[: width - 1] + "…" if width > 0 else ""
        return text.ljust(width)
    return fit(safe(text), width).plain


_STRIPS_KEPT = 512
"""Drawn rows a pane keeps (:meth:`RowPainter.row_strip`): a few screens of them."""


class RowPainter(Widget):
    """Mixin for Line-API widgets that draw incident rows in the queue's format.

    A subclass that is also a ``ScrollView`` must state ``overflow-y: auto`` in its own
    ``DEFAULT_CSS``: Textual inherits CSS along the first DOM base only (here
    ``RowPainter -> Widget``, overflow ``hidden``), so ScrollView's is lost.
    """

    context: Context
    _row_strips: dict[object, Strip]

    def notify_style_update(self) -> None:
        """A theme or CSS change: the kept rows are drawn anew."""
        super().notify_style_update()
        self._row_strips = {}

    def header_strip(self, width: int, base: Style) -> Strip:
        """The column header line (kept, as the rows are: a scroll redraws it too)."""
        language = current_language()
        key = ("header", width, base, language)
        cache: dict[object, Strip] = self.__dict__.setdefault("_row_strips", {})
        strip = cache.get(key)
        if strip is None:
            layout = _layout(width, language)
            style = base + self.get_component_rich_style("queue--header")
            cells = [t(f"column.{name}") for name, _ in layout.widths]
            strip = self._strip([(text, style) for text in cells], layout, width, style)
            cache[key] = strip
        return strip

    def row_strip(self, row: QueueRow, width: int, style: Style) -> Strip:
        """One incident's line in ``style`` (the cursor's or the base style).

        Kept by what it is drawn from (the row as read, the width, the style, the
        language and the countdown's words at this moment), so a scroll by one line or
        a cursor move draws only the lines that changed (issue 16: a held key scrolled
        the pane and drew its 38 lines anew every time). A reload reads new rows, a
        minute changes the words, a theme or focus change the style: each is a new key.
        """
        language = current_language()
        due = "" if row.restricted else countdown(row.due_at, self.context.clock.now())[0]
        key = (row, width, style, language, due)
        cache: dict[object, Strip] = self.__dict__.setdefault("_row_strips", {})
        strip = cache.get(key)
        if strip is None:
            if len(cache) >= _STRIPS_KEPT:
                cache.clear()  # a screenful is redrawn at most: no LRU bookkeeping
            layout = _layout(width, language)
            strip = cache[key] = self._strip(self._cells(row, style, layout), layout, width, style)
        return strip

    def message_strip(self, text: str, width: int, style: Style) -> Strip:
        """A line of interface text (loading, nothing found)."""
        return Strip([Segment(fit(safe(text), width).plain, style)], width)

    def _cells(self, row: QueueRow, style: Style, layout: _Layout) -> list[tuple[str, Style]]:
        tz = self.context.tz
        if row.restricted:
            # Need-to-know: serial, time and classification only, nothing of the content.
            mark = style + self.get_component_rich_style("queue--restricted")
            level = f"[{label(row.classification)}] {t('app.restricted')}"
            if row.register:  # register mode: the register is not content (issue 13)
                level = f"{row.register} [{t('app.restricted')}]"
            if row.drill:
                level = f"{t('drill.mark')} {level}"
            return [
                (row.serial, style),
                ("", style),
                (hhmm(row.received_at, tz), style),
                (level, mark),
            ]
        due, overdue = countdown(row.due_at, self.context.clock.now())
        due_style = style + self.get_component_rich_style("queue--overdue") if overdue else style
        none = t("app.none")
        cells = {
            "serial": (row.serial, style),
            "due": (due, due_style),
            "received_short": (hhmm(row.received_at, tz), style),
            "channel": (short_label(row.channel) if row.channel else none, style),
            "category": (short_label(row.category) if row.category else none, style),
            "severity": (label(row.severity) if row.severity else none, style),
            "title": (
                f"{t('drill.mark')} {row.heading}" if row.drill else row.heading,
                style,
            ),
            "status": (label(row.status) if row.status else none, style),
        }
        return [cells[name] for name, _ in layout.widths]

    @staticmethod
    def _strip(cells: list[tuple[str, Style]], layout: _Layout, width: int, style: Style) -> Strip:
        segments: list[Segment] = [Segment(" ", style)]
        x = 1
        for number, (text, cell_style) in enumerate(cells):
            last = number == len(cells) - 1
            # The last cell takes the rest of the line (restricted rows have fewer cells).
            cell_width = max(width - x, 0) if last else layout.widths[number][1]
            segments.append(Segment(_fitted(text, cell_width), cell_style))
            segments.append(Segment(" ", style))
            x += cell_width + 1
        return Strip(segments).crop_extend(0, width, style)
