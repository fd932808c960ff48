"""Report deadlines (时限): the next due step of an incident from its timeline.

Pure: give it the rules, the incident's severity and receipt time and its entries,
get back the step due soonest. Defaults live in ``data/rules.toml``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

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


def load_rules(
    path: Path = RULES_FILE, overrides: Mapping[str, Any] | None = None
) -> DeadlineRules:
    """Read the rules file, with ``overrides`` (the config file's ``[rules]``) on top."""
    with path.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update(values)
    return DeadlineRules.from_mapping(data)


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


_REPORTS = {EntryKind.FIRST_REPORT, EntryKind.CONTINUED_REPORT, EntryKind.FINAL_REPORT}


def due_steps(
    rules: DeadlineRules,
    severity: Severity,
    received_at: datetime,
    entries: Iterable[EntryFact],
    *,
    is_open: bool = True,
) -> list[DueStep]:
    """Every step currently owed on an incident, soonest first (empty once closed)."""
    if not is_open:
        return []
    facts = sorted(entries, key=lambda e: e.occurred_at)
    kinds = {fact.kind for fact in facts}
    steps: list[DueStep] = []
    phone = rules.phone_report.get(severity)
    if phone is not None and not kinds & ({EntryKind.PHONE_REPORT} | _REPORTS):
        steps.append(DueStep("phone_report", received_at + phone))
    reports = [fact.occurred_at for fact in facts if fact.kind in _REPORTS]
    if not reports:
        first = rules.first_report.get(severity, rules.first_report.get(Severity.UNASSESSED))
        if first is not None:
            steps.append(DueStep("first_report", received_at + first))
    else:
        interval = rules.continued_report.get(severity)
        if interval is not None:
            steps.append(DueStep("continued_report", max(reports) + interval))
    answered = {fact.refers_to_id for fact in facts if fact.kind is EntryKind.FEEDBACK}
    for fact in facts:
        if fact.kind is EntryKind.LEADER_INSTRUCTION and fact.entry_id not in answered:
            steps.append(DueStep("feedback", fact.due_at or fact.occurred_at + rules.feedback))
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
