"""Shift arithmetic: which shift a moment falls in, and when the next handover is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dutydesk.vocab import ShiftKind


@dataclass(frozen=True)
class ShiftSlot:
    """One shift's place in time: its date (the day it starts), kind and bounds in UTC."""

    shift_date: date
    kind: ShiftKind
    start_at: datetime
    end_at: datetime


def slot(
    shift_date: date, kind: ShiftKind, day_start: time, night_start: time, tz: ZoneInfo
) -> ShiftSlot:
    """The bounds of the ``kind`` shift that starts on ``shift_date`` (local dates and times)."""
    if kind is ShiftKind.DAY:
        start = datetime.combine(shift_date, day_start, tz)
        end = datetime.combine(shift_date, night_start, tz)
    else:
        start = datetime.combine(shift_date, night_start, tz)
        end = datetime.combine(shift_date + timedelta(days=1), day_start, tz)
    return ShiftSlot(shift_date, kind, start.astimezone(UTC), end.astimezone(UTC))


def shift_at(moment: datetime, day_start: time, night_start: time, tz: ZoneInfo) -> ShiftSlot:
    """The shift that is on duty at ``moment``."""
    local = moment.astimezone(tz)
    clock = local.time()
    if day_start <= clock < night_start:
        return slot(local.date(), ShiftKind.DAY, day_start, night_start, tz)
    shift_date = local.date() if clock >= night_start else local.date() - timedelta(days=1)
    return slot(shift_date, ShiftKind.NIGHT, day_start, night_start, tz)


def following_shifts(
    current: ShiftSlot, count: int, day_start: time, night_start: time, tz: ZoneInfo
) -> list[ShiftSlot]:
    """The ``count`` shifts after ``current``, in order."""
    result: list[ShiftSlot] = []
    shift_date, kind = current.shift_date, current.kind
    for _ in range(count):
        if kind is ShiftKind.DAY:
            kind = ShiftKind.NIGHT
        else:
            kind, shift_date = ShiftKind.DAY, shift_date + timedelta(days=1)
        result.append(slot(shift_date, kind, day_start, night_start, tz))
    return result


def next_handover(moment: datetime, handover: time, tz: ZoneInfo) -> datetime:
    """The next workday (Monday-Friday) handover meeting strictly after ``moment``, in UTC."""
    local = moment.astimezone(tz)
    day = local.date()
    while True:
        candidate = datetime.combine(day, handover, tz)
        if candidate > local and candidate.weekday() < 5:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


def format_span(delta: timedelta) -> tuple[int, int]:
    """Split a positive span into whole hours and minutes (rounded down)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    return minutes // 60, minutes % 60
