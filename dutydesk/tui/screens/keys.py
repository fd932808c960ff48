"""The keys screen (``?``): every binding of the console with its description.

Textual's own key panel lists only the bindings active for the focused widget; a duty
officer asking "which keys are there?" wants all of them, grouped by where they work.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

from dutydesk.i18n import t
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.text import fit

_KEY_WIDTH = 16
_DESCRIPTION_WIDTH = 16


def binding_rows(node: DOMNode) -> list[tuple[str, str, str]]:
    """``(keys, description, tooltip)`` for each action bound on ``node``, keys merged.

    ``"down,j"`` is stored as two bindings of one action: they are shown as one row.
    """
    rows: dict[str, tuple[list[str], Binding]] = {}
    for _key, binding in node._bindings:
        if binding.system:
            continue
        shown = node.app.get_key_display(binding)
        keys, _first = rows.setdefault(binding.action, ([], binding))
        if shown not in keys:
            keys.append(shown)
    return [(" ".join(keys), b.description, b.tooltip) for keys, b in rows.values()]


class KeysScreen(ModalScreen[None], inherit_bindings=False):
    """A modal list of every key, by section; escape, ``?`` or ``q`` closes it."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("escape,question_mark,q", "dismiss_keys", "close"),
    ]

    def __init__(self, sections: Iterable[tuple[str, DOMNode]]) -> None:
        super().__init__(id="keys")
        translate_bindings(self)
        self._sections = list(sections)

    def compose(self) -> ComposeResult:
        """A scrollable table of keys in a bordered box."""
        with VerticalScroll(id="keys-box") as box:
            box.border_title = t("keys.title")
            box.border_subtitle = t("keys.close_hint")
            yield Static(self.table(), id="keys-table")

    def table(self) -> Content:
        """The keys as text: a heading per section, one line per action."""
        lines: list[Content] = []
        for title, node in [*self._sections, (t("keys.this_screen"), self)]:
            if lines:
                lines.append(Content(""))
            lines.append(Content.styled(title, "bold underline"))
            for keys, description, tooltip in binding_rows(node):
                lines.append(
                    Content.assemble(
                        fit(Content.styled(keys, "bold"), _KEY_WIDTH),
                        " ",
                        fit(Content(description), _DESCRIPTION_WIDTH),
                        " ",
                        Content.styled(tooltip, "dim"),
                    )
                )
        return Content("\n").join(lines)

    @property
    def text(self) -> str:
        """The plain text of the table (for tests)."""
        return self.table().plain

    def action_dismiss_keys(self) -> None:
        """Close the keys screen."""
        self.dismiss(None)
