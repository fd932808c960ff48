"""The main screen's paper-trail keys: handover (``h``), bulletin (``b``), roster week, leave.

Trends (``a``) open from here too: a screen of figures, not of paper, but opened alike.

The screens they open are imported inside the actions, so the console's start-up does
not pay for them (first rows on screen are measured). The roster pane binds ``w`` and
``L`` to the last two (``screen.roster_week``, ``screen.leave``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.worker import get_current_worker

from dutydesk.tui.bindings import key
from dutydesk.tui.main.host import OnMainScreen
from dutydesk.tui.text import safe_block

if TYPE_CHECKING:
    from dutydesk.services.bulletins.read import BulletinRef

PAPER_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    key("h", "handover", "desk.handover"),
    key("b", "bulletin", "desk.bulletin"),
    # Not in the footer: it is full at 120 columns; ? and the palette list it.
    key("a", "trends", "trends.open", show=False),
]
"""Main-screen keys of the handover, bulletin and trends screens."""


class PaperActions(OnMainScreen):
    """Mixin for the main screen: open the handover, bulletin, roster week and leave screens."""

    class Bulletins(Message):
        """The bulletins carrying the selected incident, read by a worker."""

        def __init__(self, serial: str | None, found: list[BulletinRef]) -> None:
            super().__init__()
            self.serial = serial
            self.found = found

    def _front(self) -> bool:
        front: object = self.host.app.screen  # a Screen; the host is one too
        return front is self.host

    def _open(self, screen: object) -> None:
        from textual.screen import Screen

        assert isinstance(screen, Screen)

        def closed(result: object) -> None:
            # A form says what it did; whatever a screen wrote (acknowledgement, issue,
            # roster change, leave) shows in the panes once it is closed.
            if isinstance(result, str) and result:
                self.host.app.notify(safe_block(result).plain, markup=False)
            self.host.reload()

        self.host.app.push_screen(screen, closed)

    def action_handover(self) -> None:
        """Open the handover pack for now."""
        if self._front():
            from dutydesk.tui.screens.handover import HandoverScreen

            self._open(HandoverScreen(self.host.context))

    def action_bulletin(self) -> None:
        """Open the selected incident's bulletin in the works, else start one.

        Its bulletins are read first (in a worker): a draft not issued yet opens instead
        of a duplicate, and the screen lists the others with their numbers and states.
        """
        if self._front():
            row = self.host.queue.selected
            self._read_bulletins(row.serial if row else None)

    @work(thread=True, exclusive=True, group="bulletins-of", exit_on_error=False)
    def _read_bulletins(self, serial: str | None) -> None:
        from dutydesk.services.bulletins.read import bulletins_of

        found = bulletins_of(self.host.context.db, serial) if serial else []
        if not get_current_worker().is_cancelled:
            self.host.post_message(self.Bulletins(serial, found))

    def on_paper_actions_bulletins(self, message: PaperActions.Bulletins) -> None:
        """Open the bulletin screen on what was read."""
        from dutydesk.tui.screens.bulletin import BulletinScreen

        if not self._front():
            return
        serials = [message.serial] if message.serial else []
        self._open(BulletinScreen(self.host.context, serials, others=message.found))

    def action_trends(self) -> None:
        """Open the trends; an incident chosen there is selected in the queue."""
        if not self._front():
            return
        from dutydesk.tui.screens.trends import TrendsScreen

        def chosen(incident_id: int | None) -> None:
            if incident_id is not None:
                self.host.timeline.load(incident_id)
                self.host.queue.reload(select=incident_id)

        self.host.app.push_screen(TrendsScreen(self.host.context), chosen)

    def action_roster_week(self) -> None:
        """Open the week's roster."""
        if self._front():
            from dutydesk.tui.screens.roster_week import RosterWeekScreen

            self._open(RosterWeekScreen(self.host.context))

    def action_leave(self) -> None:
        """Open the leave registration form."""
        if self._front():
            from dutydesk.tui.screens.leave import LeaveScreen

            self._open(LeaveScreen(self.host.context))
