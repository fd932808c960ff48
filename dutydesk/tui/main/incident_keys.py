"""The main screen's actions on incidents: new intake, follow-up entries, edits, search.

Each opens a modal form; the form writes in its own thread worker and is dismissed with
what it did, and the callbacks here bring the panes up to date (the queue selects the
incident, the timeline shows the new entry) and say so in a toast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.worker import get_current_worker

from dutydesk.i18n import label, t
from dutydesk.services.incidents.timeline import IncidentDetail, fetch_editable
from dutydesk.tui.bindings import key
from dutydesk.tui.main.host import OnMainScreen
from dutydesk.tui.text import safe
from dutydesk.vocab import EntryKind

if TYPE_CHECKING:
    # The form screens are imported when their key is pressed, not at start-up: the edit
    # screen alone brings in SQLModel (~0.5 s here) through the services it reports on.
    from textual.notifications import SeverityLevel

    from dutydesk.tui.screens.copies import CopyResult
    from dutydesk.tui.screens.edit import EditResult
    from dutydesk.tui.screens.entry import EntryResult
    from dutydesk.tui.screens.intake import IntakeResult

ENTRY_KEYS: dict[EntryKind, str] = {
    EntryKind.VERIFIED: "v",
    EntryKind.PHONE_REPORT: "p",
    EntryKind.FIRST_REPORT: "f",
    EntryKind.CONTINUED_REPORT: "c",
    EntryKind.LEADER_INSTRUCTION: "i",
    EntryKind.ASSIGNMENT: "t",  # t for task (交办); a opens the trends
    EntryKind.SUPERVISION: "s",
    EntryKind.FEEDBACK: "d",
    EntryKind.NOTE: "o",
    EntryKind.CORRECTION: "x",
    EntryKind.FINAL_REPORT: "w",
    EntryKind.REOPENED: "r",
}
"""Direct keys of the follow-up kinds (``l`` lists them all, closing included)."""

ACTION_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    key("n", "new_incident", "new_incident"),
    key("l", "log", "log"),
    key("e", "edit", "edit"),
    key("slash", "search", "search", key_display="/"),
    key("m", "copy_movement", "copy_movement", show=False),
    *(
        key(letter, f"log_entry('{kind.value}')", f"log_{kind.value}", show=False)
        for kind, letter in ENTRY_KEYS.items()
    ),
]
"""The main screen's incident keys; ``h`` and ``b`` stay free for handover and bulletins."""


