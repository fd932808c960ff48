"""SMS splitting: a short version cut into numbered segments of at most 70 characters.

A Chinese SMS is sent in UCS-2, 70 code units per message; a longer text travels as
several. Carriers join long messages unreliably on leaders' older phones, so the desk
sends separate messages numbered ``(1/3)``, ``(2/3)``, ... and the number counts inside
the 70. Rules kept here, with property tests in ``tests/test_sms.py``:

* length is counted in UTF-16 code units, as the network counts it (an emoji outside
  the Basic Multilingual Plane takes two), so a segment never holds half a surrogate pair;
* a cut never falls inside a user-perceived character: a base with its combining marks,
  variation selectors, emoji modifiers, zero-width-joiner sequences, flag pairs, CR LF;
  only a single "character" longer than a whole segment (never seen in real text) is cut
  between code points, as the last resort, so the limit always holds;
* nothing is added, dropped or reordered: the segments without their markers concatenate
  to the original text exactly.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

SMS_LIMIT = 70
"""UCS-2 code units in one SMS segment."""

_ZWJ = "\u200d"
_MARKER = re.compile(r"^\((\d+)/(\d+)\)")


def units(text: str) -> int:
    """Length of ``text`` as an SMS counts it: UTF-16 code units."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def _extends(char: str) -> bool:
    """True when ``char`` belongs to the character before it (never starts a cluster)."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in {"Mn", "Me", "Mc"}
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences
        or char == _ZWJ
    )


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def clusters(text: str) -> list[str]:
    """``text`` cut into user-perceived characters (a practical subset of UAX #29)."""
    result: list[str] = []
    for char in text:
        if result:
            last = result[-1]
            joins = (
                _extends(char)
                or last.endswith(_ZWJ)
                or (last == "\r" and char == "\n")
                or (_regional(char) and len(last) == 1 and _regional(last))
            )
            if joins:
                result[-1] = last + char
                continue
        result.append(char)
    return result


def marker(index: int, total: int) -> str:
    """The segment number shown at the start of a segment: ``(2/3)``."""
    return f"({index}/{total})"


def _pack(pieces: Sequence[str], budget: int) -> list[str]:
    """Greedy packing of clusters into chunks of at most ``budget`` code units."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        cost = units(piece)
        if cost > budget:  # one "character" longer than a segment: cut it at code points
            for char in piece:
                if size + units(char) > budget:
                    chunks.append("".join(current))
                    current, size = [], 0
                current.append(char)
                size += units(char)
            continue
        if size + cost > budget:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += cost
    if current:
        chunks.append("".join(current))
    return chunks


def split_segments(text: str, limit: int = SMS_LIMIT) -> list[str]:
    """Cut ``text`` into SMS segments of at most ``limit`` code units, markers included.

    A text that fits one segment is returned whole with no marker; an empty text gives no
    segments.

    Raises:
        ValueError: ``limit`` leaves no room for text beside a marker.

    """
    if not text:
        return []
    if units(text) <= limit:
        return [text]
    pieces = clusters(text)
    total = 2
    while True:
        # The marker's width depends on the count; grow the guess until it is stable.
        budget = limit - len(marker(total, total))
        if budget < 2:  # room for one astral character at least
            raise ValueError(f"an SMS limit of {limit} leaves no room for text")
        chunks = _pack(pieces, budget)
        if len(chunks) <= total:
            count = len(chunks)
            return [marker(i, count) + chunk for i, chunk in enumerate(chunks, start=1)]
        total = len(chunks)


def join_segments(segments: Sequence[str]) -> str:
    """The original text back from segments: markers removed, order kept."""
    if len(segments) == 1:
        return segments[0]
    return "".join(_MARKER.sub("", segment, count=1) for segment in segments)
