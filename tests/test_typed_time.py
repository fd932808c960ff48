"""The one reader of officer-typed times (``dutydesk.rules.typed_time``): tables and properties."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.rules.typed_time import (
    FUTURE_SLACK,
    Day,
    TypedTimeError,
    read_clock,
    read_time,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 2, 31, tzinfo=TZ)  # the demo's night


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A moment in the office's zone."""
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


@pytest.mark.parametrize(
    ("typed", "future", "day", "expected"),
    [
        # A time of day: the last one (a receipt) or the next one (a due time).
        ("01:05", False, Day.START, local(2026, 11, 26, 1, 5)),
        ("1:05", False, Day.START, local(2026, 11, 26, 1, 5)),
        ("23:50", False, Day.START, local(2026, 11, 25, 23, 50)),
        ("02:35", False, Day.START, local(2026, 11, 26, 2, 35)),  # within the slack
        ("08:30", True, Day.START, local(2026, 11, 26, 8, 30)),
        ("01:00", True, Day.START, local(2026, 11, 27, 1, 0)),
        # Full-width, as a Chinese input method types them.
        ("01：05", False, Day.START, local(2026, 11, 26, 1, 5)),
        ("０１：０５", False, Day.START, local(2026, 11, 26, 1, 5)),
        ("１２：３０", True, Day.START, local(2026, 11, 26, 12, 30)),
        ("  08:30 ", True, Day.START, local(2026, 11, 26, 8, 30)),
        # A date and a time.
        ("2026-11-25 22:10", False, Day.START, local(2026, 11, 25, 22, 10)),
        ("2026-11-25T22:10", False, Day.START, local(2026, 11, 25, 22, 10)),
        ("2026-1-5 8:00", False, Day.START, local(2026, 1, 5, 8, 0)),
        ("２０２６－１１－２５　２２：１０", False, Day.START, local(2026, 11, 25, 22, 10)),
        ("2026-11-25 22：10", False, Day.START, local(2026, 11, 25, 22, 10)),
        # ISO 8601 as the command line took it: offsets, seconds, the basic form.
        ("2026-11-26T01:00+08:00", False, Day.START, local(2026, 11, 26, 1, 0)),
        ("2026-11-25T17:00Z", False, Day.START, local(2026, 11, 26, 1, 0)),
        ("2026-11-25T22:10:30", False, Day.START, local(2026, 11, 25, 22, 10, 30)),
        ("20261125T2210", False, Day.START, local(2026, 11, 25, 22, 10)),
        # A date alone: the field says which moment.
        ("2026-11-27", True, Day.START, local(2026, 11, 27, 0, 0)),
        ("2026-11-27", True, Day.END, local(2026, 11, 28, 0, 0)),
        ("2026-11-27", True, Day.CLOSE, local(2026, 11, 27, 17, 30)),
        ("20261127", True, Day.CLOSE, local(2026, 11, 27, 17, 30)),
        # From now, for fields that look ahead.
        ("+3d", True, Day.START, NOW + timedelta(days=3)),
        ("+12h", True, Day.START, NOW + timedelta(hours=12)),
        ("+30m", True, Day.START, NOW + timedelta(minutes=30)),
        ("＋２ｈ", True, Day.START, NOW + timedelta(hours=2)),
        ("+1000d", True, Day.START, NOW + timedelta(days=1000)),
    ],
)
def test_accepted_forms(typed: str, future: bool, day: Day, expected: datetime) -> None:
    got = read_time(typed, now=NOW, tz=TZ, future=future, day=day)
    assert got == expected
    assert got.tzinfo == TZ  # always in the office's zone


@pytest.mark.parametrize(
    ("typed", "future"),
    [
        ("", False),
        ("soon", True),
        ("yesterday-ish", False),
        ("25:99", False),
        ("24:00", False),
        ("08:61", True),
        ("0830", False),
        ("8", False),
        ("2026-02-30 08:00", False),
        ("2026-13-01", True),
        ("+3d", False),  # only a field that looks ahead counts from now
        ("+3w", True),
        ("-3d", True),
        ("+999999999d", True),  # past the end of the calendar: refused, not a crash
        ("08:30\x1b[2J", False),
    ],
)
def test_refused_forms(typed: str, future: bool) -> None:
    with pytest.raises(TypedTimeError) as refused:
        read_time(typed, now=NOW, tz=TZ, future=future)
    assert refused.value.text == typed


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("03:00", time(3)), ("3:00", time(3)), ("０３：００", time(3)), ("23：59", time(23, 59))],
)
def test_read_clock(typed: str, expected: time) -> None:
    assert read_clock(typed) == expected


@pytest.mark.parametrize("typed", ["", "3", "25:00", "2026-11-26 03:00", "+3h"])
def test_read_clock_refuses(typed: str) -> None:
    with pytest.raises(TypedTimeError):
        read_clock(typed)


FULL_WIDTH = str.maketrans("0123456789:", "０１２３４５６７８９：")


@given(
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    pad=st.booleans(),
    wide_digits=st.booleans(),
    wide_colon=st.booleans(),
    future=st.booleans(),
    now=st.datetimes(
        min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
    ),
)
def test_a_time_of_day_in_any_width_is_the_nearest_such_moment(
    hour: int,
    minute: int,
    pad: bool,
    wide_digits: bool,
    wide_colon: bool,
    future: bool,
    now: datetime,
) -> None:
    typed = f"{hour:02d}:{minute:02d}" if pad else f"{hour}:{minute:02d}"
    if wide_digits:
        typed = typed.translate(FULL_WIDTH).replace("：", ":")
    if wide_colon:
        typed = typed.replace(":", "：")
    got = read_time(typed, now=now, tz=TZ, future=future)
    assert (got.hour, got.minute) == (hour, minute)
    assert got == read_time(f"{hour:02d}:{minute:02d}", now=now, tz=TZ, future=future)
    if future:
        assert now <= got < now + timedelta(days=1)
    else:
        assert now + FUTURE_SLACK - timedelta(days=1) <= got <= now + FUTURE_SLACK


@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_a_date_and_time_reads_back_as_written(moment: datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    for typed in (f"{moment:%Y-%m-%d %H:%M}", f"{moment:%Y-%m-%dT%H:%M}"):
        for form in (typed, typed.translate(FULL_WIDTH)):
            assert read_time(form, now=NOW, tz=TZ) == moment.replace(tzinfo=TZ)


@given(text=st.text(max_size=30), future=st.booleans())
def test_any_text_is_a_moment_or_a_refusal_never_a_crash(text: str, future: bool) -> None:
    try:
        got = read_time(text, now=NOW, tz=TZ, future=future, day=Day.END)
    except TypedTimeError:
        return
    assert got.tzinfo == TZ
