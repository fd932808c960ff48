"""The footer's keys mount in their final style (issue 16: PIN to rows).

Textual's ``FooterKey`` defaults to compact and is then bound to the footer's own
``compact``, so each key restyled twice on mount: the largest single part of the time
from the PIN check to the queue's rows. ``KeysFooter`` gives each key the footer's value
first. What is drawn must not change (the snapshot tests compare every screen).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets._footer import FooterKey

from dutydesk.tui.widgets.footer import KeysFooter

TUI = Path(__file__).resolve().parents[2] / "dutydesk" / "tui"


class _Keys(App[None]):
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding(key, f"bell_{key}", f"key {key}") for key in "abcdefghij"
    ]

    def __init__(self, *, compact: bool) -> None:
        super().__init__()
        self.compact = compact

    def compose(self) -> ComposeResult:
        footer = KeysFooter()
        footer.compact = self.compact
        yield footer


@pytest.mark.parametrize("compact", [False, True])
async def test_footer_keys_are_styled_once_in_the_footers_style(
    compact: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    restyled: list[DOMNode] = []
    update = DOMNode.update_node_styles

    def counted(self: DOMNode, animate: bool = True) -> None:
        if isinstance(self, FooterKey):
            restyled.append(self)
        update(self, animate)

    monkeypatch.setattr(DOMNode, "update_node_styles", counted)
    app = _Keys(compact=compact)
    async with app.run_test(size=(120, 5)) as pilot:
        await pilot.pause()
        keys = list(app.query(FooterKey))
        assert len(keys) == 10
        assert all(key.has_class("-compact") is compact for key in keys)
        assert all(key.compact is compact for key in keys)
        # Not compact: no class to change, so no restyle at all (Textual's own footer
        # restyles each key twice: -compact added by the key's default, then removed).
        # Compact: the class is added once, by the footer's binding.
        assert len(restyled) == (len(keys) if compact else 0)


def test_every_screen_uses_the_keys_footer() -> None:
    plain = [
        str(path.relative_to(TUI))
        for path in TUI.rglob("*.py")
        if re.search(r"(?<!Keys)Footer\(", path.read_text(encoding="utf-8"))
        and path.name != "footer.py"
    ]
    assert plain == []
