"""The office's calendar arithmetic (rules/dates.py) and reading stored timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dutydesk.rules.dates import day_around, day_window, local_day, week_of
from dutydesk.storage.engine import stored_utc

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def test_the_local_day_is_the_office_s_date_not_utc_s() -> None:
    # 17:30 UTC on the 2nd is 01:30 on the 3rd in Shanghai.
    assert local_day(datetime(2026, 12, 2, 17, 30, tzinfo=UTC), SHANGHAI) == date(2026, 12, 3)


def test_a_day_window_runs_midnight_to_midnight_even_across_a_clock_change() -> None:
    start, end = day_window(date(2026, 3, 29), BERLIN)  # clocks go forward: a 23-hour day
    assert (start.hour, end.hour) == (0, 0)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    start, end = day_window(date(2026, 10, 25), BERLIN)  # and back: 25 hours
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)


def test_the_day_around_a_moment_holds_it() -> None:
    moment = datetime(2026, 12, 2, 23, 59, tzinfo=SHANGHAI)
    start, end = day_around(moment, SHANGHAI)
    assert start <= moment < end
    assert start == datetime(2026, 12, 2, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "monday"),
    [(date(2026, 12, 2), date(2026, 11, 30)), (date(2026, 12, 6), date(2026, 11, 30))],
)
def test_a_natural_week_runs_monday_to_sunday(day: date, monday: date) -> None:
    assert week_of(day) == (monday, monday + timedelta(days=6))


def test_a_stored_timestamp_reads_as_aware_utc_from_either_store() -> None:
    expected = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)
    assert stored_utc("2026-12-02 01:30:00") == expected  # SQLite's UTC text
    assert stored_utc(datetime(2026, 12, 2, 9, 30, tzinfo=SHANGHAI)) == expected  # a server's
    with pytest.raises(ValueError, match="NOT NULL"):
        stored_utc(None)
    # Text is parsed with "+00:00" appended (issue 16); whatever else it holds reads as
    # before: UTC in the tzinfo, any offset of its own replaced, a date alone at midnight.
    for text in (
        "2026-12-02 01:30:00.250000",
        "2026-12-02T01:30+08:00",
        "2026-12-02",
        "2026-12-02 01:30Z",
    ):
        read = stored_utc(text)
        assert read == datetime.fromisoformat(text).replace(tzinfo=UTC)
        assert read.tzinfo is UTC


def test_same_week_last_year_is_the_same_iso_week() -> None:
    """同比 compares 第N周 with 第N周; a week 53 with the year before's last, week 52."""
    from dutydesk.rules.dates import same_week_last_year, year_earlier

    assert same_week_last_year(date(2026, 11, 23)) == date(2025, 11, 24)  # both W48
    assert same_week_last_year(date(2026, 12, 28)) == date(2025, 12, 22)  # W53 -> W52
    assert same_week_last_year(date(2027, 1, 4)) == date(2025, 12, 29)  # W01 of 2026
    leap = datetime(2028, 2, 29, 10, 0, tzinfo=SHANGHAI)
    assert year_earlier(leap, SHANGHAI) == datetime(2027, 2, 28, 10, 0, tzinfo=SHANGHAI)
