"""How alike two reports are, for the duplicate warning at intake. Pure, no I/O.

Summaries are compared by the Jaccard index of their character bigrams (pairs of
adjacent characters) after normalising: case folded, full-width forms folded (NFKC),
whitespace and punctuation dropped. Bigrams suit Chinese, which has no spaces between
words: 幸福路燃气爆炸 and 幸福路发生燃气爆炸 share most pairs. A text of one character
is compared as that character. Two reports count as very similar at 0.6 or more: a
callback about the same event in other words typically scores 0.6-0.8, two unrelated
reports from the same district 0.1-0.3.

Places are the same when their normalised forms are equal (幸福路 12 号 = 幸福路12号).
"""

from __future__ import annotations

import unicodedata
from functools import cache

SIMILAR_SUMMARY = 0.6
"""Bigram Jaccard index at or above which two summaries are "very similar"."""
COMPARED_CHARS = 2000
"""Only the opening of a summary is compared: it says what happened and where, and a
1 MB paste would otherwise cost seconds per candidate on every keystroke's check."""


class _Dropped(dict[int, int | None]):
    """``str.translate`` table: whitespace, punctuation, symbols and controls to nothing.

    Filled per code point on first sight, so translating runs in C: a character-by-character
    category test was half the cost of a 10,000-incident handover pack's emerging issues.
    """

    def __missing__(self, code: int) -> int | None:
        kept = unicodedata.category(chr(code))[0] not in {"Z", "P", "S", "C"}
        value = code if kept else None
        self[code] = value
        return value


_DROPPED = _Dropped()


@cache
def _narrowed() -> list[int | str]:
    """``str.translate`` table of the BMP: full-width forms and 　 to what NFKC makes them.

    Chinese text is full of them (，：（）), and one in a text sends ``unicodedata.normalize``
    from its quick check to the full normalisation (most of ``normalise``'s cost on a
    10,000-incident night's summaries, issue 16). Each maps to its compatibility
    decomposition, which NFKC starts from anyway, so the result is the same
    (tests/test_trends.py compares every code point); a list, not a dict: every BMP
    character is found, none raises a miss. Made at the first call (about 5 ms), not at
    import: the CLI's import time is counted (issue 16).
    """
    table: list[int | str] = list(range(0x10000))
    for code in (*range(0xFF01, 0xFF5F), 0x3000):
        table[code] = unicodedata.normalize("NFKC", chr(code))
    return table


def normalise(text: str) -> str:
    """Fold case and width, and drop whitespace, punctuation and symbols."""
    narrowed = text.translate(_narrowed())
    return unicodedata.normalize("NFKC", narrowed).casefold().translate(_DROPPED)


def bigrams(text: str) -> frozenset[str]:
    """The set of adjacent character pairs of the normalised text (a single char alone)."""
    value = normalise(text[:COMPARED_CHARS])
    if len(value) < 2:
        return frozenset({value}) if value else frozenset()
    return frozenset(value[index : index + 2] for index in range(len(value) - 1))


def similarity(first: str, second: str) -> float:
    """Jaccard index of the two texts' bigram sets, 0.0 (nothing shared) to 1.0."""
    return jaccard(bigrams(first), bigrams(second))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard index of two bigram sets (compute one text's set once, compare it often)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def same_place(first: str, second: str) -> bool:
    """True when both places are given and equal once normalised."""
    a, b = normalise(first), normalise(second)
    return bool(a) and a == b
