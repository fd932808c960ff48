"""Times as an officer types them in a form: local ``HH:MM`` or ``YYYY-MM-DD HH:MM``.

Pure functions; a refused value raises ``ValueError`` whose message (in the interface
language) is shown under the field, with what was typed left in place.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dutydesk.i18n import t

FUTURE_SLACK = timedelta(minutes=5)
"""Clocks on two machines are rarely exact: a receipt this far ahead is still accepted."""

_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})$")
_FULL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2})[:：](\d{2}))?$")
_RELATIVE = re.compile(r"^\+(\d{1,3})([dhm])$")


def typed_time(moment: datetime, tz: ZoneInfo) -> str:
    """How a form first shows ``moment`` (now): local ``HH:MM``, the shortest to retype."""
    return f"{moment.astimezone(tz):%H:%M}"


def parse_past(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """A receipt or event time: not in the future.

    ``HH:MM`` is the latest such local time not after now (02:10 typed at 01:00 is
    yesterday's); ``YYYY-MM-DD HH:MM`` is exact.

    Raises:
        ValueError: not a time in either form, or later than now.

    """
    moment = _parse(text, now=now, tz=tz, future=False)
    if moment > now + FUTURE_SLACK:
        raise ValueError(t("form.error_future"))
    return moment


def parse_due(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """A due date, typed in one of several short forms.

    ``YYYY-MM-DD`` (end of that day's office hours: 17:30), a full time, ``HH:MM`` (the
    next such time) or ``+3d`` / ``+12h`` / ``+30m`` from now.

    Raises:
        ValueError: not a time in any of these forms, or in the past.

    """
    relative = _RELATIVE.match(text.strip())
    if relative:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[relative.group(2)]
        return now + timedelta(**{unit: int(relative.group(1))})
    moment = _parse(text, now=now, tz=tz, future=True)
    if moment < now:
        raise ValueError(t("form.error_past"))
    return moment


def _parse(text: str, *, now: datetime, tz: ZoneInfo, future: bool) -> datetime:
    value = text.strip()
    clock = _CLOCK.match(value)
    full = _FULL.match(value)
    try:
        if clock:
            hour, minute = int(clock.group(1)), int(clock.group(2))
            local = now.astimezone(tz).replace(hour=hour, minute=minute, second=0, microsecond=0)
            if future and local < now:
                local += timedelta(days=1)
            elif not future and local > now + FUTURE_SLACK:
                local -= timedelta(days=1)
            return local
        if full:
            year, month, day = (int(full.group(n)) for n in (1, 2, 3))
            hour, minute = (
                (17, 30) if full.group(4) is None else (int(full.group(4)), int(full.group(5)))
            )
            return datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        pass  # 25:00, 2026-02-30: fall through to the one message
    raise ValueError(t("form.error_time" if not future else "form.error_due"))
