"""``dutydesk bulletin``: 《信息快报》《信息直呈》 from draft to delivery.

Examples::

    dutydesk bulletin draft --kind express 20261126-004 20261126-006
    dutydesk bulletin edit 3 --title "..." --body -      # body from stdin
    dutydesk bulletin edit 4 --to 周文斌                  # the leader of a 《信息直呈》
    dutydesk bulletin edit 3 --urgency 特急               # 紧急程度: 特急, 加急 or 无
    dutydesk bulletin review 3
    dutydesk bulletin sign 3 --by 张振华 --sms-ok 20261126-004   # 可发短信/微信
    dutydesk bulletin issue 3                             # prints 2026年第N期
    dutydesk bulletin show 3 --format docx -o 快报.docx
    dutydesk bulletin sms 3                               # SMS segments, one per line
    dutydesk bulletin deliver 3 --webhook https://qyapi.weixin.qq.com/...
    dutydesk bulletin deliver --retry

Data (ids, numbers, documents, segments) goes to stdout; sentences to stderr. Writes are
attributed to ``--operator`` (or ``DUTYDESK_OPERATOR``). Services are imported inside
each command, so ``import dutydesk.cli.app`` stays light.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from dutydesk.cli.commands.clearance import ClearanceOption
from dutydesk.cli.commands.context import (
    DbOption,
    OperatorOption,
    clearance_for,
    open_env,
    reader,
    signed_in,
)
from dutydesk.cli.commands.output import (
    DocumentFormat,
    FormatOption,
    OutputFileOption,
    OutputFormat,
    emit,
    message,
    write_document,
)
from dutydesk.cli.commands.parsing import InputError, choice
from dutydesk.i18n import label, t
from dutydesk.vocab import BulletinKind, Urgency

bulletin_app = typer.Typer(
    name="bulletin",
    help="Bulletins 《信息快报》《信息直呈》: draft, review, sign off, issue, SMS/WeChat version.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

IdArgument = Annotated[int, typer.Argument(help="The bulletin's id (from draft or list).")]
UrgencyOption = Annotated[
    str | None,
    typer.Option(
        "--urgency",
        help="紧急程度, printed at the top left: extra_urgent (特急), urgent (加急), or "
        "none (无) to clear it.",
        show_default=False,
    ),
]


@bulletin_app.command()
def draft(
    ctx: typer.Context,
    serials: Annotated[list[str], typer.Argument(help="Incident serials, in bulletin order.")],
    kind: Annotated[str, typer.Option(help="express (信息快报) or direct (信息直呈).")] = "express",
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="The leader a 《信息直呈》 is presented to: its short version goes to that "
            "leader alone, never to a group robot.",
            show_default=False,
        ),
    ] = None,
    urgency: UrgencyOption = None,
    operator: OperatorOption = None,
    clearance: ClearanceOption = None,
    db: DbOption = None,
) -> None:
    """Draft a bulletin from incidents, title and body prefilled; prints its id."""
    from dutydesk.services.bulletins.read import describe, get_bulletin
    from dutydesk.services.bulletins.write import draft_bulletin

    wanted = choice(Urgency, urgency, "urgency") if urgency is not None else Urgency.NONE
    env = open_env(ctx, db)
    who = signed_in(env, operator)
    actor, level = who.name, clearance_for(env, who, clearance)
    bulletin_id = draft_bulletin(
        env.db,
        kind=choice(BulletinKind, kind, "kind"),
        serials=serials,
        actor=actor,
        now=env.now,
        tz=env.settings.tz,
        clearance=level,
        leader=to,
        urgency=wanted,
    )
    view = get_bulletin(
        env.db,
        bulletin_id,
        tz=env.settings.tz,
        now=env.now,
        clearance=level,
        keys=env.keys,
        viewer=who,
    )
    typer.echo(bulletin_id)
    message(t("bulletin.drafted", id=bulletin_id, what=describe(view), count=len(view.items)))
    if view.presented_to:
        message(t("bulletin.direct.presented_to", name=view.presented_to))


@bulletin_app.command()
def edit(
    ctx: typer.Context,
    bulletin_id: IdArgument,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    body: Annotated[str | None, typer.Option(help="New body; - reads it from stdin.")] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="The leader a 《信息直呈》 is presented to (as at draft --to).",
            show_default=False,
        ),
    ] = None,
    urgency: UrgencyOption = None,
    operator: OperatorOption = None,
    clearance: ClearanceOption = None,
    db: DbOption = None,
) -> None:
    """Change a bulletin's title, body, urgency or leader (back to draft, to be reviewed)."""
    from dutydesk.services.bulletins.write import edit_bulletin

    if title is None and body is None and to is None and urgency is None:
        raise InputError(t("cli.error.bulletin_edit_nothing"))
    wanted = choice(Urgency, urgency, "urgency") if urgency is not None else None
    env = open_env(ctx, db)
    who = signed_in(env, operator)
    level = clearance_for(env, who, clearance)
    text = sys.stdin.read() if body == "-" else body
    edit_bulletin(
        env.db,
        bulletin_id,
        title=title,
        body=text,
        actor=who.name,
        now=env.now,
        clearance=level,
        register_only=env.settings.deployment == "register",
        leader=to,
        urgency=wanted,
        limits=env.settings.field_limits(),
    )
    message(t("bulletin.edited", id=bulletin_id))
    if to is not None:
        message(t("bulletin.direct.presented_to", name=to.strip()))


