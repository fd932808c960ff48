"""The common shape of the console's forms: a modal box of fields, a status line, keys.

Subclasses compose their fields with :meth:`FormScreen.field`, check them on save
(:meth:`FormScreen.refuse` marks a field in place, what was typed stays), write in a
thread worker and post :class:`FormScreen.Done` or :class:`FormScreen.Failed`. Escape
cancels, asking first when something was typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from textual import events, on
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea
from textual.worker import Worker, WorkerState

from dutydesk.i18n import t
from dutydesk.tui.base.read_only import refused
from dutydesk.tui.bindings import translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.screens.confirm import ConfirmScreen
from dutydesk.tui.text import safe_block
from dutydesk.tui.widgets.form import Field
from dutydesk.tui.workers import ReportsWorkerErrors

R = TypeVar("R")


class FormScreen(ReportsWorkerErrors, ModalScreen[R], Generic[R]):
    """A modal form over the main screen; dismissed with its result, or ``None``."""

    class Done(Message):
        """The write went through; ``result`` is what the form dismisses with."""

        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Failed(Message):
        """The write was refused; ``reason`` says why (and what to do instead)."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, context: Context) -> None:
        super().__init__(classes="form")
        translate_bindings(self)
        self.context = context

    @on(events.Mount)
    def _close_when_read_only(self) -> None:
        # Every form writes the desk's record: one without a desk role closes at once,
        # saying why, before anything can be typed (issue 17; tui/base/read_only.py).
        if refused(self, self.context):
            self.call_later(self._close_unsaved)

    def _close_unsaved(self) -> None:
        # Not awaited: a screen cannot await its own dismissal from its message handler.
        self.dismiss(None)

    # -- building --------------------------------------------------------------------

    def field(
        self, name: str, control: Widget, caption: str | None = None, note: Widget | None = None
    ) -> Field:
        """``control`` captioned ``field.<name>``, with an error line, id ``field-<name>``."""
        return Field(caption or t(f"field.{name}"), control, id=f"field-{name}", note=note)

    def control(self, name: str) -> Widget:
        """The control of field ``name``."""
        return self.query_one(f"#field-{name}", Field).control

    def text(self, name: str) -> str:
        """What field ``name`` holds now, exactly as typed."""
        control = self.control(name)
        if isinstance(control, TextArea):
            return control.text
        assert isinstance(control, Input)
        return control.value

    def refuse(self, name: str, reason: str | None) -> bool:
        """Mark field ``name`` invalid with ``reason`` (``None`` clears it); returns False."""
        self.query_one(f"#field-{name}", Field).set_error(reason)
        return False

    def typed_moment(self, name: str, untouched: str) -> datetime | None:
        """The past moment field ``name`` holds: now if it still shows ``untouched``.

        A time the officer typed is parsed (``02:14``, ``11-25 23:40``, ...); a bad one is
        marked on the field and ``None`` returned, what was typed staying.
        """
        from dutydesk.tui.moments import parse_past

        now, typed = self.context.clock.now(), self.text(name)
        if typed == untouched:
            self.refuse(name, None)
            return now
        try:
            moment = parse_past(typed, now=now, tz=self.context.tz)
        except ValueError as exc:
            self.refuse(name, str(exc))
            return None
        self.refuse(name, None)
        return moment

    def status(self, message: str, *, error: bool = False) -> None:
        """Say something on the form's status line (errors stay until the next action)."""
        line = self.query_one("#form-status", Static)
        line.set_class(error, "-error")
        content = safe_block(message, "bold" if error else "")
        # One line on a one-line status leaves the form's size as it is: a repaint, not a
        # layout of the whole form (issue 16: "Saving…" laid the form out, 5 ms of the
        # event loop, while the save's worker wrote).
        width, height = line.size
        same = height == 1 and "\n" not in content.plain and content.cell_length <= width
        line.update(content, layout=not same)

    @property
    def status_text(self) -> str:
        """What the status line says (for tests)."""
        return str(self.query_one("#form-status", Static).content)

    # -- outcome -----------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A save that failed unexpectedly says so on the form; the typing stays.

        Without this the status line kept "Saving…" while only a toast told of the
        failure (a PostgreSQL server gone mid-save; issue 15).
        """
        # The toast comes from ReportsWorkerErrors' own handler (Textual calls each class's
        # handler along the MRO); this one only keeps the form's status line true.
        failed = event.state is WorkerState.ERROR and event.worker.error is not None
        if failed and event.worker.group == "save":
            reason = safe_block(str(event.worker.error)).plain
            self.status(t("form.not_saved", reason=reason), error=True)

    def on_form_screen_done(self, message: FormScreen.Done) -> None:
        """Close the form with the result."""
        self.dismiss(message.result)

    def on_form_screen_failed(self, message: FormScreen.Failed) -> None:
        """Show why the write was refused; everything typed stays."""
        self.status(message.reason, error=True)

    @property
    def dirty(self) -> bool:
        """True when the officer has typed something (subclasses say what counts)."""
        return False

    def action_cancel(self) -> None:
        """Close without saving; ask first if something was typed."""
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen(t("form.discard")), answered)

    def show_hint(self, widget_id: str, text: str) -> None:
        """Fill a hint line under the fields."""
        self.query_one(f"#{widget_id}", Static).update(Content.styled(text, "dim"))
