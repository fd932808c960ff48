"""The dutydesk console: a Textual app over a :class:`~dutydesk.storage.engine.Database`.

The CLI imports this module only inside the command that opens the console and calls
:func:`run_console`. Tests build :class:`DutyDeskApp` exactly as production does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.screen import Screen
from textual.worker import Worker

from dutydesk.clock import Clock
from dutydesk.config import Settings
from dutydesk.i18n import set_language, t
from dutydesk.rules.sanitize import clean
from dutydesk.storage.engine import Database
from dutydesk.tui import gc_policy
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.session import context_for, guards_classified, record_sign_out
from dutydesk.tui.typed import after_typing
from dutydesk.vocab import Classification

if TYPE_CHECKING:
    # Types only: the auth service imports SQLModel (~0.5 s here), which must not be on
    # the way to the first frame.
    from textual.command import Provider

    from dutydesk.services.accounts.auth import Operator
    from dutydesk.services.incidents.queue import QueueRow

    # The desk (its panes, their services and rules, the palette's forms) is imported
    # when it opens: a console on the sign-in screen draws it first without them
    # (issue 16; tests/tui/test_console_imports.py).
    from dutydesk.tui.screens.main import MainScreen
    from dutydesk.tui.screens.sign_in import SignInScreen


def _desk_commands() -> type[Provider]:
    """The palette's dutydesk commands, imported when the palette first opens."""
    from dutydesk.tui.commands import DutyDeskCommands

    return DutyDeskCommands


SIGN_IN_MODE = "sign-in"
"""The mode of the sign-in screen (Textual's modes: one screen stack each)."""

DESK_MODE = "desk"
"""The mode of a signed-in operator: the main screen and whatever they open over it."""


