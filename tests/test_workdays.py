"""Working days as the State Council's notice sets them (rules/workdays.py)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dutydesk.errors import ConfigError
from dutydesk.rules.workdays import WorkCalendar, published_calendar, with_office_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_national_day_is_off_and_its_make_up_saturday_is_on() -> None:
    calendar = published_calendar()
    assert not calendar.is_workday(date(2026, 10, 1))  # 国庆节
    assert not calendar.is_workday(date(2026, 10, 7))
    assert calendar.is_workday(date(2026, 10, 10))  # 调休: a Saturday worked
    assert calendar.is_workday(date(2026, 1, 4))  # a Sunday worked after New Year


def test_working_days_skip_the_holiday_week_and_end_at_midnight() -> None:
    # Received on the eve of National Day 2026: three working days end with 10-10
    # (Saturday, worked) ... counting 10-08, 10-09, 10-10.
    received = datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    due = published_calendar().add_working_days(received, 3, SHANGHAI)
    assert due == datetime(2026, 10, 11, 0, 0, tzinfo=SHANGHAI)


def test_an_unentered_year_counts_weekdays_and_says_so(tmp_path: Path) -> None:
    calendar = with_office_file(published_calendar(), tmp_path / "none.toml")
    assert calendar.unknown_years(date(2026, 12, 1), date(2027, 1, 31)) == [2027]
    # 2027-01-01 is a Friday: without the notice it counts as a working day.
    assert calendar.is_workday(date(2027, 1, 1))


def test_the_office_file_enters_the_coming_year(tmp_path: Path) -> None:
    file = tmp_path / "holidays.toml"
    file.write_text(
        '# 国务院办公厅关于2027年部分节假日安排的通知\n[2027]\nholidays = ["2027-01-01"]\n'
        "workdays = [2027-01-02]\n",
        encoding="utf-8",
    )
    calendar = with_office_file(published_calendar(), file)
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 1, 2))  # a Saturday
    assert calendar.unknown_years(date(2027, 1, 1), date(2027, 12, 31)) == []
    assert str(file) in calendar.source


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[2027]\nholidays = ["2027-13-01"]\n', "is not a date"),
        ('[2027]\nholidays = ["2028-01-01"]\n', "is not in 2027"),
        ('[2027]\nholiday = ["2027-01-01"]\n', "unknown key"),
        ('[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-01"]\n', "both"),
        ("[next]\n", "expected tables such as [2027]"),
        ("[2027\n", "holidays.toml"),
    ],
)
def test_a_bad_office_file_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "holidays.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        with_office_file(WorkCalendar(), file)
