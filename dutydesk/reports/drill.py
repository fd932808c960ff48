"""The drill report (演练评估) as plain rows and Markdown; the DOCX is :mod:`.drill_docx`.

It renders a :class:`~dutydesk.rules.drills.DrillReport` a service measured: the run's
facts, the note that every time is scenario time (real time x speed), the response
steps slowest links first, and the injects. Stored and scenario text is sanitised
(:func:`dutydesk.rules.sanitize.clean`); no database access here.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from dutydesk.i18n import t
from dutydesk.rules.drills import DrillReport, InjectState, StepMeasure, format_duration
from dutydesk.rules.sanitize import clean


def speed_text(speed: float) -> str:
    """``10`` rather than ``10.0``; ``2.5`` stays."""
    return f"{speed:g}"


def heading(report: DrillReport) -> str:
    """The report's title line, marked as a drill."""
    return f"{t('drill.mark')} {t('drill.report.title', title=clean(report.title))}"


def run_line(report: DrillReport, tz: ZoneInfo) -> str:
    """Run number, scenario, start, who, speed and status in one line."""
    return t(
        "drill.report.run",
        id=report.run_id,
        scenario=clean(report.scenario),
        started=report.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        who=clean(report.started_by) or "-",
        speed=speed_text(report.speed),
        status=t(f"drill.status.{report.status}"),
    )


def notes(report: DrillReport) -> list[str]:
    """What the figures mean: scenario time, the order, and the score."""
    lines = [
        t("drill.report.scenario_time", speed=speed_text(report.speed)),
        t("drill.report.order"),
    ]
    if report.targeted:
        lines.append(t("drill.report.summary", met=report.met, targeted=report.targeted))
    return lines


def step_headers() -> list[str]:
    """Column headings of the steps table."""
    names = ("report", "serial", "step", "target", "elapsed", "link", "verdict")
    return [t(f"drill.report.{name}") for name in names]


def step_cells(step: StepMeasure) -> list[str]:
    """One step as display cells (durations in scenario time)."""
    verdict = t(f"drill.verdict.{step.verdict}")
    if step.verdict == "late" and step.overrun is not None:
        verdict = f"{verdict} +{format_duration(step.overrun)}"
    return [
        clean(step.report),
        clean(step.serial or "-"),
        t(f"drill.step.{step.step}"),
        format_duration(step.target),
        format_duration(step.elapsed),
        format_duration(step.link),
        verdict,
    ]


def inject_headers() -> list[str]:
    """Column headings of the injects table."""
    names = ("inject", "kind", "due", "state", "serial")
    return [t(f"drill.report.{name}") for name in names]


def inject_cells(inject: InjectState, tz: ZoneInfo) -> list[str]:
    """One inject as display cells."""
    return [
        str(inject.number),
        f"{t(f'drill.kind.{inject.kind}')} {clean(inject.name)}",
        inject.due_at.astimezone(tz).strftime("%H:%M:%S"),
        t(f"drill.state.{inject.state}"),
        clean(inject.serial or "-"),
    ]


def render_md(report: DrillReport, tz: ZoneInfo) -> str:
    """The report as Markdown."""

    def cell(text: str) -> str:
        return re.sub(r"([\\`*_{}\[\]<>#|~!])", r"\\\1", text)

    lines = [f"# {cell(heading(report))}", "", cell(run_line(report, tz)), ""]
    lines += [*(cell(line) for line in notes(report)), ""]
    lines += [f"## {t('drill.report.steps')}", ""]
    if report.steps:
        lines.append("| " + " | ".join(step_headers()) + " |")
        lines.append("|" + "---|" * len(step_headers()))
        lines += [
            "| " + " | ".join(cell(c) for c in step_cells(step)) + " |" for step in report.steps
        ]
    else:
        lines.append(t("drill.report.none"))
    lines += ["", f"## {t('drill.report.injects')}", ""]
    lines.append("| " + " | ".join(inject_headers()) + " |")
    lines.append("|" + "---|" * len(inject_headers()))
    lines += [
        "| " + " | ".join(cell(c) for c in inject_cells(inject, tz)) + " |"
        for inject in report.injects
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
