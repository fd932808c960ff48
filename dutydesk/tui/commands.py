"""The command palette (ctrl+p): every console action by name, in the interface language."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from dutydesk.i18n import t
from dutydesk.tui.entry_forms import FORMS

if TYPE_CHECKING:
    from dutydesk.tui.app import DutyDeskApp

# (catalog key of the command name, action name, action argument); "main." actions run
# on the main screen (they act on the incident it shows).
_COMMANDS: tuple[tuple[str, str, str | None], ...] = (
    ("command.new_incident", "main.new_incident", None),
    ("command.search", "main.search", None),
    ("command.log", "main.log", None),
    *((f"command.log_{kind.value}", "main.log_entry", kind.value) for kind in FORMS),
    ("command.edit", "main.edit", None),
    ("command.desk.handover", "main.handover", None),
    ("command.desk.bulletin", "main.bulletin", None),
    ("command.trends.open", "main.trends", None),
    ("command.drill.open", "main.drill", None),
    ("command.desk.roster_week", "main.roster_week", None),
    ("command.desk.leave", "main.leave", None),
    ("command.focus_queue", "focus_pane", "queue"),
    ("command.focus_timeline", "focus_pane", "timeline"),
    ("command.focus_roster", "focus_pane", "roster"),
    ("command.refresh", "refresh", None),
    ("command.session.sign_out", "sign_out", None),
    ("command.help", "show_keys", None),
    ("command.quit", "quit", None),
)


class DutyDeskCommands(Provider):
    """Console actions for the palette; names are translated each time it opens."""

    def _commands(self) -> list[tuple[str, Callable[[], object]]]:
        app = cast("DutyDeskApp", self.app)
        commands: list[tuple[str, Callable[[], object]]] = []
        for name, action, argument in _COMMANDS:
            target: object = app
            if app.check_action(action.removeprefix("main."), ()) is False:
                continue  # signed out, or no sign-in: nothing of the main screen to act on
            if action.startswith("main."):
                if app.signed_out:
                    continue
                target, action = app.main, action.removeprefix("main.")
            method = getattr(target, f"action_{action}")
            commands.append((t(name), partial(method, argument) if argument else method))
        return commands

    async def discover(self) -> Hits:
        """Every command, in a fixed order, before the user types."""
        for name, callback in self._commands():
            yield DiscoveryHit(name, callback, text=name)

    async def search(self, query: str) -> Hits:
        """Commands whose name fuzzily matches ``query``, best first."""
        matcher = self.matcher(query)
        for name, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name)
