"""``dutydesk incident``: register, list, show, follow up and edit incidents from a shell.

Examples::

    dutydesk incident add --summary "幸福路12号燃气爆炸，3人受伤" --category accident --severity II
    echo '[{"summary": "..."}, {"summary": "..."}]' | dutydesk incident add --json -
    dutydesk incident list --format csv > open.csv
    dutydesk incident show 20261126-004 --format json
    dutydesk incident log 20261126-004 instruction --leader 周文斌 --text "..." --due +3d
    dutydesk incident edit 20261126-004 --severity II --expected-version 5
    dutydesk incident copy 20261126-003 --copy-no 3 --to 张书记     # 呈批 copy 3
    dutydesk incident copy 20261126-003 --back 2 --by 张书记        # entry 2 signed back

Writes are attributed to ``--operator`` (or ``DUTYDESK_OPERATOR``), signed in with a PIN
asked on the terminal or ``DUTYDESK_PIN`` (``commands.context.signed_in``). Services are imported
inside each command, so ``import dutydesk.cli.app`` stays light.
"""

# No `from __future__ import annotations` here: typer reads each command's annotations
# at every run, and string ones are compiled and evaluated each time (~4 ms of
# `incident add`, issue 16). Names imported for type checking only are quoted.

from typing import TYPE_CHECKING, Annotated

import typer

from dutydesk.cli.commands import writes
from dutydesk.cli.commands.clearance import ClearanceOption
from dutydesk.cli.commands.context import (
    DbOption,
    OperatorOption,
    VersionOption,
    open_env,
    reader,
    signed_in,
)
from dutydesk.cli.commands.output import (
    FormatOption,
    OutputFormat,
    TableOrJson,
    emit,
    emit_object,
    message,
)
from dutydesk.cli.commands.parsing import InputError, choice, moment
from dutydesk.cli.commands.views import incident_rows, show_table, summary_columns
from dutydesk.i18n import t
from dutydesk.rules.sanitize import one_line
from dutydesk.rules.typed_time import Day
from dutydesk.vocab import Category, Channel, EntryKind, Severity, Status

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.services.incidents.listing import IncidentRecord
    from dutydesk.storage.engine import Database

