"""The dutydesk console: a Textual app over a :class:`~dutydesk.store.Database`.

The CLI imports this module only inside the command that opens the console and calls
:func:`run_console`. Tests build :class:`DutyDeskApp` exactly as production does.
"""

from __future__ import annotations

import os
import sys

from rich.text import Text
from textual.app import App
from textual.screen import Screen

from dutydesk.clock import Clock
from dutydesk.config import Settings
from dutydesk.i18n import set_language, t
from dutydesk.services.queue import QueueRow
from dutydesk.store import Database
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.commands import DutyDeskCommands
from dutydesk.tui.context import Context
from dutydesk.tui.screens.keys import KeysScreen
from dutydesk.tui.screens.main import MainScreen
from dutydesk.vocab import Classification


class DutyDeskApp(App[None], inherit_bindings=False):
    """The duty officer's console: incident queue, follow-up timeline, shift roster."""

    CSS_PATH = "app.tcss"
    COMMANDS = {DutyDeskCommands}  # noqa: RUF012 - Textual reads this class attribute
    BINDINGS = [  # noqa: RUF012
        key("ctrl+q", "quit", "quit", priority=True),
        key("question_mark", "show_keys", "help", key_display="?"),
        key("ctrl+p", "command_palette", "palette", priority=True),
        key("tab", "app.focus_next", "next_pane", show=False),
        key("shift+tab", "app.focus_previous", "previous_pane", show=False),
        key("1", "focus_pane('queue')", "focus_queue", show=False),
        key("2", "focus_pane('timeline')", "focus_timeline", show=False),
        key("3", "focus_pane('roster')", "focus_roster", show=False),
        key("ctrl+r", "refresh", "refresh"),
    ]

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        language: str,
        clearance: Classification = Classification.INTERNAL,
        first_rows: tuple[QueueRow, ...] | None = None,
    ) -> None:
        """Build the console.

        Args:
            db: The store; read only from thread workers.
            settings: Timezone, shift and handover times.
            clock: Where "now" comes from (a ``FrozenClock`` pins it for tests).
            language: ``"en"`` or ``"zh_CN"``.
            clearance: The viewer's clearance; classified rows above it show no content.
            first_rows: The top of the queue if the launcher already read it.

        """
        set_language(language)
        super().__init__()
        translate_bindings(self)
        self.language = language
        self.context = Context(
            db=db, settings=settings, clock=clock, clearance=clearance, first_rows=first_rows
        )
        self.title = t("app.title")

    def get_default_screen(self) -> Screen[None]:
        """The main three-pane screen."""
        return MainScreen(self.context)

    def on_mount(self) -> None:
        """No cursor blink: the screen only changes when the data or the clock does."""
        # The language is global to i18n; set it again in case another app instance in
        # the same process (tests draw both languages) changed it since __init__.
        set_language(self.language)

    @property
    def main(self) -> MainScreen:
        """The main screen (whatever screen is on top)."""
        screen = self.get_default_screen_instance()
        assert isinstance(screen, MainScreen)
        return screen

    def get_default_screen_instance(self) -> Screen[object]:
        """The bottom screen of the stack: the main screen."""
        return self.screen_stack[0]

    def action_show_keys(self) -> None:
        """Show every key on a screen of its own."""
        if isinstance(self.screen, KeysScreen):
            return
        main = self.main
        sections = [
            (t("keys.global"), self),
            (t("pane.queue"), main.queue),
            (t("pane.timeline"), main.timeline),
            (t("pane.roster"), main.roster),
        ]
        self.push_screen(KeysScreen(sections))

    def _fatal_error(self) -> None:
        """End the app after an unhandled exception with one line, never a traceback.

        Textual's default prints a traceback *with local variables*, which could carry
        stored (even classified) text to the terminal. ``DUTYDESK_DEBUG=1`` prints the
        traceback for a developer, still without locals.
        """
        self.bell()
        error = self._exception
        if os.environ.get("DUTYDESK_DEBUG") == "1" and error is not None:
            from rich.traceback import Traceback

            self._exit_renderables.append(
                Traceback.from_exception(type(error), error, error.__traceback__, show_locals=False)
            )
        else:
            name = type(error).__name__ if error is not None else "error"
            self._exit_renderables.append(
                Text(
                    f"dutydesk: unexpected error in the console ({name}); "
                    "run again with DUTYDESK_DEBUG=1 to see the details"
                )
            )
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """Print exit messages; our one-line errors go to stderr as plain, unwrapped text."""
        for renderable in self._exit_renderables:
            if isinstance(renderable, Text):
                print(renderable.plain, file=sys.stderr)
            else:
                self.error_console.print(renderable)
        self._exit_renderables.clear()

    def action_focus_pane(self, pane: str) -> None:
        """Focus one of the three panes by id."""
        if self.screen is self.main:
            self.main.focus_pane(pane)

    def action_refresh(self) -> None:
        """Read everything again from the store."""
        self.main.reload()


def run_console(
    db: Database,
    settings: Settings,
    clock: Clock,
    language: str,
    clearance: Classification = Classification.INTERNAL,
    first_rows: tuple[QueueRow, ...] | None = None,
) -> int:
    """Open the console in this terminal; return its exit code when the officer quits."""
    app = DutyDeskApp(db, settings, clock, language, clearance, first_rows)
    app.run()
    return app.return_code or 0
