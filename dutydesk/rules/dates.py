"""The office's calendar arithmetic, in one place: local days, day windows, weeks.

Everything here is pure: a moment or a date in, dates or aware datetimes out, in the
office's zone (``Settings.tz``). Windows are computed from local midnights, never as
"start + 24 hours", so a zone with daylight saving gets its 23- and 25-hour days right.
A duty office's day (值班日) runs from one change of shift to the next (8:00 to 8:00 in
many offices; here the configured ``day_shift_start``, 08:30 by default): the night of
the 25th belongs to the 25th; its week is the natural week (Monday to Sunday) of seven
such days. Shift arithmetic (which shift is on, the next handover) lives in
``rules/shifts.py``.
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


# -- the 值班日: a duty office's day runs from one change of shift to the next ----------


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


def same_week_last_year(monday: date) -> date:
    """Monday of the same natural week one year earlier (同比): the same ISO week (第N周).

    A week 53 in a year before that had only 52 compares with that year's week 52.
    """
    year, week, _ = monday.isocalendar()
    weeks_then = date(year - 1, 12, 28).isocalendar()[1]  # 28 December is in the last week
    return date.fromisocalendar(year - 1, min(week, weeks_then), 1)


def year_earlier(moment: datetime, tz: ZoneInfo) -> datetime:
    """The same local date and time one calendar year earlier (29 February: the 28th)."""
    local = moment.astimezone(tz)
    day = local.date()
    try:
        then = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        then = day.replace(year=day.year - 1, day=28)
    return datetime.combine(then, local.time(), tz)


def week_window(monday: date, tz: ZoneInfo, day_start: time) -> tuple[datetime, datetime]:
    """The week of 值班日 from ``monday`` to the Sunday after.

    From Monday's change of shift to the next Monday's.
    """
    start, _ = duty_day_window(monday, tz, day_start)
    end, _ = duty_day_window(monday + timedelta(days=7), tz, day_start)
    return start, end


__all__ = [
    "day_around",
    "day_window",
    "duty_day_of",
    "duty_day_window",
    "local_day",
    "same_week_last_year",
    "week_of",
    "week_window",
    "year_earlier",
]
