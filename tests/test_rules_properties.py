"""Property tests of the report clocks (hypothesis) and the rules' configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.config import load_settings
from dutydesk.errors import ConfigError
from dutydesk.rules.deadlines import (
    DeadlineRules,
    DueStep,
    EntryFact,
    closed_by_entries,
    due_steps,
    load_rules,
    next_due,
)
from dutydesk.vocab import EntryKind, Severity

RULES = load_rules()
RECEIVED = datetime(2026, 11, 25, 18, 14, tzinfo=UTC)
GRADES = sorted(Severity, key=lambda grade: grade.rank)  # most serious first
GRADED = [grade for grade in GRADES if grade is not Severity.UNASSESSED]
REPORTS = {EntryKind.FIRST_REPORT, EntryKind.CONTINUED_REPORT, EntryKind.FINAL_REPORT}
ANSWERABLE = {EntryKind.LEADER_INSTRUCTION, EntryKind.ASSIGNMENT}
KINDS = [kind for kind in EntryKind if kind is not EntryKind.RECEIVED]


@st.composite
def timelines(draw: st.DrawFn) -> list[EntryFact]:
    """A received entry, then any kinds in recording order, with earlier references."""
    facts = [EntryFact(EntryKind.RECEIVED, RECEIVED, entry_id=1)]
    for entry_id in range(2, draw(st.integers(0, 12)) + 2):
        kind = draw(st.sampled_from(KINDS))
        at = RECEIVED + timedelta(minutes=draw(st.integers(0, 14 * 24 * 60)))
        due = None
        if kind in ANSWERABLE and draw(st.booleans()):
            due = at + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
        refers = None
        referring = {EntryKind.FEEDBACK, EntryKind.CORRECTION, EntryKind.REPORTED_BACK}
        if kind in referring and draw(st.booleans()):
            refers = draw(st.integers(1, entry_id - 1))
        facts.append(EntryFact(kind, at, due_at=due, entry_id=entry_id, refers_to_id=refers))
    return facts


@st.composite
def valid_rules(draw: st.DrawFn) -> DeadlineRules:
    """Rules where a more serious grade never waits longer (what load_rules accepts)."""

    def table(low: int, high: int, optional_tail: bool) -> dict[Severity, timedelta]:
        values = sorted(draw(st.lists(st.integers(low, high), min_size=5, max_size=5)))
        keep = draw(st.integers(1, 5)) if optional_tail else 5
        return {
            grade: timedelta(minutes=v) for grade, v in zip(GRADES[:keep], values, strict=False)
        }

    return DeadlineRules(
        phone_report=table(5, 120, optional_tail=True),
        first_report=table(10, 600, optional_tail=False),
        continued_report=table(60, 100 * 60, optional_tail=False),
        feedback=timedelta(days=draw(st.integers(1, 10))),
    )


def _keyed(steps: list[DueStep]) -> dict[tuple[str, int | None], datetime]:
    return {(step.step, step.entry_id): step.due_at for step in steps}


def _instructions_owed(facts: list[EntryFact]) -> set[tuple[str, int | None]]:
    """Each instruction not yet reported back: feedback until answered, then 报结."""
    answered = {f.refers_to_id for f in facts if f.kind is EntryKind.FEEDBACK}
    reported_back = {f.refers_to_id for f in facts if f.kind is EntryKind.REPORTED_BACK}
    return {
        ("report_back" if fact.entry_id in answered else "feedback", fact.entry_id)
        for fact in facts
        if fact.kind is EntryKind.LEADER_INSTRUCTION and fact.entry_id not in reported_back
    }


@settings(max_examples=300, deadline=None)
@given(facts=timelines(), severity=st.sampled_from(list(Severity)))
def test_due_steps_are_consistent(facts: list[EntryFact], severity: Severity) -> None:
    steps = due_steps(RULES, severity, RECEIVED, facts)
    assert [s.due_at for s in steps] == sorted(s.due_at for s in steps)
    assert all(step.due_at >= RECEIVED for step in steps)
    # A closed matter owes only what its leaders' instructions still ask (issue 12).
    closed_steps = due_steps(RULES, severity, RECEIVED, facts, is_open=False)
    assert {(s.step, s.entry_id) for s in closed_steps} == _instructions_owed(facts)
    assert next_due(RULES, severity, RECEIVED, facts) == (steps[0] if steps else None)
    if closed_by_entries(facts):
        assert steps == closed_steps
        return
    kinds = {fact.kind for fact in facts}
    names = [step.step for step in steps]
    for name in ("phone_report", "first_report", "continued_report"):
        assert names.count(name) <= 1
    reported = bool(kinds & REPORTS)
    assert ("first_report" in names) == (not reported)
    assert ("continued_report" in names) == reported
    assert ("phone_report" in names) == (
        severity in RULES.phone_report and not kinds & (REPORTS | {EntryKind.PHONE_REPORT})
    )
    answered = {f.refers_to_id for f in facts if f.kind is EntryKind.FEEDBACK}
    assignments = {
        ("feedback", fact.entry_id)
        for fact in facts
        if fact.kind is EntryKind.ASSIGNMENT
        and fact.due_at is not None
        and fact.entry_id not in answered
    }
    instruction_steps = {"feedback", "report_back"}
    owed = {(s.step, s.entry_id) for s in steps if s.step in instruction_steps}
    assert owed == assignments | _instructions_owed(facts)


@settings(max_examples=300, deadline=None)
@given(facts=timelines())
def test_after_a_final_report_only_instructions_are_owed(facts: list[EntryFact]) -> None:
    last = facts[-1].occurred_at
    final = [*facts, EntryFact(EntryKind.FINAL_REPORT, last, entry_id=99)]
    for severity in Severity:
        steps = due_steps(RULES, severity, RECEIVED, final)
        assert {(s.step, s.entry_id) for s in steps} == _instructions_owed(final)


def test_an_answered_instruction_is_not_due() -> None:
    instruction = EntryFact(EntryKind.LEADER_INSTRUCTION, RECEIVED, entry_id=2)
    feedback = EntryFact(
        EntryKind.FEEDBACK, RECEIVED + timedelta(hours=1), entry_id=3, refers_to_id=2
    )
    first = EntryFact(EntryKind.FIRST_REPORT, RECEIVED + timedelta(hours=1), entry_id=4)
    before = due_steps(RULES, Severity.IV, RECEIVED, [instruction, first])
    after = due_steps(RULES, Severity.IV, RECEIVED, [instruction, first, feedback])
    assert [(s.step, s.entry_id) for s in before] == [
        ("feedback", 2),
        ("continued_report", None),
    ]
    assert "feedback" not in [s.step for s in after]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"first_report_minutes": {"II": 200}}, "grade II must not have a longer period"),
        ({"phone_report_minutes": {"III": 10}}, "phone_report_minutes: grade II"),
        ({"continued_report_hours": {"I": -1}}, "must be more than 0"),
        ({"instruction": {"feedback_days": 0}}, "feedback_days"),
    ],
)
def test_rules_that_would_delay_a_serious_incident_are_refused(overrides, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message):
        load_rules(overrides=overrides)


def test_config_file_overrides_the_rules(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text(
        "[rules.phone_report_minutes]\nI = 15\nII = 15\n"
        "[rules.first_report_minutes]\nI = 35\nII = 35\n"
    )
    settings_ = load_settings(file, environ={})
    assert settings_.rules == {
        "phone_report_minutes": {"I": 15.0, "II": 15.0},
        "first_report_minutes": {"I": 35.0, "II": 35.0},
    }
    rules = load_rules(overrides=settings_.rules)
    assert rules.phone_report[Severity.II] == timedelta(minutes=15)
    assert rules.first_report[Severity.I] == timedelta(minutes=35)
    assert rules.first_report[Severity.III] == timedelta(minutes=120)  # default kept


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("rules = 3", "expected a table"),
        ("[rules.lunch_minutes]\nI = 3", "unknown table"),
        ("[rules.first_report_minutes]\nV = 3", "unknown key"),
        ('[rules.first_report_minutes]\nI = "soon"', "expected a number"),
        ("[rules.first_report_minutes]\nI = 0", "more than 0"),
        ("[rules.instruction]\nfeedback_days = true", "expected a number"),
    ],
)
def test_bad_rules_in_the_config_file(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "config.toml"
    file.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(file, environ={})
