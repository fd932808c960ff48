"""Working days (工作日) as the State Council's holiday notice sets them, for deadlines.

A deadline "within N working days" skips weekends and statutory holidays but counts the
weekend days the notice turns into working days (调休上班). The years published so far
come from ``chinesecalendar`` (pinned; it follows the 国务院办公厅 notice each year). The
coming year's notice arrives in November or December, often before a release of the
package: an office enters it in its own override file (``holidays_file`` in the config,
default ``holidays.toml`` in the config folder)::

    # 国务院办公厅关于2027年部分节假日安排的通知
    [2027]
    holidays = ["2027-01-01", "2027-02-05", ...]   # 放假
    workdays = ["2027-02-14", ...]                 # 调休上班

The file wins over the package for any day it names. For a year nobody has entered, a
working day is Monday to Friday, and :meth:`WorkCalendar.unknown_years` says which years
those are, so the desk can warn that their deadlines ignore holidays.

Counting follows 民法典 §201/§203: the day a period starts is not counted, and the period
ends at 24:00 of its last day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from dutydesk.errors import ConfigError


class HolidayFileError(ConfigError):
    """The office's holidays file is not usable; the message names the file.

    The rules speak no language of their own: besides the English message, the error
    carries ``problem`` (the catalogue key under ``error.holidays.``), the ``path`` and
    the ``values`` of the message, so the layer that reports it says it in the reader's
    language.
    """

    def __init__(self, path: Path, problem: str, english: str, **values: object) -> None:
        super().__init__(f"{path}: {english}")
        self.path, self.problem, self.values = path, problem, values


class WorkCalendar(NamedTuple):
    """Which days are working days: published years, then the office's own entries."""

    holidays: frozenset[date] = frozenset()
    """Days off that would otherwise be working days (放假)."""
    workdays: frozenset[date] = frozenset()
    """Weekend days that are working days (调休上班)."""
    known_years: frozenset[int] = frozenset()
    """Years whose notice is known (the package's years and the override file's)."""
    source: str = "weekdays"
    """Where the holidays came from, for ``dutydesk --version`` and warnings."""

    def is_workday(self, day: date) -> bool:
        """True on a working day: a weekday that is no holiday, or a 调休 weekend day."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def unknown_years(self, first: date, last: date) -> list[int]:
        """Years between ``first`` and ``last`` whose holidays nobody has entered."""
        return [year for year in range(first.year, last.year + 1) if year not in self.known_years]

    def add_working_days(self, start: datetime, count: float, tz: ZoneInfo) -> datetime:
        """The end (24:00, local) of the ``count``-th working day after ``start``'s day.

        A fractional count is rounded up: "1.5 working days" ends with the second one.
        """
        day = start.astimezone(tz).date()
        remaining = max(1, -int(-count // 1))  # ceil, at least one day
        while remaining:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return datetime.combine(day + timedelta(days=1), time(0), tz)


def published_calendar() -> WorkCalendar:
    """The years ``chinesecalendar`` knows, as the State Council published them."""
    from chinese_calendar import constants

    holidays = frozenset(constants.holidays)
    workdays = frozenset(constants.workdays)
    years = frozenset(day.year for day in holidays | workdays)
    return WorkCalendar(holidays, workdays, years, source=f"chinesecalendar {_version()}")


def _version() -> str:
    # The package's own attribute, not importlib.metadata: that import (and the email
    # package under it) cost ~13 ms of every CLI write that reads the rules (issue 16).
    import chinese_calendar

    return str(getattr(chinese_calendar, "__version__", "?"))


def with_office_file(base: WorkCalendar, path: Path | None) -> WorkCalendar:
    """``base`` with the office's override file on top (a missing file changes nothing).

    Raises:
        HolidayFileError: the file is not TOML, or a year's table is not two lists of dates.

    """
    if path is None or not path.exists():
        return base
    return _with_days(base, _read_office_file(path), path)


def _read_office_file(path: Path) -> tuple[frozenset[date], frozenset[date], frozenset[int]]:
    import tomllib  # only for an office's file: a desk without one never needs it (issue 16)

    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise HolidayFileError(path, "unreadable", str(error), detail=str(error)) from None
    return _office_days(data, path)


def _with_days(
    base: WorkCalendar,
    days: tuple[frozenset[date], frozenset[date], frozenset[int]],
    path: Path,
) -> WorkCalendar:
    holidays, workdays, years = days
    return WorkCalendar(
        holidays=(base.holidays - workdays) | holidays,
        workdays=(base.workdays - holidays) | workdays,
        known_years=base.known_years | years,
        source=f"{base.source} + {path}",
    )


class DeferredCalendar:
    """The published years with the office's file on top, made at the first question.

    It answers as :func:`with_office_file` over :func:`published_calendar` does, but
    imports ``chinesecalendar`` (its tables: ~14 M instructions, ~2% of a CLI write)
    only when a working day is counted or a field read: most writes never count one (an
    emergency's clocks are minutes and hours; issue 16). The office's file is read and
    checked at once, so a bad file still refuses the command before anything is done.

    Raises:
        HolidayFileError: as :func:`with_office_file`, when made.

    """

    __slots__ = ("_days", "_made", "_path")

    def __init__(self, path: Path | None) -> None:
        """Read the office's file at ``path`` now (a missing file changes nothing)."""
        self._path = path if path is not None and path.exists() else None
        self._days = None if self._path is None else _read_office_file(self._path)
        self._made: WorkCalendar | None = None

    def made(self) -> WorkCalendar:
        """The calendar itself (the published years read on the first call)."""
        if self._made is None:
            base = published_calendar()
            if self._path is None or self._days is None:
                self._made = base
            else:
                self._made = _with_days(base, self._days, self._path)
        return self._made

    @property
    def holidays(self) -> frozenset[date]:
        """As :attr:`WorkCalendar.holidays`."""
        return self.made().holidays

    @property
    def workdays(self) -> frozenset[date]:
        """As :attr:`WorkCalendar.workdays`."""
        return self.made().workdays

    @property
    def known_years(self) -> frozenset[int]:
        """As :attr:`WorkCalendar.known_years`."""
        return self.made().known_years

    @property
    def source(self) -> str:
        """As :attr:`WorkCalendar.source`."""
        return self.made().source

    def is_workday(self, day: date) -> bool:
        """As :meth:`WorkCalendar.is_workday`."""
        return self.made().is_workday(day)

    def unknown_years(self, first: date, last: date) -> list[int]:
        """As :meth:`WorkCalendar.unknown_years`."""
        return self.made().unknown_years(first, last)

    def add_working_days(self, start: datetime, count: float, tz: ZoneInfo) -> datetime:
        """As :meth:`WorkCalendar.add_working_days`."""
        return self.made().add_working_days(start, count, tz)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DeferredCalendar):
            other = other.made()
        return self.made() == other if isinstance(other, WorkCalendar) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a WorkCalendar, so unhashable

    def __repr__(self) -> str:
        return f"DeferredCalendar({self._path!r})"


