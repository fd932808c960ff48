"""The main screen's paper-trail keys: handover (``h``), bulletin (``b``), roster week, leave.

Trends (``a``) open from here too: a screen of figures, not of paper, but opened alike.

The screens they open are imported inside the actions, so the console's start-up does
not pay for them (first rows on screen are measured). The roster pane binds ``w`` and
``L`` to the last two (``screen.roster_week``, ``screen.leave``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding

from dutydesk.tui.bindings import key
from dutydesk.tui.text import safe_block

if TYPE_CHECKING:
    from dutydesk.tui.context import Context
    from dutydesk.tui.widgets.queue import QueueView
    from dutydesk.tui.widgets.timeline import TimelineView

PAPER_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    key("h", "handover", "desk.handover"),
    key("b", "bulletin", "desk.bulletin"),
    # Not in the footer: it is full at 120 columns; ? and the palette list it.
    key("a", "trends", "trends.open", show=False),
]
"""Main-screen keys of the handover, bulletin and trends screens."""


class PaperActions:
    """Mixin for the main screen: open the handover, bulletin, roster week and leave screens."""

    context: Context

    if TYPE_CHECKING:

        @property
        def queue(self) -> QueueView: ...  # noqa: D102 - declared by the main screen
        @property
        def timeline(self) -> TimelineView: ...  # noqa: D102
        def reload(self) -> None: ...  # noqa: D102

    def _front(self) -> bool:
        from textual.screen import Screen

        assert isinstance(self, Screen)
        return self.app.screen is self

    def _open(self, screen: object) -> None:
        from textual.screen import Screen

        assert isinstance(self, Screen) and isinstance(screen, Screen)

        def closed(result: object) -> None:
            # A form says what it did; whatever a screen wrote (acknowledgement, issue,
            # roster change, leave) shows in the panes once it is closed.
            if isinstance(result, str) and result:
                self.app.notify(safe_block(result).plain, markup=False)
            self.reload()

        self.app.push_screen(screen, closed)

    def action_handover(self) -> None:
        """Open the handover pack for now."""
        if self._front():
            from dutydesk.tui.screens.handover import HandoverScreen

            self._open(HandoverScreen(self.context))

    def action_bulletin(self) -> None:
        """Open a bulletin on the selected incident (more serials can be added)."""
        if self._front():
            from dutydesk.tui.screens.bulletin import BulletinScreen

            row = self.queue.selected
            self._open(BulletinScreen(self.context, [row.serial] if row else []))

    def action_trends(self) -> None:
        """Open the trends; an incident chosen there is selected in the queue."""
        if not self._front():
            return
        from textual.screen import Screen

        from dutydesk.tui.screens.trends import TrendsScreen

        assert isinstance(self, Screen)

        def chosen(incident_id: int | None) -> None:
            if incident_id is not None:
                self.timeline.load(incident_id)
                self.queue.reload(select=incident_id)

        self.app.push_screen(TrendsScreen(self.context), chosen)

    def action_roster_week(self) -> None:
        """Open the week's roster."""
        if self._front():
            from dutydesk.tui.screens.roster_week import RosterWeekScreen

            self._open(RosterWeekScreen(self.context))

    def action_leave(self) -> None:
        """Open the leave registration form."""
        if self._front():
            from dutydesk.tui.screens.leave import LeaveScreen

            self._open(LeaveScreen(self.context))
