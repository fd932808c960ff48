"""The office's calendar arithmetic, in one place: local days, day windows, weeks.

Everything here is pure: a moment or a date in, dates or aware datetimes out, in the
office's zone (``Settings.tz``). Windows are computed from local midnights, never as
"start + 24 hours", so a zone with daylight saving gets its 23- and 25-hour days right.
Shift arithmetic (which shift is on, the next handover) lives in ``rules/shifts.py``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The office's calendar date at ``moment``."""
    return moment.astimezone(tz).date()


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight of ``day``, as aware datetimes."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start, end


def day_around(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar day that holds ``moment``: [00:00, next 00:00)."""
    return day_window(local_day(moment, tz), tz)


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the natural week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


__all__ = ["day_around", "day_window", "local_day", "week_of"]
