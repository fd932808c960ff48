"""Drill scenarios (操作演练) and the measurement of a run: pure, no I/O.

A scenario is a TOML file (``data/drills/*.toml``)::

    title = "化工园区夜间火灾"
    description = "..."

    [[inject]]                 # an incoming report: the officer takes it through intake
    id = "fire"
    at = "0m"                  # scenario time after the start: 90s, 5m, 1h30m
    kind = "report"
    channel = "phone"
    summary = "..."            # also: title, reporter_name, reporter_unit, reporter_phone,
                               # location, category, severity

    [[inject]]                 # a change of severity of the incident that report became
    at = "12m"
    kind = "severity"
    report = "fire"
    severity = "II"

    [[inject]]                 # a leader instruction arriving on it
    at = "25m"
    kind = "instruction"
    report = "fire"
    leader = "周文斌"
    text = "..."

    [[target]]                 # an expected response step and its target time
    report = "fire"
    step = "phone_report"      # intake, phone_report, first_report, assignment
    within = "30m"             # from the report inject

:func:`dutydesk.rules.scenario_file.parse_scenario` reads such a file; :func:`measure`
compares what a run did with the targets, slowest links first.
Durations are given and reported in scenario time: a run at ``speed`` N passes N
scenario minutes per real minute, so a real duration is multiplied by the speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, get_args

INJECT_KINDS = ("report", "severity", "instruction")
"""What an inject can be: an incoming report, a change of severity, a leader instruction."""

Step = Literal["intake", "phone_report", "first_report", "assignment"]
"""A measured response step (a target's ``step``)."""

STEPS: tuple[str, ...] = get_args(Step)
"""The measured response steps, in the order the chain runs."""

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class ScenarioError(ValueError):
    """A scenario file is not valid; the message names the file and the field.

    The rules speak no language of their own: besides the English message, the error
    carries ``where`` (the file), ``problem`` (the catalogue key under
    ``error.scenario.``) and the message's ``values``, so the service that reports it
    says it in the reader's language.
    """

    def __init__(self, where: str, problem: str, english: str, **values: object) -> None:
        super().__init__(f"{where}: {english}")
        self.where, self.problem, self.values = where, problem, values


def parse_duration(value: object) -> timedelta:
    """``"90s"``, ``"5m"``, ``"1h30m"`` or ``"0"`` as a timedelta.

    Raises:
        ValueError: not such a duration.

    """
    text = str(value).strip().replace(" ", "")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"not a duration: {value!r} (expected e.g. 5m, 1h30m, 90s)")
    if text == "0":
        return timedelta(0)
    found = _DURATION.match(text)
    if not text or found is None:
        raise ValueError(f"not a duration: {value!r} (expected e.g. 5m, 1h30m, 90s)")
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def format_duration(delta: timedelta | None) -> str:
    """``1h05m``, ``12m30s``, ``45s``; ``-`` for none. Negative values keep their sign."""
    if delta is None:
        return "-"
    total = round(delta.total_seconds())
    sign, total = ("-" if total < 0 else ""), abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m{seconds:02d}s" if seconds else f"{sign}{minutes}m"
    return f"{sign}{seconds}s"


@dataclass(frozen=True)
class Inject:
    """One scheduled inject of a scenario."""

    number: int
    """1-based position in the file."""
    name: str
    """Its ``id`` (a report's name, referred to by later injects); ``inject-N`` if unnamed."""
    kind: str
    offset: timedelta
    """Scenario time after the start."""
    report: str = ""
    """For severity and instruction injects: the report inject they act on."""
    values: Mapping[str, str] = field(default_factory=dict)
    """The inject's content: report fields, the new severity, or leader and text."""


@dataclass(frozen=True)
class Target:
    """An expected response step on a report and the time it should take at most."""

    report: str
    step: str
    within: timedelta


@dataclass(frozen=True)
class Scenario:
    """A parsed, validated scenario."""

    name: str
    """The file's stem, e.g. ``chemical_fire``."""
    title: str
    description: str
    injects: tuple[Inject, ...]
    targets: tuple[Target, ...]

    @property
    def reports(self) -> tuple[Inject, ...]:
        """The report injects, in file order."""
        return tuple(inject for inject in self.injects if inject.kind == "report")


def due_at(started_at: datetime, offset: timedelta, speed: float) -> datetime:
    """When an inject ``offset`` of scenario time after the start falls due, in real time."""
    return started_at + offset / speed


