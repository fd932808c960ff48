"""The week's roster (值班表, ``w`` on the roster pane): shifts by position, and changes.

One row per shift (Monday day to Sunday night), one column per position; the cursor
picks the shift the change forms start from. ``s`` swaps two people, ``c`` covers a
seat (whole shift or from/to), ``p`` marks a special period, ``[`` and ``]`` move a week.
Reads and writes run in thread workers; every change goes through the roster services,
which record who made it.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from dutydesk.i18n import label, t
from dutydesk.services.roster.pane import ShiftView
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.format import hhmm
from dutydesk.tui.screens.roster_forms import CoverForm, SpecialForm, SwapForm
from dutydesk.tui.text import safe, safe_block
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.workers import ReportsWorkerErrors
from dutydesk.vocab import Position


def _cell(shift: ShiftView, position: Position, tz: object) -> Text:
    """The holders of ``position`` on ``shift``: names, partial covers with their hours."""
    names = []
    for holder in shift.holders:
        if holder.position is not position:
            continue
        name = safe(holder.name).plain
        if holder.start_at is not None or holder.end_at is not None:
            start = hhmm(holder.start_at or shift.slot.start_at, tz)  # type: ignore[arg-type]
            end = hhmm(holder.end_at or shift.slot.end_at, tz)  # type: ignore[arg-type]
            name += f" {start}-{end}"
        names.append(name)
    return Text(", ".join(names) or "-")  # Text, never markup: names are stored text


class RosterWeekScreen(ReportsWorkerErrors, Screen[None], inherit_bindings=False):
    """The roster of one week in a grid, with keys to change it."""

    CSS_PATH = "../paper.tcss"
    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("s", "swap", "desk.swap"),
        key("c", "cover", "desk.cover"),
        key("p", "special", "desk.special"),
        key("left_square_bracket", "week(-1)", "desk.previous_week", key_display="["),
        key("right_square_bracket", "week(1)", "desk.next_week", key_display="]"),
        key("escape,q", "close", "desk.close"),
    ]

    class Loaded(Message):
        """A worker read the week's shifts."""

        def __init__(self, shifts: list[ShiftView]) -> None:
            super().__init__()
            self.shifts = shifts

    def __init__(self, context: Context) -> None:
        super().__init__(id="roster-week")
        translate_bindings(self)
        self.context = context
        self.monday = self._monday(context.clock.now().astimezone(context.tz).date())
        self.shifts: list[ShiftView] = []
        self._first = True

    @staticmethod
    def _monday(day: date) -> date:
        return day - timedelta(days=day.weekday())

    def compose(self) -> ComposeResult:
        """The grid, a status line, the keys."""
        table: DataTable[Text] = DataTable(id="week-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(Content(""), id="week-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Columns, then read the week."""
        table = self.query_one(DataTable)
        table.add_column(t("desk.week.shift"), key="shift")
        for position in Position:
            table.add_column(label(position), key=position.value)
        table.focus()
        self._read(self.monday)

    @work(thread=True, exclusive=True, group="week", exit_on_error=False)
    def _read(self, monday: date) -> None:
        from dutydesk.services.roster.shifts import shift_views

        ctx = self.context
        self.post_message(
            self.Loaded(shift_views(ctx.db, monday, monday + timedelta(6), ctx.settings))
        )

    def on_roster_week_screen_loaded(self, message: RosterWeekScreen.Loaded) -> None:
        """Fill the grid, keeping the cursor row."""
        self.shifts = message.shifts
        table: DataTable[Text] = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        tz = self.context.tz
        for shift in message.shifts:
            when = shift.slot.start_at.astimezone(tz)
            kind = t(f"handover.kind.{shift.slot.kind.value}")
            head = f"{when:%m-%d} {t(f'desk.week.day{when.weekday()}')} {kind} {when:%H:%M}"
            if shift.special_period:
                head += " ★"
            cells = [_cell(shift, p, tz) for p in Position] if shift.planned else []
            cells = cells or [Text(t("roster.not_rostered"), style="dim")] + [Text("")] * 3
            table.add_row(Text(head), *cells)
        if self._first:
            # First look: the cursor on the shift on duty now, where changes usually start.
            self._first = False
            now = self.context.clock.now()
            on_duty = [i for i, v in enumerate(message.shifts) if v.slot.start_at <= now]
            row = on_duty[-1] if on_duty else 0
        table.move_cursor(row=min(row, len(message.shifts) - 1))
        last = self.monday + timedelta(6)
        self.query_one(DataTable).border_title = t("desk.week.title", first=self.monday, last=last)

    @property
    def current(self) -> ShiftView | None:
        """The shift under the cursor."""
        row = self.query_one(DataTable).cursor_row
        return self.shifts[row] if 0 <= row < len(self.shifts) else None

    def _spec(self) -> str:
        shift = self.current
        return f"{shift.slot.shift_date} {shift.slot.kind.value}" if shift else ""

    def _first_name(self) -> str:
        shift = self.current
        return shift.holders[0].name if shift and shift.holders else ""

    def _change(self, form: Screen[str]) -> None:
        def done(said: str | None) -> None:
            if said:
                status = self.query_one("#week-status", Static)
                status.update(safe_block(said))
                self._read(self.monday)

        self.app.push_screen(form, done)

    def action_swap(self) -> None:
        """Swap two people's seats."""
        initial = {"shift": self._spec(), "first": self._first_name(), "other_shift": self._spec()}
        self._change(
            SwapForm(self.context, t("desk.week.swap"), initial, t("desk.week.shift_hint"))
        )

    def action_cover(self) -> None:
        """Cover someone's seat, whole shift or from/to."""
        initial = {"shift": self._spec(), "absent": self._first_name()}
        self._change(
            CoverForm(self.context, t("desk.week.cover"), initial, t("desk.week.cover_hint"))
        )

    def action_special(self) -> None:
        """Mark days as a special period."""
        day = str(self.current.slot.shift_date) if self.current else ""
        initial = {"first_day": day, "last_day": day}
        self._change(SpecialForm(self.context, t("desk.week.special"), initial))

    def action_week(self, step: int) -> None:
        """Show the previous or next week."""
        self.monday += timedelta(weeks=step)
        self._read(self.monday)

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
