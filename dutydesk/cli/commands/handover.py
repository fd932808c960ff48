"""``dutydesk handover``: the 08:30 handover pack (交接班材料), and its acknowledgement.

Examples::

    dutydesk handover                                  # txt to stdout, stored as pack N
    dutydesk handover --format md -o handover.md
    dutydesk handover --format docx -o 交接班.docx       # GB/T 9704 layout
    dutydesk handover --format docx > pack.docx         # binary to stdout: not to a terminal
    dutydesk handover --at 2026-11-26T08:30 --preview   # look without storing
    dutydesk handover ack --names "张三,李四"             # the incoming officers sign

Each pack made (unless ``--preview``) is stored with a JSON snapshot of what it said;
``ack`` acknowledges the newest unacknowledged pack (or ``--id N``) and so starts the
next period, which begins where that pack ended. Data to stdout, messages to stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo

import typer

from dutydesk.cli.commands.clearance import ClearanceOption
from dutydesk.cli.commands.context import DbOption, OperatorOption, open_env, reader, signed_in
from dutydesk.cli.commands.output import (
    DocumentFormat,
    OutputFileOption,
    message,
    write_document,
)
from dutydesk.cli.commands.parsing import InputError, meeting_moment, moment
from dutydesk.i18n import t
from dutydesk.reports.wording import stamp
from dutydesk.rules.handover import HandoverPack
from dutydesk.rules.sanitize import clean

if TYPE_CHECKING:
    from dutydesk.config import Settings
    from dutydesk.services.handover.shifts import ShiftRecord

handover_app = typer.Typer(
    name="handover",
    help="The handover pack for the 08:30 meeting (交接班), and its acknowledgement.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
)

HandoverFormat = Literal["txt", "md", "json", "docx"]
"""What ``handover`` makes: help and completion offer exactly these."""


@handover_app.callback()
def make(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(
            help="The meeting's moment: ISO, or HH:MM for the next such time (a meeting "
            "begun in the last 30 minutes counts as this one); default now."
        ),
    ] = None,
    format_: Annotated[
        HandoverFormat,
        typer.Option("--format", help="txt, md, json, or docx (a Word file: use -o)."),
    ] = "txt",
    output: OutputFileOption = None,
    clearance: ClearanceOption = None,
    preview: Annotated[bool, typer.Option(help="Do not store the pack.")] = False,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Make the handover pack: txt, md, json, or docx (GB/T 9704 layout; binary, use -o)."""
    if ctx.invoked_subcommand is not None:
        return
    fmt = DocumentFormat(format_)
    env = open_env(ctx, db)
    who = reader(env, operator, clearance)
    from dutydesk.services.handover.pack import build_pack
    from dutydesk.services.handover.store import period_start, record_pack

    when = meeting_moment(at, tz=env.settings.tz, now=env.now) if at else env.now
    pack = build_pack(
        env.request(who),
        start=period_start(env.db, when, env.settings),
        at=when,
        settings=env.settings,
    )
    if fmt is DocumentFormat.DOCX and output in (None, "-"):
        import sys

        if sys.stdout.isatty():
            raise InputError(t("handover.docx_terminal"))
    if not preview:
        pack = record_pack(env.db, pack, actor=who.name or (operator or "").strip() or None)
    if pack.marking is not None:
        from dutydesk.services.integrity.copies import numbered_pack

        pack = numbered_pack(env.request(who), pack)
    write_document(_render(pack, fmt, env.settings), output, fmt)
    local = env.settings.tz
    span = {"start": stamp(pack.period_start, local), "end": stamp(pack.period_end, local)}
    if pack.handover_id is not None:
        message(t("handover.stored", id=pack.handover_id, **span))
    if output not in (None, "-"):
        message(t("handover.written", path=output))


def _render(pack: HandoverPack, fmt: DocumentFormat, settings: Settings) -> str | bytes:
    tz = settings.tz
    if fmt is DocumentFormat.DOCX:
        from dutydesk.reports.handover_docx import render_docx

        return render_docx(pack, tz, unit=settings.issuing_unit, cc=settings.imprint_cc)
    if fmt is DocumentFormat.JSON:
        import json
        from dataclasses import asdict

        from dutydesk.cli.commands.output import json_value
        from dutydesk.reports.marks import marking_json
        from dutydesk.rules.sanitize import json_safe

        # The stored snapshot keeps UTC; the reader gets the office's time with its offset.
        data = json_value(asdict(pack))
        if pack.marking is not None:
            data["marking"] = marking_json(pack.marking)
        return json_safe(json.dumps(data, ensure_ascii=False)) + "\n"
    from dutydesk.reports.handover import render_markdown, render_text

    render = render_markdown if fmt is DocumentFormat.MD else render_text
    return render(pack, tz)