@bulletin_app.command()
def review(
    ctx: typer.Context,
    bulletin_id: IdArgument,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Mark a draft reviewed (审核)."""
    from dutydesk.services.bulletins.write import review_bulletin

    env = open_env(ctx, db)
    review_bulletin(env.db, bulletin_id, actor=signed_in(env, operator).name, now=env.now)
    message(t("bulletin.reviewed", id=bulletin_id))


@bulletin_app.command()
def sign(
    ctx: typer.Context,
    bulletin_id: IdArgument,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="The duty leader or leader signing it off; once accounts exist, only "
            "the signed-in operator (default: the operator).",
            show_default=False,
        ),
    ] = None,
    sms_ok: Annotated[
        list[str] | None,
        typer.Option(
            "--sms-ok",
            help="A 内部 item (serial) that may go by SMS/WeChat (可发短信/微信); repeat "
            "for several. Other 内部 items stay out of the short version.",
            show_default=False,
        ),
    ] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Record the sign-off (签发) by a duty leader or leader, and its 可发短信/微信 items."""
    from dutydesk.services.bulletins.write import sign_bulletin

    env = open_env(ctx, db)
    actor = signed_in(env, operator)
    signer = (by or "").strip() or actor.name
    allowed = [serial.strip() for serial in sms_ok or () if serial.strip()]
    sign_bulletin(
        env.db,
        bulletin_id,
        signer=signer,
        actor=actor.name,
        actor_id=actor.id,
        now=env.now,
        sms_ok=allowed,
    )
    message(t("bulletin.signed", id=bulletin_id, name=signer))
    if allowed:
        message(t("bulletin.sms_ok_recorded", serials=", ".join(dict.fromkeys(allowed))))


@bulletin_app.command()
def issue(
    ctx: typer.Context,
    bulletin_id: IdArgument,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Issue a signed bulletin: it takes the next number of its kind and year."""
    from dutydesk.services.bulletins.read import issue_title
    from dutydesk.services.bulletins.write import issue_bulletin

    env = open_env(ctx, db)
    issue_bulletin(env.request(actor=signed_in(env, operator)), bulletin_id)
    text = issue_title(env.db, bulletin_id)
    typer.echo(text)
    message(t("bulletin.issued", what=text))


@bulletin_app.command()
def discard(
    ctx: typer.Context,
    bulletin_id: IdArgument,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Drop a bulletin before issue; it uses no number."""
    from dutydesk.services.bulletins.write import discard_bulletin

    env = open_env(ctx, db)
    discard_bulletin(env.db, bulletin_id, actor=signed_in(env, operator).name, now=env.now)
    message(t("bulletin.discarded", id=bulletin_id))


@bulletin_app.command()
def show(
    ctx: typer.Context,
    bulletin_id: IdArgument,
    format_: Annotated[
        Literal["txt", "md", "docx"],
        typer.Option("--format", help="txt, md, or docx (a Word file: use -o)."),
    ] = "txt",
    output: OutputFileOption = None,
    clearance: ClearanceOption = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Print a bulletin as txt or md, or write it as docx (red masthead, GB/T 9704 page)."""
    from dutydesk.services.bulletins.read import get_bulletin

    fmt = DocumentFormat(format_)
    env = open_env(ctx, db)
    tz = env.settings.tz
    who = reader(env, operator, clearance)
    view = get_bulletin(
        env.db,
        bulletin_id,
        tz=tz,
        now=env.now,
        clearance=who.clearance,
        keys=env.keys,
        viewer=who.viewer,
    )
    unit = env.settings.issuing_unit
    # Printing a classified bulletin makes a numbered copy, logged (bulletin copies N).
    from dutydesk.services.integrity.copies import bulletin_marking

    marking = bulletin_marking(env.request(who), view)
    from dutydesk.reports.bulletin_render import render_bulletin

    data = render_bulletin(
        view,
        fmt.value,
        unit=unit,
        tz=tz,
        now=env.now,
        marking=marking,
        distribution=env.settings.distribution(),
    )
    write_document(data, output, fmt)
    if output:
        message(t("daily.written", path=output))


@bulletin_app.command()
def copies(
    ctx: typer.Context,
    bulletin_id: IdArgument,
    give: Annotated[
        int | None, typer.Option("--give", help="Record that this copy (份号) was handed out.")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Who received it (with --give).")] = None,
    back: Annotated[
        int | None, typer.Option("--back", help="Record that this copy came back, signed.")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """A classified bulletin's copies (份号) and where each is: printed, given, signed back.

    ``bulletin show`` of a classified bulletin prints a numbered copy; ``--give 3 --to
    张振华`` records its distribution and ``--back 3`` its return. Names and times only.
    """
    from dutydesk.services.bulletins.read import bulletin_level, issue_title
    from dutydesk.services.integrity.copies import copies_of, give_copy, return_copy

    if give is not None and back is not None:
        raise InputError(t("copies.one_act"))
    if give is not None and not (to or "").strip():
        raise InputError(t("copies.to_needed"))
    env = open_env(ctx, db)
    who = signed_in(env, operator)
    what = issue_title(env.db, bulletin_id)
    if not bulletin_level(env.db, bulletin_id).is_classified:
        raise InputError(t("copies.not_classified", what=what))
    document = f"bulletin:{bulletin_id}"
    if give is not None:
        give_copy(env.request(actor=who), document, give, to or "", what=what)
        message(t("copies.given", what=what, copy=f"{give:06d}", name=(to or "").strip()))
        return
    if back is not None:
        return_copy(env.request(actor=who), document, back, what=what)
        message(t("copies.returned", what=what, copy=f"{back:06d}"))
        return
    tz = env.settings.tz
    found = copies_of(env.db, document)

    def when(moment: object) -> str:
        from datetime import datetime

        return (
            moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if isinstance(moment, datetime) else ""
        )

    records = [
        {"copy_no": c.copy_text, "classification": c.classification, "made_at": c.made_at,
         "made_by": c.made_by, "given_to": c.given_to, "given_at": c.given_at,
         "returned_at": c.returned_at}
        for c in found
    ]  # fmt: skip
    cells = [
        [c.copy_text, label(c.classification), when(c.made_at), c.made_by, c.given_to or "",
         when(c.given_at), when(c.returned_at)]
        for c in found
    ]  # fmt: skip
    keys = ("copy_no", "classification", "made_at", "made_by", "given_to", "given_at")
    columns = [
        (key, t("cli.field.classification") if key == "classification" else t(f"copies.{key}"))
        for key in (*keys, "returned_at")
    ]
    emit(fmt, columns, records, table_cells=cells)
    if not found:
        message(t("copies.none", what=what))


@bulletin_app.command("list")
def list_(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.TABLE,
    all_: Annotated[bool, typer.Option("--all", help="Include discarded drafts.")] = False,
    clearance: ClearanceOption = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """List bulletins, newest first (titles of classified ones only for the cleared)."""
    from dutydesk.rules.bulletins import numbered_name, series_of
    from dutydesk.services.bulletins.read import list_bulletins

    env = open_env(ctx, db)
    who = reader(env, operator, clearance)
    level = who.clearance
    records: list[dict[str, object]] = []
    cells: list[list[object]] = []
    for bid, kind, year, number, status, cls, visible in list_bulletins(
        env.db,
        clearance=level,
        include_discarded=all_,
        keys=env.keys,
        viewer=who.viewer,
        now=env.now,
    ):
        records.append(
            {"id": bid, "kind": kind, "year": year, "issue_no": number, "status": status,
             "classification": cls, "title": visible, "series": series_of(cls)}
        )  # fmt: skip
        cells.append(
            [bid, numbered_name(kind, year, number, cls), label(status),
             label(cls), visible if visible is not None else t("app.restricted")]
        )  # fmt: skip
    columns = [
        ("id", "#"),
        ("issue_no", t("bulletin.number")),
        ("status", t("column.status")),
        ("classification", t("cli.field.classification")),
        ("title", t("column.title")),
    ]
    if fmt is OutputFormat.CSV:
        keys = ("id", "kind", "year", "issue_no", "status", "classification", "title")
        columns = [(key, key) for key in keys]
    emit(fmt, columns, records, table_cells=cells)
    if not records:
        message(t("bulletin.none"))


@bulletin_app.command()
def sms(
    ctx: typer.Context,
    bulletin_id: IdArgument,
    edit: Annotated[
        str | None, typer.Option("--edit", help="Replace the short version's text.")
    ] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Print the SMS/WeChat short version, one 70-character segment per line.

    Refused for bulletins whose items are all classified; a bulletin with some
    classified items gets a version of the others, and a note on stderr says so. A 内部
    item goes only when its sign-off said 可发短信/微信 (``bulletin sign --sms-ok``);
    stderr names those decided and counts the others left out.
    """
    from dutydesk.services.bulletins.short_version import short_version

    env = open_env(ctx, db)
    if edit is not None:
        actor = signed_in(env, operator).name
    else:
        actor = ""
        reader(env, operator, None)
    version = short_version(
        env.db,
        bulletin_id,
        edit=edit,
        actor=actor,
        now=env.now,
        style=env.settings.sms_style(),
        tz=env.settings.tz,
    )
    if version.allowed:
        message(t("bulletin.sms_ok_recorded", serials=", ".join(version.allowed)))
    if version.note:
        message(version.note)
    if version.style.concatenates:  # one text on stdout: say what it costs on stderr
        message(version.count_line())
    for segment in version.segments:
        typer.echo(segment)


@bulletin_app.command()
def deliver(
    ctx: typer.Context,
    bulletin_id: Annotated[int | None, typer.Argument(help="The issued bulletin.")] = None,
    webhook: Annotated[
        str | None, typer.Option(help="WeCom robot URL (default: config webhook_url).")
    ] = None,
    outbox: Annotated[
        Path | None, typer.Option(help="Outbox folder (default: config outbox_dir).")
    ] = None,
    retry: Annotated[bool, typer.Option("--retry", help="Send again what failed.")] = False,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Write the short version to the outbox and POST it to the webhook; or --retry."""
    from dutydesk.services.bulletins.delivery import deliver as run_delivery
    from dutydesk.services.bulletins.delivery import retry_deliveries

    if retry == (bulletin_id is not None):
        raise InputError(t("cli.error.deliver_which"))
    env = open_env(ctx, db)
    actor = signed_in(env, operator).name
    # Issue 13: on an accredited classified network every network path is off.
    offline = env.settings.deployment == "classified-network"
    if retry:
        report = retry_deliveries(env.db, now=env.now, offline=offline)
        if not report.sent and not report.failed:
            message(t("delivery.nothing"))
    else:
        assert bulletin_id is not None
        from dutydesk.services.bulletins.read import BulletinError, presented_to

        kind, leader = presented_to(env.db, bulletin_id)
        if kind is BulletinKind.DIRECT and webhook:
            # Asked for in so many words: refused. A configured robot is only left out.
            raise BulletinError(t("bulletin.direct.no_robot", name=leader or "?"))
        report = run_delivery(
            env.db,
            bulletin_id,
            outbox=outbox or env.settings.outbox_path(),
            webhook_url=webhook or env.settings.webhook_url,
            actor=actor,
            now=env.now,
            offline=offline,
            style=env.settings.sms_style(),
            tz=env.settings.tz,
        )
        if report.note:
            message(report.note)
        for path in report.files:
            typer.echo(str(path))
    if report.sent or report.failed:
        message(t("delivery.sent", sent=report.sent, failed=report.failed))
    for error in report.errors:
        message(error)
    if report.failed:
        from dutydesk.errors import DutyDeskError

        # Exit status 1 for scripts and cron: something is waiting in the queue.
        raise DutyDeskError(t("delivery.kept", count=report.failed))
