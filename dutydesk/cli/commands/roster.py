"""``dutydesk roster``: import, generate, show and change the duty roster (排班).

Examples::

    dutydesk roster import roster.csv                   # date,shift,position,name
    dutydesk roster generate --from 2026-12-01 --to 2026-12-14           # a proposal
    dutydesk roster generate --from 2026-12-01 --to 2026-12-14 --apply   # write it
    dutydesk roster show --week 2026-12-01 --format csv
    dutydesk roster swap 李晓明 赵静 --date 2026-12-02 --shift night --with-date 2026-12-03
    dutydesk roster cover --date 2026-12-02 --for 李晓明 --by 钱磊 --from 02:00 --to 08:30
    dutydesk roster special --from 2027-02-10 --to 2027-02-17 --note 春节假期
    dutydesk roster zero-report --none                  # today's 零报告 was made
    dutydesk roster zero-report --date 2027-02-11 --text "游园活动秩序良好"

Changes are written by ``--operator`` (or ``DUTYDESK_OPERATOR``) and recorded in the audit
trail. Data to stdout; messages, warnings and what could not be filled to stderr.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import typer

from dutydesk.cli.commands.context import (
    DbOption,
    Env,
    OperatorOption,
    open_env,
    reader,
    require_operator,
    signed_in,
)
from dutydesk.cli.commands.output import FormatOption, OutputFormat, emit, message
from dutydesk.cli.commands.parsing import InputError, choice
from dutydesk.i18n import label, t
from dutydesk.rules.typed_time import TypedTimeError, read_clock
from dutydesk.vocab import Position, ShiftKind

roster_app = typer.Typer(
    name="roster",
    help="The duty roster (排班): import, generate, show, swap, cover, special periods.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

ShiftOption = Annotated[str, typer.Option("--shift", help="day or night.")]


def day(value: str, field: str) -> date:
    """A calendar date typed as ``2026-12-01``; a one-line error naming the option."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(t("cli.error.not_a_date", field=field, value=repr(value))) from None


def _kind(value: str) -> ShiftKind:
    return choice(ShiftKind, value, "--shift")


@roster_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="CSV: date,shift,position,name; - for stdin.")],
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Import seats from CSV, all or nothing; a bad line is named with its field."""
    from dutydesk.services.roster.imports import import_roster

    actor = require_operator(operator)
    if file == "-":
        text = sys.stdin.read()
    else:
        try:
            with open(file, encoding="utf-8-sig") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(t("cli.error.not_utf8", file=file, detail=exc)) from None
    env = open_env(ctx, db)
    actor = signed_in(env, actor).name
    report = import_roster(env.db, text, actor=actor, now=env.now, settings=env.settings)
    message(t("rostering.imported", seats=report.seats, shifts=report.shifts))
    for problem in report.warnings:
        message(t("rostering.warning", problem=problem))


def _seat_rows(seats: Any) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    records = [
        {
            "date": seat.shift_date.isoformat(),
            "shift": seat.kind.value,
            "position": seat.position.value,
            "name": seat.name,
            "new": not seat.fixed,
        }
        for seat in seats
    ]
    cells = [
        [
            r["date"],
            t(f"handover.kind.{r['shift']}"),
            label(Position(r["position"])),
            r["name"],
            "+" if r["new"] else "",
        ]
        for r in records
    ]
    return records, cells


@roster_app.command()
def generate(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", help="First date, e.g. 2026-12-01.")],
    to: Annotated[str, typer.Option(help="Last date (inclusive).")],
    apply: Annotated[bool, typer.Option("--apply", help="Write the proposal.")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Propose a fair rotation for empty seats; says in words what it cannot fill."""
    from dutydesk.services.roster.shifts import apply as apply_proposal
    from dutydesk.services.roster.shifts import generate as propose
    from dutydesk.services.roster.words import problem_text

    first, last = day(from_, "--from"), day(to, "--to")
    actor = require_operator(operator) if apply else ""
    env = open_env(ctx, db)
    if apply:
        actor = signed_in(env, actor).name
    else:
        reader(env, operator, None)  # reading the roster is an operator's act too
    proposal = propose(env.db, first, last, env.settings)
    records, cells = _seat_rows(proposal.rotation.seats)
    columns = [
        ("date", t("roster.column.date")),
        ("shift", t("roster.column.shift")),
        ("position", t("roster.column.position")),
        ("name", t("roster.column.name")),
        ("new", t("roster.column.new")),
    ]
    emit(fmt, columns, records, table_cells=cells)
    for problem in proposal.rotation.problems:
        message(t("rostering.cannot", problem=problem_text(problem)))
    for line in proposal.rotation.fairness():
        message(t("rostering.fairness", first=first, last=last, line=problem_text(line)))
    count = len(proposal.new_seats)
    if apply:
        count = apply_proposal(env.db, proposal, actor=actor, now=env.now, settings=env.settings)
        message(t("rostering.applied", count=count, first=first, last=last))
    else:
        message(t("rostering.proposed", count=count, first=first, last=last))


