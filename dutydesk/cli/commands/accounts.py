"""``dutydesk init``, ``dutydesk user ...`` and ``dutydesk audit list``: accounts and the trail.

Examples::

    dutydesk --db duty.sqlite3 init --name 赵建国 --clearance secret
    dutydesk user add 孙丽 --role duty_officer --clearance confidential --operator 赵建国
    dutydesk user list --operator 赵建国
    dutydesk user role 孙丽 --add information_officer --operator 赵建国
    dutydesk user passwd 孙丽 --operator 孙丽
    dutydesk audit list --operator 钱审计

PINs are never options: the acting operator's comes from ``DUTYDESK_PIN`` or the terminal
(:func:`~dutydesk.cli.commands.context.signed_in`); a new PIN from ``DUTYDESK_NEW_PIN`` or is
asked twice on the terminal. Services are imported inside the commands.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from dutydesk.cli.commands.clearance import ClearanceName
from dutydesk.cli.commands.context import (
    DbOption,
    OperatorOption,
    open_env,
    require_operator,
    signed_in,
)
from dutydesk.cli.commands.output import FormatOption, OutputFormat, emit, message
from dutydesk.cli.commands.parsing import InputError, choice
from dutydesk.i18n import t
from dutydesk.vocab import Classification, Role

user_app = typer.Typer(
    name="user",
    help="Manage operator accounts (administrators).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
audit_app = typer.Typer(
    name="audit",
    help="Read the audit trail (auditors).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

Name = Annotated[str, typer.Argument(help="The person's name.")]
ClearanceOption = Annotated[
    ClearanceName,
    typer.Option(
        case_sensitive=False,
        help="public (公开), internal (内部), confidential (秘密), secret (机密), "
        "top_secret (绝密).",
    ),
]
RoleOption = Annotated[list[str] | None, typer.Option("--role", help="Repeat for several.")]


def new_pin(name: str) -> str:
    """A new PIN: ``DUTYDESK_NEW_PIN``, else asked twice without echo.

    Raises:
        InputError: the two entries differ, or there is no terminal to ask on.

    """
    import getpass

    given = os.environ.get("DUTYDESK_NEW_PIN")
    if given is not None:
        return given
    try:
        first = getpass.getpass(t("auth.pin_prompt", name=name))
        second = getpass.getpass(t("auth.pin_again"))
    except EOFError:
        raise InputError(t("auth.pin_needed")) from None
    if first != second:
        raise InputError(t("auth.pin_mismatch"))
    return first


def usable_name(name: str) -> str:
    """``name`` for a new account, refused in one line before anything is asked or made.

    The service checks it again (:func:`dutydesk.rules.access.name_problem`); here it
    comes before the PIN is asked twice and before ``init`` creates the database file.

    Raises:
        InputError: the name shows nothing (only escape, control or invisible characters).

    """
    from dutydesk.rules.access import name_problem

    problem = name_problem(name)
    if problem is not None:
        raise InputError(t(problem, name=repr(name)))
    return name


def _roles(values: list[str] | None) -> list[Role]:
    return [choice(Role, value, "role") for value in values or []]


def register(app: typer.Typer) -> None:
    """Add ``init``, ``user`` and ``audit`` to the root command."""
    app.command("init")(init)
    app.add_typer(user_app)
    app.add_typer(audit_app)


def init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The first administrator's name.")],
    clearance: ClearanceOption = "internal",
    db: DbOption = None,
) -> None:
    """Create the database, its key file and the first administrator (asks for a PIN twice).

    The administrator's clearance also bounds what they can grant others.
    """
    from dutydesk.services.accounts.users import init_admin
    from dutydesk.services.integrity.sealed import claim
    from dutydesk.storage.crypto import KeyRing, key_file_for

    usable_name(name)
    env = open_env(ctx, db, create=True)
    level = choice(Classification, clearance or "internal", "clearance")
    pin = new_pin(name)
    operator = init_admin(env.db, name, pin, env.now, clearance=level)
    if env.db.path is not None or env.settings.key_file:
        path = key_file_for(env.db.path, env.settings.key_file)
        if not path.exists():
            ring = KeyRing.create(path)
            with env.db.session() as session:
                claim(session, ring)  # the database records its key file from the start
            message(t("key.created", path=path))
    message(t("auth.initialised", where=env.db.describe(), name=operator.name))


@user_app.command("add")
def add(
    ctx: typer.Context,
    name: Name,
    role: RoleOption = None,
    clearance: ClearanceOption = "internal",
    unit: Annotated[str, typer.Option(help="Unit (单位).")] = "",
    title: Annotated[str, typer.Option(help="Title (职务).")] = "",
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Add an account (or give a person already on the roster a PIN and roles)."""
    from dutydesk.services.accounts.users import NewAccount, add_user

    usable_name(name)
    env = open_env(ctx, db)
    admin = signed_in(env, operator, desk=False)
    roles = _roles(role)
    level = choice(Classification, clearance or "internal", "clearance")
    pin = new_pin(name)
    account = NewAccount(name, pin, roles, clearance=level, unit=unit, title=title)
    add_user(env.db, admin, account, env.now, settings=env.settings)
    message(t("auth.added", name=name))


