"""A vocabulary ``Select`` that type-ahead reaches by every name an officer would type.

Textual's own type-ahead looks for the typed letters in the option's label, so in
Chinese (Ⅰ级 Ⅱ级 Ⅲ级 Ⅳ级 未定级) typing ``ii`` or ``2`` found nothing and the select
silently kept 未定级: a grade-II incident got a 6-hour clock instead of 30/60 minutes.
:class:`ChoiceSelect` matches the label, the stored code and extra keys per option
(:data:`SEVERITY_KEYS`: ``ii``, ``2``, ``Ⅱ``, ``二`` for grade II), in the open list and
on the closed select alike (tabbing through the form and typing ``2`` chooses grade II).
A pause ends a search on the closed select as it does in the open list, so a correction
typed after a first choice names its own grade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from textual import events
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import Select

# Textual keeps these two parts of Select private; the subclass replaces the overlay
# with one that searches as :func:`find_choice` does and keeps the current-value part.
from textual.widgets._select import SelectCurrent, SelectOverlay

SEVERITY_KEYS: Mapping[str, tuple[str, ...]] = {
    "I": ("i", "1", "Ⅰ", "一"),
    "II": ("ii", "2", "Ⅱ", "二"),
    "III": ("iii", "3", "Ⅲ", "三"),
    "IV": ("iv", "4", "Ⅳ", "四"),
    "unassessed": ("0", "-", "未"),
}
"""What an officer may type for each grade, in either language, besides its label."""

SEARCH_PAUSE = 0.7
"""Seconds without a key after which the next key starts a new search (Textual's open
list waits as long), so ``ii``, a pause, then ``iv`` is grade IV, not ``iii``."""


def find_choice(
    query: str, options: Sequence[tuple[str, str]], keys: Mapping[str, tuple[str, ...]]
) -> int | None:
    """The index of the option ``query`` names, or ``None``.

    ``options`` are ``(label, code)`` pairs. An exact name wins (label, code or one of
    ``keys[code]``: ``i`` is grade I, not the first label containing an i), then a name
    that starts with the query, then a label that contains it; ties go to the first.
    """
    wanted = query.strip().casefold()
    if not wanted:
        return None
    names = [
        (label.casefold(), tuple(name.casefold() for name in (label, code, *keys.get(code, ()))))
        for label, code in options
    ]
    tests: tuple[Callable[[tuple[str, ...], str], bool], ...] = (
        lambda every, _label: wanted in every,
        lambda every, _label: any(name.startswith(wanted) for name in every),
        lambda _every, label: wanted in label,
    )
    for test in tests:
        for index, (label, every) in enumerate(names):
            if test(every, label):
                return index
    return None


class _ChoiceOverlay(SelectOverlay):
    """The open list; its type-ahead asks :func:`find_choice` through its select."""

    def __init__(self, select: ChoiceSelect) -> None:
        super().__init__(type_to_search=True)
        self._select = select

    def _find_search_match(self, query: str) -> int | None:
        found = self._select.find(query)
        if found is None and len(query) > 1:
            # Nothing by that name: a new search from the last key (no timing involved).
            self._search_query = query[-1]
            found = self._select.find(query[-1])
        return found


class ChoiceSelect(Select[str]):
    """A ``Select`` of vocabulary codes whose type-ahead knows every name of an option."""

    def __init__(
        self,
        options: Sequence[tuple[str, str]],
        *,
        value: str,
        keys: Mapping[str, tuple[str, ...]] | None = None,
        compact: bool = True,
    ) -> None:
        """Build the select.

        Args:
            options: ``(label, code)`` pairs in the interface language.
            value: The code chosen at first.
            keys: Extra names per code (e.g. :data:`SEVERITY_KEYS`).
            compact: Textual's compact look, as every form uses.

        """
        super().__init__(options, value=value, allow_blank=False, compact=compact)
        self._labels = [(str(label), code) for label, code in options]
        self._keys = dict(keys or {})
        self._typed = ""
        self._search_timer: Timer | None = None
        self.search_pause = SEARCH_PAUSE
        """Seconds without a key that end a search (a test of matching may lengthen it)."""

    def compose(self) -> ComposeResult:
        """Textual's parts, with the overlay that searches by every name."""
        yield SelectCurrent(self.prompt)
        yield _ChoiceOverlay(self).data_bind(compact=Select.compact)

    @property
    def typed(self) -> str:
        """The keys of the current type-ahead search on the closed select ("" when none)."""
        return self._typed

    def find(self, query: str) -> int | None:
        """The index of the option ``query`` names (see :func:`find_choice`)."""
        return find_choice(query, self._labels, self._keys)

    def on_focus(self, _event: events.Focus) -> None:
        """Each visit starts a new search."""
        self._typed = ""

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """The closed select takes printable keys (space still opens the list)."""
        return character is not None and character.isprintable() and not character.isspace()

    def on_key(self, event: events.Key) -> None:
        """Type-ahead on the closed select: choose the option the keys so far name."""
        char = event.character
        if self.expanded or char is None or not char.isprintable() or char.isspace():
            return
        event.stop()
        event.prevent_default()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(self.search_pause, self._end_search)
        self._typed += char
        found = self.find(self._typed)
        if found is None:
            self._typed = char
            found = self.find(char)
        if found is not None:
            self.value = self._labels[found][1]

    def _end_search(self) -> None:
        """The officer paused: the next key starts a new search."""
        self._typed = ""