Calendar = WorkCalendar | DeferredCalendar
"""Either calendar: what the deadline rules count working days with."""


def _office_days(
    data: Mapping[str, Any], path: Path
) -> tuple[frozenset[date], frozenset[date], frozenset[int]]:
    holidays: set[date] = set()
    workdays: set[date] = set()
    years: set[int] = set()
    for year_text, table in data.items():
        if not year_text.isdigit() or not isinstance(table, dict):
            english = f"expected tables such as [2027], got {year_text!r}"
            raise HolidayFileError(path, "not_a_year", english, value=repr(year_text))
        year = int(year_text)
        unknown = set(table) - {"holidays", "workdays"}
        if unknown:
            keys = ", ".join(sorted(unknown))
            english = f"[{year}] has unknown key(s) {keys}"
            raise HolidayFileError(path, "unknown_keys", english, year=year, keys=keys)
        holidays |= _dates(table.get("holidays", []), year, path, "holidays")
        workdays |= _dates(table.get("workdays", []), year, path, "workdays")
        years.add(year)
    both = holidays & workdays
    if both:
        day = min(both)
        raise HolidayFileError(path, "both", f"{day} is both a holiday and a working day", day=day)
    return frozenset(holidays), frozenset(workdays), frozenset(years)


def _dates(values: Iterable[Any], year: int, path: Path, key: str) -> set[date]:
    found: set[date] = set()
    if not isinstance(values, list):
        english = f"[{year}] {key}: expected a list of dates"
        raise HolidayFileError(path, "not_a_list", english, year=year, key=key)
    for value in values:
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            english = f"[{year}] {key}: {value!r} is not a date"
            raise HolidayFileError(
                path, "not_a_date", english, year=year, key=key, value=repr(value)
            ) from None
        if day.year != year:
            english = f"[{year}] {key}: {day} is not in {year}"
            raise HolidayFileError(path, "wrong_year", english, year=year, key=key, day=day)
        found.add(day)
    return found


__all__ = [
    "Calendar",
    "DeferredCalendar",
    "HolidayFileError",
    "WorkCalendar",
    "published_calendar",
    "with_office_file",
]