def _holder(holder: Any, tz: Any, phones: bool = False) -> str:
    text = str(holder.name)
    if holder.start_at and holder.end_at:
        start = holder.start_at.astimezone(tz).strftime("%H:%M")
        end = holder.end_at.astimezone(tz).strftime("%H:%M")
        text = f"{text} ({start}-{end})"
    if holder.on_call:
        text = f"{text} {t('roster.on_call')}"
    if phones and holder.phone:
        text = f"{text} {holder.phone}"
    return text


@roster_app.command()
def show(
    ctx: typer.Context,
    week: Annotated[
        str | None, typer.Option(help="Any date in the week (Monday-Sunday); default today.")
    ] = None,
    phones: Annotated[
        bool, typer.Option("--phones", help="Contact numbers beside the names.")
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """The roster of a week: one line per shift, one column per position."""
    from dutydesk.rules.dates import local_day, week_of
    from dutydesk.services.roster.shifts import shift_views

    env = open_env(ctx, db)
    reader(env, operator, None)
    first, last = week_of(day(week, "--week") if week else local_day(env.now, env.settings.tz))
    tz = env.settings.tz
    records: list[dict[str, Any]] = []
    cells: list[list[Any]] = []
    for view in shift_views(env.db, first, last, env.settings):
        seats = {p: [h for h in view.holders if h.position is p] for p in Position}
        records.append(
            {
                "date": view.slot.shift_date.isoformat(),
                "shift": view.slot.kind.value,
                "start_at": view.slot.start_at,
                "end_at": view.slot.end_at,
                "special_period": view.special_period,
                "special_note": view.special_note,
                **{p.value: "; ".join(_holder(h, tz, phones) for h in seats[p]) for p in Position},
                "duty_leader_on_call": any(h.on_call for h in seats[Position.DUTY_LEADER]),
                "phones": {h.name: h.phone for h in view.holders if h.phone},
            }
        )
        cells.append(
            [
                view.slot.shift_date.isoformat(),
                t(f"handover.kind.{view.slot.kind.value}"),
                t("roster.special") if view.special_period else "",
                *(records[-1][p.value] for p in Position),
            ]
        )
    columns = [
        ("date", t("roster.column.date")),
        ("shift", t("roster.column.shift")),
        ("special_period", t("roster.special")),
        *((p.value, label(p)) for p in Position),
    ]
    if fmt is not OutputFormat.TABLE:
        columns += [
            ("special_note", "special_note"),
            ("start_at", "start_at"),
            ("end_at", "end_at"),
        ]
    emit(fmt, columns, records, table_cells=cells)
    if fmt is OutputFormat.TABLE and not any(v["duty_leader"] for v in records):
        message(t("rostering.empty"))


@roster_app.command()
def swap(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(help="Who is on --date/--shift.")],
    second: Annotated[str, typer.Argument(help="Who is on --with-date/--with-shift.")],
    date_: Annotated[str, typer.Option("--date", help="The first person's shift date.")],
    shift: ShiftOption = "night",
    with_date: Annotated[str | None, typer.Option(help="Default: --date.")] = None,
    with_shift: Annotated[str | None, typer.Option(help="Default: --shift.")] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Swap two people's seats (on one shift or two); rest-rule breaches are warned about."""
    from dutydesk.services.roster.changes import swap as swap_seats

    actor = require_operator(operator)
    one = (day(date_, "--date"), _kind(shift), first)
    two = (
        day(with_date, "--with-date") if with_date else one[0],
        choice(ShiftKind, with_shift, "--with-shift") if with_shift else one[1],
        second,
    )
    env = open_env(ctx, db)
    actor = signed_in(env, actor).name
    warnings = swap_seats(env.db, one, two, actor=actor, now=env.now)
    message(t("rostering.swapped", first=first, second=second))
    for problem in warnings:
        message(t("rostering.warning", problem=problem))


def _window(env: Env, on: date, kind: ShiftKind, value: str, field: str) -> datetime:
    """``HH:MM`` inside the shift of ``on``: night times before the day start are next day."""
    try:
        clock = read_clock(value)
    except TypedTimeError:
        raise InputError(t("cli.error.not_a_clock", field=field, value=repr(value))) from None
    moment = datetime.combine(on, clock, env.settings.tz)
    if kind is ShiftKind.NIGHT and clock <= env.settings.day_shift_start:
        moment += timedelta(days=1)
    return moment


@roster_app.command()
def cover(
    ctx: typer.Context,
    date_: Annotated[str, typer.Option("--date", help="The shift's date.")],
    absent: Annotated[str, typer.Option("--for", help="Who is covered.")],
    by: Annotated[str, typer.Option(help="Who covers.")],
    shift: ShiftOption = "night",
    from_: Annotated[str | None, typer.Option("--from", help="HH:MM; partial cover.")] = None,
    to: Annotated[str | None, typer.Option(help="HH:MM; partial cover.")] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Cover someone's seat for the whole shift, or --from/--to for part of it."""
    from dutydesk.services.roster.changes import cover as cover_seat

    actor = require_operator(operator)
    on, kind = day(date_, "--date"), _kind(shift)
    env = open_env(ctx, db)
    req = env.request(actor=signed_in(env, actor))
    start = _window(env, on, kind, from_, "--from") if from_ else None
    end = _window(env, on, kind, to, "--to") if to else None
    warnings = cover_seat(req, day=on, kind=kind, absent=absent, by=by, start=start, end=end)
    message(
        t("rostering.covered", by=by, absent=absent, date=on, kind=t(f"handover.kind.{kind.value}"))
    )
    for problem in warnings:
        message(t("rostering.warning", problem=problem))


@roster_app.command()
def lead(
    ctx: typer.Context,
    date_: Annotated[str, typer.Option("--date", help="The shift's date.")],
    shift: Annotated[str, typer.Option(help="day or night.")],
    by_phone: Annotated[
        bool,
        typer.Option("--by-phone/--on-site", help="电话带班 (by phone) or 在岗 (at the desk)."),
    ] = True,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Say how the duty leader leads a shift: at the desk (在岗) or by phone (电话带班)."""
    from dutydesk.services.roster.changes import set_leader_mode

    actor = require_operator(operator)
    env = open_env(ctx, db)
    req = env.request(actor=signed_in(env, actor))
    when = day(date_, "--date")
    name = set_leader_mode(req, when, choice(ShiftKind, shift, "--shift"), by_phone=by_phone)
    key = "rostering.by_phone" if by_phone else "rostering.on_site"
    message(t(key, name=name, date=when))


@roster_app.command()
def special(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", help="First date.")],
    to: Annotated[str, typer.Option(help="Last date (inclusive).")],
    note: Annotated[str, typer.Option(help="What it is, e.g. 春节假期.")] = "",
    off: Annotated[bool, typer.Option("--off", help="Lift the special period.")] = False,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Mark days as a special period (特殊时期): a confidential officer on every shift."""
    from dutydesk.services.roster.changes import mark_special

    actor = require_operator(operator)
    first, last = day(from_, "--from"), day(to, "--to")
    env = open_env(ctx, db)
    req = env.request(actor=signed_in(env, actor))
    count = mark_special(req, first, last, note=note, on=not off, settings=env.settings)
    key = "rostering.special_off" if off else "rostering.special"
    message(t(key, count=count, first=first, last=last))


@roster_app.command("zero-report")
def zero_report(
    ctx: typer.Context,
    date_: Annotated[
        str | None,
        typer.Option("--date", help="The 值班日 reported on; default the one running now."),
    ] = None,
    none: Annotated[
        bool, typer.Option("--none", help="Nothing to report: a 零报告 was made.")
    ] = False,
    text: Annotated[str, typer.Option(help="What was reported, in a line.")] = "",
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Record that a special period's daily report (零报告) went to the superior.

    During a special period (特殊时期) the desk reports every 值班日 by the hour of
    ``[special_period] zero_report_at`` in the rules, even when nothing happened; until
    it is recorded here the console counts it overdue.
    """
    from dutydesk.rules.deadlines import duty_date
    from dutydesk.services.roster.daily_report import record_report

    actor = require_operator(operator)
    env = open_env(ctx, db)
    req = env.request(actor=signed_in(env, actor))
    when = day(date_, "--date") if date_ is not None else duty_date(env.now, req.rules)
    made = record_report(req, when, text=text, nothing=none)
    assert made.made_at is not None  # just recorded
    stamp = made.made_at.astimezone(env.settings.tz).strftime("%Y-%m-%d %H:%M")
    key = "daily_report.recorded_zero" if made.zero else "daily_report.recorded"
    message(t(key, day=when.isoformat(), name=made.made_by, at=stamp))
