"""Numbering: incident serials (and, later, bulletin issue numbers)."""

from __future__ import annotations

from datetime import date


def format_serial(day: date, number: int) -> str:
    """The serial of the ``number``-th incident of the local ``day``: ``YYYYMMDD-NNN``.

    Three digits at least; a day with a thousand incidents simply gets four.
    """
    return f"{day:%Y%m%d}-{number:03d}"


_DIGITS = "零一二三四五六七八九"


def chinese_numeral(number: int) -> str:
    """``number`` (1-99) in Chinese numerals as in 续报一, 续报十二; larger stay Arabic."""
    if not 0 < number < 100:
        return str(number)
    tens, units = divmod(number, 10)
    if tens == 0:
        return _DIGITS[units]
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[units] if units else "")


def chinese_count(number: int) -> str:
    """How many of a thing, before a measure word: 两起, 三件, 十二条 (larger stay Arabic).

    Two things are 两, not 二 (二起 reads as a misprint in a document); 二 stays inside a
    larger number (十二, 二十二) and in ordinals (续报二, 第二).
    """
    return "两" if number == 2 else chinese_numeral(number)
