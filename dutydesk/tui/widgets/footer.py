"""The keys line at the bottom of every screen: Textual's footer, rebuilt only on a change.

Textual's :class:`~textual.widgets.Footer` removes and mounts all its keys again each
time its screen says its bindings may have changed: on every focus change and on every
screen switch, the keys being the same or not. A recompose is a layout of the whole
screen. On the main screen that cost twice per form (issue 16): once when the form
opened, with the main screen in the background, which left that screen owing a layout
it paid when the form closed, in the frame that draws the saved incident's row, and
once more right after. :class:`KeysFooter` draws what Textual's draws and recomposes
only when the keys it would show differ from the ones it shows.

When it does compose, each key mounts in its final style. Textual's ``FooterKey``
starts out compact (its ``compact`` reactive defaults to true) and the footer then binds
it to its own ``compact`` (false): each key on mount added the ``-compact`` class,
restyled, removed it and restyled again. For the main screen's twenty-odd keys that was
the largest single part of the time from the PIN check to the queue's rows (issue 16:
~180 of ~1,000 profiled ms). Each key is now given the footer's value before it mounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

# Not exported by textual.widgets; textual is pinned exactly (pyproject.toml), and
# tests/tui/test_footer.py fails if this stops being the class the footer composes.
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


class KeysFooter(Footer):
    """A :class:`~textual.widgets.Footer` that recomposes only when its keys change."""

    def __init__(self, *, show_command_palette: bool = False) -> None:
        """A footer; the command palette's key is left out unless asked for."""
        super().__init__(show_command_palette=show_command_palette)
        self._shown: object = None
        """What the keys were when last composed (``None``: nothing composed yet)."""

    def keys(self) -> object:
        """What :meth:`compose` would show now: every shown key, as drawn, and its state.

        Textual's compose reads the screen's active bindings (the focused widget's, its
        ancestors', the screen's and the app's), each binding's key as displayed (the
        keymap may change it), whether it is enabled and its tooltip, and the compact
        and palette settings; so does this.
        """
        app = self.app
        active = self.screen.active_bindings
        shown = tuple(
            (binding, app.get_key_display(binding), enabled, tooltip)
            for (_, binding, enabled, tooltip) in active.values()
            if binding.show
        )
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            found = active.get(app.COMMAND_PALETTE_BINDING)
            palette = None if found is None else found[1:]
        return (shown, palette, self.compact)

    def compose(self) -> ComposeResult:
        """Textual's keys, remembering what they were drawn from, each in its final style."""
        self._shown = self.keys() if self._bindings_ready else None
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Recompose (as Textual's footer does) only if the keys shown would change."""
        if self._bindings_ready and self.is_attached and self.keys() == self._shown:
            return
        super().bindings_changed(screen)
