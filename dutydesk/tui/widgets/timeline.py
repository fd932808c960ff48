"""The follow-up timeline pane (跟踪时间线) of the incident under the queue cursor."""

from __future__ import annotations

import threading
import time

from textual import work
from textual.content import Content
from textual.message import Message
from textual.worker import get_current_worker

from dutydesk.i18n import label, t
from dutydesk.services.incidents.timeline import (
    IncidentDetail,
    TimelineItem,
    fetch_detail,
    target_phrase,
)
from dutydesk.tui.context import Context
from dutydesk.tui.format import countdown, hhmm, report_number, short_date
from dutydesk.tui.text import fit, safe, safe_block
from dutydesk.tui.widgets.panes import TextPane
from dutydesk.vocab import EntryKind, MatterKind

DEBOUNCE_SECONDS = 0.08
"""Holding a key down moves the cursor 25-30 times a second: read only where it rests.

Longer than a key's repeat (33-40 ms), so a held key shows no timeline on the way
(issue 16: at 0.03 s every move read one and re-laid out the screen for it, 10-40 ms
of the event loop each, which the next key waited for); a single move shows its
incident 80 ms later. The wait restarts with each move inside one worker: a held key
starts one worker, not one per key (each start cancelled the last one's thread and
spawned another: 3 ms of the event loop per key under cProfile, a fifth of a move)."""

_LAYOUT_TRIES = 10
"""Frames to wait for a new text's layout before taking the pane's offset as it is."""

_KIND_WIDTH = 18
_ACTOR_WIDTH = 8


