"""``dutydesk export``: documents for filing and for the committee.

Examples::

    dutydesk export daily                                 # today's 值班日, CSV to stdout
    dutydesk export daily --date 2026-11-25 --calendar-day --format md   # midnight to midnight
    dutydesk export daily --date 2026-11-25 --format xlsx -o 值班日报.xlsx
    dutydesk export daily --format csv --excel -o 值班日报.csv   # for Excel/WPS
    dutydesk export daily --format json | jq '.totals'

Data goes to stdout (or ``-o``), messages to stderr. Never loads Textual.
"""

# No `from __future__ import annotations` here: typer reads each command's annotations
# at every run, and string ones are compiled and evaluated each time (~4 ms of
# `incident add`, issue 16). Names imported for type checking only are quoted.

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal, cast

import typer

from dutydesk.cli.commands.clearance import ClearanceOption
from dutydesk.cli.commands.context import DbOption, OperatorOption, open_env, reader
from dutydesk.cli.commands.output import (
    DocumentFormat,
    OutputFileOption,
    TextSink,
    document_writer,
    message,
    write_csv,
    write_csv_rows,
)
from dutydesk.cli.commands.parsing import InputError
from dutydesk.i18n import t

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from dutydesk.config import Settings
    from dutydesk.rules.documents import DailyRow, DailySummary
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


_DOCUMENTS = frozenset({DocumentFormat.MD, DocumentFormat.XLSX, DocumentFormat.DOCX})
"""The formats showing rows as a document does (labels, local times): made from rows;
the others (csv, json, ndjson) carry the records' exact values."""


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
    from dutydesk.services.incidents.daily import daily_export, daily_records

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
    # Streamed: rows go from the database cursor to the writer one by one, so a day of
    # 100,000 incidents exports in flat memory (issue 16); the output file appears whole.
    # The data formats take each row as its record's values, the documents as a row.
    stream_rows = daily_export if fmt in _DOCUMENTS else daily_records
    with stream_rows(
        env.request(who), chosen, day_start=day_start, include_drills=include_drills
    ) as (summary, rows):
        if summary.marking is not None:
            summary = _numbered(env.request(who), summary, calendar_day=calendar_day)
        with document_writer(output, fmt) as stream:
            _write(summary, rows, fmt, table, excel, env.settings, stream)
    message(report.window_text(summary, tz))
    note = t("daily.generated", moment=chosen.isoformat(), count=summary.size)
    restricted = summary.restricted
    message(note + (t("daily.withheld_count", count=restricted) if restricted else ""))
    if fmt in {DocumentFormat.CSV, DocumentFormat.NDJSON}:  # rows only on stdout: say it here
        message(t("handover.chain", head=summary.chain_head))
    if output:
        message(t("daily.written", path=output))


def _numbered(req: "Request", summary: "DailySummary", *, calendar_day: bool) -> "DailySummary":
    """The summary as one registered classified copy: the next 份号 of that day's summary."""
    from dataclasses import replace

    from dutydesk.services.integrity.copies import make_copy

    assert summary.marking is not None
    name = f"daily:{summary.day.isoformat()}" + (":calendar" if calendar_day else "")
    number = make_copy(req, name, summary.marking.level)
    return replace(summary, marking=replace(summary.marking, copy_no=number))


def _write(
    summary: "DailySummary",
    rows: "Iterable[DailyRow] | Iterable[list[Any]]",
    fmt: DocumentFormat,
    table: Table,
    excel: bool,
    settings: "Settings",
    stream: IO[bytes],
) -> None:
    """The summary in ``fmt`` to ``stream``, its ``rows`` written as they come.

    ``rows``: :class:`DailyRow` for a document (:data:`_DOCUMENTS`), else the records'
    values (``daily_records``).
    """
    from dutydesk.reports import daily as report

    tz = settings.tz
    if fmt in {DocumentFormat.XLSX, DocumentFormat.DOCX}:
        _office_file(summary, cast("Iterable[DailyRow]", rows), fmt, settings, stream)
        return
    sink = TextSink(stream)
    if fmt in {DocumentFormat.CSV, DocumentFormat.NDJSON}:
        values = cast("Iterable[list[Any]]", rows)
        _table(summary, values, fmt is DocumentFormat.CSV, table, excel, tz, sink)
    elif fmt is DocumentFormat.JSON:
        report.write_json(summary, tz, sink.write, values=cast("Iterable[list[Any]]", rows))
    else:
        report.write_md(summary, tz, sink.write, cast("Iterable[DailyRow]", rows))
    sink.flush()


def _table(
    summary: "DailySummary",
    values: Iterable[list[Any]],
    csv: bool,
    table: Table,
    excel: bool,
    tz: "ZoneInfo",
    sink: TextSink,
) -> None:
    """One table, the incidents (their records' ``values``) or the totals, CSV or NDJSON."""
    from dutydesk.reports import daily as report

    if table is Table.TOTALS:
        keys = ["dimension", "key", "count"]
        if csv:
            columns = report.record_keys(summary, keys)
            write_csv(sink.write, columns, report.totals_records(summary), excel=excel)
        else:
            report.write_ndjson(report.totals_records(summary), sink.write)
    elif csv:  # the values straight into their columns: no mapping made per row
        columns = report.record_keys(summary, [key for key, _ in report.COLUMNS])
        cells = report.csv_values(summary, values)
        free = report.FORMULA_FREE
        write_csv_rows(sink.write, columns, cells, excel=excel, formula_free=free)
    else:
        report.write_ndjson(report.records_of(summary, values), sink.write)


def _office_file(
    summary: "DailySummary",
    rows: "Iterable[DailyRow]",
    fmt: DocumentFormat,
    settings: "Settings",
    stream: IO[bytes],
) -> None:
    """The XLSX workbook, or the DOCX with the office's 版记 (issuing unit, 抄送)."""
    from dutydesk.reports import daily_office

    if fmt is DocumentFormat.XLSX:
        daily_office.write_xlsx(summary, settings.tz, stream, rows)
        return
    unit, cc = settings.issuing_unit, settings.imprint_cc
    daily_office.write_docx(summary, settings.tz, stream, rows, unit=unit, cc=cc)
