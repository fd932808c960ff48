"""Form parts shared by the intake, follow-up and edit screens.

* :class:`SafeInput` and :class:`SafeTextArea`: what the officer typed or pasted is kept
  exactly (it is what gets stored), but escape sequences and control characters in it
  never reach the terminal while it is being edited. Textual draws an input's value as
  it is; a pasted ``ESC ] 52 ...`` would otherwise be sent to the terminal (clipboard
  write) by the form itself.
* :class:`Field`: a label, the control, and a line under it for the reason a value is
  refused, so an invalid field is marked in place and what was typed stays.
* :func:`choices`: the options of a vocabulary ``Select`` in the interface language.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label, Static, TextArea

from dutydesk.i18n import label

# Defined apart so the sign-in screen can draw it without TextArea; still importable here.
from dutydesk.tui.widgets.safe_input import SafeInput, drawable

__all__ = ["Field", "SafeInput", "SafeTextArea", "choices", "drawable"]


class SafeTextArea(TextArea):
    """A multi-line text area whose drawing drops control characters (the text keeps them).

    Pasted text is inserted whole (``TextArea`` never cuts a paste); the form stores
    exactly what the area holds. The cursor does not blink.
    """

    def on_mount(self) -> None:
        """A steady cursor."""
        self.cursor_blink = False

    def render_line(self, y: int) -> Strip:
        """Draw as ``TextArea`` does, minus control characters."""
        return drawable(super().render_line(y))


def choices(kind: type[StrEnum], members: Iterable[StrEnum] | None = None) -> list[tuple[str, str]]:
    """``(label, code)`` options of a vocabulary for a ``Select``, in the current language."""
    return [(label(member), member.value) for member in (members or list(kind))]


class Field(Vertical):
    """A labelled control with a line for its error under it."""

    def __init__(
        self, caption: str, control: Widget, *, id: str | None = None, note: Widget | None = None
    ) -> None:
        super().__init__(id=id, classes="field")
        self.caption = caption
        self.control = control
        self.note = note
        """A line under the control saying what the value means (e.g. the clocks it sets)."""
        self._error = Static(Content(""), classes="field-error")

    def compose(self) -> ComposeResult:
        """Caption, control, note (if any), error line."""
        yield Label(Content(self.caption), classes="field-label")
        yield self.control
        if self.note is not None:
            yield self.note
        yield self._error

    def set_error(self, reason: str | None) -> None:
        """Mark the field invalid with ``reason`` (``None`` clears it)."""
        if (reason or "") == self.error and self._error.display == bool(reason):
            return  # as shown: a save clears every field, and each update re-lays the form
        self.set_class(bool(reason), "-invalid")
        self._error.update(Content(reason or ""))
        self._error.display = bool(reason)

    def on_mount(self) -> None:
        """No error to start with: the line takes no room."""
        self._error.display = False

    @property
    def error(self) -> str:
        """The reason shown now ("" when valid)."""
        return str(self._error.content)