class TimelineView(TextPane):
    """An incident's header line and its timeline entries, newest last."""

    class Loaded(Message):
        """A worker read an incident's detail (``None``: it no longer exists)."""

        def __init__(self, incident_id: int, detail: IncidentDetail | None) -> None:
            super().__init__()
            self.incident_id = incident_id
            self.detail = detail

    incident_id: int | None = None
    """The incident shown (or being loaded)."""
    detail: IncidentDetail | None = None
    """The detail on screen."""

    def __init__(self, context: Context, *, id: str | None = None) -> None:
        super().__init__(context, id=id)
        self._lock = threading.Lock()
        """Guards the hand-over between :meth:`load` and a worker waiting for quiet."""
        self._asked_at = 0.0
        """When :meth:`load` was last called (``time.monotonic``)."""
        self._waiter: object | None = None
        """The token of the worker still in its quiet wait, if any: it reads the latest id."""

    def on_mount(self) -> None:
        """Start with a hint until the queue selects something."""
        self.border_title = t("pane.timeline")
        self.show(Content(t("app.no_selection")))

    def load(self, incident_id: int) -> None:
        """Show ``incident_id``: read it in a worker once the cursor rests.

        A worker already waiting for quiet is told the new id and waits again; only
        when none waits is one started (cancelling a read on its way, now stale).
        """
        with self._lock:
            self.incident_id = incident_id
            self._asked_at = time.monotonic()
            if self._waiter is not None:
                return
            token = self._waiter = object()
        self._read(incident_id, token=token)

    def reload(self) -> None:
        """Read the shown incident again (after another console wrote)."""
        if self.incident_id is not None:
            with self._lock:
                # The read below cancels any waiting one and reads the latest id.
                self._waiter = None
            self._read(self.incident_id)

    @work(thread=True, exclusive=True, group="timeline", exit_on_error=False)
    def _read(self, incident_id: int, token: object | None = None) -> None:
        """Read ``incident_id`` (with a ``token``: the latest asked for, after quiet)."""
        worker = get_current_worker()
        if token is not None:
            incident_id_now = self._quiet(token, worker.cancelled_event)
            if incident_id_now is None:
                return
            incident_id = incident_id_now
        ctx = self.context
        detail = fetch_detail(
            ctx.db,
            incident_id,
            ctx.clearance,
            viewer=ctx.viewer,
            now=ctx.clock.now(),
            rules=ctx.rules,
        )
        if not worker.is_cancelled:
            self.post_message(self.Loaded(incident_id, detail))

    def _quiet(self, token: object, cancelled: threading.Event) -> int | None:
        """Wait (worker thread) until no move came for the debounce; the id to read then.

        ``None`` when cancelled (a newer worker reads instead). Leaving the wait, the
        worker stops being the waiter under the lock, so a move after that starts a
        new worker rather than being lost.
        """
        while True:
            with self._lock:
                if self._waiter is not token:
                    return None  # a reload took over: its read is the latest
                remaining = self._asked_at + DEBOUNCE_SECONDS - time.monotonic()
                if remaining <= 0:
                    self._waiter = None
                    return None if cancelled.is_set() else self.incident_id
            if cancelled.wait(remaining):
                with self._lock:
                    if self._waiter is token:
                        self._waiter = None
                return None

    def on_timeline_view_loaded(self, message: TimelineView.Loaded) -> None:
        """Draw the detail that arrived, unless the cursor has moved on."""
        message.stop()
        if message.incident_id != self.incident_id:
            return
        # Follow new entries only if the officer was at the end: one who scrolled up to
        # read keeps their place. A different incident starts where it starts.
        before = self.detail
        same = before is not None and message.detail is not None and before.id == message.detail.id
        grew = same and len(message.detail.entries) > len(before.entries)  # type: ignore[union-attr]
        # At its end, or one line short of it: a re-wrap after the last follow can leave
        # the pane a line above its end, and it must go on following.
        follow = grew and self.scroll_y >= self.max_scroll_y - 1
        self.detail = message.detail
        if message.detail is None:
            self.border_title = t("pane.timeline")
            self.show(Content(t("app.no_selection")))
            return
        detail = message.detail
        title = t("pane.timeline_of", serial=detail.serial, title=detail.heading)
        self.border_title = safe(f"{t('drill.mark')} {title}" if detail.drill else title)
        content = self.render_detail(detail)
        if follow:
            # Only a text taller than the pane has an end to follow. Textual 8.2.8's
            # compositor sets an anchored pane's offset without clamping it, so anchoring
            # a text that fits put it at a negative offset: blank lines on top and the
            # newest entries out of sight, in this console and in every other one (found
            # by tests/e2e).
            follow = self._taller_than_pane(content)
        # Anchored, the pane stays at its end when the new text is laid out (its height is
        # not known before); any scroll by the officer releases the anchor. A second read
        # of the same entries (the officer's own save, then the watcher's) leaves the
        # anchor as it is: dropping it before the first read's text was laid out left the
        # pane short of its newest entry on a loaded machine (the e2e night in CI).
        if not same or grew:
            self.anchor(follow)
        self.show(content)
        if follow:
            self.call_after_refresh(self._to_end, again=True)

    def _taller_than_pane(self, content: Content) -> bool:
        """Whether ``content`` needs more lines than the pane shows."""
        width = self._body.content_size.width or self.scrollable_content_region.width
        # As Textual's own Widget.get_content_height does: the styles stand for the rules.
        height = content.get_height(self._body.styles, width)  # type: ignore[arg-type]
        return height > self.scrollable_content_region.height

    def _to_end(self, again: bool = False, tries: int = 0) -> None:
        if self.scroll_y < 0:
            # Never blank lines above the text (see on_timeline_view_loaded).
            shown = self._body.content
            taller = isinstance(shown, Content) and self._taller_than_pane(shown)
            if tries < _LAYOUT_TRIES and taller:
                # The compositor anchored the pane against the old, shorter text's
                # layout; the new text's comes on a later frame. Dropping the anchor here
                # left the pane at its top for good, newest entries out of sight (1 run
                # in 13 with four consoles on two cores): keep it and look again.
                self.scroll_to(y=0, animate=False, immediate=True, release_anchor=False)
                self.call_after_refresh(self._to_end, again, tries + 1)
                return
            self.anchor(False)
            self.scroll_to(y=0, animate=False, immediate=True)
            return
        # The scrollbar that the longer text brings narrows the pane by a column, and the
        # re-wrapped text can grow by a line after the anchored layout: look once more.
        if self.is_anchored and self.scroll_y < self.max_scroll_y:
            self.scroll_end(animate=False, immediate=True)
        if again:
            self.call_after_refresh(self._to_end)

    def render_detail(self, detail: IncidentDetail) -> Content:
        """The pane's text for ``detail``: a header line, then one line per entry."""
        tz = self.context.tz
        mark: list[Content | str] = []
        if detail.drill:  # 演练: every pane says so, whoever looks at it
            mark = [Content.styled(t("drill.mark"), "bold $text-warning"), " "]
        if detail.restricted:
            # Register mode: the register line is not content (issue 13).
            register: list[Content | str] = ["  ", safe(detail.register)] if detail.register else []
            return Content.assemble(
                *mark,
                safe(detail.serial, "bold"),
                "  ",
                hhmm(detail.received_at, tz),
                "  ",
                safe(f"[{label(detail.classification)}] {t('app.restricted')}", "bold"),
                *register,
            )
        facts = [
            # The kind only when it is not an emergency's: a request or a document runs
            # on other clocks, and the officer should see why.
            label(detail.matter_kind) if detail.matter_kind is not MatterKind.EMERGENCY else "",
            t("cli.sensitive") if detail.sensitive else "",
            label(detail.severity) if detail.severity else "",
            label(detail.category) if detail.category else "",
            label(detail.channel) if detail.channel else "",
            label(detail.status) if detail.status else "",
        ]
        parts: list[Content | str] = [
            *mark,
            safe(detail.serial, "bold"),
            "  ",
            safe(detail.heading, "bold"),
            "  ",
            safe(" · ".join(fact for fact in facts if fact), "dim"),
        ]
        # The next step, then every first-report clock still running (phone and
        # written both start at receipt: the officer sees each until it is met).
        clocks = [(detail.due_step, detail.due_at)] if detail.due_at is not None else []
        clocks += [clock for clock in detail.clocks if clock[0] != detail.due_step]
        for index, (step_code, due_at) in enumerate(clocks):
            due, overdue = countdown(due_at, self.context.clock.now())
            step = t(f"step.{step_code}") if step_code else ""
            parts += ["  " if index == 0 else " · "]
            parts += [Content.styled(f"{step} {due}".strip(), "bold" if overdue else "")]
        lines = [Content.assemble(*parts)]
        happened = (
            t("timeline.occurred", at=hhmm(detail.occurred_at, tz)) if detail.occurred_at else ""
        )
        where = " · ".join(
            part for part in (happened, detail.casualties, detail.location, detail.reporter) if part
        )
        if where:
            lines.append(safe(where, "dim"))
        if detail.summary:
            lines.append(safe_block(detail.summary))
        lines.append(Content(""))
        lines.extend(self._entry(entry) for entry in detail.entries)
        return Content("\n").join(lines)

    def _entry(self, entry: TimelineItem) -> Content:
        tz = self.context.tz
        if entry.kind is EntryKind.CONTINUED_REPORT and entry.report_no:
            kind = report_number(int(entry.report_no))
        else:
            kind = label(entry.kind)
        parts: list[Content | str] = [
            hhmm(entry.occurred_at, tz),
            " ",
            fit(Content.styled(kind, "bold"), _KIND_WIDTH),
            " ",
            fit(safe(entry.actor), _ACTOR_WIDTH),
            " ",
            safe_block(entry.text),
        ]
        if entry.target:
            parts += ["  ", safe(target_phrase(entry.kind, entry.target), "italic")]
        if entry.due_at is not None:
            due = f"{short_date(entry.due_at, tz)} {hhmm(entry.due_at, tz)}"
            parts += ["  ", Content.styled(t("timeline.due", date=due), "italic")]
        return Content.assemble(*parts)
