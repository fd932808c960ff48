"""The drill report (演练评估) as plain rows and Markdown; the DOCX is :mod:`.drill_docx`.

It renders a :class:`~dutydesk.rules.drills.DrillReport` a service measured: the run's
facts, the note that every time is scenario time (real time x speed), the response
steps slowest links first, and the injects. Stored and scenario text is sanitised
(:func:`dutydesk.rules.sanitize.clean`); no database access here.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dutydesk.i18n import current_language, t
from dutydesk.reports.wording import document_datetime, document_time, zone_note, zoned
from dutydesk.rules.drills import DrillReport, InjectState, StepMeasure
from dutydesk.rules.sanitize import clean


def speed_text(speed: float) -> str:
    """``10`` rather than ``10.0``; ``2.5`` stays."""
    return f"{speed:g}"


def duration_text(delta: timedelta | None) -> str:
    """A scenario duration in words: ``1h05m``, ``12m30s``, ``5m``; ``1小时05分``, ``5分钟``."""
    if delta is None:
        return "-"
    total = round(delta.total_seconds())
    sign, total = ("-" if total < 0 else ""), abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours and not minutes:
        return t("drill.duration.whole_hours", sign=sign, hours=hours)
    if hours:
        return t("drill.duration.hours", sign=sign, hours=hours, minutes=f"{minutes:02d}")
    if minutes and seconds:
        return t(
            "drill.duration.minutes_seconds", sign=sign, minutes=minutes, seconds=f"{seconds:02d}"
        )
    if minutes:
        return t("drill.duration.minutes", sign=sign, minutes=minutes)
    return t("drill.duration.seconds", sign=sign, seconds=seconds)


def _chinese() -> bool:
    return current_language() == "zh_CN"


def scenario_name(report: DrillReport) -> str:
    """The scenario as the run line names it: its file name, or in Chinese its title.

    English names the file (``chemical_fire``), which ``dutydesk drill start`` takes; a
    Chinese report names the scenario by its title, not by a Latin file name.
    """
    return clean(report.title if _chinese() else report.scenario)


def report_name(report: DrillReport | None, name: str) -> str:
    """A report inject as the tables name it: its id, or in Chinese ``来报1``.

    English keeps the id the scenario's author wrote (``fire``); a Chinese report numbers
    the report (``来报1``) rather than print a Latin id.
    """
    if _chinese() and report is not None:
        numbers = {i.name: i.number for i in report.injects if i.kind == "report"}
        if name in numbers:
            return t("drill.report.report_no", kind=t("drill.kind.report"), number=numbers[name])
    return clean(name)


def heading(report: DrillReport) -> str:
    """The report's title line, marked as a drill."""
    return f"{t('drill.mark')} {t('drill.report.title', title=clean(report.title))}"


def run_line(report: DrillReport, tz: ZoneInfo) -> str:
    """Run number, scenario, start, who, speed and status in one line."""
    return t(
        "drill.report.run",
        id=report.run_id,
        scenario=scenario_name(report),
        # English carries the offset; a Chinese report names its zone here, once.
        started=document_datetime(report.started_at, tz) + zone_note(tz, report.started_at),
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


def step_cells(step: StepMeasure, report: DrillReport | None = None) -> list[str]:
    """One step as display cells (durations in scenario time) of ``report``'s table."""
    verdict = t(f"drill.verdict.{step.verdict}")
    if step.verdict == "late" and step.overrun is not None:
        verdict = t("drill.report.late", verdict=verdict, overrun=duration_text(step.overrun))
    return [
        report_name(report, step.report),
        clean(step.serial or "-"),
        t(f"drill.step.{step.step}"),
        duration_text(step.target),
        duration_text(step.elapsed),
        duration_text(step.link),
        verdict,
    ]


def inject_headers(tz: ZoneInfo | None = None, moment: datetime | None = None) -> list[str]:
    """Column headings of the injects table.

    With ``tz`` (a report, the command line) the due column names its zone at ``moment``,
    ``Due (+08:00)``; the console's drill screen, under its own clock, leaves it out.
    """
    names = ("inject", "kind", "due", "state", "serial")
    heads = [t(f"drill.report.{name}") for name in names]
    if tz is not None:
        heads[2] = zoned(heads[2], tz, moment)
    return heads


def inject_cells(
    inject: InjectState, tz: ZoneInfo, report: DrillReport | None = None, *, document: bool = False
) -> list[str]:
    """One inject as display cells of ``report``'s table.

    Its time is the console's compact ``02:31:10``, or in a ``document`` (Markdown,
    DOCX) in Chinese ``26日2时31分10秒``.
    """
    kind = t(f"drill.kind.{inject.kind}")
    if not _chinese():
        what = f"{kind} {clean(inject.name)}"
    elif inject.kind == "report" or not inject.report:
        what = kind
    else:  # 级别调整（来报1）: what it acts on, by the report's number
        what = t("drill.report.acts_on", kind=kind, report=report_name(report, inject.report))
    return [
        str(inject.number),
        what,
        document_time(inject.due_at, tz, seconds=True)
        if document and _chinese()
        else inject.due_at.astimezone(tz).strftime("%H:%M:%S"),
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
            "| " + " | ".join(cell(c) for c in step_cells(step, report)) + " |"
            for step in report.steps
        ]
    else:
        lines.append(t("drill.report.none"))
    lines += ["", f"## {t('drill.report.injects')}", ""]
    lines.append("| " + " | ".join(inject_headers(tz, report.started_at)) + " |")
    lines.append("|" + "---|" * len(inject_headers()))
    lines += [
        "| " + " | ".join(cell(c) for c in inject_cells(inject, tz, report, document=True)) + " |"
        for inject in report.injects
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