incident_app = typer.Typer(
    name="incident",
    help="Register incidents and follow them up (接报登记, 跟踪).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

LOG_KINDS: dict[str, EntryKind] = {
    "verify": EntryKind.VERIFIED,
    "phone-report": EntryKind.PHONE_REPORT,
    "first-report": EntryKind.FIRST_REPORT,
    "continued-report": EntryKind.CONTINUED_REPORT,
    "instruction": EntryKind.LEADER_INSTRUCTION,
    "assign": EntryKind.ASSIGNMENT,
    "supervise": EntryKind.SUPERVISION,
    "feedback": EntryKind.FEEDBACK,
    "note": EntryKind.NOTE,
    "correction": EntryKind.CORRECTION,
    "final-report": EntryKind.FINAL_REPORT,
    "close": EntryKind.CLOSED,
    "reopen": EntryKind.REOPENED,
    "report-back": EntryKind.REPORTED_BACK,
    "register": EntryKind.REGISTERED,
    "submit": EntryKind.SUBMITTED,
    "circulate": EntryKind.CIRCULATED,
}
"""Follow-up kinds by their command-line names."""

Text = Annotated[str | None, typer.Option(show_default=False)]
KindOption = Annotated[
    str | None,
    typer.Option(
        "--kind",
        help="emergency, request or document; default: as the category or channel starts it.",
        show_default=False,
    ),
]
OccurredOption = Annotated[
    str | None,
    typer.Option(
        "--occurred", help="事发时间: when it happened (ISO or HH:MM).", show_default=False
    ),
]
SensitiveOption = Annotated[
    bool | None,
    typer.Option(
        "--sensitive/--not-sensitive",
        help="敏感: on grade I's report clocks whatever its grade.",
        show_default=False,
    ),
]
EveryOption = Annotated[
    str | None,
    typer.Option(
        "--report-every",
        help="Continued reports every N minutes (60 = hourly); blank to clear.",
        show_default=False,
    ),
]
Count = Annotated[str | None, typer.Option(help="A casualty figure.", show_default=False)]


@incident_app.command()
def add(
    ctx: typer.Context,
    summary: Annotated[str | None, typer.Option(help="What was reported (required).")] = None,
    channel: Annotated[str | None, typer.Option(help="Default: phone.")] = None,
    received: Annotated[str | None, typer.Option(help="ISO time or HH:MM; default now.")] = None,
    reporter_name: Text = None,
    reporter_unit: Text = None,
    reporter_phone: Text = None,
    location: Text = None,
    category: Annotated[str | None, typer.Option(help="Default: other.")] = None,
    severity: Annotated[
        str | None, typer.Option(help="I, II, III, IV; default unassessed.")
    ] = None,
    classification: Annotated[str | None, typer.Option(help="Default: internal.")] = None,
    title: Annotated[str | None, typer.Option(help="Default: the summary's first clause.")] = None,
    kind: KindOption = None,
    occurred: OccurredOption = None,
    sensitive: SensitiveOption = None,
    report_every: EveryOption = None,
    deaths: Count = None,
    injured: Count = None,
    missing: Count = None,
    trapped: Count = None,
    json_input: Annotated[
        str | None,
        typer.Option("--json", help="Read one object or a list from a file, or - for stdin."),
    ] = None,
    link: Annotated[
        str | None,
        typer.Option(help="Record it as a continued report of this serial instead."),
    ] = None,
    organ: Annotated[str | None, typer.Option(help="Classified: 来文/发往机关.")] = None,
    doc_no: Annotated[str | None, typer.Option(help="Classified: 文号.")] = None,
    period: Annotated[str | None, typer.Option(help="Classified: 保密期限 or 解密条件.")] = None,
    copies: Annotated[str | None, typer.Option(help="Classified: 份数.")] = None,
    copy_no: Annotated[str | None, typer.Option(help="Classified: 份号.")] = None,
    signer: Annotated[str | None, typer.Option(help="Classified: 签收人.")] = None,
    reader_names: Annotated[
        list[str] | None,
        typer.Option(
            "--reader",
            help="知悉范围: a person or unit who may read it (repeat); you are named too.",
        ),
    ] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Register an incident (接报登记); prints its serial. Warns of likely duplicates.

    In register mode a classified item takes only its register (--organ, --doc-no,
    --period, --copies, --copy-no, --signer): its content goes by the 机要 channel.
    """
    from dataclasses import replace

    env = open_env(ctx, db)
    actor = signed_in(env, operator)
    options = {
        "summary": summary,
        "channel": channel,
        "received_at": received,
        "reporter_name": reporter_name,
        "reporter_unit": reporter_unit,
        "reporter_phone": reporter_phone,
        "location": location,
        "category": category,
        "severity": severity,
        "classification": classification,
        "title": title,
        "kind": kind,
        "occurred_at": occurred,
        "sensitive": None if sensitive is None else ("yes" if sensitive else "no"),
        "report_every_minutes": report_every,
        "deaths": deaths,
        "injured": injured,
        "missing": missing,
        "trapped": trapped,
        "organ": organ,
        "doc_no": doc_no,
        "period": period,
        "copies": copies,
        "copy_no": copy_no,
        "signer": signer,
    }
    items = writes.intake_items(env, options, json_input)
    if reader_names:  # the registrar names the first readers; later only the security officer
        items = [replace(item, readers=tuple(reader_names)) for item in items]
    if link is not None:
        writes.link_report(env, link, items, actor)
    else:
        writes.register_and_warn(env, items, actor)


@incident_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[list[str] | None, typer.Option(help="Repeat for several.")] = None,
    category: Text = None,
    severity: Text = None,
    channel: Text = None,
    from_: Annotated[str | None, typer.Option("--from", help="Received at or after.")] = None,
    to: Annotated[str | None, typer.Option(help="Received before.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Closed incidents too.")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    clearance: ClearanceOption = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """List incidents: open ones, most urgent first; with --all every one, oldest first."""
    from dutydesk.services.incidents.listing import IncidentFilter, list_incidents

    env = open_env(ctx, db)
    who = reader(env, operator, clearance)
    wanted = IncidentFilter(
        statuses=[choice(Status, value, "status") for value in status or []],
        category=choice(Category, category, "category") if category else None,
        severity=choice(Severity, severity, "severity") if severity else None,
        channel=choice(Channel, channel, "channel") if channel else None,
        since=moment(from_, "from", tz=env.settings.tz, now=env.now) if from_ else None,
        until=moment(to, "to", tz=env.settings.tz, now=env.now) if to else None,
        include_closed=all_,
    )
    records = list_incidents(env.request(who), wanted)
    columns, rows, cells = summary_columns(env.settings), *incident_rows(records, env.settings)
    emit(fmt, columns, rows, table_cells=cells)
    if not records and fmt is OutputFormat.TABLE:
        message(t("cli.none_found"))


@incident_app.command()
def show(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="e.g. 20261126-004")],
    format_: Annotated[
        TableOrJson, typer.Option("--format", help="table (for reading) or json (exact data).")
    ] = "table",
    clearance: ClearanceOption = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Show an incident and its follow-up timeline."""
    from dutydesk.services.incidents.listing import get_incident

    fmt = OutputFormat(format_)
    env = open_env(ctx, db)
    who = reader(env, operator, clearance)
    record = get_incident(env.request(who), serial)
    named = _readers_shown(env.db, who.viewer, record)
    if fmt is OutputFormat.JSON:
        emit_object(record if named is None else {**record.__dict__, "readers": named})
    else:
        typer.echo(show_table(record, env.settings))
        if named is not None:
            names = "、".join(named) or t("readers.none")
            typer.echo(one_line(f"{t('readers.title')}: {names}"))  # names are stored text


def _readers_shown(
    db: "Database", viewer: "Operator | None", record: "IncidentRecord"
) -> list[str] | None:
    """The 知悉范围 names for ``incident show``, or ``None`` where they are not shown.

    Shown for a classified item to a reader it opens for, and to the security officer
    (who keeps the list without reading the item).
    """
    from dutydesk.rules.access import may_set_clearance
    from dutydesk.services.incidents.reader_list import list_readers

    if not record.classification.is_classified or viewer is None:
        return None
    if record.restricted and not may_set_clearance(viewer.roles):
        return None
    return [reader.name for reader in list_readers(db, record.serial)]


@incident_app.command("readers")
def readers_(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="e.g. 20261125-012")],
    add: Annotated[
        list[str] | None, typer.Option("--add", help="A person or unit to name (repeat).")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="A person or unit to take off.")
    ] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Show or change an item's 知悉范围 (need to know): the security officer only."""
    from dutydesk.rules.access import may_set_clearance
    from dutydesk.services.accounts.audit import AccessDenied
    from dutydesk.services.incidents.readers import change_readers, list_readers

    env = open_env(ctx, db)
    actor = signed_in(env, operator, desk=False)  # the security officer's act
    if not may_set_clearance(actor.roles):
        raise AccessDenied(t("auth.security_officers_only"))
    if add or remove:
        change_readers(env.db, actor, serial, env.now, add=add or (), remove=remove or ())
        message(t("readers.changed", serial=serial.strip()))
    columns = [("name", t("cli.column.name")), ("kind", t("readers.kind"))]
    records = [
        {"name": named.name, "kind": t("readers.unit" if named.is_unit else "readers.person")}
        for named in list_readers(env.db, serial)
    ]
    emit(OutputFormat.TABLE, columns, records)


