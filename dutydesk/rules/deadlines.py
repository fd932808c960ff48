"""Report deadlines (时限): the next due step of an incident from its timeline.

Pure: give it the rules, the incident's severity and receipt time and its entries,
get back the step due soonest. Defaults live in ``data/rules.toml``; the config file's
``[rules]`` table overrides them (``Settings.rules``, passed as ``overrides``).

Rules are checked when loaded: every period must be positive and a more serious grade
may never wait longer than a less serious one, so raising an incident's severity can
only bring a deadline forward (a property test holds the engine to that).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from dutydesk.errors import ConfigError
from dutydesk.vocab import EntryKind, Severity

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "rules.toml"


@dataclass(frozen=True)
class DeadlineRules:
    """Deadline settings per severity grade."""

    phone_report: Mapping[Severity, timedelta]
    first_report: Mapping[Severity, timedelta]
    continued_report: Mapping[Severity, timedelta]
    feedback: timedelta

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DeadlineRules:
        """Build from the parsed ``rules.toml`` layout."""

        def table(name: str, unit: str) -> dict[Severity, timedelta]:
            return {
                Severity(grade): timedelta(**{unit: float(value)})
                for grade, value in data.get(name, {}).items()
            }

        return cls(
            phone_report=table("phone_report_minutes", "minutes"),
            first_report=table("first_report_minutes", "minutes"),
            continued_report=table("continued_report_hours", "hours"),
            feedback=timedelta(days=float(data.get("instruction", {}).get("feedback_days", 3))),
        )

    def first_report_for(self, severity: Severity) -> timedelta | None:
        """The written first report period of a grade (unlisted grades: unassessed's)."""
        return self.first_report.get(severity, self.first_report.get(Severity.UNASSESSED))

    def continued_report_for(self, severity: Severity) -> timedelta | None:
        """The continued report interval of a grade (unlisted grades: unassessed's)."""
        return self.continued_report.get(severity, self.continued_report.get(Severity.UNASSESSED))

    def clocks_for(self, severity: Severity) -> list[tuple[str, timedelta]]:
        """The report clocks a new incident of this grade starts, as ``(step, period)``.

        The phone report (only grades listed in ``phone_report_minutes``), then the
        written first report: what the intake form shows beside the severity.
        """
        clocks = [("phone_report", self.phone_report.get(severity))]
        clocks.append(("first_report", self.first_report_for(severity)))
        return [(step, period) for step, period in clocks if period is not None]

    def problems(self) -> list[str]:
        """What is wrong with these rules, in words; empty when they are usable."""
        found: list[str] = []
        if self.feedback <= timedelta(0):
            found.append("instruction.feedback_days: must be more than 0")
        tables: dict[str, Callable[[Severity], timedelta | None]] = {
            "phone_report_minutes": self.phone_report.get,
            "first_report_minutes": self.first_report_for,
            "continued_report_hours": self.continued_report_for,
        }
        grades = sorted(Severity, key=lambda grade: grade.rank)  # most serious first
        for name, period in tables.items():
            for grade in grades:
                value = period(grade)
                if value is not None and value <= timedelta(0):
                    found.append(f"{name}.{grade.value}: must be more than 0")
            for serious, lesser in pairwise(grades):
                high, low = period(serious), period(lesser)
                if low is not None and (high is None or high > low):
                    found.append(
                        f"{name}: grade {serious.value} must not have a longer period "
                        f"than grade {lesser.value}"
                    )
        return found


def load_rules(
    path: Path = RULES_FILE, overrides: Mapping[str, Any] | None = None
) -> DeadlineRules:
    """Read the rules file, with ``overrides`` (the config file's ``[rules]``) on top.

    Raises:
        ConfigError: the resulting rules are not usable (see :meth:`DeadlineRules.problems`).

    """
    with path.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update(values)
    rules = DeadlineRules.from_mapping(data)
    problems = rules.problems()
    if problems:
        raise ConfigError(f"rules: {problems[0]}")
    return rules


@dataclass(frozen=True)
class EntryFact:
    """What the rule engine needs of a timeline entry."""

    kind: EntryKind
    occurred_at: datetime
    due_at: datetime | None = None
    entry_id: int | None = None
    refers_to_id: int | None = None


@dataclass(frozen=True)
class DueStep:
    """The next thing owed on an incident and when."""

    step: str
    """``phone_report``, ``first_report``, ``continued_report`` or ``feedback``."""
    due_at: datetime
    entry_id: int | None = None
    """For ``feedback``: the instruction or assignment awaiting it."""


_REPORTS = {EntryKind.FIRST_REPORT, EntryKind.CONTINUED_REPORT, EntryKind.FINAL_REPORT}
_CLOSING = {EntryKind.FINAL_REPORT, EntryKind.CLOSED}


def closed_by_entries(entries: Iterable[EntryFact]) -> bool:
    """True when the latest final report or close is not followed by a reopening.

    ``entries`` are taken in the order they were recorded (timeline ``seq``), the order
    the status workflow saw them in, not by ``occurred_at``: a reopening logged with an
    earlier time than the final report it reopens still reopens.
    """
    last = None
    for fact in entries:
        if fact.kind in _CLOSING or fact.kind is EntryKind.REOPENED:
            last = fact.kind
    return last in _CLOSING


def due_steps(
    rules: DeadlineRules,
    severity: Severity,
    received_at: datetime,
    entries: Iterable[EntryFact],
    *,
    is_open: bool = True,
) -> list[DueStep]:
    """Every step currently owed on an incident, soonest first.

    ``entries`` come in the order they were recorded (see :func:`closed_by_entries`).

    Nothing is owed once the incident is closed (``is_open`` false, or a final report or
    close not followed by a reopening). A phone report is owed only by grades listed in
    ``phone_report_minutes`` and only until any report is made; the written first report
    until one is made; then a continued report every interval after the latest report
    (or reopening). Each leader instruction, and each assignment given a due date, owes
    feedback until a feedback entry refers to it.
    """
    recorded = list(entries)
    if not is_open or closed_by_entries(recorded):
        return []
    facts = sorted(recorded, key=lambda e: e.occurred_at)
    kinds = {fact.kind for fact in facts}
    steps: list[DueStep] = []
    phone = rules.phone_report.get(severity)
    if phone is not None and not kinds & ({EntryKind.PHONE_REPORT} | _REPORTS):
        steps.append(DueStep("phone_report", received_at + phone))
    reports = [fact.occurred_at for fact in facts if fact.kind in _REPORTS]
    if not reports:
        first = rules.first_report_for(severity)
        if first is not None:
            steps.append(DueStep("first_report", received_at + first))
    else:
        interval = rules.continued_report_for(severity)
        reopened = [fact.occurred_at for fact in facts if fact.kind is EntryKind.REOPENED]
        if interval is not None:
            # A reopening restarts the clock: the matter was settled until then.
            steps.append(DueStep("continued_report", max(reports + reopened) + interval))
    answered = {fact.refers_to_id for fact in facts if fact.kind is EntryKind.FEEDBACK}
    for fact in facts:
        if fact.entry_id in answered and fact.entry_id is not None:
            continue
        if fact.kind is EntryKind.LEADER_INSTRUCTION:
            due = fact.due_at or fact.occurred_at + rules.feedback
            steps.append(DueStep("feedback", due, fact.entry_id))
        elif fact.kind is EntryKind.ASSIGNMENT and fact.due_at is not None:
            steps.append(DueStep("feedback", fact.due_at, fact.entry_id))
    return sorted(steps, key=lambda step: step.due_at)


def next_due(
    rules: DeadlineRules,
    severity: Severity,
    received_at: datetime,
    entries: Iterable[EntryFact],
    *,
    is_open: bool = True,
) -> DueStep | None:
    """The step due soonest, or ``None`` when nothing is owed."""
    steps = due_steps(rules, severity, received_at, entries, is_open=is_open)
    return steps[0] if steps else None