@user_app.command("list")
def list_(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.TABLE,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """List accounts: roles, clearance (涉密人员类别), active, PIN set, locked until."""
    from dutydesk.services.accounts.users import list_users

    env = open_env(ctx, db)
    rows = list_users(env.db, signed_in(env, operator, desk=False))
    columns = [
        ("name", t("cli.column.name")),
        ("roles", t("cli.column.roles")),
        ("clearance", t("cli.column.clearance")),
        ("category", t("cli.column.personnel_category")),
        ("active", t("cli.column.active")),
        ("has_pin", t("cli.column.has_pin")),
        ("locked_until", t("cli.column.locked_until")),
    ]
    records = [{**row.__dict__, "roles": " ".join(row.roles)} for row in rows]
    emit(fmt, columns, records)


@user_app.command("disable")
def disable(
    ctx: typer.Context,
    name: Name,
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Disable an account (its records stay attributed to it); --enable undoes it."""
    from dutydesk.services.accounts.users import set_active

    env = open_env(ctx, db)
    set_active(env.db, signed_in(env, operator, desk=False), name, enable, env.now)
    message(t("auth.enabled_done" if enable else "auth.disabled_done", name=name))


@user_app.command("passwd")
def passwd(
    ctx: typer.Context, name: Name, operator: OperatorOption = None, db: DbOption = None
) -> None:
    """Set a new PIN: your own, or reset another's (they choose their own at next sign-in).

    Resetting is the administrator's act, and the security officer's for accounts cleared
    above the administrator or held by an auditor or security officer.
    """
    from dutydesk.services.accounts.users import set_pin

    env = open_env(ctx, db)
    if name.strip() == require_operator(operator):
        # One's own: the PIN (even one someone else reset) is checked, then replaced.
        signed_in(env, operator, choose_pin=lambda: new_pin(name), desk=False)
    else:
        actor = signed_in(env, operator, desk=False)
        set_pin(env.db, actor, name, new_pin(name), env.now, settings=env.settings)
    message(t("auth.pin_changed", name=name))


@user_app.command("role")
def role(
    ctx: typer.Context,
    name: Name,
    add: Annotated[list[str] | None, typer.Option("--add", help="Role to add.")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Role to remove.")] = None,
    clearance: Annotated[
        ClearanceName | None,
        typer.Option(case_sensitive=False, help="Set the clearance.", show_default=False),
    ] = None,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Add or remove roles (the administrator), or set the clearance (the security officer)."""
    from dutydesk.services.accounts.users import change_roles

    if not (add or remove or clearance):
        raise InputError(t("cli.error.role_nothing"))
    env = open_env(ctx, db)
    level = choice(Classification, clearance, "clearance") if clearance else None
    actor = signed_in(env, operator, desk=False)
    change_roles(
        env.db, actor, name, env.now, add=_roles(add), remove=_roles(remove), clearance=level
    )
    message(t("auth.changed", name=name))


@user_app.command("clearance")
def clearance_(
    ctx: typer.Context,
    name: Name,
    level: Annotated[ClearanceName, typer.Argument(case_sensitive=False, show_default=False)],
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Set a person's clearance (涉密人员类别 核心/重要/一般): the security officer only."""
    from dutydesk.services.accounts.users import set_clearance

    env = open_env(ctx, db)
    actor = signed_in(env, operator, desk=False)
    set_clearance(env.db, actor, name, choice(Classification, level, "clearance"), env.now)
    message(t("auth.changed", name=name))


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 200,
    action: Annotated[str | None, typer.Option(help="Only this action code.")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """List the audit trail, newest first (auditors only)."""
    from dutydesk.services.accounts.audit import list_events

    env = open_env(ctx, db)
    rows = list_events(env.db, signed_in(env, operator, desk=False), limit=limit, action=action)
    columns = [
        ("id", t("cli.column.id")),
        ("occurred_at", t("cli.column.occurred_at")),
        ("actor", t("cli.column.actor")),
        ("action", t("cli.column.action")),
        ("object_type", t("cli.column.object_type")),
        ("object_id", t("cli.column.object_id")),
        ("detail", t("cli.column.detail")),
    ]
    emit(fmt, columns, [row.__dict__ for row in rows])
