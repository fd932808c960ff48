"""The sign-in screen: choose or type your name, type your PIN, Enter.

Shown instead of the main screen when the database requires sign-in (someone has a PIN),
at start and after signing out. Nothing from the record is on it: only the names of the
people who can sign in. The names are read and the PIN is checked in thread workers; a
refusal (wrong PIN with the tries left, a locked account with the time it opens again)
is the service's own message, shown in place, keeping the name and clearing the PIN.

After a PIN reset (issue 17) the service refuses with who reset it and when; the same
field then asks for the officer's own new PIN, twice, and the PIN they were given is
checked again with it, so the new one is set only by someone who knows the old.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from dutydesk.errors import DatabaseError
from dutydesk.i18n import t
from dutydesk.services.accounts.sign_in import operator_names
from dutydesk.tui.bindings import translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.session import context_for, import_orm, orm_imported
from dutydesk.tui.text import safe, safe_block
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.safe_input import SafeInput
from dutydesk.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.services.incidents.queue import QueueRow

SIGN_IN_CSS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "sign_in.tcss"))
"""The screen's stylesheet, spelt as Textual keys a file it has read (``os.path.abspath``).

The app reads it with its own at start when the console opens on this screen: Textual
then finds it loaded when the screen comes, where a file new to it would have it parse
every stylesheet again (app, widgets' defaults: ~15 ms before the first frame, issue 16).
Spelt ``../sign_in.tcss`` it was never found loaded (Textual compares the path as given).
"""


class SignInScreen(ReportsWorkerErrors, Screen[None], inherit_bindings=False):
    """Name and PIN; posts :class:`SignedIn` to the app when they match."""

    CSS_PATH = SIGN_IN_CSS

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        Binding("enter", "to_pin", show=False, priority=True),
    ]
    """Enter in the name field, taken as the app reads it, before the keys behind it.

    As the field's own binding, Enter was taken only after the keys already handed to the
    field: name, Enter and PIN typed in one burst (a fast typist, a paste) put the PIN in
    the name field, shown in clear. A priority binding runs when the app reads the key,
    so the PIN field has focus before the next key is handed on. Only in the name field
    (:meth:`check_action`): the PIN's Enter stays the field's own, after its digits.
    """

    class SignedIn(Message):
        """The PIN matched: the console may open as ``operator``."""

        def __init__(
            self, operator: Operator, first_rows: tuple[QueueRow, ...] | None = None
        ) -> None:
            super().__init__()
            self.operator = operator
            self.first_rows = first_rows
            """The top of the queue as ``operator`` sees it, read in the PIN check's worker
            (``None`` if that read failed: the main screen's own read then says why)."""

    class Names(Message):
        """The names of the people who can sign in, read by a worker."""

        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names

    class Refused(Message):
        """The service refused the sign-in; ``text`` says why.

        ``reset`` is set when the PIN matched but was reset by someone else: the screen
        then asks for a new one.
        """

        def __init__(self, text: str, *, reset: bool = False) -> None:
            super().__init__()
            self.text = text
            self.reset = reset

    def __init__(
        self, context: Context, *, name: str = "", names: Sequence[str] | None = None
    ) -> None:
        """Build the screen.

        Args:
            context: The console's base context (the store, settings and clock).
            name: A name to start with (the one who just signed out, say).
            names: The names to list, if already read (the launcher reads them before
                the app starts, so the first frame has them); ``None``: a worker reads them.

        """
        super().__init__(id="sign-in")
        translate_bindings(self)
        self.context = context
        self._start_name = name
        self._names: list[str] = [] if names is None else list(names)
        self._names_given = names is not None
        self._given_pin: str | None = None
        """The PIN someone else set, kept while its owner types a new one twice."""
        self._first_new: str | None = None
        self._orm_started = False

    def compose(self) -> ComposeResult:
        """A centred box: title, name, the list of names, PIN, the message line."""
        with Vertical(id="sign-in-box"):
            yield Static(t("session.title"), id="sign-in-title")
            yield Static(t("session.hint"), id="sign-in-hint")
            yield SafeInput(self._start_name, placeholder=t("session.name"), id="sign-in-name")
            # Names given: listed in the first frame, not set after it (a second layout).
            shown = self._shown(self._start_name)
            names = OptionList(*(Option(safe(name), id=name) for name in shown), id="sign-in-names")
            names.highlighted = 0 if shown else None
            yield names
            yield SafeInput(placeholder=t("session.pin"), password=True, id="sign-in-pin")
            yield Static("", id="sign-in-message")
        yield KeysFooter()

    @property
    def name_input(self) -> Input:
        """The name field."""
        return self.query_one("#sign-in-name", Input)

    @property
    def pin_input(self) -> Input:
        """The PIN field (shown as dots)."""
        return self.query_one("#sign-in-pin", Input)

    @property
    def message(self) -> Static:
        """The line where a refusal is shown."""
        return self.query_one("#sign-in-message", Static)

    def on_mount(self) -> None:
        """Focus the name (or the PIN if the name is known) and read the names."""
        # Focused now, not through Widget.focus() (a callback queued behind the app's
        # messages, keys typed meanwhile among them): the app waits for this screen to
        # be mounted before it routes any key (DutyDeskApp.__init__), so the first key
        # typed goes to this field, and the ones after it behind it, in order.
        self.set_focus(self.pin_input if self._start_name else self.name_input)
        if not self._names_given:
            self._read_names()

    @work(thread=True, exclusive=True, group="sign-in-names", exit_on_error=False)
    def _read_names(self) -> None:
        names = operator_names(self.context.db)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Names(names))

    def on_sign_in_screen_names(self, message: SignInScreen.Names) -> None:
        """Show the names, filtered by what is typed."""
        self._names = message.names
        self._show_names(self.name_input.value)

    @on(Input.Changed)
    def _typing(self, _event: Input.Changed) -> None:
        # At the first thing typed, the ORM the PIN check writes with is imported in a
        # thread while the officer goes on typing (issue 16: 0.4 s after Enter otherwise),
        # not before: the screen's first frame and names come first, on a free core.
        if not self._orm_started:
            self._orm_started = True
            self._import_orm()

    @work(thread=True, exclusive=True, group="sign-in-orm", exit_on_error=False)
    def _import_orm(self) -> None:
        import_orm()

    def _shown(self, typed: str) -> list[str]:
        wanted = typed.strip().casefold()
        return [name for name in self._names if wanted in name.casefold()] or self._names

    def _show_names(self, typed: str) -> None:
        shown = self._shown(typed)
        names = self.query_one("#sign-in-names", OptionList)
        names.set_options(Option(safe(name), id=name) for name in shown)
        names.highlighted = 0 if shown else None

    @on(Input.Changed, "#sign-in-name")
    def _name_typed(self, event: Input.Changed) -> None:
        self._show_names(event.value)

    @on(OptionList.OptionSelected, "#sign-in-names")
    def _name_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.name_input.value = event.option.id
        self.pin_input.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter moves to the PIN only from the name field; elsewhere it is the widget's."""
        if action == "to_pin":
            return self.focused is self.name_input
        return True

    def action_to_pin(self) -> None:
        """The name is typed: on to the PIN, at once (see :attr:`BINDINGS`)."""
        self.set_focus(self.pin_input)

    @on(Input.Submitted, "#sign-in-pin")
    def _pin_entered(self, _event: Input.Submitted) -> None:
        name = self.name_input.value.strip()
        if not name:
            self.message.update(t("session.name_needed"))
            self.name_input.focus()
            return
        pin = self.pin_input.value
        self.pin_input.value = ""
        if self._given_pin is not None and self._first_new is None:
            self._first_new = pin  # the new PIN once: ask for it again
            self.pin_input.placeholder = t("session.new_pin_again")
            return
        new_pin = None
        if self._given_pin is not None:
            new_pin, first, pin = pin, self._first_new, self._given_pin
            if new_pin != first:
                self._ask_new_pin(t("auth.pin_mismatch"))
                return
        self.pin_input.disabled = True
        self.message.update(t("session.checking"))
        self._check(name, pin, new_pin)
        if orm_imported():
            # The desk's modules (its panes, their services), imported here while the
            # check hashes the PIN in its thread (scrypt lets go of the GIL): the main
            # screen then opens without importing them, after the check (issue 16). Only
            # once the ORM is in: two threads importing at once may each hold a module the
            # other needs (both graphs share a few dutydesk modules), a deadlock error in
            # one of them. Enter typed before that: the main screen imports them, as before.
            import dutydesk.tui.screens.main  # noqa: F401

    def _ask_new_pin(self, text: str) -> None:
        """Ask for the officer's own new PIN (twice) in the PIN field, saying why."""
        self._first_new = None
        self.pin_input.placeholder = t("session.new_pin")
        hint = t("session.new_pin_hint")
        self.message.update(safe_block(f"{text}\n{hint}", "$text-warning", cut=False))
        self.pin_input.disabled = False
        self.pin_input.focus()

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _check(self, name: str, pin: str, new_pin: str | None = None) -> None:
        ctx = self.context
        import_orm()  # done already unless Enter came before the import in the background
        # The auth service (hashlib, the access rules) came with the ORM, in a thread from
        # the first key typed, not on the way to the screen's first frame (issue 16).
        from dutydesk.services.accounts import auth

        try:
            operator = auth.authenticate(
                ctx.db, name, pin, ctx.clock.now(), settings=ctx.settings, new_pin=new_pin
            )
        except auth.NewPinRequired as error:
            self._given_pin = pin
            self.post_message(self.Refused(str(error), reset=True))
            return
        except auth.AuthError as error:
            self.post_message(self.Refused(str(error), reset=new_pin is not None))
            return
        self.post_message(self.SignedIn(operator, _first_rows(ctx, operator)))

    def on_sign_in_screen_refused(self, message: SignInScreen.Refused) -> None:
        """Say why in place; keep the name, the PIN field is already empty."""
        if message.reset and self._given_pin is not None:
            self._ask_new_pin(message.text)
            return
        self.message.update(safe(message.text, "$text-error"))
        self.pin_input.disabled = False
        self.pin_input.focus()

    @on(Input.Changed, "#sign-in-name")
    def _name_changed(self, _event: Input.Changed) -> None:
        # Another name: the PIN field asks for a PIN again, not a new one.
        if self._given_pin is not None:
            self._given_pin = self._first_new = None
            self.pin_input.placeholder = t("session.pin")


def _first_rows(context: Context, operator: Operator) -> tuple[QueueRow, ...] | None:
    """The top of the queue as ``operator`` sees it (thread workers only).

    Read here, in the PIN check's worker, so the main screen's first frame has its rows,
    as the launcher's pre-read gives them without sign-in: no worker round trip after
    the switch, nor a second layout and full redraw when they land (issue 16, PIN -> rows).
    The main screen still reads everything again on mount; this window is the one it
    shows first. Same read and same audit as the queue's own (a view of classified
    titles is one event, and the same window read again soon is the same view).
    """
    from dutydesk.services.incidents.queue import BLOCK_ROWS, fetch_window

    seen = context_for(context, operator)
    try:
        rows = fetch_window(
            seen.db, 0, BLOCK_ROWS, seen.clearance, viewer=seen.viewer, now=seen.clock.now()
        )
    except DatabaseError:
        return None
    return tuple(rows)
