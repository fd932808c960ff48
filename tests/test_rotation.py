"""The rotation rules: what is proposed never breaks a hard rule; what cannot be filled is said."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.rules.rotation import Problem, Seat, SlotNeed, check, propose
from dutydesk.vocab import Position, ShiftKind

START = date(2026, 12, 1)


def _needs(days: int, special: set[int] = frozenset()) -> list[SlotNeed]:  # type: ignore[assignment]
    return [
        SlotNeed(START + timedelta(days=d), kind, special=d in special)
        for d in range(days)
        for kind in ShiftKind
    ]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[SlotNeed], dict[Position, list[str]], dict]:  # type: ignore[type-arg]
    names = [f"P{i}" for i in range(draw(st.integers(2, 14)))]
    pools = {
        position: draw(st.lists(st.sampled_from(names), min_size=0, max_size=5, unique=True))
        for position in Position
    }
    days = draw(st.integers(1, 10))
    special = set(draw(st.lists(st.integers(0, days - 1), max_size=days)))
    needs = _needs(days, special)
    away = {
        need.key: frozenset(draw(st.lists(st.sampled_from(names), max_size=2)))
        for need in needs
        if draw(st.booleans())
    }
    return needs, pools, away


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.lists(st.sampled_from([f"P{i}" for i in range(4)]), max_size=3))
def test_proposals_never_break_a_hard_rule(scenario, previous) -> None:  # type: ignore[no-untyped-def]
    needs, pools, away = scenario
    rotation = propose(needs, pools, away=away, previous_night=previous)
    assert check(rotation.seats) == []
    seats = {(s.shift_date, s.kind, s.position): s.name for s in rotation.seats}
    nights = {(s.shift_date, s.name) for s in rotation.seats if s.kind is ShiftKind.NIGHT}
    for seat in rotation.seats:
        assert seat.name in pools[seat.position]  # qualified
        assert seat.name not in away.get((seat.shift_date, seat.kind), frozenset())  # not away
        if seat.shift_date == START:
            assert seat.name not in previous  # rested after the night before the range
        assert (seat.shift_date - timedelta(days=1), seat.name) not in nights
    # Every seat a shift needs is either filled or reported in words naming it.
    for need in needs:
        for position in need.positions():
            if (need.shift_date, need.kind, position) not in seats:
                words = position.value.replace("_", " ")
                where = f"{need.shift_date.isoformat()} {need.kind.value}"
                assert any(p.startswith(where) and words in p for p in rotation.problems)


def test_every_night_and_special_day_has_a_confidential_officer() -> None:
    pools = {
        Position.DUTY_LEADER: ["甲", "乙", "丙"],
        Position.DUTY_OFFICER: ["丁", "戊", "己", "庚"],
        Position.INFORMATION_OFFICER: ["辛", "壬", "癸"],
        Position.CONFIDENTIAL_OFFICER: ["韩冬", "冯晓燕", "曹宇"],
    }
    rotation = propose(_needs(14, special={3, 4}), pools)
    assert rotation.problems == ()
    confidential = {
        (s.shift_date, s.kind)
        for s in rotation.seats
        if s.position is Position.CONFIDENTIAL_OFFICER
    }
    for d in range(14):
        assert (START + timedelta(days=d), ShiftKind.NIGHT) in confidential
    assert (START + timedelta(days=3), ShiftKind.DAY) in confidential
    assert (START + timedelta(days=5), ShiftKind.DAY) not in confidential
    # Fair: over 14 nights and 2 special days, 16 seats among 3 officers: 5 or 6 each.
    counts = rotation.counts[Position.CONFIDENTIAL_OFFICER]
    assert max(counts.values()) - min(counts.values()) <= 1
    assert any("confidential officer: 5-6 shifts each" in line for line in rotation.fairness())


def test_what_cannot_be_filled_is_said_in_words() -> None:
    pools = {
        Position.DUTY_LEADER: ["甲", "乙", "丙"],
        Position.DUTY_OFFICER: ["丁", "戊", "己"],
        Position.INFORMATION_OFFICER: ["辛", "壬", "癸"],
        Position.CONFIDENTIAL_OFFICER: ["钱七"],
    }
    rotation = propose(_needs(3), pools)
    assert (
        "2026-12-02 night: no confidential officer free (钱七 worked 12-01 night)"
        in rotation.problems
    )
    assert check(rotation.seats) == []


def test_fixed_seats_are_kept_and_counted() -> None:
    pools = {p: ["甲", "乙", "丙", "丁"] for p in Position}
    fixed = SlotNeed(START, ShiftKind.NIGHT, fixed={Position.DUTY_LEADER: "甲"})
    rotation = propose([fixed, SlotNeed(START + timedelta(days=1), ShiftKind.NIGHT)], pools)
    first_night = [s for s in rotation.seats if s.shift_date == START]
    assert Seat(START, ShiftKind.NIGHT, Position.DUTY_LEADER, "甲", fixed=True) in first_night
    assert all(s.name != "甲" for s in rotation.seats if s.shift_date != START)
    # Four seats a night with four people: the second night has nobody rested.
    assert len(rotation.problems) == 4


def test_check_names_each_broken_rule() -> None:
    night = ShiftKind.NIGHT
    seats = [
        Seat(START, night, Position.DUTY_OFFICER, "李四"),
        Seat(START, night, Position.INFORMATION_OFFICER, "李四"),
        Seat(START + timedelta(days=1), night, Position.DUTY_OFFICER, "李四"),
        Seat(START + timedelta(days=1), ShiftKind.DAY, Position.DUTY_LEADER, "王五"),
        Seat(START, night, Position.DUTY_LEADER, "王五"),
    ]
    problems = check(seats)
    assert any("李四 holds two positions" in p for p in problems)
    assert any("李四 is on two nights in a row" in p for p in problems)
    assert any("王五 is on the day shift after their 12-01 night" in p for p in problems)


def test_rest_rules_are_the_office_s_options() -> None:
    # Issue 12: 24-hour shifts and "no two nights in a row" are options, not fixed policy.
    from dutydesk.rules.rotation import RotationPolicy

    night, day = ShiftKind.NIGHT, ShiftKind.DAY
    whole_day = [
        Seat(START, day, Position.DUTY_OFFICER, "李四"),
        Seat(START, night, Position.DUTY_OFFICER, "李四"),
    ]
    assert any("both the day and the night" in p for p in check(whole_day))
    assert check(whole_day, RotationPolicy(whole_day_shifts=True)) == []
    two_nights = [
        Seat(START, night, Position.DUTY_OFFICER, "李四"),
        Seat(START + timedelta(days=1), night, Position.DUTY_OFFICER, "李四"),
    ]
    assert check(two_nights, RotationPolicy(two_nights_in_a_row=True)) == []
    # The day after a night stays a rest day whatever the options.
    after = [*two_nights[:1], Seat(START + timedelta(days=1), day, Position.DUTY_OFFICER, "李四")]
    assert check(after, RotationPolicy(True, True)) != []
    # Proposing with the option: one confidential officer may now take two nights running.
    pools = {
        Position.DUTY_LEADER: ["甲", "乙", "丙"],
        Position.DUTY_OFFICER: ["丁", "戊", "己"],
        Position.INFORMATION_OFFICER: ["辛", "壬", "癸"],
        Position.CONFIDENTIAL_OFFICER: ["钱七"],
    }
    strict = propose(_needs(3), pools)
    lenient = propose(_needs(3), pools, policy=RotationPolicy(two_nights_in_a_row=True))
    assert any("钱七 worked" in p for p in strict.problems)
    assert not any("钱七 worked" in p for p in lenient.problems)


def test_the_config_file_sets_the_rest_rules(tmp_path: Path) -> None:
    from dutydesk.config import load_settings

    file = tmp_path / "config.toml"
    file.write_text("rotation_whole_day_shifts = true\n", encoding="utf-8")
    policy = load_settings(file, environ={}).rotation_policy()
    assert (policy.whole_day_shifts, policy.two_nights_in_a_row) == (True, False)


def _every_problem() -> list[Problem]:
    """At least one problem of every kind the rules can give, with the fairness lines."""
    night, day = ShiftKind.NIGHT, ShiftKind.DAY
    broken = check(
        [
            Seat(START, night, Position.DUTY_OFFICER, "李四"),
            Seat(START, night, Position.INFORMATION_OFFICER, "李四"),
            Seat(START + timedelta(days=1), night, Position.DUTY_OFFICER, "李四"),
            Seat(START + timedelta(days=1), day, Position.DUTY_LEADER, "王五"),
            Seat(START, night, Position.DUTY_LEADER, "王五"),
            Seat(START, day, Position.DUTY_LEADER, "王五"),
        ]
    )
    pools = {
        Position.DUTY_LEADER: ["甲", "乙"],
        Position.DUTY_OFFICER: ["丁", "乙"],
        Position.INFORMATION_OFFICER: [],
        Position.CONFIDENTIAL_OFFICER: ["钱七"],
    }
    away = {(START, day): frozenset({"丁"})}
    rotation = propose(_needs(2), pools, away=away)
    return [*broken, *rotation.problems, *rotation.fairness()]


def test_every_roster_problem_is_said_in_chinese_and_the_same_in_english() -> None:
    # Issue 12: roster refusals and warnings under zh_CN were the rules' English.
    from dutydesk.i18n import set_language
    from dutydesk.services.roster.words import problem_text

    problems = _every_problem()
    reasons = [r for p in problems if p.key == "none_free" for r in p.values["reasons"]]  # type: ignore[attr-defined]
    keys = {p.key for p in [*problems, *reasons]}
    assert keys >= {
        "two_positions", "two_nights", "day_after_night", "day_and_night", "nobody_can_be",
        "none_free", "already_on_shift", "away", "worked_night", "fairness",
    }  # fmt: skip
    set_language("en")
    assert [problem_text(p) for p in problems] == [str(p) for p in problems]
    set_language("zh_CN")
    try:
        for problem in problems:
            said = problem_text(problem)
            assert re.search(r"[\u4e00-\u9fff]", said), said
            assert not re.search(r"\b[A-Za-z]+(?: +[A-Za-z]+){2,}\b", said), said
    finally:
        set_language("en")
