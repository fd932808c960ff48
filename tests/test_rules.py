"""Pure rules: shifts, handover time, deadlines, need-to-know."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.rules.deadlines import EntryFact, due_steps, load_rules, next_due
from dutydesk.rules.policy import may_see
from dutydesk.rules.shifts import following_shifts, next_handover, shift_at
from dutydesk.vocab import Classification, EntryKind, Severity, ShiftKind, member

TZ = ZoneInfo("Asia/Shanghai")
DAY, NIGHT = time(8, 30), time(17, 30)
RULES = load_rules()


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def test_night_shift_after_midnight_belongs_to_the_previous_day() -> None:
    shift = shift_at(local(2026, 11, 26, 2, 31), DAY, NIGHT, TZ)
    assert shift.kind is ShiftKind.NIGHT
    assert shift.shift_date.isoformat() == "2026-11-25"
    assert shift.start_at == local(2026, 11, 25, 17, 30)
    assert shift.end_at == local(2026, 11, 26, 8, 30)


def test_day_shift_and_boundaries() -> None:
    assert shift_at(local(2026, 11, 26, 8, 30), DAY, NIGHT, TZ).kind is ShiftKind.DAY
    assert shift_at(local(2026, 11, 26, 17, 29), DAY, NIGHT, TZ).kind is ShiftKind.DAY
    assert shift_at(local(2026, 11, 26, 17, 30), DAY, NIGHT, TZ).kind is ShiftKind.NIGHT


def test_following_shifts_alternate() -> None:
    current = shift_at(local(2026, 11, 26, 2, 31), DAY, NIGHT, TZ)
    nxt = following_shifts(current, 2, DAY, NIGHT, TZ)
    assert [(s.shift_date.isoformat(), s.kind) for s in nxt] == [
        ("2026-11-26", ShiftKind.DAY),
        ("2026-11-26", ShiftKind.NIGHT),
    ]


def test_next_handover_skips_the_weekend() -> None:
    assert next_handover(local(2026, 11, 26, 2, 31), time(8, 30), TZ) == local(2026, 11, 26, 8, 30)
    # Friday 09:00 -> Monday 08:30
    assert next_handover(local(2026, 11, 27, 9, 0), time(8, 30), TZ) == local(2026, 11, 30, 8, 30)


def test_major_incident_owes_the_city_s_phone_and_written_reports() -> None:
    # The city's own defaults, stricter than the national 30/60 ceiling (data/rules.toml).
    received = datetime(2026, 11, 25, 18, 14, tzinfo=UTC)
    steps = due_steps(RULES, Severity.II, received, [EntryFact(EntryKind.RECEIVED, received)])
    assert [(s.step, s.due_at - received) for s in steps] == [
        ("phone_report", timedelta(minutes=20)),
        ("first_report", timedelta(minutes=40)),
    ]


def test_the_defaults_never_exceed_the_national_ceiling_for_major_events() -> None:
    for grade in (Severity.I, Severity.II):
        assert RULES.phone_report[grade] <= timedelta(minutes=30)
        first = RULES.first_report_for(grade)
        assert first is not None and first <= timedelta(minutes=60)


def test_after_a_report_the_next_continued_report_is_due() -> None:
    received = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    report = received + timedelta(minutes=50)
    due = next_due(RULES, Severity.III, received, [EntryFact(EntryKind.FIRST_REPORT, report)])
    assert due is not None and due.step == "continued_report"
    assert due.due_at == report + timedelta(hours=48)


def test_unanswered_instruction_owes_feedback_until_answered() -> None:
    received = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    instruction = EntryFact(
        EntryKind.LEADER_INSTRUCTION,
        received + timedelta(hours=1),
        due_at=received + timedelta(hours=5),
        entry_id=7,
    )
    report = EntryFact(EntryKind.FIRST_REPORT, received + timedelta(minutes=30))
    assert next_due(RULES, Severity.IV, received, [report, instruction]).step == "feedback"  # type: ignore[union-attr]
    answered = EntryFact(EntryKind.FEEDBACK, received + timedelta(hours=2), refers_to_id=7)
    assert "feedback" not in {
        s.step for s in due_steps(RULES, Severity.IV, received, [report, instruction, answered])
    }


def test_closed_incident_owes_nothing() -> None:
    assert next_due(RULES, Severity.I, datetime(2026, 1, 1, tzinfo=UTC), [], is_open=False) is None


@given(st.sampled_from([Severity.IV, Severity.III, Severity.II]))
def test_raising_severity_never_makes_the_first_deadline_later(lower: Severity) -> None:
    # Among the grades; unassessed stands outside (its 初判 clock is stricter than IV's).
    received = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    order = [Severity.IV, Severity.III, Severity.II, Severity.I]
    higher = order[order.index(lower) + 1]
    low = next_due(RULES, lower, received, [])
    high = next_due(RULES, higher, received, [])
    assert low is not None and high is not None
    assert high.due_at <= low.due_at


def test_need_to_know() -> None:
    assert may_see(Classification.SECRET, Classification.CONFIDENTIAL)
    assert may_see(Classification.INTERNAL, Classification.PUBLIC)
    assert not may_see(Classification.INTERNAL, Classification.SECRET)
    assert not may_see(Classification.SECRET, Classification.TOP_SECRET)


@pytest.mark.parametrize("kind", [Classification, Severity, EntryKind])
def test_member_is_calling_the_enum_without_the_call(kind: type[StrEnum]) -> None:
    for each in kind:
        assert member(kind, each.value) is each is member(kind, each)
    with pytest.raises(ValueError, match="not a valid"):
        member(kind, "no such code")


def test_the_rule_engines_records_stay_read_only() -> None:
    # Period, EntryFact and DueStep are named tuples now (a dataclass's methods are
    # compiled at import: ~3.7 M instructions each on every CLI write, issue 16); they
    # must stay values that nobody changes in place.
    from datetime import UTC, datetime, timedelta

    from dutydesk.rules.deadlines import DueStep, EntryFact, Period
    from dutydesk.vocab import EntryKind

    moment = datetime(2026, 11, 26, tzinfo=UTC)
    for record, name in (
        (Period(span=timedelta(hours=1)), "span"),
        (EntryFact(EntryKind.NOTE, moment), "due_at"),
        (DueStep("initial_grading", moment), "step"),
    ):
        with pytest.raises(AttributeError):
            setattr(record, name, None)
    assert Period(span=timedelta(hours=1)) == Period(timedelta(hours=1))
