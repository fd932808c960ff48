"""Stored timestamps written as local ISO 8601 text, without a ``datetime`` per value.

An export of a day of 10^5 incidents writes 4 x 10^5 times. Parsing each stored text
into a ``datetime`` (:func:`~dutydesk.storage.engine.stored_utc`) and formatting it in
the office's zone cost more than the rest of its row (issue 16); SQLite's stored text
(``2026-11-26 00:30:00.123456``, UTC) can instead be turned into the local text
directly: the date, hour and minute map to local ones once per minute, the seconds and
the fraction are copied.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dutydesk.storage.engine import stored_utc

_MINUTE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}")
_SECONDS = frozenset(f":{number:02d}." for number in range(60))
"""``:SS.`` of a stored text's seconds: one look-up checks both marks and the number."""
_MINUTES_KEPT = 4096
"""Minutes whose local text :func:`stored_iso` keeps (a day has 1,440)."""
_MINUTE = timedelta(minutes=1)
_LAST_INSTANT = _MINUTE - timedelta(microseconds=1)

LocalText = Callable[[object], "str | None"]
"""A stored timestamp (or ``None``) as local ISO 8601 text (``None``): :func:`stored_iso`."""


def stored_iso(tz: ZoneInfo) -> LocalText:
    """``stored_utc(value).astimezone(tz).isoformat()`` for many stored values, faster.

    Text in the form SQLite stores (``YYYY-MM-DD HH:MM:SS.ffffff``, 26 characters, UTC)
    goes the quick way: its minute's local text, made once, with the seconds and the
    fraction put in (none when it is ``000000``, as ``isoformat`` writes it). Anything
    else (a server's ``datetime``, text in another form, a minute in which the zone's
    offset changes or is not whole minutes) takes the long way, so the text is always
    the one the ``datetime`` would give. ``None`` and empty text (a time not recorded)
    give ``None``. A plain function, not an object's method: it runs 4 x 10^5 times.
    """
    # "YYYY-MM-DD HH:MM" -> (local "YYYY-MM-DDTHH:MM:", offset "+08:00"), or None when
    # that minute must take the long way.
    kept: dict[str, tuple[str, str] | None] = {}
    seconds = _SECONDS

    def local_iso(value: object) -> str | None:
        if value.__class__ is str and len(value) == 26 and value[16:20] in seconds:
            text: str = value
            fraction = text[20:]
            if fraction.isdigit() and fraction.isascii():
                key = text[:16]
                try:
                    found = kept[key]
                except KeyError:
                    found = _minute(kept, key, tz)
                if found is not None:
                    if fraction == "000000":  # isoformat writes no fraction of zero
                        return found[0] + text[17:19] + found[1]
                    return found[0] + text[17:] + found[1]
        if value is None or value == "":
            return None
        return stored_utc(value).astimezone(tz).isoformat()

    return local_iso


def _minute(
    kept: dict[str, tuple[str, str] | None], key: str, tz: ZoneInfo
) -> tuple[str, str] | None:
    """The local text of the UTC minute ``key`` (``YYYY-MM-DD HH:MM``), kept in ``kept``."""
    if len(kept) >= _MINUTES_KEPT:
        kept.clear()
    found: tuple[str, str] | None = None
    start = None
    if _MINUTE_TEXT.fullmatch(key):
        try:
            start = datetime.fromisoformat(key + ":00+00:00")
        except ValueError:  # a month 13, a 25th hour
            start = None
    if start is not None and start.tzinfo is UTC:
        first = start.astimezone(tz)
        offset = first.utcoffset()
        if (
            offset is not None
            and not offset % _MINUTE
            and offset == (start + _LAST_INSTANT).astimezone(tz).utcoffset()
        ):
            text = first.isoformat()  # 2026-11-26T08:30:00+08:00
            found = (text[:17], text[19:])
    kept[key] = found
    return found