@incident_app.command()
def log(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="e.g. 20261126-004")],
    kind: Annotated[str, typer.Argument(help=", ".join(LOG_KINDS), show_default=False)],
    text: Annotated[str, typer.Option(help="The entry's text (instructions verbatim).")] = "",
    to: Annotated[str, typer.Option(help="To whom: leader reported to, department.")] = "",
    leader: Annotated[str, typer.Option(help="The leader who gave an instruction.")] = "",
    due: Annotated[
        str | None, typer.Option(help="Feedback due: HH:MM, YYYY-MM-DD (17:30), ISO or +3d.")
    ] = None,
    refers_to: Annotated[
        int | None,
        typer.Option(help="Entry number answered (feedback), reported back, or corrected."),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why it is reopened (or closed).")] = "",
    at: Annotated[str | None, typer.Option(help="When it happened; default now.")] = None,
    expected_version: VersionOption = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Add a follow-up entry; prints the serial and the entry's number."""
    entry_kind = LOG_KINDS.get(kind.strip().lower())
    if entry_kind is None:
        raise InputError(
            t("cli.error.not_one_of", field="kind", value=repr(kind), allowed=", ".join(LOG_KINDS))
        )
    if to and leader:
        raise InputError(t("cli.error.to_or_leader"))
    if reason and text:
        raise InputError(t("cli.error.reason_or_text"))
    env = open_env(ctx, db)
    actor = signed_in(env, operator)
    occurred = moment(at, "at", tz=env.settings.tz, now=env.now) if at else env.now
    due_at = (
        moment(due, "due", tz=env.settings.tz, now=occurred, future=True, day=Day.CLOSE)
        if due
        else None
    )

    from dutydesk.services.incidents.checks import NewEntry

    entry = NewEntry(
        kind=entry_kind,
        occurred_at=occurred,
        text=reason or text,
        target=leader or to,
        due_at=due_at,
        expected_version=expected_version,
    )
    writes.log_entry(env, serial, entry, actor, refers_to=refers_to)


@incident_app.command()
def edit(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="e.g. 20261126-004")],
    severity: Text = None,
    kind: KindOption = None,
    occurred: OccurredOption = None,
    sensitive: SensitiveOption = None,
    report_every: EveryOption = None,
    deaths: Count = None,
    injured: Count = None,
    missing: Count = None,
    trapped: Count = None,
    category: Text = None,
    channel: Text = None,
    classification: Text = None,
    title: Text = None,
    summary: Text = None,
    location: Text = None,
    reporter_name: Text = None,
    reporter_unit: Text = None,
    reporter_phone: Text = None,
    expected_version: VersionOption = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Change fields; the change goes on the timeline and the clocks are recomputed."""
    given = {
        "severity": severity,
        "matter_kind": kind,
        "sensitive": sensitive,
        "report_every_minutes": report_every,
        "deaths": deaths,
        "injured": injured,
        "missing": missing,
        "trapped": trapped,
        "category": category,
        "channel": channel,
        "classification": classification,
        "title": title,
        "summary": summary,
        "location": location,
        "reporter_name": reporter_name,
        "reporter_unit": reporter_unit,
        "reporter_phone": reporter_phone,
    }
    changes: dict[str, object] = {name: value for name, value in given.items() if value is not None}
    if not changes and occurred is None:
        raise InputError(t("cli.error.edit_nothing"))
    env = open_env(ctx, db)
    if occurred is not None:  # typed as the officer types times; stored aware
        changes["occurred_at"] = (
            moment(occurred, "occurred", tz=env.settings.tz, now=env.now).isoformat()
            if occurred.strip()
            else ""
        )
    actor = signed_in(env, operator)

    writes.edit_fields(env, serial, changes, actor, expected_version=expected_version)


@incident_app.command()
def purge(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="e.g. 20261126-004")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: it cannot be undone.")] = False,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Purge the earlier content of an item raised to a classified level (audited).

    Register mode keeps a classified item's register only: its title, summary, place,
    reporter and entry texts are removed for good; ``dutydesk verify`` still holds.
    """
    if not yes:
        raise InputError(t("register.purge_needs_yes", serial=serial.strip()))
    env = open_env(ctx, db)
    actor = signed_in(env, operator)
    writes.purge_content(env, serial, actor)


