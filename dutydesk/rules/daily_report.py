"""零报告: the daily report a desk owes its superior during a special period (特殊时期).

A desk-level clock, not an incident's: on every 值班日 (shift change to shift change) the
roster marks special, the desk reports the day to its superior by the local time
``[special_period] zero_report_at`` of ``data/rules.toml``, even when nothing happened
(then it is a 零报告, "无情况报平安"). Once recorded the day owes nothing more; until
then it is late after the hour, for the rest of that 值班日. Outside a special period
nothing is owed. Pure: the store is read in :mod:`dutydesk.services.roster.daily_report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DailyReportState:
    """One special 值班日's report: when it is owed, and whether (and by whom) it was made."""

    day: date
    """The 值班日 (the date its day shift starts)."""
    due_at: datetime
    made_at: datetime | None = None
    made_by: str = ""
    zero: bool = False
    """True for a 零报告 (nothing to report)."""

    def late(self, now: datetime) -> bool:
        """True when the hour has passed and no report was recorded."""
        return self.made_at is None and now >= self.due_at


def report_due_at(day: date, at: time, day_start: time, tz: ZoneInfo) -> datetime:
    """The moment the 值班日 ``day``'s report is owed: ``at`` on that day, local time.

    An hour before the change of shift (``07:00`` when shifts change at 08:30) falls on
    the next calendar day: the 值班日 runs to the next morning.
    """
    due = datetime.combine(day, at, tz)
    return due + timedelta(days=1) if at < day_start else due


__all__ = ["DailyReportState", "report_due_at"]
