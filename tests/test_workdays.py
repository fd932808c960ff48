"""Working days as the State Council's notice sets them (rules/workdays.py)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dutydesk.errors import ConfigError
from dutydesk.rules.deadlines import office_rules
from dutydesk.rules.workdays import (
    DeferredCalendar,
    WorkCalendar,
    published_calendar,
    with_office_file,
)

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


@pytest.mark.parametrize("office_file", [True, False])
def test_a_deferred_calendar_answers_as_the_published_one(
    tmp_path: Path, office_file: bool
) -> None:
    # The rules' calendar reads chinesecalendar at its first question (issue 16): the
    # answers are those of with_office_file over published_calendar.
    file = tmp_path / "holidays.toml"
    if office_file:
        file.write_text('[2027]\nholidays = ["2027-01-01"]\nworkdays = [2027-01-02]\n')
    deferred = DeferredCalendar(file)
    eager = with_office_file(published_calendar(), file)
    days = [date(2026, 10, 1), date(2026, 10, 10), date(2027, 1, 1), date(2027, 1, 2)]
    assert [deferred.is_workday(day) for day in days] == [eager.is_workday(day) for day in days]
    received = datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    assert deferred.add_working_days(received, 3, SHANGHAI) == datetime(
        2026, 10, 11, 0, 0, tzinfo=SHANGHAI
    )
    assert deferred.unknown_years(date(2027, 1, 1), date(2028, 1, 1)) == eager.unknown_years(
        date(2027, 1, 1), date(2028, 1, 1)
    )
    assert deferred.source == eager.source
    assert deferred == eager
    assert (deferred.holidays, deferred.workdays) == (eager.holidays, eager.workdays)


def test_a_deferred_calendar_refuses_a_bad_office_file_at_once(tmp_path: Path) -> None:
    # A bad file still stops the command before it does anything: only the published
    # years wait for the first question.
    file = tmp_path / "holidays.toml"
    file.write_text('[2027]\nholidays = ["2028-01-01"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="is not in 2027"):
        DeferredCalendar(file)
    with pytest.raises(ConfigError, match="is not in 2027"):
        office_rules({}, SHANGHAI, file)


def test_a_calendar_stays_a_read_only_value() -> None:
    # A named tuple now (its dataclass methods were compiled at every CLI write's import).
    calendar = WorkCalendar(holidays=frozenset({date(2027, 1, 1)}), known_years=frozenset({2027}))
    with pytest.raises(AttributeError):
        calendar.source = "changed"  # type: ignore[misc]
    assert calendar == WorkCalendar(frozenset({date(2027, 1, 1)}), frozenset(), frozenset({2027}))
    assert not calendar.is_workday(date(2027, 1, 1))
