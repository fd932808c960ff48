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
  to the original text exactly;
* a cut falls after punctuation (。；，、), or before an opening bracket, when one lies
  within the last :data:`BREAK_WINDOW` units of the segment, as an office cuts by hand;
  failing that it is moved back so as not to fall inside a number with its unit
  ("受伤25人", "H7N9", "K612") or a 【signature】, when it starts inside that window too.
  A Chinese word may still be cut where no punctuation is near (there is no dictionary
  here): the window makes it rare.

Pure functions, no I/O.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

SMS_LIMIT = 70
"""UCS-2 code units in one SMS segment."""

BREAKS = frozenset("。；，、！？：")
"""Punctuation after which a segment is best cut (the office's own 。；，、 first of all)."""
BREAK_WINDOW = 15
"""How far back from a segment's end (in units) a cut looks for punctuation."""
_OPENERS = frozenset("（【“《")
"""Before these a cut is as good as after punctuation."""
_NUMBER = re.compile(r"[0-9A-Za-z]+(?:[.:：%．][0-9A-Za-z]+)*%?")
_SIGNATURE = re.compile(r"【[^【】]{1,20}】")
"""A signature or header in 【】, kept whole (never 【临川|市委值班室】)."""
_UNITS = frozenset("人名户辆起处个岁时分秒日月年条台家所吨亩米度级次万千百亿元余多倍")
"""Measure words that belong to the number before them ("25人", "46万元")."""

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


def _grades(pieces: Sequence[str]) -> list[int]:
    """How good a cut before each piece is: 0 inside a number, 1 plain, 2 after punctuation."""
    text = "".join(pieces)
    inside: set[int] = set()  # character offsets where a cut would split a number and its unit
    for match in _NUMBER.finditer(text):
        end = match.end()
        while end < len(text) and text[end] in _UNITS:
            end += 1
        inside.update(range(match.start() + 1, end))
    for match in _SIGNATURE.finditer(text):
        inside.update(range(match.start() + 1, match.end()))
    grades, offset = [], 0
    for index, piece in enumerate(pieces):
        if offset in inside:
            grades.append(0)
        elif index and (pieces[index - 1][-1] in BREAKS or piece[0] in _OPENERS):
            grades.append(2)
        else:
            grades.append(0 if offset in inside else 1)
        offset += len(piece)
    return grades


def _cut(sizes: Sequence[int], grades: Sequence[int], start: int, end: int, budget: int) -> int:
    """Where to cut a chunk that fits ``pieces[start:end]`` (``end`` does not fit next)."""
    window: list[int] = []  # cut positions whose chunk is within BREAK_WINDOW of full
    size = sum(sizes[start:end])
    for position in range(end, start, -1):
        if size < budget - BREAK_WINDOW:
            break
        window.append(position)
        size -= sizes[position - 1]
    for wanted in (2, 1):
        for position in window:  # latest first
            if grades[position] >= wanted:
                return position
    return end


def _pack(pieces: Sequence[str], budget: int) -> list[str]:
    """Pack clusters into chunks of at most ``budget`` code units, cut where best."""
    expanded: list[str] = []
    for piece in pieces:  # one "character" longer than a segment: cut it at code points
        expanded.extend(piece if units(piece) > budget else [piece])
    sizes = [units(piece) for piece in expanded]
    grades = [*_grades(expanded), 2]
    chunks: list[str] = []
    start = 0
    while start < len(expanded):
        end, size = start, 0
        while end < len(expanded) and size + sizes[end] <= budget:
            size += sizes[end]
            end += 1
        if end < len(expanded):
            end = _cut(sizes, grades, start, end, budget)
        chunks.append("".join(expanded[start:end]))
        start = end
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


@dataclass(frozen=True)
class SmsStyle:
    """How the office's SMS gateway takes a short version (from the settings).

    ``gateway_signature`` is the text the gateway adds to every message it sends (e.g.
    【临川政务】); it counts in the message's 70 units, so separate numbered messages get
    ``limit - units(gateway_signature)`` each. A gateway that ``concatenates`` sends one
    long message in parts of ``part`` units (3 of the 70 go to the header that joins
    them): the desk then hands it the whole text, and ``parts`` counts what it costs.

    ``office_signature`` and ``callback`` close every short version, after the time
    (:meth:`sign_off`), so a leader reading it knows who sent it, when, and whom to ring.
    """

    gateway_signature: str = ""
    concatenates: bool = False
    limit: int = SMS_LIMIT
    part: int = 67
    office_signature: str = "【临川市委值班室】"
    callback: str = ""

    def sign_off(self, moment: datetime) -> str:
        """The end of a short version: （11月26日02:31，回电0794-8212345）【临川市委值班室】."""
        said = f"{moment.month}月{moment.day}日{moment:%H:%M}"
        if self.callback.strip():
            said += f"，回电{self.callback.strip()}"
        return f"（{said}）{self.office_signature.strip()}"

    @property
    def budget(self) -> int:
        """Units one separate message leaves for the desk's text (marker included)."""
        return self.limit - units(self.gateway_signature)

    def segments(self, text: str) -> list[str]:
        """``text`` as the gateway is handed it: numbered segments, or one concatenated text.

        Raises:
            ValueError: the gateway's signature leaves no room for text.

        """
        if self.concatenates:
            return [text] if text else []
        return split_segments(text, self.budget)

    def parts(self, text: str) -> int:
        """How many SMS the phone network carries for ``text`` (gateway signature included)."""
        if not text:
            return 0
        if not self.concatenates:
            return len(self.segments(text))
        whole = units(text) + units(self.gateway_signature)
        return 1 if whole <= self.limit else math.ceil(whole / self.part)
