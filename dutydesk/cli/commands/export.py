"""``dutydesk export``: documents for filing and for the committee.

Examples::

    dutydesk export daily                                 # today's 值班日, CSV to stdout
    dutydesk export daily --date 2026-11-25 --calendar-day --format md   # midnight to midnight
    dutydesk export daily --date 2026-11-25 --format xlsx -o 值班日报.xlsx
    dutydesk export daily --format csv --excel -o 值班日报.csv   # for Excel/WPS
    dutydesk export daily --format json | jq '.totals'

Data goes to stdout (or ``-o``), messages to stderr. Never loads Textual.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from dutydesk.cli.commands.clearance import ClearanceOption
from dutydesk.cli.commands.context import DbOption, OperatorOption, open_env, reader
from dutydesk.cli.commands.output import (
    DocumentFormat,
    OutputFileOption,
    csv_text,
    message,
    write_document,
)
from dutydesk.cli.commands.parsing import InputError
from dutydesk.i18n import t

if TYPE_CHECKING:
    from dutydesk.config import Settings
    from dutydesk.rules.documents import DailySummary
    from dutydesk.services.request import Request

export_app = typer.Typer(
    name="export",
    help="Exports for filing: the daily summary (值班情况汇总).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

DailyFormat = Literal["csv", "json", "ndjson", "md", "xlsx", "docx"]
"""What ``export daily`` makes: help and completion offer exactly these."""


class Table(StrEnum):
    """Which table a one-table format (csv, ndjson) carries."""

    INCIDENTS = "incidents"
    TOTALS = "totals"


@export_app.command()
def daily(
    ctx: typer.Context,
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="The duty day (值班日), YYYY-MM-DD: from its change of shift "
            "(day_shift_start) to the next day's (default: the duty day now).",
            show_default=False,
        ),
    ] = None,
    calendar_day: Annotated[
        bool,
        typer.Option(
            "--calendar-day",
            help="Count the calendar day (midnight to midnight) instead of the duty day.",
        ),
    ] = False,
    format_: Annotated[
        DailyFormat,
        typer.Option("--format", help="csv, json, ndjson, md, xlsx or docx (xlsx, docx: use -o)."),
    ] = "csv",
    output: OutputFileOption = None,
    # No BOM by default: stdout is as often read by scripts (csvkit, pandas, jq pipelines)
    # as by Excel, and a BOM breaks their first header ("\ufeffserial") and concatenation
    # of files. Excel and WPS, however, read BOM-less UTF-8 as GBK, so --excel adds it.
    excel: Annotated[
        bool,
        typer.Option(
            "--excel",
            help="CSV for Excel/WPS: start with a UTF-8 BOM so Chinese text opens correctly. "
            "Off by default because a BOM breaks scripts reading the CSV; xlsx needs no BOM.",
        ),
    ] = False,
    table: Annotated[
        Table, typer.Option(help="For csv/ndjson: the incident rows or the totals.")
    ] = Table.INCIDENTS,
    clearance: ClearanceOption = None,
    operator: OperatorOption = None,
    db: DbOption = None,
    include_drills: Annotated[
        bool,
        typer.Option(
            "--include-drills",
            help="List drill (演练) incidents too, marked. A real summary leaves them out.",
        ),
    ] = False,
) -> None:
    """Every incident received on a duty day with its timeline summary and status, and totals.

    A duty day (值班日) runs from the change of shift (``day_shift_start`` in the
    settings, 08:30 by default) to the next day's: the night belongs to the day before.
    Every format says the window it counts.

    Classified incidents beyond --clearance show serial, time, status and classification
    only, and are counted as "restricted" in the totals.
    """
    from dutydesk.reports import daily as report
    from dutydesk.rules.dates import duty_day_of
    from dutydesk.services.incidents.daily import daily_summary

    fmt = DocumentFormat(format_)
    if excel and fmt is not DocumentFormat.CSV:
        raise InputError(t("cli.error.excel_csv_only"))
    env = open_env(ctx, db)
    who = reader(env, operator, clearance)
    tz = env.settings.tz
    day_start = None if calendar_day else env.settings.day_shift_start
    if day is None:
        chosen = (
            env.now.astimezone(tz).date()
            if day_start is None
            else duty_day_of(env.now, tz, day_start)
        )
    else:
        try:
            chosen = date.fromisoformat(day.strip())
        except ValueError:
            raise InputError(
                t("cli.error.expected_date", field="--date", value=repr(day))
            ) from None
    summary = daily_summary(
        env.request(who), chosen, day_start=day_start, include_drills=include_drills
    )
    if summary.marking is not None:
        summary = _numbered(env.request(who), summary, calendar_day=calendar_day)
    data: str | bytes
    if fmt in {DocumentFormat.CSV, DocumentFormat.NDJSON}:
        if table is Table.TOTALS:
            records = report.totals_records(summary)
            keys = ["dimension", "key", "count"]
        else:
            records = report.incident_records(summary, tz)
            keys = [key for key, _ in report.COLUMNS]
        if fmt is DocumentFormat.CSV:
            data = csv_text(report.record_keys(summary, keys), records, excel=excel)
        else:
            data = report.render_ndjson(records)
    elif fmt is DocumentFormat.JSON:
        data = report.render_json(summary, tz)
    elif fmt is DocumentFormat.MD:
        data = report.render_md(summary, tz)
    else:
        data = _office_file(summary, fmt, env.settings)
    write_document(data, output, fmt)
    message(report.window_text(summary, tz))
    restricted = sum(1 for row in summary.rows if row.restricted)
    note = t("daily.generated", moment=chosen.isoformat(), count=len(summary.rows))
    message(note + (f"; {restricted} {t('daily.restricted')}" if restricted else ""))
    if fmt in {DocumentFormat.CSV, DocumentFormat.NDJSON}:  # rows only on stdout: say it here
        message(t("handover.chain", head=summary.chain_head))
    if output:
        message(t("daily.written", path=output))


def _numbered(req: Request, summary: DailySummary, *, calendar_day: bool) -> DailySummary:
    """The summary as one registered classified copy: the next 份号 of that day's summary."""
    from dataclasses import replace

    from dutydesk.services.integrity.copies import make_copy

    assert summary.marking is not None
    name = f"daily:{summary.day.isoformat()}" + (":calendar" if calendar_day else "")
    number = make_copy(req, name, summary.marking.level)
    return replace(summary, marking=replace(summary.marking, copy_no=number))


def _office_file(summary: DailySummary, fmt: DocumentFormat, settings: Settings) -> bytes:
    """The XLSX workbook, or the DOCX with the office's 版记 (issuing unit, 抄送)."""
    from dutydesk.reports import daily_office

    if fmt is DocumentFormat.XLSX:
        return daily_office.render_xlsx(summary, settings.tz)
    unit, cc = settings.issuing_unit, settings.imprint_cc
    return daily_office.render_docx(summary, settings.tz, unit=unit, cc=cc)
