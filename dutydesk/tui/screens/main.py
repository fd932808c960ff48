"""The main screen: status line, incident queue, follow-up timeline, shift roster, keys.

The screen owns the refresh rhythm. Every read runs in a thread worker:

* on mount: the queue's first rows, the counts and the roster;
* a watcher thread worker (:meth:`MainScreen._watch`) waits for another connection's
  commit (:mod:`dutydesk.storage.watch`: SQLite's data_version every
  :data:`CHANGE_POLL_SECONDS`, PostgreSQL's LISTEN at once); when another console wrote,
  the audit links after the last ones seen say what
  (:mod:`dutydesk.services.incidents.changes`): a few incidents' rows are read in the
  watcher and placed among the queue's held rows (the timeline read again if it shows
  one); anything else (a roster change, a deletion, many rows, a place not known)
  reads everything again. Either way the queue keeps the cursor on the same incident.
  The same loop asks which deadlines passed since its last look and the screen
  notifies once per (incident, step), with the bell if configured;
* every minute: the counts (overdue changes with time alone) and a redraw of the
  countdowns; the roster when the shift changes. The overdue count includes the
  special period's daily report (零报告) once it is late, which is also notified once
  per day (:mod:`dutydesk.services.roster.daily_report`).
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from dutydesk.errors import DatabaseError
from dutydesk.i18n import t
from dutydesk.rules.deadlines import INSTRUCTION_STEPS
from dutydesk.rules.shifts import shift_at
from dutydesk.services.incidents.changes import ChainMark, chain_mark, changes_since
from dutydesk.services.incidents.queue import (
    PassedDeadline,
    QueueRow,
    count_open,
    deadlines_passed,
    fetch_rows,
    open_counts,
    reminders_due,
)
from dutydesk.tui import gc_policy
from dutydesk.tui.bindings import translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.main.drill_keys import DRILL_BINDINGS, DrillActions
from dutydesk.tui.main.host import MainHost
from dutydesk.tui.main.incident_keys import ACTION_BINDINGS, IncidentActions
from dutydesk.tui.main.paper_keys import PAPER_BINDINGS, PaperActions
from dutydesk.tui.text import safe
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.queue import QueueView
from dutydesk.tui.widgets.roster import RosterPane
from dutydesk.tui.widgets.status import StatusLine
from dutydesk.tui.widgets.timeline import TimelineView
from dutydesk.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from dutydesk.rules.daily_report import DailyReportState

POLL_SECONDS = 0.4
"""How often to ask the store which deadlines passed."""

CHANGE_POLL_SECONDS = 0.05
"""How often to ask SQLite whether another console wrote: one ``PRAGMA data_version``,
microseconds, so another desk's write shows within this (issue 16: at 0.4 s the median
was 194 ms against a 100 ms target). PostgreSQL is woken by its notification at once."""

WATCH_GROUP = "watch"
"""The worker group of the long-running watcher (tests wait for every other group)."""

PANES = ("queue", "timeline", "roster")
"""Pane ids, in tab order."""


class MainScreen(
    IncidentActions,
    PaperActions,
    DrillActions,
    ReportsWorkerErrors,
    Screen[None],
    inherit_bindings=False,
):
    """The duty officer's three panes plus the status line and the footer."""

    BINDINGS = [*ACTION_BINDINGS, *PAPER_BINDINGS, *DRILL_BINDINGS]  # noqa: RUF012

    class Counts(Message):
        """Open and overdue counts read by a worker, and the day's late 零报告 if any."""

        def __init__(
            self, open_count: int, overdue_count: int, late_report: DailyReportState | None = None
        ) -> None:
            super().__init__()
            self.open_count = open_count
            self.overdue_count = overdue_count
            self.late_report = late_report

    class Changed(Message):
        """Another connection committed to the store.

        ``rows`` ``None``: read everything again. Otherwise only incidents changed: their
        rows as read after the commit (``None``: no longer open), ``fresh`` the ones
        registered meanwhile, ``count`` the open incidents read after the rows.
        """

        def __init__(
            self,
            rows: dict[int, QueueRow | None] | None = None,
            fresh: frozenset[int] = frozenset(),
            count: int = 0,
        ) -> None:
            super().__init__()
            self.rows = rows
            self.fresh = fresh
            self.count = count

    class Connection(Message):
        """The database server went away (``lost``) or came back (issue 15)."""

        def __init__(self, lost: bool) -> None:
            super().__init__()
            self.lost = lost

    class Deadlines(Message):
        """Steps whose deadline passed since the watcher's last look."""

        def __init__(self, passed: list[PassedDeadline]) -> None:
            super().__init__()
            self.passed = passed

    class Reminders(Message):
        """催办: instructions whose feedback or 报结 falls due soon (``remind_hours``)."""

        def __init__(self, soon: list[PassedDeadline]) -> None:
            super().__init__()
            self.soon = soon

    def __init__(self, context: Context) -> None:
        super().__init__(id="main")
        translate_bindings(self)
        self.context = context
        self._notified: set[tuple[int, str | None]] = set()
        self._reports_notified: set[date] = set()
        self._minute = -1
        self._shift_start: datetime | None = None
        self.watch_ticks = 0
        """Times the watcher looked at the store (tests wait on it, not on the clock)."""
        self.full_reloads = 0
        """Times every pane was read again (tests count them)."""

    def compose(self) -> ComposeResult:
        """Status line on top, queue and timeline on the left, roster on the right."""
        yield StatusLine(self.context, id="status")
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield QueueView(self.context, id="queue")
                yield TimelineView(self.context, id="timeline")
            yield RosterPane(self.context, id="roster")
        yield KeysFooter()

    @property
    def host(self) -> MainHost:
        """The screen itself, as its key mixins see it (the type checker holds it to MainHost)."""
        return self

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
        """Title the panes, focus the queue, start reading.

        With the queue's first rows already read (the launcher's, or the PIN check's),
        the reading starts after the first frame: its workers (the roster, the counts,
        the watcher, imports of their services) would otherwise share the interpreter
        with the frame that shows those rows (issue 16).
        """
        self.queue.border_title = t("pane.queue")
        self.queue.focus()
        if self.context.first_rows is not None:
            self.call_after_refresh(self._start_reading)
        else:
            self._start_reading()

    def _start_reading(self) -> None:
        self.reload()
        self._watch()
        self.set_interval(1, self._each_second)
        self.drill_watch()  # a drill already running (another console, the shell)

    def reload(self) -> None:
        """Read everything again: queue, counts, roster and the shown timeline."""
        self.full_reloads += 1
        self.queue.reload()
        self.roster.reload()
        self.timeline.reload()
        self.recount()

    def on_queue_view_selected(self, message: QueueView.Selected) -> None:
        """The queue cursor moved: show that incident's timeline."""
        self.timeline.load(message.incident_id)

    # -- periodic work ---------------------------------------------------------------

    def on_unmount(self) -> None:
        """The desk is going away (sign-out, quit): let its objects be collected again."""
        gc_policy.release()

    def _each_second(self) -> None:
        # The desk is up, or lazy imports grew it: its long-lived objects leave the
        # collector's walks; or it is quiet: the garbage waiting goes now, not in a
        # held key or a save (issue 16: full collections of 50-550 ms there at 1M).
        gc_policy.tick(covered=self.app.screen is not self)
        now = self.context.clock.now()
        minute = int(now.timestamp() // 60)
        if minute == self._minute:
            return
        first = self._minute == -1
        self._minute = minute
        settings = self.context.settings
        slot = shift_at(now, settings.day_shift_start, settings.night_shift_start, self.context.tz)
        if not first:
            self.recount()
            self.queue.refresh()  # countdowns are computed at draw time
            if slot.start_at != self._shift_start:
                self.roster.reload()
        self._shift_start = slot.start_at

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def recount(self) -> None:
        """Read the open and overdue counts again; the status line shows them."""
        from dutydesk.services.roster.daily_report import late_report

        worker = get_current_worker()
        db, now = self.context.db, self.context.clock.now()
        open_count, overdue = open_counts(db, now)
        late = late_report(db, now, self.context.rules)  # a desk-level clock, not an incident's
        if not worker.is_cancelled:
            self.post_message(self.Counts(open_count, overdue + (1 if late else 0), late))

    def on_main_screen_counts(self, message: MainScreen.Counts) -> None:
        """Show the counts in the status line; say once per day that the 零报告 is late."""
        self.query_one(StatusLine).set_counts(message.open_count, message.overdue_count)
        late = message.late_report
        if late is None or late.day in self._reports_notified:
            return
        self._reports_notified.add(late.day)
        due = late.due_at.astimezone(self.context.tz).strftime("%H:%M")
        text = t("daily_report.late", day=late.day.isoformat(), due=due)
        self.app.notify(text, severity="warning", timeout=30, markup=False)

    @work(thread=True, exclusive=True, group=WATCH_GROUP, exit_on_error=False)
    def _watch(self) -> None:
        # One long-lived worker, so one thread and one connection: SQLite's data_version
        # is per connection, and PostgreSQL's LISTEN holds a connection of its own
        # (dutydesk/storage/watch.py): another desk's commit wakes it at once.
        from dutydesk.storage.watch import change_watch

        worker = get_current_worker()
        db, clock = self.context.db, self.context.clock
        lead = self.context.rules.remind_before  # read here, off the event loop
        since = clock.now()
        watch = change_watch(db)
        # Where the chain stands, before the full read below: what is written after it
        # is in the next look (issue 16: another console's write reads only its rows).
        mark = self._mark()
        # A write between the first queue read and the watch's start would otherwise
        # go unseen until the next write: read once more now that the watch is on.
        self.post_message(self.Changed())
        lost = False
        looked = 0.0
        try:
            while not worker.is_cancelled:
                changed = watch.wait(CHANGE_POLL_SECONDS, worker.cancelled_event)
                self.watch_ticks += 1
                if changed:
                    mark, message = self._what_changed(mark)
                    self.post_message(message)
                if watch.lost != lost:
                    lost = watch.lost
                    self.post_message(self.Connection(lost))
                if lost:
                    continue  # nothing to ask a server that is not there
                if time.monotonic() - looked < POLL_SECONDS:
                    continue  # deadlines at their own, slower pace
                looked = time.monotonic()
                now = clock.now()
                if now <= since:
                    continue
                try:
                    passed = deadlines_passed(db, since, now)
                    soon = reminders_due(db, since, now, lead)
                except DatabaseError:
                    continue  # a busy or briefly unreadable store: look again next time
                since = now
                if passed:
                    self.post_message(self.Deadlines(passed))
                if soon:
                    self.post_message(self.Reminders(soon))
        finally:
            watch.close()

    def _mark(self) -> ChainMark | None:
        """Where the chain stands (watcher thread); ``None`` if the store cannot say."""
        try:
            return chain_mark(self.context.db)
        except DatabaseError:
            return None

    def _what_changed(self, mark: ChainMark | None) -> tuple[ChainMark | None, Changed]:
        """What another console changed since ``mark`` (watcher thread), and the next mark.

        The changed incidents' rows are read here, through the queue's gate (the viewer's
        clearance and 知悉范围, audited as any queue read), then the open count: the
        event loop only places them. Anything but a few incidents is a full read.
        """
        ctx = self.context
        try:
            if mark is None:
                return self._mark(), self.Changed()
            found = changes_since(ctx.db, mark)
            if found.incidents is None:
                return found.mark, self.Changed()
            rows = fetch_rows(
                ctx.db, found.incidents, ctx.clearance, viewer=ctx.viewer, now=ctx.clock.now()
            )
            changed = {incident_id: rows.get(incident_id) for incident_id in found.incidents}
            return found.mark, self.Changed(changed, found.fresh, count_open(ctx.db))
        except DatabaseError:
            return None, self.Changed()  # cannot tell: read everything, look afresh

    def on_main_screen_connection(self, message: MainScreen.Connection) -> None:
        """Say in the header (and once in a toast) that the server is gone, or back.

        What an officer is typing stays in its form. The watcher reconnects by itself
        and, once back, everything is read again (a ``Changed`` comes with it).
        """
        self.query_one(StatusLine).set_connection(lost=message.lost)
        key = "connection.lost" if message.lost else "connection.back"
        severity: SeverityLevel = "error" if message.lost else "information"
        self.app.notify(t(key), severity=severity, markup=False)

    def on_main_screen_changed(self, message: MainScreen.Changed) -> None:
        """Another console wrote: place its changed rows, or read everything again.

        Only incidents changed: their rows go to their places among the rows held (or
        the queue alone reloads, when a place cannot be known), the timeline is read
        again if it shows one of them, and the counts; the roster stays as it is.
        """
        if message.rows is None:
            self.reload()
            return
        if not self.queue.apply(message.rows, message.fresh, message.count):
            self.queue.reload()
        if self.timeline.incident_id in message.rows:
            self.timeline.reload()
        self.recount()

    def on_main_screen_deadlines(self, message: MainScreen.Deadlines) -> None:
        """Deadlines passed while the console is open: say so once per incident and step."""
        fresh = [item for item in message.passed if (item.id, item.due_step) not in self._notified]
        if not fresh:
            return
        for item in fresh:
            self._notified.add((item.id, item.due_step))
            step = t(f"step.{item.due_step}") if item.due_step else ""
            # A leader's instruction left unanswered is escalated, not only flagged.
            late = item.due_step in INSTRUCTION_STEPS
            text = t(
                "deadline.escalate" if late else "deadline.passed", serial=item.serial, step=step
            )
            severity: SeverityLevel = "error" if late else "warning"
            self.app.notify(safe(text).plain, severity=severity, timeout=30, markup=False)
        if self.context.settings.bell:
            self.app.bell()
        self.queue.refresh()  # the countdowns turn to "overdue"
        self.recount()

    def on_main_screen_reminders(self, message: MainScreen.Reminders) -> None:
        """催办: say once per instruction step that its deadline is near."""
        tz = self.context.tz
        for item in message.soon:
            key = (item.id, f"remind:{item.due_step}")
            if key in self._notified:
                continue
            self._notified.add(key)
            step = t(f"step.{item.due_step}") if item.due_step else ""
            when = item.due_at.astimezone(tz).strftime("%H:%M")
            text = t("deadline.remind", serial=item.serial, step=step, at=when)
            self.app.notify(safe(text).plain, severity="information", timeout=30, markup=False)

    @property
    def notified(self) -> frozenset[tuple[int, str | None]]:
        """The (incident id, step) pairs notified as overdue so far."""
        return frozenset(self._notified)

    def focus_pane(self, pane: str) -> None:
        """Focus the pane with id ``pane`` (queue, timeline or roster)."""
        if pane in PANES:
            self.query_one(f"#{pane}").focus()
