"""Small modal questions used by the paper-trail screens: type a line, or pick one name.

:class:`PromptScreen` asks for one line (the incoming officers' names, a file path) and
dismisses with what was typed, or ``None`` on escape; a blank answer is refused in place
so the question stays. :class:`PickScreen` offers a list (the people who may sign a
bulletin off) and dismisses with the chosen value.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from dutydesk.i18n import t
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.text import safe
from dutydesk.tui.widgets.form import SafeInput


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; enter answers, escape cancels."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("escape", "cancel", "cancel"),
    ]

    def __init__(self, question: str, value: str = "", *, hint: str = "") -> None:
        super().__init__(classes="prompt")
        translate_bindings(self)
        self.question = question
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        """The question, the input, a hint or error line."""
        with Vertical(id="prompt-box"):
            yield Static(Content.styled(self.question, "bold"), id="prompt-question")
            yield SafeInput(self.value, id="prompt-input", compact=True)
            yield Static(Content.styled(self.hint, "dim"), id="prompt-hint")

    def on_mount(self) -> None:
        """Typing starts in the input."""
        self.query_one("#prompt-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: answer with the text, unless it is blank."""
        event.stop()
        if not event.value.strip():
            hint = self.query_one("#prompt-hint", Static)
            hint.update(Content.styled(t("form.error_blank"), "bold $text-error"))
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Escape: no answer."""
        self.dismiss(None)


class PickScreen(ModalScreen[str | None]):
    """Pick one of a few stored values (names); enter chooses, escape cancels."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("escape", "cancel", "cancel"),
    ]

    def __init__(self, title: str, values: list[str]) -> None:
        super().__init__(classes="prompt")
        translate_bindings(self)
        self.title_text = title
        self.values = values

    def compose(self) -> ComposeResult:
        """The values as a list, stored text made safe."""
        with Vertical(id="pick-box") as box:
            box.border_title = self.title_text
            yield OptionList(
                *(Option(safe(value), id=str(index)) for index, value in enumerate(self.values)),
                id="pick-list",
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: that value."""
        event.stop()
        assert event.option.id is not None
        self.dismiss(self.values[int(event.option.id)])

    def action_cancel(self) -> None:
        """Escape: nothing chosen."""
        self.dismiss(None)