@incident_app.command()
def copy(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="e.g. 20261126-003")],
    to: Annotated[str, typer.Option(help="呈批/传阅: to whom the copy goes.")] = "",
    copy_no: Annotated[int | None, typer.Option(help="份号 of the copy that goes out.")] = None,
    circulate: Annotated[
        bool, typer.Option("--circulate", help="传阅 (passed round), not 呈批.")
    ] = False,
    back: Annotated[
        int | None, typer.Option(help="The movement (entry number) whose copy came back.")
    ] = None,
    returned: Annotated[int | None, typer.Option(help="清退: this copy number returned.")] = None,
    destroyed: Annotated[int | None, typer.Option(help="销毁: this copy number destroyed.")] = None,
    by: Annotated[str, typer.Option(help="Who signs back, returns or destroys; default you.")] = "",
    at: Annotated[str | None, typer.Option(help="When it happened; default now.")] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """A classified item's copy moves (register mode, issue 13); prints ``SERIAL ENTRY``.

    Exactly one of: ``--to NAME`` (呈批, or 传阅 with ``--circulate``; with ``--copy-no``),
    ``--back N`` (the copy moved by entry N was signed back), ``--returned N`` (清退 of
    copy N) or ``--destroyed N`` (销毁 of copy N). ``incident show`` lists the movements.
    """
    acts = [bool(to.strip()), back is not None, returned is not None, destroyed is not None]
    if sum(acts) != 1:
        raise InputError(t("register.copy_needs_to" if copy_no is not None and not any(acts)
                           else "register.copy_one_of"))  # fmt: skip
    if copy_no is not None and not to.strip():
        raise InputError(t("register.copy_one_of"))
    env = open_env(ctx, db)
    actor = signed_in(env, operator)
    occurred = moment(at, "at", tz=env.settings.tz, now=env.now) if at else env.now
    who = by.strip() or actor.name
    if back is not None:
        writes.copy_back(env, serial, back, who, actor)
        return
    if to.strip():
        kind = EntryKind.CIRCULATED if circulate else EntryKind.SUBMITTED
        writes.copy_move(env, serial, kind, to.strip(), copy_no, occurred, actor)
    elif returned is not None:
        writes.copy_move(env, serial, EntryKind.RETURNED, who, returned, occurred, actor)
    else:
        writes.copy_move(env, serial, EntryKind.DESTROYED, who, destroyed, occurred, actor)