class IncidentActions(OnMainScreen):
    """Mixin for the main screen: the keys that act on incidents."""

    class Editable(Message):
        """An incident's editable values, read to fill the edit form."""

        def __init__(self, incident_id: int, found: tuple[int, str, dict[str, str]] | None) -> None:
            super().__init__()
            self.incident_id = incident_id
            self.found = found

    def _on_top(self) -> bool:
        """Act only when the main screen is the one in front (not under a form)."""
        front: object = self.host.app.screen  # a Screen; the host is one too
        return front is self.host

    def _say(self, text: str, severity: SeverityLevel = "information") -> None:
        # Stored text (serials, titles) goes through the sanitiser; never as markup.
        self.host.app.notify(safe(text).plain, severity=severity, markup=False)

    def _shown(self) -> IncidentDetail | None:
        """The incident the timeline shows, once read; says why when there is none."""
        detail = self.host.timeline.detail
        if detail is None or detail.id != self.host.timeline.incident_id:
            self._say(t("entry.no_incident"), "warning")
            return None
        if detail.restricted:
            self._say(t("entry.restricted", serial=detail.serial), "warning")
            return None
        return detail

    # -- intake --------------------------------------------------------------------------

    def action_new_incident(self) -> None:
        """Open the intake form."""
        from dutydesk.tui.screens.intake import IntakeScreen

        if self._on_top():
            self.host.app.push_screen(IntakeScreen(self.host.context), self._registered)

    def _registered(self, result: IntakeResult | None) -> None:
        if result is None:
            return
        # A new incident is one more open row (a linked report adds none): the queue puts
        # the row the save read back at its place among the rows it holds, or else
        # reloads and finds its place from the nearer end (issue 16).
        queue = self.host.queue
        if result.row is None or not queue.place(result.row):
            queue.reload(select=result.incident_id)
        self.host.timeline.load(result.incident_id)
        # The status line's counts (the overdue ones are a range of the queue's index):
        # after the new row is drawn, not beside it (the main screen's repaint comes first).
        self.host.call_after_refresh(self.host.recount)
        if result.linked:
            kind = label(EntryKind(result.kind))
            self._say(t("intake.linked", serial=result.serial, kind=kind))
        else:
            self._say(t("intake.saved", serial=result.serial))

    # -- follow-up -----------------------------------------------------------------------

    def action_log(self) -> None:
        """Choose a kind of entry, then fill it in."""
        from dutydesk.tui.screens.entry import LogChooser

        if not self._on_top() or self._shown() is None:
            return

        def chosen(kind: EntryKind | None) -> None:
            if kind is not None:
                self.action_log_entry(kind.value)

        self.host.app.push_screen(LogChooser(ENTRY_KEYS), chosen)

    def action_log_entry(self, kind: str) -> None:
        """Open the form of one kind of entry on the incident the timeline shows."""
        from dutydesk.tui.screens.entry import EntryScreen

        if not self._on_top():
            return
        detail = self._shown()
        if detail is not None:
            screen = EntryScreen(self.host.context, detail, EntryKind(kind))
            self.host.app.push_screen(screen, self._recorded)

    def _recorded(self, result: EntryResult | None) -> None:
        if result is None:
            return
        self.host.queue.reload(select=result.incident_id)
        self.host.timeline.reload()
        self.host.recount()
        self._say(
            t("entry.recorded", serial=result.serial, kind=label(result.kind), seq=result.seq)
        )

    # -- copies of a classified item ----------------------------------------------------

    def action_copy_movement(self) -> None:
        """A classified item's copy moves (呈批/传阅/清退/销毁, or is signed back)."""
        from dutydesk.tui.screens.copies import CopyScreen

        if not self._on_top():
            return
        detail = self._shown()
        if detail is None:
            return
        if not detail.classification.is_classified:
            self._say(t("register.not_classified", serial=detail.serial), "warning")
            return
        self.host.app.push_screen(CopyScreen(self.host.context, detail), self._copy_recorded)

    def _copy_recorded(self, result: CopyResult | None) -> None:
        if result is None:
            return
        self.host.timeline.reload()
        self._say(result.text)

    # -- edit ----------------------------------------------------------------------------

    def action_edit(self) -> None:
        """Read the incident's current values, then open the edit form."""
        if not self._on_top():
            return
        detail = self._shown()
        if detail is not None:
            self._read_editable(detail.id)

    @work(thread=True, exclusive=True, group="editable", exit_on_error=False)
    def _read_editable(self, incident_id: int) -> None:
        ctx = self.host.context
        found = fetch_editable(
            ctx.db, incident_id, ctx.clearance, viewer=ctx.viewer, now=ctx.clock.now()
        )
        if not get_current_worker().is_cancelled:
            self.host.post_message(self.Editable(incident_id, found))

    def on_incident_actions_editable(self, message: IncidentActions.Editable) -> None:
        """Open the edit form with the values read."""
        from dutydesk.tui.screens.edit import EditScreen

        if message.found is None:
            self._say(t("entry.no_incident"), "warning")
            return
        version, serial, values = message.found
        screen = EditScreen(self.host.context, message.incident_id, serial, version, values)
        self.host.app.push_screen(screen, self._edited)

    def _edited(self, result: EditResult | None) -> None:
        if result is None:
            return
        self.host.queue.reload(select=result.incident_id)
        self.host.timeline.reload()
        self.host.recount()
        self._say(t("edit.saved", serial=result.serial, version=result.version))

    # -- search --------------------------------------------------------------------------

    def action_search(self) -> None:
        """Open the search screen; a chosen result shows in the timeline pane."""
        from dutydesk.tui.screens.search import SearchScreen

        if not self._on_top():
            return

        def chosen(incident_id: int | None) -> None:
            if incident_id is not None:
                self.host.timeline.load(incident_id)
                self.host.queue.reload(select=incident_id)

        self.host.app.push_screen(SearchScreen(self.host.context), chosen)
