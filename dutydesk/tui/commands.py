"""The command palette (ctrl+p): every console action by name, in the interface language."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from dutydesk.i18n import t

if TYPE_CHECKING:
    from dutydesk.tui.app import DutyDeskApp

# (catalog key of the command name, app action name, action argument)
_COMMANDS: tuple[tuple[str, str, str | None], ...] = (
    ("command.focus_queue", "focus_pane", "queue"),
    ("command.focus_timeline", "focus_pane", "timeline"),
    ("command.focus_roster", "focus_pane", "roster"),
    ("command.refresh", "refresh", None),
    ("command.help", "show_keys", None),
    ("command.quit", "quit", None),
)


class DutyDeskCommands(Provider):
    """Console actions for the palette; names are translated each time it opens."""

    def _commands(self) -> list[tuple[str, Callable[[], object]]]:
        app = cast("DutyDeskApp", self.app)
        commands: list[tuple[str, Callable[[], object]]] = []
        for name, action, argument in _COMMANDS:
            method = getattr(app, f"action_{action}")
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
