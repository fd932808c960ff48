"""The 值班日 and the natural week, as a duty office counts them. Pure, no I/O.

A duty office's day runs from one change of shift to the next (8:00 to 8:00 in many
offices; here the configured ``day_shift_start``, 08:30 by default): the night of the
25th belongs to the 25th. A week is a natural week, Monday to Sunday, of seven such
days: from Monday's change of shift to the next Monday's (``dutydesk report weekly``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def duty_day_of(moment: datetime, tz: ZoneInfo, day_start: time) -> date:
    """The 值班日 ``moment`` falls in: before ``day_start`` it is still the day before."""
    local = moment.astimezone(tz)
    return (
        local.date()
        if local.timetz().replace(tzinfo=None) >= day_start
        else (local.date() - timedelta(days=1))
    )


def duty_day_window(day: date, tz: ZoneInfo, day_start: time) -> tuple[datetime, datetime]:
    """``[day at day_start, the next day at day_start)`` in ``tz``."""
    start = datetime.combine(day, day_start, tz)
    end = datetime.combine(day + timedelta(days=1), day_start, tz)
    return start, end


def week_of(day: date) -> date:
    """The Monday of the natural week (Monday to Sunday) holding ``day``."""
    return day - timedelta(days=day.weekday())


def week_window(monday: date, tz: ZoneInfo, day_start: time) -> tuple[datetime, datetime]:
    """The week of 值班日 from ``monday`` to the Sunday after.

    From Monday's change of shift to the next Monday's.
    """
    start, _ = duty_day_window(monday, tz, day_start)
    end, _ = duty_day_window(monday + timedelta(days=7), tz, day_start)
    return start, end


__all__ = ["duty_day_of", "duty_day_window", "week_of", "week_window"]
