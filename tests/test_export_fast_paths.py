"""The daily export's fast paths (issue 16) give exactly what the plain ways gave.

Each shortcut taken for a day of 10^5 rows is checked against the obvious code it
replaced: local times kept per minute, UTC text parsed with its offset, totals counted
in groups, the CSV's formula test only on text columns, a row's cells escaped at once
(XML, Markdown), and labels kept per document.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.cli.commands.output import csv_cell, csv_row
from dutydesk.i18n import label, set_language
from dutydesk.reports import daily as report
from dutydesk.reports import docx_style as ds
from dutydesk.reports.ooxml import xml_text, xml_texts
from dutydesk.reports.wording import document_time
from dutydesk.rules.documents import DailyRow, tally, tally_groups
from dutydesk.rules.sanitize import looks_like_formula, may_start_formula
from dutydesk.storage.engine import stored_utc
from dutydesk.vocab import Category, Channel, Classification, EntryKind, Severity, Status
from tests.hostile import SHORT

ZONES = [
    "Asia/Shanghai",  # no daylight saving now, some in 1986-1991
    "America/New_York",  # an hour forward and back
    "Australia/Lord_Howe",  # half an hour forward and back
    "Asia/Kathmandu",  # +05:45
    "Africa/Monrovia",  # -00:44:30 until 1972: an offset in seconds
    "Europe/Amsterdam",  # +00:19:32 until 1937
]

moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(moments, st.sampled_from(ZONES), st.booleans())
def test_local_iso_is_isoformat_of_the_zoned_moment(
    moment: datetime, zone: str, whole_second: bool
) -> None:
    tz = ZoneInfo(zone)
    if whole_second:
        moment = moment.replace(microsecond=0)
    local = report.LocalIso(tz)
    for _ in range(2):  # the minute made, then the minute kept
        assert local(moment) == moment.astimezone(tz).isoformat()


def test_local_iso_across_the_changes_of_offset() -> None:
    """Every second around a spring and an autumn change, in whole and in half hours."""
    for zone, change in (
        ("America/New_York", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 11, 1, 6, 0, tzinfo=UTC)),
        ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, 0, tzinfo=UTC)),
        ("Africa/Monrovia", datetime(1972, 1, 7, 0, 44, 30, tzinfo=UTC)),
    ):
        tz = ZoneInfo(zone)
        local = report.LocalIso(tz)
        for second in range(-180, 180):
            moment = change + timedelta(seconds=second, microseconds=second % 7)
            assert local(moment) == moment.astimezone(tz).isoformat(), (zone, moment)
    other = datetime(2026, 11, 26, 8, 30, 1, tzinfo=timezone(timedelta(hours=3)))
    tz = ZoneInfo("Asia/Shanghai")
    assert report.LocalIso(tz)(other) == other.astimezone(tz).isoformat()
    assert report.LocalIso(tz)(None) is None


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@given(moment=moments, zone=st.sampled_from(ZONES), spreadsheet=st.booleans())
def test_document_times_are_those_of_each_moment(
    language: str, moment: datetime, zone: str, spreadsheet: bool
) -> None:
    set_language(language)
    tz = ZoneInfo(zone)
    reference = None if spreadsheet else datetime(2026, 11, 26, 0, 30, tzinfo=UTC).astimezone(tz)
    row = DailyRow("1", moment, Status.FOLLOWING, Classification.INTERNAL, False)
    if reference is not None and language == "zh_CN":
        expected = document_time(moment, tz, reference)
    else:
        expected = moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    cells = report.DisplayCells(tz, reference)
    assert cells(row)[1] == cells(row)[1] == expected
    set_language("en")


def test_equal_codes_of_two_enums_keep_their_own_labels() -> None:
    """Status.RECEIVED == EntryKind.RECEIVED as strings: one label cache served both."""
    set_language("zh_CN")
    row = DailyRow(
        "20261126-001",
        datetime(2026, 11, 26, 1, tzinfo=UTC),
        Status.RECEIVED,
        Classification.INTERNAL,
        False,
        last_entry_kind=EntryKind.RECEIVED,
    )
    for cells in (report.display_cells(row, ZoneInfo("Asia/Shanghai")),) * 2:
        assert cells[6] == label(Status.RECEIVED) == "待报告"
        assert cells[14] == label(EntryKind.RECEIVED) == "接报"
    set_language("en")


UTC_TEXTS = [
    "2026-11-26 00:30:00.864000",
    "2026-11-26 00:30:00",
    "2026-11-26T00:30",
    "2026-11-26 00:30:00+08:00",
    "2026-11-26 00:30:00Z",
    "2026-11-26",
    "0001-01-01 00:00:00",
]


@pytest.mark.parametrize("text", UTC_TEXTS)
def test_stored_times_read_as_before(text: str) -> None:
    """The offset parsed with the text; a text with its own offset still gets UTC's."""
    before = datetime.fromisoformat(text).replace(tzinfo=UTC)
    after = stored_utc(text)
    assert after == before
    assert after.tzinfo is UTC
    assert after.isoformat() == before.isoformat()


