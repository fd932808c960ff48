"""``dutydesk leave``: leaders' leave registrations (领导干部外出报备).

Examples::

    dutydesk leave add --leader 刘志远 --from 2026-11-27T07:00 --to 2026-11-30T20:00 \\
        --destination 北京 --reason 参加专题会议 --acting 陈国华
    dutydesk leave list                       # now and later
    dutydesk leave list --all --format csv

A registration is refused, in one line, when the acting leader is away too, is the
leader, or ``--from`` is not before ``--to``. Leaders away appear in the roster pane, the
handover pack and 《信息直呈》.

An itinerary carries a classification (``--classification``, internal by default). In
register mode a classified one keeps who, when and who acts, never where or why; ``leave
list`` shows a classified itinerary, marked, only to a reader who may open it
(``--clearance``), and the view is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from dutydesk.cli.commands.clearance import ClearanceOption
from dutydesk.cli.commands.context import (
    DbOption,
    OperatorOption,
    open_env,
    reader,
    require_operator,
    signed_in,
)
from dutydesk.cli.commands.output import FormatOption, OutputFormat, emit, message
from dutydesk.cli.commands.parsing import InputError, choice, moment
from dutydesk.i18n import label, t
from dutydesk.rules.typed_time import Day
from dutydesk.vocab import Classification, Deployment, LeaveType

leave_app = typer.Typer(
    name="leave",
    help="Leaders' leave registrations (外出报备) and who acts for them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@leave_app.command()
def add(
    ctx: typer.Context,
    leader: Annotated[str, typer.Option(help="The leader going away.")],
    from_: Annotated[str, typer.Option("--from", help="Leaving, e.g. 2026-11-27T07:00.")],
    to: Annotated[
        str, typer.Option(help="Back, e.g. 2026-11-30T20:00 (a date alone: the whole day).")
    ],
    acting: Annotated[
        str, typer.Option(help="Who looks after the leader's work meanwhile (required).")
    ],
    destination: Annotated[str, typer.Option(help="Where to.")] = "",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    phone: Annotated[str, typer.Option(help="Contact number while away (联系电话).")] = "",
    approved_by: Annotated[str, typer.Option(help="Reported to, or approved by (报告/批准).")] = "",
    type_: Annotated[
        str, typer.Option("--type", help="official (公务), private (因私) or abroad (出国（境）).")
    ] = "official",
    classification: Annotated[
        str,
        typer.Option(
            help="The itinerary's level: public, internal, confidential, secret, top_secret."
        ),
    ] = "internal",
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Register a leader's absence; prints the registration's number.

    In register mode a classified itinerary takes no --destination, --reason or --phone:
    they go by the 机要 channel.
    """
    from dutydesk.services.roster.leave import LeaveRequest, add_leave

    actor = require_operator(operator)
    env = open_env(ctx, db)
    tz = env.settings.tz
    request = LeaveRequest(
        leader=leader,
        start_at=moment(from_, "--from", tz=tz, now=env.now, future=True),
        end_at=moment(to, "--to", tz=tz, now=env.now, future=True, day=Day.END),
        destination=destination,
        reason=reason,
        acting=acting,
        contact_phone=phone,
        approved_by=approved_by,
        leave_type=leave_type(type_),
        classification=choice(Classification, classification, "--classification"),
    )
    actor = signed_in(env, actor).name
    number = add_leave(
        env.db, request, actor=actor, now=env.now, tz=tz,
        deployment=Deployment(env.settings.deployment), keys=env.keys,
    )  # fmt: skip
    typer.echo(str(number))
    fmt = "%Y-%m-%d %H:%M"
    message(
        t(
            "leave.added",
            id=number,
            leader=leader.strip(),
            start=request.start_at.astimezone(tz).strftime(fmt),
            end=request.end_at.astimezone(tz).strftime(fmt),
            acting=acting.strip(),
        )
    )


def leave_type(value: str) -> LeaveType:
    """``--type`` as a leave type, or a one-line error naming the choices."""
    try:
        return LeaveType(value.strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in LeaveType)
        raise InputError(
            t("cli.error.not_one_of", field="--type", value=repr(value), allowed=choices)
        ) from None


@leave_app.command("return")
def return_(
    ctx: typer.Context,
    registration: Annotated[int, typer.Argument(help="The registration's number.")],
    at: Annotated[str | None, typer.Option(help="When the leader was back; default now.")] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Record a leader's return (销假): from then on they are no longer listed as away."""
    from dutydesk.services.roster.leave import report_back

    env = open_env(ctx, db)
    actor = signed_in(env, require_operator(operator)).name
    tz = env.settings.tz
    back = moment(at, "--at", tz=tz, now=env.now) if at else env.now
    found = report_back(env.db, registration, at=back, actor=actor, now=env.now)
    message(
        t(
            "leave.returned",
            id=registration,
            leader=found.leader,
            at=back.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        )
    )


@leave_app.command("list")
def list_(
    ctx: typer.Context,
    from_: Annotated[
        str | None, typer.Option("--from", help="Overlapping this time or later; default now.")
    ] = None,
    to: Annotated[str | None, typer.Option(help="... and before this time.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Past registrations too.")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    clearance: ClearanceOption = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Leave registrations overlapping a period (default: from now on).

    A classified itinerary shows, marked with its level, only with a --clearance that
    covers it and to a reader named for it (the leader, the acting leader, who
    registered it); others see who is away, when and who acts.
    """
    from dutydesk.services.integrity.reading import audited_read
    from dutydesk.services.roster.leave import list_leave

    env = open_env(ctx, db)
    who = reader(env, operator, clearance)
    tz = env.settings.tz
    since = moment(from_, "--from", tz=tz, now=env.now) if from_ else env.now
    if all_:
        since = datetime(1970, 1, 1, tzinfo=UTC)
    until = moment(to, "--to", tz=tz, now=env.now, future=True) if to else None
    with audited_read(
        env.db, who.clearance, object_type="leave", keys=env.keys, viewer=who.viewer, now=env.now
    ) as read:
        found = list_leave(env.db, since, until, read)
    records: list[dict[str, Any]] = [dict(absence.__dict__) for absence in found]
    # CSV and JSON keep the stable keys (a withheld itinerary blank, its level and
    # ``restricted`` beside it); the table's headers are the reader's language.
    keys = ["id", "leader", "leader_title", "start_at", "end_at", "destination", "reason"]
    keys += ["acting", "acting_title", "leave_type", "contact_phone", "returned_at"]
    keys += ["classification"]
    columns = [(key, t(f"leave.column.{key}")) for key in keys]
    local = "%Y-%m-%d %H:%M"
    places = {absence.id: absence.place for absence in found}
    cells = [
        [r["id"], r["leader"], r["leader_title"], r["start_at"].astimezone(tz).strftime(local),
         r["end_at"].astimezone(tz).strftime(local), places[r["id"]], r["reason"],
         r["acting"], r["acting_title"],
         label(LeaveType(r["leave_type"])) if r["leave_type"] else "", r["contact_phone"],
         r["returned_at"].astimezone(tz).strftime(local) if r["returned_at"] else "",
         label(Classification(r["classification"]))]
        for r in records
    ]  # fmt: skip
    emit(fmt, columns, records, table_cells=cells)
    if not records and fmt is OutputFormat.TABLE:
        message(t("leave.none"))
