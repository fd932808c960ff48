"""A yes/no question in a small modal box (discard what was typed?)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from dutydesk.i18n import t
from dutydesk.tui.bindings import key, translate_bindings


class ConfirmScreen(ModalScreen[bool]):
    """Ask one question; ``y`` answers yes, ``n`` or escape no."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("y", "answer(True)", "yes"),
        key("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="confirm")
        translate_bindings(self)
        self.question = question

    def compose(self) -> ComposeResult:
        """The question and the keys that answer it."""
        with Vertical(id="confirm-box"):
            yield Static(Content(self.question), id="confirm-question")
            yield Static(Content.styled(t("form.yes_no"), "dim"), id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)
