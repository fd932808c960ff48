"""``dutydesk trends`` and ``dutydesk report weekly``: counts, emerging issues, the week.

Examples::

    dutydesk trends                                   # last 24 h by every dimension, a table
    dutydesk trends --window week --by location --format csv
    dutydesk trends --from 2026-11-01 --to 2026-11-08 --format json
    dutydesk trends emerging --window week            # candidates with their incidents
    dutydesk report weekly --format docx -o 周报.docx

Drill incidents are left out unless ``--include-drills``. Reading is an operator's act
once the database has accounts (``--operator``, or ``DUTYDESK_OPERATOR`` and
``DUTYDESK_PIN``). Data to stdout, messages to stderr. Never loads Textual.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from dutydesk.cli.commands.context import DbOption, Env, OperatorOption, open_env, reader
from dutydesk.cli.commands.output import (
    DocumentFormat,
    FormatOption,
    OutputFileOption,
    OutputFormat,
    emit,
    message,
    write_document,
)
from dutydesk.cli.commands.parsing import InputError, moment
from dutydesk.i18n import t
from dutydesk.rules.trends import BASELINE_WINDOWS, Dimension, sparkline

if TYPE_CHECKING:
    from dutydesk.rules.trends import TrendReport

trends_app = typer.Typer(
    name="trends",
    help="Counts by category, channel, severity, place and unit, and emerging issues (趋势).",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
)
report_app = typer.Typer(
    name="report",
    help="Periodic reports: the weekly summary (值班工作周报).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


class Window(StrEnum):
    """The named windows of ``--window``."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


WindowOption = Annotated[
    Window,
    typer.Option(
        "--window", help="day (24 h), week (7 days) or month (30 days), ending now or at --to."
    ),
]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from", help="A chosen period: received at or after (with --to).", show_default=False
    ),
]
ToOption = Annotated[
    str | None,
    typer.Option(
        "--to", help="The period's end: received before (default now).", show_default=False
    ),
]
DrillsOption = Annotated[
    bool,
    typer.Option(
        "--include-drills", help="Count drill (演练) incidents too; off for real outputs."
    ),
]
BaselineOption = Annotated[
    int,
    typer.Option("--baseline", help="Equal windows before this one that make its history.", min=1),
]


def _report(
    env: Env,
    operator: str | None,
    window: Window,
    from_: str | None,
    to: str | None,
    include_drills: bool,
    baseline: int,
) -> TrendReport:
    """Sign in, work out the window, read the trends.

    A week or a month is also compared with the same period a year earlier (同比).
    """
    from dutydesk.services.trends import trend_report, window_length, year_ago_window

    who = reader(env, operator, None)
    tz = env.settings.tz
    end = moment(to, "--to", tz=tz, now=env.now) if to else env.now
    name: str = window.value
    length: timedelta = window_length(window.value)
    if from_ is not None:
        start = moment(from_, "--from", tz=tz, now=env.now)
        if start >= end:
            raise InputError(t("cli.error.from_after_to"))
        name, length = "custom", end - start
    year_ago = None
    if name in _YEAR_ON_YEAR:
        year_ago = year_ago_window(end - length, end, name, tz)
    return trend_report(
        env.request(who),
        end=end,
        length=length,
        window=name,
        include_drills=include_drills,
        windows=baseline,
        year_ago=year_ago,
    )


def _say_span(report: TrendReport, env: Env) -> None:
    from dutydesk.reports.trends import span_line, test_line

    message(span_line(report, env.settings.tz))
    message(t("trends.total", total=report.total, restricted=report.restricted))
    message(test_line(report))


_COUNT_COLUMNS = ("dimension", "key", "count", "previous", "baseline", "series")
_YEAR_ON_YEAR = {Window.WEEK.value, Window.MONTH.value}
"""Windows compared with the same period a year earlier (同比), beside the one before (环比)."""
_COMPARE_COLUMNS = ("change", "year_ago", "yoy")
"""Their extra columns: 环比 in percent, the count a year earlier, 同比 in percent."""


