"""Clocks by kind of matter (issue 12): emergencies, requests, documents, 初判, 敏感."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.errors import ConfigError
from dutydesk.rules.deadlines import EntryFact, due_steps, load_rules
from dutydesk.vocab import Category, Channel, EntryKind, MatterKind, Severity

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
EMERGENCY_STEPS = {"initial_grading", "phone_report", "first_report", "continued_report"}
REQUEST_STEPS = {"assign", "conclude"}
DOCUMENT_STEPS = {"register", "submit", "circulate", "conclude"}

entry_kinds = st.sampled_from(
    [k for k in EntryKind if k not in {EntryKind.FINAL_REPORT, EntryKind.CLOSED}]
)


@st.composite
def timelines(draw: st.DrawFn) -> tuple[datetime, list[EntryFact]]:
    received = datetime(2026, 11, 2, 1, 0, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 60 * 24 * 30))
    )
    facts = [
        EntryFact(kind, received + timedelta(minutes=offset), entry_id=n)
        for n, (kind, offset) in enumerate(
            draw(st.lists(st.tuples(entry_kinds, st.integers(0, 60 * 24 * 5)), max_size=8))
        )
    ]
    return received, facts


@given(timelines(), st.sampled_from(list(Severity)))
def test_a_request_never_owes_an_emergency_report(
    timeline: tuple[datetime, list[EntryFact]], grade: Severity
) -> None:
    received, facts = timeline
    steps = {s.step for s in due_steps(RULES, grade, received, facts, kind=MatterKind.REQUEST)}
    assert not steps & EMERGENCY_STEPS
    assert not steps & (DOCUMENT_STEPS - REQUEST_STEPS)


@given(timelines(), st.sampled_from(list(Severity)))
def test_a_document_never_owes_a_first_or_continued_report(
    timeline: tuple[datetime, list[EntryFact]], grade: Severity
) -> None:
    received, facts = timeline
    steps = {s.step for s in due_steps(RULES, grade, received, facts, kind=MatterKind.DOCUMENT)}
    assert not steps & EMERGENCY_STEPS
    assert "assign" not in steps


@given(timelines(), st.sampled_from(list(Severity)))
def test_an_emergency_owes_only_emergency_steps_and_feedback(
    timeline: tuple[datetime, list[EntryFact]], grade: Severity
) -> None:
    received, facts = timeline
    steps = {s.step for s in due_steps(RULES, grade, received, facts)}
    assert steps <= EMERGENCY_STEPS | {"feedback"}


@given(timelines(), st.sampled_from(list(Severity)), st.sampled_from(list(MatterKind)))
def test_a_sensitive_item_is_on_grade_i_s_clock_whatever_its_grade_and_kind(
    timeline: tuple[datetime, list[EntryFact]], grade: Severity, kind: MatterKind
) -> None:
    received, facts = timeline
    sensitive = due_steps(RULES, grade, received, facts, kind=kind, sensitive=True)
    major = due_steps(RULES, Severity.I, received, facts)
    reports = {"phone_report", "first_report", "continued_report"}
    assert [s for s in sensitive if s.step in reports] == [s for s in major if s.step in reports]


@given(st.sampled_from(list(MatterKind)), st.sampled_from(list(Severity)))
def test_an_item_s_first_clock_is_never_later_than_its_kind_allows(
    kind: MatterKind, grade: Severity
) -> None:
    received = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    steps = due_steps(RULES, grade, received, [EntryFact(EntryKind.RECEIVED, received)], kind=kind)
    assert steps, "every open item owes something"
    if kind is MatterKind.EMERGENCY and grade is Severity.UNASSESSED:
        assert steps[0].step == "initial_grading"
        assert steps[0].due_at - received == timedelta(minutes=15)


def test_unassessed_is_urgent_not_least_urgent() -> None:
    received = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    unassessed = due_steps(RULES, Severity.UNASSESSED, received, [])
    minor = due_steps(RULES, Severity.IV, received, [])
    assert unassessed[0].due_at < minor[0].due_at
    first = {s.step: s.due_at for s in unassessed}["first_report"]
    assert first - received == timedelta(minutes=60)


def test_the_initial_grading_is_made_once_the_matter_is_verified() -> None:
    # A rumour checked and found untrue stays below grade IV: the verification was the 初判.
    received = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    verified = EntryFact(EntryKind.VERIFIED, received + timedelta(minutes=10))
    steps = {s.step for s in due_steps(RULES, Severity.UNASSESSED, received, [verified])}
    assert "initial_grading" not in steps
    assert "first_report" in steps


def test_unassessed_may_be_configured_stricter_than_every_grade() -> None:
    rules = load_rules(overrides={"first_report_minutes": {"unassessed": 10}})
    assert rules.first_report_for(Severity.UNASSESSED) == timedelta(minutes=10)


def test_a_request_is_assigned_within_a_working_day_across_national_day() -> None:
    # A letter registered on the eve of the holiday: 转办 by the end of 10-08.
    received = datetime(2026, 9, 30, 16, 0, tzinfo=TZ)
    steps = {
        s.step: s.due_at
        for s in due_steps(RULES, Severity.UNASSESSED, received, [], kind=MatterKind.REQUEST)
    }
    assert steps["assign"] == datetime(2026, 10, 9, 0, 0, tzinfo=TZ)
    assert steps["conclude"] == received + timedelta(days=60)


def test_a_request_s_assignment_owes_feedback_in_working_days() -> None:
    received = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)  # a Friday
    assigned = EntryFact(EntryKind.ASSIGNMENT, received + timedelta(hours=1), entry_id=4)
    steps = due_steps(RULES, Severity.IV, received, [assigned], kind=MatterKind.REQUEST)
    feedback = [s for s in steps if s.step == "feedback"]
    assert feedback[0].entry_id == 4
    assert feedback[0].due_at == datetime(2026, 12, 5, 0, 0, tzinfo=TZ)  # Mon..Fri
    assert "assign" not in {s.step for s in steps}


def test_a_telegram_is_registered_submitted_circulated_then_concluded() -> None:
    received = datetime(2026, 12, 2, 2, 0, tzinfo=TZ)

    def owed(*facts: EntryFact) -> list[str]:
        return [
            s.step
            for s in due_steps(
                RULES, Severity.UNASSESSED, received, facts, kind=MatterKind.DOCUMENT
            )
        ]

    assert owed() == ["register", "submit", "conclude"]
    registered = EntryFact(EntryKind.REGISTERED, received + timedelta(minutes=20))
    assert owed(registered) == ["submit", "conclude"]
    submitted = EntryFact(EntryKind.SUBMITTED, received + timedelta(hours=1))
    assert owed(registered, submitted) == ["circulate", "conclude"]
    circulated = EntryFact(EntryKind.CIRCULATED, received + timedelta(hours=3))
    assert owed(registered, submitted, circulated) == ["conclude"]
    closed = EntryFact(EntryKind.CLOSED, received + timedelta(days=1))
    assert owed(registered, submitted, circulated, closed) == []


def test_a_cadence_brings_the_continued_report_forward() -> None:
    # The demo's instruction orders 每小时报告一次进展: the 24 h clock gives way to 1 h.
    received = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    report = EntryFact(EntryKind.FIRST_REPORT, received + timedelta(minutes=30))
    steps = due_steps(RULES, Severity.I, received, [report], report_every=timedelta(hours=1))
    assert steps[0].step == "continued_report"
    assert steps[0].due_at == report.occurred_at + timedelta(hours=1)


@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        (Channel.PHONE, MatterKind.EMERGENCY),
        (Channel.LETTER, MatterKind.REQUEST),
        (Channel.SMS_WECHAT, MatterKind.REQUEST),
        (Channel.WALK_IN, MatterKind.REQUEST),
        (Channel.CIPHER, MatterKind.DOCUMENT),
    ],
)
def test_the_kind_defaults_from_the_channel(channel: Channel, kind: MatterKind) -> None:
    assert RULES.kind_for(channel) is kind


def test_a_call_from_the_public_about_noise_is_a_request_not_an_emergency() -> None:
    assert RULES.kind_for(Channel.PHONE, Category.PUBLIC_REQUEST) is MatterKind.REQUEST
    assert RULES.kind_for(Channel.PHONE, Category.ACCIDENT) is MatterKind.EMERGENCY


def test_an_office_may_remap_a_channel_in_its_config(tmp_path: Path) -> None:
    from dutydesk.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text('[rules.kind_by_channel]\nfax = "document"\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    rules = load_rules(overrides=settings.rules)
    assert rules.kind_for(Channel.FAX) is MatterKind.DOCUMENT


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[rules.kind_by_channel]\nfax = "urgent"\n', "expected one of emergency"),
        ("[rules.request]\nassign_weeks = 1\n", "unknown key"),
        ("[rules.document]\nsubmit_hours = 0\n", "more than 0"),
    ],
)
def test_a_bad_rule_in_the_config_is_one_clear_line(
    tmp_path: Path, table: str, message: str
) -> None:
    from dutydesk.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_rules(overrides=load_settings(config, environ={}).rules)
