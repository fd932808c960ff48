"""The live incident queue: a Line-API widget that reads only the rows it shows.

Why not ``DataTable``: it holds every row in memory and takes 1.3 s for 10,000 rows.
This widget knows only the number of open incidents (the virtual height) and a small
cache of 100-row blocks. Drawing a line whose block is missing draws a placeholder and
asks a thread worker for the block; when it arrives the lines are redrawn. Moving the
cursor never touches the database, so it costs the same with a million rows.

A block is read next to one already held, by its neighbour's place in the queue order
(keyset paging: ``fetch_after``/``fetch_before``), or counted from the nearer end of the
queue (the end itself is ``fetch_last``), so a page move costs the rows read, not the
rows above them (issue 16). The block holding the last row is read with every reload and
kept, so the jump to the end draws at once; the count is the store's counter (one row,
migration 0026), read before the rows. Only a block far from every other and from both
ends (the scrollbar dragged to the middle) is read by OFFSET.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState, get_current_worker

from dutydesk.i18n import t
from dutydesk.services.incidents.queue import (
    BLOCK_ROWS,
    QueueRow,
    count_open,
    fetch_after,
    fetch_around,
    fetch_before,
    fetch_last,
    fetch_window,
    order_of,
    place_of,
)
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.text import fit, safe
from dutydesk.tui.widgets.held import HeldRows
from dutydesk.tui.widgets.rows import ROW_COMPONENTS, RowPainter
from dutydesk.tui.workers import report_failure

BLOCK = BLOCK_ROWS
"""Rows per cached block: one indexed query each."""
MAX_BLOCKS = 64
"""Blocks kept in memory (6,400 rows): enough for fast paging back and forth."""


class QueueView(RowPainter, ScrollView, can_focus=True, inherit_bindings=False):
    """Open incidents, most urgent first, with a cursor.

    Posts :class:`QueueView.Selected` when the cursor lands on a loaded row.
    """

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("down,j", "cursor_down", "down", show=False),
        key("up,k", "cursor_up", "up", show=False),
        key("pagedown", "page_down", "page_down", show=False),
        key("pageup", "page_up", "page_up", show=False),
        key("home", "first", "first", show=False),
        key("end", "last", "last", show=False),
    ]

    COMPONENT_CLASSES = set(ROW_COMPONENTS)  # noqa: RUF012

    # Textual inherits DEFAULT_CSS along the first DOM base only (RowPainter -> Widget),
    # so ScrollView's "overflow-y: auto" never reached this class: the pane could not
    # scroll and rows past the first screen were never shown (issue 10, defect 2).
    DEFAULT_CSS = """
    QueueView {
        overflow-y: auto;
        overflow-x: hidden;
    }
    """

    @dataclass
    class Selected(Message):
        """The cursor is on an incident."""

        incident_id: int
        serial: str

    class Loaded(Message):
        """Rows (and maybe the count) read by a worker, delivered on the event loop."""

        def __init__(
            self,
            generation: int,
            blocks: dict[int, list[QueueRow]],
            count: int | None = None,
            skipped: frozenset[int] = frozenset(),
            replace: bool = False,
            cursor: int | None = None,
            lost: bool = False,
        ) -> None:
            super().__init__()
            self.cursor = cursor
            self.lost = lost
            self.replace = replace
            self.generation = generation
            self.blocks = blocks
            self.count = count
            self.skipped = skipped

    def __init__(self, context: Context, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.context = context
        self.count: int | None = None
        """Open incidents; ``None`` until the first read arrives."""
        self.cursor = 0
        self._blocks: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self._announced: int | None = None
        self._wanted: frozenset[int] = frozenset()
        self._select: int | None = None
        self._counted: int | None = None
        """The last count read (``count`` is provisional until then: the launcher's rows)."""
        self.reloads = 0
        """Reloads started (tests count them: one commit, one reload)."""
        self.placed = 0
        """New rows placed among the held ones without a read (tests count them)."""
        self.live_applied = 0
        """Other consoles' changes placed among the held rows without a reload."""
        self._loading = False
        """A reload's rows have not landed yet."""
        if context.first_rows is not None:
            # Rows the launcher read before the app existed: draw them in the first
            # frame. The count is provisional until the mount's reload counts.
            self._blocks[0] = list(context.first_rows)
            self.count = len(context.first_rows)

    # -- data ------------------------------------------------------------------------

    def reload(self, select: int | None = None) -> None:
        """Re-read the count and the visible rows; old rows stay on screen until then.

        The cursor stays on the incident it was on (another console's write may have
        moved it up or down the queue), or goes to ``select`` (a new registration).
        """
        self._generation += 1
        self.reloads += 1
        self._loading = True
        self._pending.clear()
        if select is not None:
            # Kept until a load lands: a reload that cancels this one (another console's
            # write arriving at the same moment) must still go to the new incident.
            self._select = select
        current = self.selected
        follow = self._select if self._select is not None else (current.id if current else None)
        self._load(self._generation, tuple(sorted(self._visible_blocks())), follow)

    @work(thread=True, exclusive=True, group="queue-load", exit_on_error=False)
    def _load(self, generation: int, blocks: tuple[int, ...], follow: int | None = None) -> None:
        worker = get_current_worker()
        db = self.context.db
        # The store keeps the count (migration 0026): one row, read first, so the rows
        # and the count arrive together and the end of the queue is known from the start.
        total = count_open(db)
        rows: dict[int, list[QueueRow]] = {}
        cursor = None
        if follow is not None:
            place = place_of(db, follow, total=total)
            if place is not None:
                # The incident's own block, read around it: no count of the rows above.
                cursor = place.index
                block, offset = divmod(place.index, BLOCK)
                rows[block] = self._read(fetch_around, place.key, offset, BLOCK - offset - 1)
        wanted = {*blocks, *self._last_block(total)}
        self._read_blocks(tuple(sorted(wanted)), rows, total, worker)
        if worker.is_cancelled:
            return
        self.post_message(
            self.Loaded(
                generation,
                rows,
                count=total,
                replace=True,
                cursor=cursor,
                lost=follow is not None and cursor is None,
            )
        )

    @staticmethod
    def _last_block(count: int | None) -> set[int]:
        """The block holding the queue's last row: kept read, so End draws at once."""
        return {(count - 1) // BLOCK} if count else set()

    def _read_blocks(
        self,
        blocks: tuple[int, ...],
        rows: dict[int, list[QueueRow]],
        total: int | None,
        worker: Worker[None],
        wanted: frozenset[int] | None = None,
    ) -> set[int]:
        """Read ``blocks`` into ``rows`` (worker threads only), each next to one held.

        ``rows`` may hold blocks already (the cache's neighbours, a block read around an
        incident): a block beside one of them is read by keyset from its edge row, and
        reading spreads outward from there. Blocks no longer ``wanted`` (paged past
        before their turn) are skipped and returned.
        """
        todo = [block for block in blocks if block not in rows]
        skipped: set[int] = set()
        while todo and not worker.is_cancelled:
            block = next(
                (b for b in todo if b - 1 in rows or b + 1 in rows),
                todo[0],
            )
            todo.remove(block)
            if wanted is not None and block not in wanted:
                skipped.add(block)
                continue
            rows[block] = self._block(block, rows, total)
        return skipped

    def _block(
        self, block: int, rows: dict[int, list[QueueRow]], total: int | None
    ) -> list[QueueRow]:
        """One block: after the block above, before the block below, or from an end."""
        above, below = rows.get(block - 1), rows.get(block + 1)
        if above and len(above) == BLOCK and above[-1].key is not None:
            return self._read(fetch_after, above[-1].key, BLOCK)
        if below and below[0].key is not None:
            return self._read(fetch_before, below[0].key, BLOCK)
        start = block * BLOCK
        if total is not None and total - start < start:
            # Nearer the end: pass over the rows after this block, not the rows above it.
            end = min(start + BLOCK, total)
            return self._read(fetch_last, max(end - start, 0), skip=total - end)
        return self._read(fetch_window, start, BLOCK)

    def _read(
        self, fetch: Callable[..., list[QueueRow]], *args: object, **kw: int
    ) -> list[QueueRow]:
        """Run one of the queue's reads (worker threads only): the viewer is named for the audit."""
        ctx = self.context
        return fetch(ctx.db, *args, ctx.clearance, viewer=ctx.viewer, now=ctx.clock.now(), **kw)

    @work(thread=True, group="queue-fetch", exit_on_error=False)
    def _fetch(
        self,
        generation: int,
        blocks: tuple[int, ...],
        held: dict[int, list[QueueRow]],
        total: int | None,
    ) -> None:
        worker = get_current_worker()
        rows = dict(held)
        # Paging fast through a million rows queues blocks that scrolled past before
        # their turn: skip those instead of reading them.
        skipped = set()
        for block in blocks:
            if worker.is_cancelled:
                skipped.add(block)
                continue
            if block in rows:
                continue
            skipped |= self._read_blocks((block,), rows, total, worker, self._wanted)
            if block in rows:
                self.post_message(self.Loaded(generation, {block: rows[block]}))
        if skipped:
            self.post_message(self.Loaded(generation, {}, skipped=frozenset(skipped)))

    def on_queue_view_loaded(self, message: QueueView.Loaded) -> None:
        """Store arrived rows and redraw; rows from before a reload are dropped."""
        message.stop()
        if message.generation != self._generation:
            return
        if message.replace:
            # A reload: its blocks replace the cache, so nothing stale stays visible.
            self._blocks.clear()
            self._select = None
            self._loading = False
        if message.count is not None:
            self.count = message.count
            self._counted = message.count
            self._resize_virtual()
            self.cursor = min(self.cursor, max(self.count - 1, 0))
        self._pending -= set(message.blocks) | message.skipped
        for block, rows in message.blocks.items():
            self._blocks[block] = rows
            self._blocks.move_to_end(block)
        self._evict()
        self.refresh()
        if message.cursor is not None:
            self.move_cursor(message.cursor)
        elif message.lost and self.selected is not None:
            # The incident under the cursor left the queue (closed): the timeline keeps
            # showing it, with its final entry, until the officer moves the cursor.
            self._announced = self.selected.id
        self._announce()
        self._request_missing()

    def _evict(self) -> None:
        """Drop the least recently read blocks beyond :data:`MAX_BLOCKS`, never one wanted."""
        spare = [block for block in self._blocks if block not in self._wanted]
        for block in spare[: max(len(self._blocks) - MAX_BLOCKS, 0)]:
            del self._blocks[block]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed read: say so, and let the rows be asked for again."""
        if report_failure(self, event) and event.state is WorkerState.ERROR:
            self._pending.clear()
            self._loading = False

    def place(self, row: QueueRow) -> bool:
        """Put a just-committed new incident at its place among the held rows, selected.

        The save read the row back (``fetch_row``) after its commit: its key says where
        it goes in the queue order, so when that place is inside the rows held, the row
        is inserted there, the rows below move down one and the count grows by one,
        without reading the queue again (issue 16: the reload after a save cost 100-500
        ms under load). Returns False, changing nothing, when the place is not among
        the held rows or a reload is on its way; the caller then reloads.
        """
        if row.key is None or self._loading or self.count is None:
            return False
        index = self._index_for(row)
        if index is None:
            return False
        # Reads in flight were asked for the old rows' places: drop their answers.
        self._generation += 1
        self._pending.clear()
        self._shift_in(index, row)
        self.count += 1
        if self._counted is not None:
            self._counted += 1
        self.placed += 1
        self._resize_virtual()
        self._announced = None
        self.move_cursor(index)
        self.refresh()
        return True

    def apply(
        self, changed: Mapping[int, QueueRow | None], fresh: frozenset[int], count: int
    ) -> bool:
        """Put another console's changed rows at their places among the held rows.

        ``changed`` are the rows read after the other desk's commit (``None``: no longer
        open), ``fresh`` the ids it registered, ``count`` the open incidents read after
        the rows. Each row leaves its held place and goes where its key puts it; the
        cursor stays on its incident (issue 16: another console's write was a reload of
        every pane, 147 ms median at 200,000). Returns False, changing nothing, when a
        place cannot be known, a reload is on its way, or the count does not add up
        (a write in between): the caller then reloads.
        """
        if self._loading or self.count is None:
            return False
        before = self.selected
        held = HeldRows(
            self._blocks, BLOCK, self.count, self.cursor, nulls_first=self.context.db.is_sqlite
        )
        if not held.apply(changed, fresh) or held.count != count:
            return False
        # Reads in flight were asked for the old rows' places: drop their answers.
        self._generation += 1
        self._pending.clear()
        self._blocks = OrderedDict(sorted(held.blocks().items()))
        self.count = self._counted = count
        self.live_applied += 1
        self._resize_virtual()
        self.cursor = held.cursor
        if held.cursor_lost and before is not None:
            # Closed elsewhere: the timeline keeps showing it, as after a reload.
            self._announced = self.selected.id if self.selected else before.id
        self._scroll_cursor_into_view()
        self.refresh()
        self._request_missing()
        self._announce()
        return True

    def _index_for(self, row: QueueRow) -> int | None:
        """The new row's index, when it falls inside (or at the end of) a held block."""
        nulls_first = self.context.db.is_sqlite
        assert row.key is not None

        def order(r: QueueRow) -> tuple[object, ...]:
            assert r.key is not None
            return order_of(r.key, nulls_first=nulls_first)

        if self.count == 0:
            return 0  # the first open incident
        mine = order(row)
        for block, rows in sorted(self._blocks.items()):
            if not rows or any(r.key is None for r in (rows[0], rows[-1])):
                continue
            if any(r.id == row.id for r in rows):
                return None  # already read (a reload got there first): reload to select it
            start = block * BLOCK
            if mine < order(rows[0]):
                # Before this block's first row: here only if the block above ends before it.
                above = self._blocks.get(block - 1)
                if block == 0 or (above and above[-1].key is not None and order(above[-1]) < mine):
                    return start
                continue
            # Inside the block, or after the last row of the queue's short last block.
            if mine < order(rows[-1]) or (len(rows) < BLOCK and start + len(rows) == self.count):
                keys = [order(r) for r in rows]
                return start + bisect_left(keys, mine)
        return None

    def _shift_in(self, index: int, row: QueueRow) -> None:
        """Insert ``row`` at ``index``; the held rows below move down one place.

        Each full block passes its last row to the block below; a block held beyond a
        gap would be one place out, so it is dropped (read again when shown).
        """
        first = index // BLOCK
        carry: QueueRow | None = row
        offset = index % BLOCK
        blocks: dict[int, list[QueueRow]] = {}
        self._blocks.setdefault(first, [])  # an empty queue's first row
        for block in sorted(self._blocks):
            rows = self._blocks[block]
            if block < first:
                blocks[block] = rows
                continue
            if carry is None or (block > first and block - 1 not in blocks):
                continue  # beyond a gap: its rows are no longer at their places
            rows = [*rows[:offset], carry, *rows[offset:]]
            offset = 0
            carry = rows.pop() if len(rows) > BLOCK else None
            blocks[block] = rows
        self._blocks = OrderedDict(sorted(blocks.items()))

    def row(self, index: int) -> QueueRow | None:
        """The row at ``index`` if it is loaded."""
        rows = self._blocks.get(index // BLOCK)
        if rows is None or index % BLOCK >= len(rows):
            return None
        return rows[index % BLOCK]

    @property
    def selected(self) -> QueueRow | None:
        """The row under the cursor, if loaded."""
        return self.row(self.cursor) if self.count else None

    def _visible_blocks(self) -> set[int]:
        top = int(self.scroll_y)
        last = top + max(self.size.height, 1)
        # One block of read-ahead each way: a page down or up then finds its rows
        # already cached instead of drawing placeholders while a worker reads them.
        first_block = max(top // BLOCK - 1, 0)
        blocks = set(range(first_block, last // BLOCK + 2))
        blocks.add(self.cursor // BLOCK)
        # The end of the queue, read ahead (issue 16): the jump to it draws without a read.
        return blocks | self._last_block(self.count)

    def _request_missing(self) -> None:
        if self.count is None:
            return
        limit = (self.count - 1) // BLOCK
        visible = {block for block in self._visible_blocks() if block <= limit}
        self._wanted = frozenset(visible)
        # The cursor's block first (the jump to the end waits for that one), then
        # outward from it, each read beside the one before.
        here = self.cursor // BLOCK
        missing = tuple(
            sorted(visible - set(self._blocks) - self._pending, key=lambda b: abs(b - here))
        )
        if missing:
            self._pending.update(missing)
            # The held blocks beside the missing ones: their edge rows are the keys the
            # missing ones are read from (the lists are never changed, only replaced).
            near = {b + step for b in missing for step in (-1, 1)}
            held = {b: self._blocks[b] for b in near if b in self._blocks}
            self._fetch(self._generation, missing, held, self._counted)

    def _announce(self) -> None:
        row = self.selected
        if row is not None and row.id != self._announced:
            self._announced = row.id
            self.post_message(self.Selected(row.id, row.serial))

    # -- geometry and cursor -----------------------------------------------------------

    def _resize_virtual(self) -> None:
        # One line for the column header, then one per incident.
        size = Size(self.scrollable_content_region.width, (self.count or 0) + 1)
        if size == self.virtual_size:
            return
        shown = self.container_size.height
        if (
            self.is_mounted
            and shown > 0
            and size.width == self.virtual_size.width
            and min(size.height, self.virtual_size.height) > shown
        ):
            # One row more or less in a queue longer than the pane: the scrollbar stays
            # and only its thumb moves. Setting ``virtual_size`` would lay out the whole
            # screen again (a layout reactive): 80-250 ms of a save's repaint under load
            # (issue 16). Textual's own path for a size set without a layout.
            self.set_reactive(QueueView.virtual_size, size)
            self._scroll_update(size)
            return
        self.virtual_size = size

    def on_resize(self) -> None:
        """Keep the virtual size in step, the cursor in view, and fetch newly shown rows."""
        self._resize_virtual()
        self._scroll_cursor_into_view()
        self._request_missing()

    @property
    def _page(self) -> int:
        return max(self.size.height - 2, 1)

    def move_cursor(self, index: int) -> None:
        """Put the cursor on row ``index`` (clamped), scroll it into view, announce it."""
        if not self.count:
            return
        old = self.cursor
        self.cursor = max(0, min(index, self.count - 1))
        top = int(self.scroll_y)
        self._scroll_cursor_into_view()
        if int(self.scroll_y) == top:
            self._refresh_row(old)
            self._refresh_row(self.cursor)
        else:
            self.refresh()
        self._request_missing()
        self._announce()

    def _scroll_cursor_into_view(self) -> None:
        """Scroll the least that shows the cursor row below the column header."""
        rows_shown = max(self.size.height - 1, 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + rows_shown:
            self.scroll_to(y=self.cursor - rows_shown + 1, animate=False, immediate=True)

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        if 0 < y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self.move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self.move_cursor(self.cursor - 1)

    def action_page_down(self) -> None:
        """Move the cursor and the view one page down."""
        self.scroll_to(y=self.scroll_y + self._page, animate=False, immediate=True)
        self.move_cursor(self.cursor + self._page)
        self.refresh()

    def action_page_up(self) -> None:
        """Move the cursor and the view one page up."""
        self.scroll_to(y=self.scroll_y - self._page, animate=False, immediate=True)
        self.move_cursor(self.cursor - self._page)
        self.refresh()

    def action_first(self) -> None:
        """Go to the most urgent incident."""
        self.move_cursor(0)

    def action_last(self) -> None:
        """Go to the last incident in the queue."""
        self.move_cursor((self.count or 1) - 1)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolling by mouse or scrollbar also needs the newly visible blocks."""
        super().watch_scroll_y(old_value, new_value)
        if self.is_mounted:
            self._request_missing()

    # -- drawing -----------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the pane's changed lines; the styles they share are worked out once.

        ``rich_style`` walks the widget's ancestors for their backgrounds each time it
        is asked: once per line, it was a quarter of drawing the queue (cProfile of a
        held key at 1M, issue 16). It cannot change while one frame is drawn.
        """
        self._frame_styles = {}
        self._frame_width = self.scrollable_content_region.width
        try:
            return super().render_lines(crop)
        finally:
            self._frame_styles = None
            self._frame_width = None

    _frame_styles: dict[str, Style] | None = None
    """The styles of the frame being drawn (``render_lines``); ``None`` between frames."""
    _frame_width: int | None = None
    """The width of the frame being drawn, likewise (the region is worked out per ask)."""

    def _style(self, component: str = "") -> Style:
        """The pane's style (``""``) or a component's, kept while one frame is drawn."""
        kept = self._frame_styles
        if kept is not None and component in kept:
            return kept[component]
        style = self.get_component_rich_style(component) if component else self.rich_style
        if kept is not None:
            kept[component] = style
        return style

    def render_line(self, y: int) -> Strip:
        """Draw line ``y`` of the pane: the column header, or one incident."""
        width = self._frame_width
        if width is None:
            width = self.scrollable_content_region.width
        base = self._style()
        if y == 0:
            return self.header_strip(width, base)
        index = int(self.scroll_y) + y - 1
        if self.count is None:
            return self._message_line(y, t("app.loading"), base, width)
        if self.count == 0:
            return self._message_line(y, t("app.empty_queue"), base, width)
        if index >= self.count:
            return Strip.blank(width, base)
        style = base
        if index == self.cursor:
            style = base + self._style("queue--cursor")
        row = self.row(index)
        if row is None:
            placeholder = style + self._style("queue--placeholder")
            return Strip([Segment(fit(safe("…"), width).plain, placeholder)], width)
        return self.row_strip(row, width, style)

    def _message_line(self, y: int, text: str, base: Style, width: int) -> Strip:
        if y != 1:
            return Strip.blank(width, base)
        return self.message_strip(text, width, base)
