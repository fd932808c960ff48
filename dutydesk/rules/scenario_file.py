"""Reading a drill scenario file (``data/drills/*.toml``; format in :mod:`dutydesk.rules.drills`).

pydantic models check each table and field; what they cannot see (names that refer to
other injects, an order in time) is checked after them. Kept apart from
:mod:`dutydesk.rules.drills` so that measuring a run, which the console does from its
first screen, does not import pydantic (``tests/test_cli.py``); services import this
module when they read a scenario.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError

from dutydesk.rules.data_file import Table, one_line
from dutydesk.rules.drills import (
    INJECT_KINDS,
    Inject,
    Scenario,
    ScenarioError,
    Step,
    Target,
    parse_duration,
)
from dutydesk.vocab import Category, Channel, Severity


def _filled(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Filled = Annotated[str, AfterValidator(_filled)]


class _Inject(Table):
    id: str = ""
    """Its name, referred to by later injects; ``inject-N`` when not given."""
    at: Duration
    """Scenario time after the start."""


class _Report(_Inject):
    """An incoming report: what the caller says, prefilled into the intake form."""

    kind: Literal["report"]
    summary: Filled
    channel: Channel | None = None
    title: str | None = None
    reporter_name: str | None = None
    reporter_unit: str | None = None
    reporter_phone: str | None = None
    location: str | None = None
    category: Category | None = None
    severity: Severity | None = None


class _SeverityChange(_Inject):
    kind: Literal["severity"]
    report: Filled
    severity: Severity


class _Instruction(_Inject):
    kind: Literal["instruction"]
    report: Filled
    leader: Filled
    text: Filled


class _Target(Table):
    report: str | None = None
    """Optional when the scenario has one report."""
    step: Step
    within: Duration


class _ScenarioFile(Table):
    title: str | None = None
    description: str = ""
    inject: tuple[
        Annotated[_Report | _SeverityChange | _Instruction, Field(discriminator="kind")], ...
    ] = ()
    target: tuple[_Target, ...] = ()


def _injects(where: str, raw: _ScenarioFile) -> tuple[Inject, ...]:
    if not raw.inject:
        english = "inject: a scenario needs at least one [[inject]]"
        raise ScenarioError(where, "no_inject", english)
    injects = []
    for number, item in enumerate(raw.inject, 1):
        # What the file says, as written: stored with the run and prefilled into forms.
        values: dict[str, Any] = item.model_dump(
            mode="json", exclude_unset=True, exclude={"id", "at", "kind", "report"}
        )
        report = "" if isinstance(item, _Report) else item.report.strip()
        name = item.id.strip() or f"inject-{number}"
        injects.append(Inject(number, name, item.kind, item.at, report, values))
    names = [inject.name for inject in injects]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        english = f"id: {twice[0]!r} names two injects"
        raise ScenarioError(where, "same_id", english, name=repr(twice[0]))
    reports = {inject.name: inject for inject in injects if inject.kind == "report"}
    if not reports:
        english = "inject: a scenario needs at least one report inject"
        raise ScenarioError(where, "no_report", english)
    for inject in injects:
        if inject.kind == "report":
            continue
        origin = reports.get(inject.report)
        at = f"inject[{inject.number}]"
        if origin is None:
            english = f"{at}.report: no report inject named {inject.report!r}"
            name = repr(inject.report)
            raise ScenarioError(where, "unknown_report", english, field=f"{at}.report", name=name)
        if inject.offset < origin.offset:
            english = f"{at}.at: before the report {origin.name!r} arrives"
            field = f"{at}.at"
            raise ScenarioError(where, "too_early", english, field=field, name=repr(origin.name))
    return tuple(injects)


def _targets(where: str, raw: _ScenarioFile, reports: set[str]) -> tuple[Target, ...]:
    targets = []
    for number, item in enumerate(raw.target, 1):
        report = item.report
        if report is None and len(reports) == 1:
            report = next(iter(reports))
        if report not in reports:
            field = f"target[{number}].report"
            english = f"{field}: no report inject named {report!r}"
            raise ScenarioError(where, "unknown_report", english, field=field, name=repr(report))
        targets.append(Target(report, item.step, item.within))
    pairs = [(target.report, target.step) for target in targets]
    if len(set(pairs)) != len(pairs):
        raise ScenarioError(where, "two_targets", "target: a step has two targets")
    return tuple(targets)


def parse_scenario(text: str, *, name: str, source: str | None = None) -> Scenario:
    """Parse and check a scenario.

    Args:
        text: the TOML text.
        name: the scenario's name (the file stem).
        source: how to name the file in messages (its path); ``name`` when not given.

    Raises:
        ScenarioError: one line naming the file and the field that is wrong.

    """
    where = source or name
    try:
        raw = _ScenarioFile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(where, "not_toml", f"not valid TOML: {exc}", detail=exc) from None
    except ValidationError as exc:
        detail = one_line(exc, INJECT_KINDS)
        raise ScenarioError(where, "invalid", detail, detail=detail) from None
    injects = _injects(where, raw)
    reports = {inject.name for inject in injects if inject.kind == "report"}
    title = (raw.title or "").strip() or name
    return Scenario(name, title, raw.description, injects, _targets(where, raw, reports))