tallies = st.tuples(
    st.booleans(),
    st.sampled_from([None, *(member.value for member in Category)]),
    st.sampled_from([None, *(member.value for member in Severity)]),
    st.sampled_from([None, *(member.value for member in Channel)]),
)


@given(st.lists(st.tuples(tallies, st.integers(1, 5))))
def test_grouped_totals_are_the_totals_of_the_rows(groups: list[tuple[object, int]]) -> None:
    rows = [item for item, size in groups for _ in range(size)]
    assert tally_groups(groups) == tally(rows)  # type: ignore[arg-type]


def test_codes_and_times_never_look_like_formulas() -> None:
    """What lets the CSV writer skip the formula test on :data:`report.FORMULA_FREE`."""
    keys = [key for key, _ in report.COLUMNS]
    assert report.FORMULA_FREE.issubset(keys)
    for kind in (Channel, Category, Severity, Classification, Status, EntryKind):
        for member in kind:
            assert not looks_like_formula(member.value), member
    assert not looks_like_formula(datetime(1, 1, 1, tzinfo=UTC).isoformat())
    assert not looks_like_formula(str(0))


HOSTILE = [*SHORT.values(), "", "plain", "幸福路1号", "=1+1", " -2", "＝3", "\tx", "a\x00b"]


@given(st.lists(st.sampled_from(HOSTILE) | st.text(), min_size=17, max_size=17))
def test_csv_rows_checked_on_text_columns_are_the_csv_cells(texts: list[str]) -> None:
    """Codes, counts and times in the formula-free columns; anything in the others."""
    keys = [key for key, _ in report.COLUMNS]
    free = [key in report.FORMULA_FREE for key in keys]
    values: list[object] = [
        ("2026-11-26T08:30:00+08:00" if "_at" in key else 3 if key == "entries" else "phone")
        if is_free
        else text
        for key, is_free, text in zip(keys, free, texts, strict=True)
    ]
    checked = [index for index, is_free in enumerate(free) if not is_free]
    assert csv_row(values, checked) == [csv_cell(value) for value in values]


@given(st.lists(st.sampled_from(HOSTILE) | st.text(), max_size=20))
def test_a_row_escaped_at_once_is_each_cell_escaped(texts: list[str]) -> None:
    assert xml_texts(texts) == [xml_text(text) for text in texts]
    cells = "".join(ds.cell_xml(text) for text in texts)
    assert ds.row_xml(texts) == f"<w:tr>{cells}</w:tr>"
    old_md = "| " + " | ".join(report._md_cell(text) for text in texts) + " |"
    if texts:
        assert report._md_row(texts) == old_md


def test_a_row_without_a_formula_start_holds_no_formula() -> None:
    """:func:`may_start_formula` false for a character: no text starting with it is one."""
    for code in range(0x110000):
        char = chr(code)
        if not may_start_formula(char):
            for text in (char, char + "=1", char + " +1"):
                assert not looks_like_formula(text), hex(code)
    assert may_start_formula("a=") and may_start_formula("a\u3000") and may_start_formula(" ")
    assert not may_start_formula("") and not may_start_formula("2幸p")