@handover_app.command()
def ack(
    ctx: typer.Context,
    names: Annotated[
        str, typer.Option(help='The incoming officers, e.g. "张三,李四" (required).')
    ] = "",
    id_: Annotated[
        int | None,
        typer.Option("--id", help="The pack to acknowledge; default the newest unacknowledged."),
    ] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Acknowledge a handover pack (签收): names and time are stored; the next period starts."""
    from dutydesk.services.handover.store import acknowledge, latest_unacknowledged, split_names

    people = split_names(names)
    if not people:
        raise InputError(t("error.handover.names"))
    env = open_env(ctx, db)
    handover_id = id_ if id_ is not None else latest_unacknowledged(env.db)
    if handover_id is None:
        raise InputError(t("handover.no_pack"))
    actor = reader(env, operator, None).name or (operator or "").strip()
    done = acknowledge(env.db, handover_id, people, env.now, actor=actor)
    typer.echo(str(done.handover_id))
    tz = env.settings.tz
    message(
        t(
            "handover.acknowledged",
            id=done.handover_id,
            names="、".join(done.names),
            at=stamp(done.acknowledged_at, tz),
            next=stamp(done.period_end, tz),
        )
    )


@handover_app.command("shift")
def shift(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(help="When (ISO or HH:MM); default now. Within 2 h of a change: that one."),
    ] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Make the record of a change of shift (交接班记录); prints its number and who must sign."""
    from dutydesk.services.handover.shifts import make_record

    env = open_env(ctx, db)
    who = signed_in(env, operator)
    tz = env.settings.tz
    when = moment(at, "--at", tz=tz, now=env.now) if at else env.now
    made = make_record(env.request(actor=who), env.settings, at=when)
    typer.echo(str(made.id))
    message(_record_line(made, tz))


@handover_app.command("sign")
def sign_(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="The record's number (handover shifts).")],
    as_: Annotated[
        str, typer.Option("--as", help="outgoing (交班人), incoming (接班人) or leader (带班领导).")
    ],
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Sign a change of shift's record in your own name (the signed-in operator)."""
    from dutydesk.services.handover.shifts import sign

    env = open_env(ctx, db)
    who = signed_in(env, operator)
    signed = sign(env.db, record, as_.strip().lower(), who.name, now=env.now, settings=env.settings)
    message(_record_line(signed, env.settings.tz))


@handover_app.command("shifts")
def shifts(
    ctx: typer.Context,
    from_: Annotated[
        str | None, typer.Option("--from", help="Changes of shift from then; default 7 days ago.")
    ] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """The records of the changes of shift, with the signatures still missing."""
    from datetime import timedelta

    from dutydesk.services.handover.shifts import list_records

    env = open_env(ctx, db)
    reader(env, operator, None)
    tz = env.settings.tz
    since = moment(from_, "--from", tz=tz, now=env.now) if from_ else env.now - timedelta(days=7)
    found = list_records(env.db, since, env.now + timedelta(days=1))
    for record in found:
        typer.echo(_record_line(record, tz))
    if not found:
        message(t("handover.shift.none"))


def _record_line(record: ShiftRecord, tz: ZoneInfo) -> str:
    """``#3 2026-11-25 夜 → 11-26 08:30  交班人 李晓明 08:31  接班人 （未签）  …``."""
    from dutydesk.services.handover.shifts import SIGNERS

    when = record.changed_at.astimezone(tz).strftime("%m-%d %H:%M")
    parts = []
    for role in SIGNERS:
        name, at = record.signatures[role]
        unsigned = t("handover.shift.unsigned")
        mark = f"{name} {at.astimezone(tz):%H:%M}" if at is not None else unsigned
        parts.append(f"{t(f'handover.shift.{role}')} {mark}")
    status = t("handover.shift.complete") if record.complete else t("handover.shift.incomplete")
    kind = t("handover.shift.kind", kind=t(f"kind.{record.shift_kind.value}"))
    head = f"#{record.id} {record.shift_date} {kind} → {when}"
    return clean("  ".join([head, *parts, status]))