class DutyDeskApp(App[None], inherit_bindings=False):
    """The duty officer's console: incident queue, follow-up timeline, shift roster."""

    CSS_PATH = "app.tcss"
    COMMANDS = {_desk_commands}  # noqa: RUF012 - Textual reads this class attribute
    BINDINGS = [  # noqa: RUF012
        key("ctrl+q", "quit", "quit", priority=True),
        key("question_mark", "show_keys", "help", key_display="?"),
        key("ctrl+p", "command_palette", "palette", priority=True),
        key("tab", "app.focus_next", "next_pane", show=False),
        key("shift+tab", "app.focus_previous", "previous_pane", show=False),
        key("1", "focus_pane('queue')", "focus_queue", show=False),
        key("2", "focus_pane('timeline')", "focus_timeline", show=False),
        key("3", "focus_pane('roster')", "focus_roster", show=False),
        # Not in the footer: the console reloads by itself when anything is written, and at
        # 120 columns the English footer cut the last key mid-word. ? and ^p list it.
        key("ctrl+r", "refresh", "refresh", show=False),
        key("ctrl+o", "sign_out", "session.sign_out", priority=True),
    ]

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        language: str,
        clearance: Classification = Classification.INTERNAL,
        first_rows: tuple[QueueRow, ...] | None = None,
        *,
        sign_in: bool = False,
        names: tuple[str, ...] | None = None,
    ) -> None:
        """Build the console.

        Args:
            db: The store; read only from thread workers.
            settings: Timezone, shift and handover times.
            clock: Where "now" comes from (a ``FrozenClock`` pins it for tests).
            language: ``"en"`` or ``"zh_CN"``.
            clearance: The viewer's clearance; classified rows above it show no content.
            first_rows: The top of the queue if the launcher already read it.
            sign_in: Open on the sign-in screen and run as whoever signs in; the
                launcher passes ``sign_in_required(db)``, read before the app starts.
            names: The names the sign-in screen lists, if the launcher already read them
                (then its first frame has them; otherwise a worker reads them).

        """
        set_language(language)
        if sign_in:
            # The sign-in mode is the default mode: until qc16c a blank default screen was
            # composed, laid out and drawn before the sign-in mode was entered (issue 16).
            # Textual reads DEFAULT_MODE from the instance, in its __init__.
            self.DEFAULT_MODE = SIGN_IN_MODE  # type: ignore[misc]
        super().__init__()
        self._start_names = names
        if sign_in:
            from dutydesk.tui.screens.sign_in import SIGN_IN_CSS

            # Parsed with the app's own at start, not again with everything when the
            # sign-in screen is first shown (see SIGN_IN_CSS).
            self.css_path.append(Path(SIGN_IN_CSS))
            # A mode of its own from the start, not the default screen: Textual waits for
            # a named mode's first screen to be mounted before the app takes any message,
            # so the name field has focus before the first key is routed. As the default
            # screen it was mounted while the app ran on: keys typed at its first frame
            # reached the screen before the field had focus and were lost (qc16d).
            self.add_mode(SIGN_IN_MODE, self._fresh(self._sign_in_screen))
        translate_bindings(self)
        self.language = language
        self.context = Context(
            db=db, settings=settings, clock=clock, clearance=clearance, first_rows=first_rows
        )
        """What the screens read through; replaced at each sign-in (see :mod:`.session`)."""
        self.base_context = self.context
        """The context before anyone signed in: what the sign-in screen reads through."""
        self.sign_in = sign_in
        """True if the database requires sign-in."""
        self.operator: Operator | None = None
        """The signed-in operator; ``None`` while signed out or without sign-in."""
        self._desk: MainScreen | None = None
        self.title = t("app.title")

    def get_default_screen(self) -> Screen[None]:
        """The main three-pane screen, or the sign-in screen if sign-in is required.

        With sign-in, the default mode is the sign-in mode (``DEFAULT_MODE`` and
        ``add_mode``, in ``__init__``) and the operator's desk a mode of its own (see
        :meth:`_enter`): Textual does not ask for this screen then, and if it ever did it
        would get the sign-in screen, never the desk.
        """
        if self.sign_in:
            return self._sign_in_screen()
        return self._open_desk()

    def _open_desk(self) -> MainScreen:
        from dutydesk.tui.screens.main import MainScreen

        self._desk = MainScreen(self.context)
        return self._desk

    def _sign_in_screen(self) -> Screen[None]:
        # Imported here: a console without sign-in never loads it (start-up time).
        from dutydesk.tui.screens.sign_in import SignInScreen

        # The launcher's names serve the first sign-in screen only: after a sign-out
        # the screen reads them again (someone may have been added meanwhile).
        names, self._start_names = self._start_names, None
        return SignInScreen(self.base_context, names=names)

    def _fresh(self, base: Callable[[], Screen[None]]) -> Callable[[], Screen[None]]:
        """``base`` for a mode: each screen it makes starts with the app's styles current."""

        def fresh() -> Screen[None]:
            screen = base()
            # A screen made just now has no styles to bring up to date. Textual takes its
            # unset count for stale and re-parses the whole stylesheet twice on the switch
            # (in _init_mode and switch_mode): 0.2-0.5 s between the PIN check and the
            # first rows on this machine (issue 16). Its own CSS file is still read and
            # applied when it is loaded (App._load_screen_css); a theme change later
            # bumps the app's count and refreshes it as before.
            screen._css_update_count = self._css_update_count
            return screen

        return fresh

    def _enter(self, mode: str, base: Callable[[], Screen[None]]) -> AwaitComplete:
        """Show a fresh ``mode`` built on ``base``; discard the other mode and its screens.

        Each sign-in and sign-out starts a new screen stack and removes the one left, so
        nothing of the previous operator (their desk, a form over it, a question) and
        nothing typed at the sign-in screen (the PIN) stays in the app.
        """
        left = self.current_mode
        self.add_mode(mode, self._fresh(base))
        self.switch_mode(mode)
        return self.remove_mode(left)

    @property
    def signed_out(self) -> bool:
        """True while no main screen exists (sign-in required and nobody signed in)."""
        return self._desk is None

    def on_mount(self) -> None:
        """No cursor blink: the screen only changes when the data or the clock does."""
        # The language is global to i18n; set it again in case another app instance in
        # the same process (tests draw both languages) changed it since __init__.
        set_language(self.language)
        # The launcher left the file's quick_check to a thread that waits for this: it
        # starts once the first frame is drawn, not on the core drawing it (issue 16).
        self.call_after_refresh(self.base_context.db.check_now)
        if self.context.settings.keymap:
            self._apply_keymap(self.context.settings.keymap)
        self._warn_loose_files()

    def _warn_loose_files(self) -> None:
        """A toast when others may read the database files; the console still opens."""
        from dutydesk.storage.private import loose_database_line

        line = loose_database_line(self.context.db.path)
        if line is not None:
            self.notify(clean(line), severity="warning", markup=False, timeout=30)

    def _apply_keymap(self, keymap: Mapping[str, str]) -> None:
        """Rebind the keys the config file names; say in one line what was left out."""
        # Imported here: it imports every screen, which a console without a keymap skips.
        from dutydesk.tui.keymap import check_keymap, default_keys

        usable, problems = check_keymap(keymap, default_keys())
        self.set_keymap(usable)
        if problems:
            line = t("keymap.ignored", problems="; ".join(problems))
            self.notify(clean(line), severity="warning", markup=False, timeout=30)

    @property
    def main(self) -> MainScreen:
        """The main screen (whatever screen is on top)."""
        assert self._desk is not None, "signed out: there is no main screen"
        return self._desk

    def action_show_keys(self) -> None:
        """Show every key on a screen of its own."""
        # Imported at the first ?, with the question below: neither is on the first frame.
        from dutydesk.tui.screens.keys import KeysScreen

        if isinstance(self.screen, KeysScreen):
            return
        main = self.main
        sections = [
            (t("keys.global"), self),
            (t("keys.incident"), main),
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

    async def action_quit(self) -> None:
        """Quit; when a screen holds text not yet saved, ask first (as escape does)."""
        self.ask_before_discarding(self.exit)

    # -- nothing typed is thrown away without asking (issue 10, defect 4) -------------

    @property
    def unsaved(self) -> bool:
        """True when any open screen (a form, a bulletin) holds typed text not yet saved."""
        return any(getattr(screen, "dirty", False) is True for screen in self.screen_stack)

    @after_typing
    def ask_before_discarding(self, then: Callable[[], Awaitable[None] | None]) -> None:
        """Run ``then`` now, or after "yes" to the discard question if text is unsaved.

        ``ctrl+q`` and ``ctrl+o`` are priority keys: they reach past every form, so they
        ask the same question escape asks on the form. "No" leaves everything as it was.
        """
        if not self.unsaved:
            self.call_later(then)
            return
        from dutydesk.tui.screens.confirm import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen):
            return  # a question is on screen already: it is answered first

        async def answered(discard: bool | None) -> None:
            if discard:
                result = then()
                if result is not None:
                    await result

        self.push_screen(ConfirmScreen(t("form.discard")), answered)

    def action_focus_pane(self, pane: str) -> None:
        """Focus one of the three panes by id."""
        if not self.signed_out and self.screen is self.main:
            self.main.focus_pane(pane)

    def action_refresh(self) -> None:
        """Read everything again from the store."""
        if not self.signed_out:
            self.main.reload()

    # -- operators (docs/architecture.md §7) ----------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide sign-out without sign-in, and the main screen's keys while signed out."""
        if action == "sign_out":
            return self.sign_in and not self.signed_out
        if action in {"show_keys", "refresh", "focus_pane"}:
            return not self.signed_out
        return True

    def on_sign_in_screen_signed_in(self, message: SignInScreen.SignedIn) -> None:
        """An operator signed in: open the main screen as them."""
        self.signed_in(message.operator, message.first_rows)

    def signed_in(self, operator: Operator, first_rows: tuple[QueueRow, ...] | None = None) -> None:
        """Run as ``operator`` from now on: their clearance, their name on every write.

        ``first_rows``, the top of the queue read as them in the PIN check's worker, are
        drawn in the main screen's first frame.
        """
        self.operator = operator
        self.context = context_for(self.base_context, operator, first_rows)
        self._enter(DESK_MODE, self._open_desk)

    def action_sign_out(self) -> None:
        """Back to the sign-in screen, closing every screen (asking if text is unsaved)."""
        if not self.sign_in or self.operator is None or self.signed_out:
            return
        self.ask_before_discarding(self._sign_out)

    async def _sign_out(self) -> None:
        operator = self.operator
        if operator is None or self.signed_out:
            return
        self.operator = None
        self.context = self.base_context
        self._desk = None
        # A new sign-in screen, so an empty name with the focus on it: the incoming officer
        # types their own name, never into the outgoing officer's PIN (that would count
        # against their lockout). The desk's whole stack goes with the old mode.
        await self._enter(SIGN_IN_MODE, self._sign_in_screen)
        gc_policy.sweep()  # the outgoing desk's screens, unfrozen, are freed now
        self.run_worker(
            lambda: record_sign_out(self.base_context.db, operator, self.base_context.clock.now()),
            thread=True,
            group="sign-out",
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed sign-out record becomes a notification, never a crash."""
        from dutydesk.tui.workers import report_failure

        report_failure(self, event)

    # -- no clipboard, no screenshots while classified text may be shown --------------

    def copy_to_clipboard(self, text: str) -> None:
        """Copy ``text``, unless the operator is cleared above internal (then refuse)."""
        if guards_classified(self.operator):
            self.notify(t("session.no_copy"), severity="warning", markup=False)
            return
        super().copy_to_clipboard(text)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save a screenshot, unless the operator is cleared above internal (then refuse)."""
        self.deliver_screenshot(filename, path)

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        """Deliver a screenshot, unless the operator is cleared above internal."""
        if guards_classified(self.operator):
            self.notify(t("session.no_screenshot"), severity="warning", markup=False)
            return None
        return super().deliver_screenshot(filename, path, time_format)


def run_console(
    db: Database,
    settings: Settings,
    clock: Clock,
    language: str,
    clearance: Classification = Classification.INTERNAL,
    first_rows: tuple[QueueRow, ...] | None = None,
    *,
    sign_in: bool = False,
    names: tuple[str, ...] | None = None,
) -> int:
    """Open the console in this terminal; return its exit code when the officer quits."""
    app = DutyDeskApp(
        db, settings, clock, language, clearance, first_rows, sign_in=sign_in, names=names
    )
    app.run()
    return app.return_code or 0
