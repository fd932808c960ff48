"""The main screen: status line, incident queue, follow-up timeline, shift roster, keys.

The screen owns the refresh rhythm. Every read runs in a thread worker:

* on mount: the queue's first rows, the counts and the roster;
* every :data:`POLL_SECONDS`: a cheap change check (``Database.change_token``); when
  another console wrote, everything is read again;
* every minute: the counts (overdue changes with time alone) and a redraw of the
  countdowns; the roster when the shift changes.
"""

from __future__ import annotations

import threading
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import get_current_worker

from dutydesk.i18n import t
from dutydesk.rules.shifts import shift_at
from dutydesk.services.queue import count_open, count_overdue
from dutydesk.tui.bindings import translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.widgets.queue import QueueView
from dutydesk.tui.widgets.roster import RosterPane
from dutydesk.tui.widgets.status import StatusLine
from dutydesk.tui.widgets.timeline import TimelineView
from dutydesk.tui.workers import ReportsWorkerErrors

POLL_SECONDS = 3.0
"""How often to ask the store whether another console wrote."""

PANES = ("queue", "timeline", "roster")
"""Pane ids, in tab order."""


class MainScreen(ReportsWorkerErrors, Screen[None], inherit_bindings=False):
    """The duty officer's three panes plus the status line and the footer."""

    class Counts(Message):
        """Open and overdue counts read by a worker."""

        def __init__(self, open_count: int, overdue_count: int) -> None:
            super().__init__()
            self.open_count = open_count
            self.overdue_count = overdue_count

    class Changed(Message):
        """Another connection committed to the store."""

    def __init__(self, context: Context) -> None:
        super().__init__(id="main")
        translate_bindings(self)
        self.context = context
        self._tokens: dict[int, int] = {}
        self._minute = -1
        self._shift_start: datetime | None = None

    def compose(self) -> ComposeResult:
        """Status line on top, queue and timeline on the left, roster on the right."""
        yield StatusLine(self.context, id="status")
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield QueueView(self.context, id="queue")
                yield TimelineView(self.context, id="timeline")
            yield RosterPane(self.context, id="roster")
        yield Footer(show_command_palette=False)

    @property
    def queue(self) -> QueueView:
        """The incident queue pane."""
        return self.query_one("#queue", QueueView)

    @property
    def timeline(self) -> TimelineView:
        """The follow-up timeline pane."""
        return self.query_one("#timeline", TimelineView)

    @property
    def roster(self) -> RosterPane:
        """The shift roster pane."""
        return self.query_one("#roster", RosterPane)

    def on_mount(self) -> None:
        """Title the panes, focus the queue, start reading."""
        self.queue.border_title = t("pane.queue")
        self.queue.focus()
        self.reload()
        self.set_interval(POLL_SECONDS, self._poll)
        self.set_interval(1, self._each_second)

    def reload(self) -> None:
        """Read everything again: queue, counts, roster and the shown timeline."""
        self.queue.reload()
        self.roster.reload()
        self.timeline.reload()
        self._count()

    def on_queue_view_selected(self, message: QueueView.Selected) -> None:
        """The queue cursor moved: show that incident's timeline."""
        self.timeline.load(message.incident_id)

    # -- periodic work ---------------------------------------------------------------

    def _each_second(self) -> None:
        now = self.context.clock.now()
        minute = int(now.timestamp() // 60)
        if minute == self._minute:
            return
        first = self._minute == -1
        self._minute = minute
        settings = self.context.settings
        slot = shift_at(now, settings.day_shift_start, settings.night_shift_start, self.context.tz)
        if not first:
            self._count()
            self.queue.refresh()  # countdowns are computed at draw time
            if slot.start_at != self._shift_start:
                self.roster.reload()
        self._shift_start = slot.start_at

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def _count(self) -> None:
        worker = get_current_worker()
        db = self.context.db
        open_count = count_open(db)
        overdue = count_overdue(db, self.context.clock.now())
        if not worker.is_cancelled:
            self.post_message(self.Counts(open_count, overdue))

    def on_main_screen_counts(self, message: MainScreen.Counts) -> None:
        """Show the counts in the status line."""
        self.query_one(StatusLine).set_counts(message.open_count, message.overdue_count)

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _poll(self) -> None:
        # Thread workers run on a small pool and SQLite's data_version is per connection
        # (one per thread), so compare each thread's reading with its own last one.
        token = self.context.db.change_token()
        ident = threading.get_ident()
        previous = self._tokens.get(ident)
        self._tokens[ident] = token
        if previous is not None and previous != token and not get_current_worker().is_cancelled:
            self.post_message(self.Changed())

    def on_main_screen_changed(self, _message: MainScreen.Changed) -> None:
        """Another console wrote: read everything again."""
        self.reload()

    def focus_pane(self, pane: str) -> None:
        """Focus the pane with id ``pane`` (queue, timeline or roster)."""
        if pane in PANES:
            self.query_one(f"#{pane}").focus()
