"""How incidents look on the command line: rows for ``list``, the page for ``show``.

Exact values go to JSON and CSV; the table gets local times and interface labels, and
every stored string in it is sanitised by :func:`dutydesk.cli.commands.output.render_table`
(or :func:`dutydesk.rules.sanitize.clean` for the ``show`` page).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dutydesk.cli.commands.output import render_table
from dutydesk.config import Settings
from dutydesk.i18n import current_language, label, t
from dutydesk.reports.wording import stamp, zoned
from dutydesk.rules.facts import casualty_line
from dutydesk.rules.numbering import chinese_numeral
from dutydesk.rules.sanitize import clean
from dutydesk.vocab import Classification, EntryKind, Status

if TYPE_CHECKING:
    # Types only: a write's message (due_text) needs neither the listing nor the timeline
    # services, ~10 ms of imports of every incident add/log (issue 16).
    from dutydesk.services.incidents.listing import IncidentRecord


def local(moment: datetime | None, settings: Settings) -> str:
    """A stored UTC moment in the office's zone, ``YYYY-MM-DD HH:MM``; ``-`` for none."""
    if moment is None:
        return t("app.none")
    return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")


def due_text(incident: Any, settings: Settings) -> str:
    """``next: first report due 2026-11-26 03:14`` or ``nothing due``, for messages."""
    if not incident.due_step or incident.due_at is None:
        return t("cli.nothing_due")
    return t(
        "cli.next_due", step=t(f"step.{incident.due_step}"), due=local(incident.due_at, settings)
    )


def summary_columns(settings: Settings) -> list[tuple[str, str]]:
    """(key, header) of the ``list`` columns (CSV keys are the stored field names)."""
    return [
        ("serial", t("column.serial")),
        ("received_at", zoned(t("column.received"), settings.tz)),
        ("channel", t("column.channel")),
        ("category", t("column.category")),
        ("severity", t("column.severity")),
        ("status", t("column.status")),
        ("due_step", t("cli.column.due_step")),
        ("due_at", zoned(t("column.due"), settings.tz)),
        ("title", t("column.title")),
        ("classification", t("cli.field.classification")),
        ("version", t("cli.field.version")),
    ]


def _exact(record: IncidentRecord) -> dict[str, Any]:
    values = dict(record.__dict__)
    values.pop("timeline")
    values.pop("copies")  # filled by ``show`` only
    return values


def _cells(record: IncidentRecord, settings: Settings) -> list[Any]:
    def shown(value: Any) -> str:
        return t("app.none") if value is None else label(value)

    step = t(f"step.{record.due_step}") if record.due_step else t("app.none")
    if record.restricted:
        title = f"[{label(record.classification)}] {t('app.restricted')}"
        if record.register:  # register mode: the register is not content (issue 13)
            title = f"{record.register} [{t('app.restricted')}]"
    else:
        title = record.title or record.register
    if record.drill_run_id is not None:
        title = f"{t('drill.mark')} {title}"
    return [
        record.serial,
        local(record.received_at, settings),
        shown(record.channel),
        shown(record.category),
        shown(record.severity),
        label(record.status),
        step,
        local(record.due_at, settings),
        title,
        label(record.classification),
        record.version,
    ]


def incident_rows(
    records: Sequence[IncidentRecord], settings: Settings
) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """The exact records (for JSON/CSV) and the display cells (for the table)."""
    return [_exact(record) for record in records], [_cells(r, settings) for r in records]


def _kind_line(record: IncidentRecord) -> str:
    """``emergency · sensitive · reports every 60 min``: what decides its clocks."""
    parts = [label(record.matter_kind)]
    if record.sensitive:
        parts.append(t("cli.sensitive"))
    if record.report_every_minutes:
        parts.append(t("cli.report_every", minutes=record.report_every_minutes))
    return " · ".join(parts)


def show_table(record: IncidentRecord, settings: Settings) -> str:
    """The ``show`` page: fields, one per line, then the timeline as a table."""
    from dutydesk.services.incidents.timeline import target_phrase

    serial = record.serial
    if record.drill_run_id is not None:
        serial = f"{t('drill.mark')} {serial}"
    pairs: list[tuple[str, Any]] = [
        (t("column.serial"), serial),
        (t("column.received"), stamp(record.received_at, settings.tz)),
        (t("column.status"), label(Status(record.status))),
        (t("cli.field.kind"), _kind_line(record)),
        (t("cli.field.classification"), label(Classification(record.classification))),
        (t("cli.field.version"), record.version),
    ]
    if record.register:  # register mode (issue 13): shown to every reader
        pairs.append((t("register.field"), record.register))
    if record.restricted:
        pairs.append((t("column.title"), t("app.restricted")))
    else:
        pairs += [
            (t("column.channel"), label(record.channel) if record.channel else ""),
            (t("column.category"), label(record.category) if record.category else ""),
            (t("column.severity"), label(record.severity) if record.severity else ""),
            (t("column.title"), record.title),
            (t("cli.field.location"), record.location),
            (
                t("cli.field.reporter"),
                " ".join(
                    part
                    for part in (record.reporter_unit, record.reporter_name, record.reporter_phone)
                    if part
                ),
            ),
            (t("cli.field.leader"), record.assigned_leader),
            (t("cli.field.department"), record.assigned_department),
            (t("column.due"), due_text(record, settings)),
            (t("cli.field.occurred"), local(record.occurred_at, settings)),
            (t("cli.field.casualties"), casualty_line(record)),
            (t("cli.field.summary"), record.summary),
        ]
    lines = render_table(["", ""], pairs, limit=10_000).splitlines()[1:]
    if record.timeline:
        headers = [
            "#",
            zoned(t("column.time"), settings.tz),
            t("column.kind"),
            t("column.actor"),
            t("cli.field.target"),
            t("cli.field.refers_to"),
            t("column.text"),
        ]
        rows = [
            [
                entry.seq,
                local(entry.occurred_at, settings),
                _kind(entry.kind, entry.report_no),
                entry.actor,
                target_phrase(entry.kind, entry.target),
                entry.refers_to if entry.refers_to is not None else "",
                entry.text,
            ]
            for entry in record.timeline
        ]
        lines += ["", *render_table(headers, rows, limit=10_000).splitlines()]
    if record.copies:
        lines += ["", *_copies_table(record, settings)]
    return "\n".join(clean(line) for line in lines)


def _copies_table(record: IncidentRecord, settings: Settings) -> list[str]:
    """The register's copy movements: which copy, to or by whom, when, signed back."""
    headers = [
        "#",
        zoned(t("column.time"), settings.tz),
        t("column.kind"),
        t("register.column_copy"),
        t("register.column_holder"),
        t("register.column_back"),
    ]
    rows = [
        [
            move.seq,
            local(move.occurred_at, settings),
            label(move.kind),
            move.copy_no if move.copy_no is not None else "",
            move.holder,
            t("register.back", by=move.signed_back_by, at=local(move.signed_back_at, settings))
            if move.signed_back_at is not None
            else "",
        ]
        for move in record.copies
    ]
    return [t("register.copies_title"), *render_table(headers, rows, limit=10_000).splitlines()]


def _kind(kind: EntryKind, report_no: int | None) -> str:
    if kind is EntryKind.CONTINUED_REPORT and report_no:
        number = chinese_numeral(report_no) if current_language() == "zh_CN" else report_no
        return t("timeline.continued_no", number=number)
    return label(kind)
