"""The latest state fact of each row of one watched table, ~8 bytes a row (issue 16).

``verify`` notes, walking the chain, the link of every watched row's latest state fact
(:func:`.state_check.note`), and compares each row with it afterwards: a million
incidents are a million entries held at once. In a dict of text keys they took about
190 bytes each (verify's peak 264 MB at 1M incidents against 112 MB at 200k). Here a row
whose key is a plain number, as every ``id INTEGER`` key is, is held at that place in an
array of 8-byte numbers; any other key (``a:b`` of a composite key, a number written
otherwise, a number far past every other) goes to a dict.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

DENSE_FROM_ANY = 1 << 22
"""Keys below this are always held in the array (at most 32 MB for a table whose keys
reach it); a larger key only while it is below :data:`SPREAD` times the rows held."""

SPREAD = 4
"""How far past the rows held a key may reach and still be held in the array: the array
costs 8 bytes a place, the dict ~190 a row, so a quarter filled is still smaller."""

_NONE = 0
"""An empty place: no link is numbered 0 (``chain_seq`` starts at 1)."""


class RowFacts:
    """Row key (text, as :func:`.state_facts.key_of` makes it) -> the link of its fact.

    The link's number, negative when the fact says the row was deleted. The operations
    are those ``verify`` uses, with a dict's meaning: set, :meth:`pop`, :meth:`items`,
    :meth:`update` (a later stretch's facts over an earlier one's), iteration, ``len``.
    """

    __slots__ = ("_count", "_dense", "_other")

    def __init__(self, pairs: Iterable[tuple[str, int]] = ()) -> None:
        """Hold ``pairs`` (row, link); a later pair of a row replaces an earlier one."""
        self._dense = array("q")
        self._count = 0
        """Places in the array holding a link."""
        self._other: dict[str, int] = {}
        for row, seq in pairs:
            self[row] = seq

    def _place(self, row: str, grow: bool) -> int | None:
        """Where ``row`` is (or would be) held in the array; ``None``: in the dict."""
        # Only the number's own spelling: "012" is another key than "12".
        if not (0 < len(row) <= 18 and row.isascii() and row.isdigit()):
            return None
        if row[0] == "0" and row != "0":
            return None
        place = int(row)
        if place < len(self._dense):
            return place
        if not grow:
            return None
        if place >= DENSE_FROM_ANY and place >= SPREAD * (self._count + len(self._other) + 1):
            return None
        # Grown by half again at least, so that rows noted in order cost few copies.
        size = max(place + 1, len(self._dense) * 3 // 2)
        dense = self._dense
        dense.frombytes(bytes(dense.itemsize * (size - len(dense))))  # zeros: no link
        return place

    def __setitem__(self, row: str, seq: int) -> None:
        """Hold ``seq`` as ``row``'s latest link."""
        place = self._place(row, grow=True)
        if place is None:
            self._other[row] = seq
            return
        if self._other:
            # Put in the dict while the array was shorter, and in its reach now.
            self._other.pop(row, None)
        if self._dense[place] == _NONE:
            self._count += 1
        self._dense[place] = seq

    def pop(self, row: str, default: int = 0) -> int:
        """Take ``row``'s link out (``default`` when none is held)."""
        place = self._place(row, grow=False)
        if place is None or self._dense[place] == _NONE:
            return self._other.pop(row, default)
        seq = self._dense[place]
        self._dense[place] = _NONE
        self._count -= 1
        return seq

    def items(self) -> Iterator[tuple[str, int]]:
        """Every (row, link) held: the array's in key order, then the dict's."""
        for place, seq in enumerate(self._dense):
            if seq != _NONE:
                yield str(place), seq
        yield from self._other.items()

    def update(self, later: RowFacts) -> None:
        """Take ``later``'s links over these (a later stretch of the chain's)."""
        for row, seq in later.items():
            self[row] = seq

    def __iter__(self) -> Iterator[str]:
        """The rows held."""
        return (row for row, _seq in self.items())

    def __len__(self) -> int:
        """How many rows have a link held."""
        return self._count + len(self._other)

    def __eq__(self, other: object) -> bool:
        """The same rows with the same links, however each is held."""
        if not isinstance(other, RowFacts):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dict it stands for

    def __repr__(self) -> str:
        """``RowFacts({...})``, as a dict shows the same rows."""
        return f"RowFacts({dict(self.items())!r})"
