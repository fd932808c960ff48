"""Times as an officer types them, on the command line or in a console form.

One reader for both faces (docs/architecture.md §6), so that what one accepts the
other accepts too. An officer at a Chinese keyboard often has the input method in
full-width mode: ``１２：３０`` (full-width digits and colon) and an ideographic space
between date and time are read like ``12:30``. Accepted:

- ``HH:MM`` or ``H:MM``: a time of day, placed on the nearest day that fits the field
  (the latest such time not after now, or with ``future`` the next one);
- ``YYYY-MM-DD HH:MM`` (``T`` for the space, one-digit month, day and hour too);
- ``YYYY-MM-DD`` alone: the field says which moment of that day it means (:class:`Day`);
- any other ISO 8601 date and time, with or without offset (``2026-11-26T08:30+08:00``);
  without offset it is the office's zone;
- with ``future``, ``+3d`` / ``+12h`` / ``+30m`` from now.

Pure: no I/O, no interface language. A refused value raises :class:`TypedTimeError`;
each face words the message in its own way (a console field, a CLI one-liner).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

FUTURE_SLACK = timedelta(minutes=5)
"""Clocks on two machines are rarely exact: a past time this far ahead still counts as past."""

OFFICE_CLOSE = time(17, 30)
"""The end of office hours: what a due date typed without a time means."""

# Patterns as text, compiled by ``re`` (and kept in its cache) at their first use: every
# CLI command imports this module, few read a typed time, and compiling the three at
# import cost ~2 M instructions of each ``incident add``/``log``/``show`` (issue 16).
_CLOCK = r"^(\d{1,2}):(\d{2})$"
_DATE_TIME = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:\s+|T)(\d{1,2}):(\d{2}))?$"
_RELATIVE = r"^\+(\d{1,9})([dhm])$"
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class Day(Enum):
    """Which moment a date typed without a time stands for; the field decides."""

    START = "start"
    """The day's first moment (a leave that starts on that day, a range's start)."""
    END = "end"
    """The next midnight (a leave that ends on that day, inclusive)."""
    CLOSE = "close"
    """The end of office hours, :data:`OFFICE_CLOSE` (a due date)."""


class TypedTimeError(ValueError):
    """The text is not a time in any accepted form (or names one that does not exist)."""

    def __init__(self, text: str) -> None:
        super().__init__(f"not a time: {text!r}")
        self.text = text


def normalise(text: str) -> str:
    """``text`` with full-width digits, colon, plus and spaces folded to ASCII, trimmed.

    NFKC is Unicode's own folding of compatibility characters (``１`` → ``1``,
    ``：`` → ``:``, U+3000 → space); it leaves Chinese characters as they are.
    """
    return unicodedata.normalize("NFKC", text).strip()


def read_clock(text: str) -> time:
    """A time of day, ``HH:MM`` or ``H:MM`` (full-width too).

    Raises:
        TypedTimeError: anything else, or a time that does not exist (25:00).

    """
    found = re.match(_CLOCK, normalise(text))
    if found:
        try:
            return time(int(found.group(1)), int(found.group(2)))
        except ValueError:
            pass  # 25:00 or 08:61: the one refusal below
    raise TypedTimeError(text)


def read_time(
    text: str, *, now: datetime, tz: ZoneInfo, future: bool = False, day: Day = Day.START
) -> datetime:
    """The moment ``text`` names, aware, in the office's zone ``tz``.

    Args:
        text: as typed.
        now: the moment a bare time of day and ``+3d`` are counted from.
        tz: the office's zone, for everything typed without an offset.
        future: the field looks ahead (a due date, a leave): a bare ``HH:MM`` is the next
            such time at or after ``now``, and ``+3d``/``+12h``/``+30m`` are accepted.
            Otherwise ``HH:MM`` is the latest such time not after ``now`` (with
            :data:`FUTURE_SLACK`): 23:50 typed at 00:10 is last night's.
        day: what a date without a time means.

    Raises:
        TypedTimeError: not a time in any accepted form.

    """
    value = normalise(text)
    try:
        moment = _read(value, now=now, tz=tz, future=future, day=day)
    except (ValueError, OverflowError):
        # 2026-02-30, 24:00, +999999999d: all "not a time", whatever the cause.
        moment = None
    if moment is None:
        raise TypedTimeError(text)
    return moment.astimezone(tz)


def _read(value: str, *, now: datetime, tz: ZoneInfo, future: bool, day: Day) -> datetime | None:
    relative = re.match(_RELATIVE, value)
    if relative:
        amount = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        return now + amount if future else None
    clock = re.match(_CLOCK, value)
    if clock:
        return _nearest(time(int(clock.group(1)), int(clock.group(2))), now, tz, future=future)
    parts = re.match(_DATE_TIME, value)
    if parts:
        on = date(*(int(parts.group(n)) for n in (1, 2, 3)))
        if parts.group(4) is None:
            return _whole_day(on, tz, day)
        return datetime.combine(on, time(int(parts.group(4)), int(parts.group(5))), tz)
    try:
        return _whole_day(date.fromisoformat(value), tz, day)  # 20261126, 2026-W48-4
    except ValueError:
        pass
    moment = datetime.fromisoformat(value)  # offsets, seconds, 20261126T0830
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def _nearest(at: time, now: datetime, tz: ZoneInfo, *, future: bool) -> datetime:
    """``at`` on the local day that makes it the next (``future``) or the last one."""
    local = datetime.combine(now.astimezone(tz).date(), at, tz)
    if future and local < now:
        local += timedelta(days=1)
    elif not future and local > now + FUTURE_SLACK:
        local -= timedelta(days=1)
    return local


def _whole_day(on: date, tz: ZoneInfo, day: Day) -> datetime:
    if day is Day.END:
        return datetime.combine(on + timedelta(days=1), time(0), tz)
    return datetime.combine(on, OFFICE_CLOSE if day is Day.CLOSE else time(0), tz)