@trends_app.callback()
def counts(
    ctx: typer.Context,
    window: WindowOption = Window.DAY,
    from_: FromOption = None,
    to: ToOption = None,
    by: Annotated[
        Dimension | None,
        typer.Option("--by", help="One dimension only (default: every one).", show_default=False),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    include_drills: DrillsOption = False,
    baseline: BaselineOption = BASELINE_WINDOWS,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Counts in the window by dimension, with the previous window, the usual count and a trend.

    The trend is a sparkline of the earlier windows, oldest first, this window last. CSV
    and JSON carry the codes and the whole series; the table shows labels.
    """
    if ctx.invoked_subcommand is not None:
        return
    from dutydesk.reports.trends import change_text, key_label, year_change

    env = open_env(ctx, db)
    report = _report(env, operator, window, from_, to, include_drills, baseline)
    compare = report.window in _YEAR_ON_YEAR
    year_ago = report.year_ago if report.year_ago and report.year_ago.covered else None
    records: list[dict[str, Any]] = []
    cells: list[list[Any]] = []
    for trend in report.dimensions:
        if by is not None and trend.dimension is not by:
            continue
        for row in trend.rows:
            record: dict[str, Any] = {
                "dimension": trend.dimension.value,
                "key": row.key,
                "count": row.count,
                "previous": row.previous,
                "baseline": round(row.baseline, 2),
                "series": " ".join(str(n) for n in row.series)
                if fmt is OutputFormat.CSV
                else list(row.series),
            }
            cell = [
                t(f"trends.dimension.{trend.dimension.value}"),
                key_label(trend.dimension, row.key),
                row.count,
                row.previous,
                f"{row.baseline:.1f}",
                sparkline(row.series),
            ]
            if compare:  # before the first record a year back, unknown: left empty
                then = year_ago.count(trend.dimension, row.key) if year_ago else None
                yoy = year_change(row.count, then) if then is not None else None
                change = (  # 环比; the weekly report's "上周0件" would misname a month
                    t("trends.change_none")
                    if row.previous == 0 and row.count
                    else change_text(row.count, row.previous)
                )
                record |= {
                    "change": change,
                    "year_ago": then,
                    "yoy": yoy,
                }
                cell += [record["change"], "" if then is None else then, yoy or ""]
            records.append(record)
            cells.append(cell)
    keys = (*_COUNT_COLUMNS, *_COMPARE_COLUMNS) if compare else _COUNT_COLUMNS
    # The series is drawn as a sparkline in the table: its header says "trend".
    headers = [t(f"trends.column.{'trend' if key == 'series' else key}") for key in keys]
    emit(fmt, list(zip(keys, headers, strict=True)), records, table_cells=cells)
    _say_span(report, env)
    if compare and year_ago is None:
        message(t("weekly.year_unknown"))


_EMERGING_COLUMNS = ("kind", "group", "count", "history", "windows", "expected", "p_value")


@trends_app.command()
def emerging(
    ctx: typer.Context,
    window: WindowOption = Window.DAY,
    from_: FromOption = None,
    to: ToOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    include_drills: DrillsOption = False,
    baseline: BaselineOption = BASELINE_WINDOWS,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Emerging issues: places x categories and key phrases unusually frequent in the window.

    A group is listed when it has 3 or more incidents in the window and the one-sided
    binomial test against its own history (the windows before) gives p < 0.01 / m, m the
    number of groups tested. Each line names the incidents behind it.
    """
    from dutydesk.reports.candidates import expected_text, group_label, p_text, serials

    env = open_env(ctx, db)
    report = _report(env, operator, window, from_, to, include_drills, baseline)
    records = [
        {
            "kind": c.kind,
            "group": c.location if c.kind == "place" else c.phrase,
            "category": c.category.value if c.category else None,
            "count": c.count,
            "history": c.history,
            "windows": c.windows,
            "expected": round(c.expected, 3),
            "p_value": c.p_value,
            "serials": serials(c) if fmt is OutputFormat.CSV else [i.serial for i in c.incidents],
        }
        for c in report.candidates
    ]
    cells = [
        [
            t(f"trends.kind.{c.kind}"),
            group_label(c),
            c.count,
            c.history,
            c.windows,
            expected_text(c),
            p_text(c.p_value),
            serials(c),
        ]
        for c in report.candidates
    ]
    keys: tuple[str, ...] = (*_EMERGING_COLUMNS, "serials")
    if fmt is OutputFormat.CSV:
        keys = ("kind", "group", "category", *_EMERGING_COLUMNS[2:], "serials")
    headers = {key: t(f"trends.column.{key}") for key in (*_EMERGING_COLUMNS, "serials")}
    headers["category"] = "category"
    emit(fmt, [(key, headers[key]) for key in keys], records, table_cells=cells)
    _say_span(report, env)
    if report.covered_windows and not report.candidates:
        message(t("trends.nothing"))


@report_app.command()
def weekly(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Any moment of the week wanted (ISO 8601 or a date); default: the last whole "
            "week. A week is Monday to Sunday of duty days (值班日), from one change of shift.",
        ),
    ] = None,
    format_: Annotated[
        Literal["md", "docx"],
        typer.Option("--format", help="md, or docx (a Word file: use -o)."),
    ] = "md",
    output: OutputFileOption = None,
    include_drills: DrillsOption = False,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """The weekly summary of a natural week against the weeks before, md or docx.

    The week runs Monday to Sunday by duty day (值班日): from Monday's change of shift
    (``day_shift_start`` in the settings, 08:30 by default) to the next Monday's. Counts
    by dimension for this week and last, emerging issues with their incidents, and the
    week's grade I and II incidents.
    """
    from dutydesk.rules.dates import duty_day_of, week_of, week_window
    from dutydesk.services.trends import weekly_summary

    fmt = DocumentFormat(format_)
    env = open_env(ctx, db)
    who = reader(env, operator, None)
    tz = env.settings.tz
    day_start = env.settings.day_shift_start
    if at:
        monday = week_of(duty_day_of(moment(at, "--at", tz=tz, now=env.now), tz, day_start))[0]
    else:  # the last whole week: the one before the week of today's duty day
        monday = week_of(duty_day_of(env.now, tz, day_start))[0] - timedelta(days=7)
    end: datetime = week_window(monday, tz, day_start)[1]
    summary = weekly_summary(env.request(who), end=end, include_drills=include_drills)
    data: str | bytes
    if fmt is DocumentFormat.DOCX:
        from dutydesk.reports.weekly_docx import render_weekly_docx

        unit, cc = env.settings.issuing_unit, env.settings.imprint_cc
        data = render_weekly_docx(summary, tz, unit=unit, cc=cc)
    else:
        from dutydesk.reports.trends import render_weekly_md

        data = render_weekly_md(summary, tz)
    write_document(data, output, fmt)
    if output not in (None, "-"):
        message(t("weekly.written", path=output))


__all__ = ["report_app", "trends_app"]