# -- measurement --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportProgress:
    """What the desk did with one report inject: real moments of each step (``None``: not yet)."""

    report: str
    """The report inject's name."""
    arrived_at: datetime
    """When the report came in (the inject's due moment): every step is timed from here."""
    serial: str | None = None
    """The incident it became, once taken through intake."""
    done: Mapping[str, datetime | None] = field(default_factory=dict)
    """Step name -> the real moment it was first recorded at the console."""


@dataclass(frozen=True)
class StepMeasure:
    """One measured step of one report, in scenario time."""

    report: str
    serial: str | None
    step: str
    target: timedelta | None
    """The scenario's target from the report's arrival; ``None``: no target set."""
    elapsed: timedelta | None
    """Scenario time from the report's arrival to the step; ``None``: not done."""
    link: timedelta | None
    """Scenario time from the previous step done (the link in the chain)."""

    @property
    def overrun(self) -> timedelta | None:
        """How far past the target (negative: under it); ``None`` without both."""
        if self.target is None or self.elapsed is None:
            return None
        return self.elapsed - self.target

    @property
    def verdict(self) -> str:
        """``met``, ``late``, ``missing`` (targeted, not done), ``pending`` or ``done``."""
        if self.elapsed is None:
            return "missing" if self.target is not None else "pending"
        if self.target is None:
            return "done"
        return "met" if self.elapsed <= self.target else "late"


_RANK = {"missing": 0, "late": 1, "met": 2, "done": 3, "pending": 4}


def measure(
    scenario: Scenario, progress: Iterable[ReportProgress], speed: float
) -> tuple[StepMeasure, ...]:
    """Every step of every report, slowest links first.

    The order: steps missing their target, then late ones by how far they overran, then
    met ones by their link time; steps without a target last. Real durations are
    multiplied by ``speed`` to give scenario time.
    """
    targets = {(target.report, target.step): target.within for target in scenario.targets}
    found: list[StepMeasure] = []
    for report in progress:
        previous: datetime | None = report.arrived_at
        for step in STEPS:
            moment = report.done.get(step)
            elapsed = link = None
            if moment is not None:
                elapsed = (moment - report.arrived_at) * speed
                link = (moment - previous) * speed if previous is not None else None
                previous = moment
            found.append(
                StepMeasure(
                    report.report,
                    report.serial,
                    step,
                    targets.get((report.report, step)),
                    elapsed,
                    link,
                )
            )

    def order(item: StepMeasure) -> tuple[int, float, float]:
        over = item.overrun.total_seconds() if item.overrun is not None else 0.0
        link = item.link.total_seconds() if item.link is not None else 0.0
        return (_RANK[item.verdict], -over, -link)

    return tuple(sorted(found, key=order))


def complete(measures: Iterable[StepMeasure]) -> bool:
    """True when every targeted step is done (every step, if the scenario sets no target)."""
    items = list(measures)
    relevant = [item for item in items if item.target is not None] or items
    return bool(relevant) and all(item.elapsed is not None for item in relevant)


@dataclass(frozen=True)
class InjectState:
    """One inject of a run as the drill screen and report list it."""

    id: int
    number: int
    name: str
    kind: str
    due_at: datetime
    fired_at: datetime | None
    serial: str | None
    """The incident it became (a report taken) or acted on."""
    values: Mapping[str, str]
    report: str = ""

    @property
    def state(self) -> str:
        """``due``, ``fired`` (a report waiting for intake), ``taken`` or ``applied``."""
        if self.fired_at is None:
            return "due"
        if self.kind == "report":
            return "taken" if self.serial else "fired"
        return "applied"


@dataclass(frozen=True)
class DrillReport:
    """A run and its measured steps: what the report screen and documents show."""

    run_id: int
    scenario: str
    title: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    speed: float
    started_by: str
    injects: tuple[InjectState, ...]
    steps: tuple[StepMeasure, ...]
    generated_at: datetime

    @property
    def complete(self) -> bool:
        """Every targeted step is done."""
        return complete(self.steps)

    @property
    def met(self) -> int:
        """How many targeted steps met their target."""
        return sum(1 for step in self.steps if step.verdict == "met")

    @property
    def targeted(self) -> int:
        """How many steps have a target."""
        return sum(1 for step in self.steps if step.target is not None)
