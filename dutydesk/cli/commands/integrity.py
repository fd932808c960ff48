"""``dutydesk verify``, ``dutydesk backup PATH`` and ``dutydesk key rotate``.

Examples::

    dutydesk --db duty.sqlite3 verify
    dutydesk --db duty.sqlite3 backup /mnt/usb/duty-20261126.sqlite3
    dutydesk --db duty.sqlite3 key rotate --operator 赵建国

``verify`` exits 0 when the record is intact and 4 when it is not, so a cron job can
alert on it. ``verify`` and ``backup`` read only and need no sign-in: anyone on the
desk's machine may check the record, and they print no content.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dutydesk.cli.commands.context import DbOption, Env, OperatorOption, open_env, signed_in
from dutydesk.cli.commands.output import message
from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t

if TYPE_CHECKING:
    from dutydesk.storage.crypto import KeyRing
    from dutydesk.storage.engine import Database

key_app = typer.Typer(
    name="key",
    help="The encryption key file (administrators).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


class RecordDamaged(DutyDeskError):
    """``verify`` found the record changed or the file damaged (the problems are on stdout)."""

    exit_code = 4


class HeadUnreadable(DutyDeskError):
    """``verify --head`` was given something that is not a head."""

    exit_code = 2


def register(app: typer.Typer) -> None:
    """Add ``verify``, ``backup`` and ``key`` to the root command."""
    app.command("verify")(verify)
    app.command("backup")(backup)
    app.add_typer(key_app)


def verify(
    ctx: typer.Context,
    head: Annotated[
        str | None,
        typer.Option(
            "--head",
            help="A head copied from a pack or another machine (SEQ:HASH[:MAC]): is it "
            "still on the chain?",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Check the database (SQLite's check, PostgreSQL's amcheck) and the record's hash chain."""
    from dutydesk.services.accounts.auth import sign_in_required
    from dutydesk.services.integrity.verify import check_head
    from dutydesk.services.integrity.verify import verify as check

    env = open_env(ctx, db)
    if head is not None:
        try:
            found, line = check_head(env.db, head)
        except ValueError as exc:
            raise HeadUnreadable(str(exc)) from None
        typer.echo(line)
        if not found:
            raise RecordDamaged(t("verify.failed", count=1))
        return
    _baseline(env.db)
    keys, unchecked = _verify_keys(env)
    report = check(env.db, keys)
    if not sign_in_required(env.db):
        message(t("auth.no_sign_in"))
    if unchecked is not None and _holds_sealed(env):
        # Not "intact" silently: the chain says nothing about whether sealed text opens.
        message(t("verify.sealed_unchecked", why=unchecked))
    # The server's own check, then what was set right (the open count): lines, not problems.
    _echo(report.server_check, *report.repaired)
    if not report.ok:
        for problem in report.problems:
            typer.echo(problem)
        raise RecordDamaged(t("verify.failed", count=len(report.problems)))
    # "database check ok" names SQLite's integrity_check; a server says its own above.
    intact = "verify.ok" if env.db.is_sqlite else "verify.ok_chain"
    typer.echo(t(intact, links=report.links, head=report.signed or report.head.short))
    if report.acknowledged is not None:
        typer.echo(t("verify.ok_handover", seq=report.acknowledged.seq))
    if report.sealed_checked:
        typer.echo(t("verify.ok_sealed", count=report.sealed_checked))
    if report.anchors:
        typer.echo(t("verify.anchored", count=report.anchors))
    typer.echo(report.signature)


def _echo(*lines: str | None) -> None:
    """Print each line that is there."""
    for line in lines:
        if line is not None:
            typer.echo(line)


def _verify_keys(env: Env) -> tuple[KeyRing | None, str | None]:
    """The database's key file for ``verify``, or why there is none (one line)."""
    from dutydesk.storage.crypto import KeyRing, key_file_for

    try:
        return KeyRing.load(key_file_for(env.db.path, env.settings.key_file)), None
    except DutyDeskError as exc:
        return None, str(exc)


def _holds_sealed(env: Env) -> bool:
    from dutydesk.services.integrity.sealed import holds_sealed

    # A read: verify must work on a read-only or damaged file, which refuses writes.
    with env.db.session(write=False) as session:
        return holds_sealed(session)


def _baseline(db: Database) -> None:
    """The first verify after the upgrade records the state of the rows already there."""
    from sqlalchemy.exc import SQLAlchemyError

    from dutydesk.services.integrity.verify import baseline_if_needed

    try:
        count = baseline_if_needed(db)
    except (DutyDeskError, SQLAlchemyError) as exc:  # a read-only copy: compare what is there
        message(t("verify.baseline_failed", detail=type(exc).__name__))
        return
    if count:
        message(t("verify.baseline", count=count))


def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The new file to write (must not exist).")],
    db: DbOption = None,
) -> None:
    """Copy the database safely while consoles run (SQLite online backup; pg_dump -Fc)."""
    from dutydesk.services.integrity.verify import backup as copy
    from dutydesk.storage.crypto import key_file_for

    env = open_env(ctx, db)
    head = copy(env.db, path)
    done = "backup.done" if env.db.is_sqlite else "backup.done_pg_dump"
    from dutydesk.services.integrity import head_key

    signed = head_key.signed_short(head, head_key.for_database(env.db.path))
    message(t(done, target=path, head=signed))
    if env.db.path is not None or env.settings.key_file:
        key = key_file_for(env.db.path, env.settings.key_file)
        if key.exists():
            message(t("backup.key_note", key=key))


@key_app.command("rotate")
def rotate(
    ctx: typer.Context,
    keep_old: Annotated[
        bool, typer.Option("--keep-old", help="Keep old keys (to open older backups).")
    ] = False,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Make a new key and re-wrap every encrypted value under it (administrators)."""
    from dutydesk.rules.access import may_manage_accounts
    from dutydesk.services.accounts.audit import AccessDenied
    from dutydesk.services.integrity.keys import rotate as run
    from dutydesk.storage.crypto import KeyRing, key_file_for

    env = open_env(ctx, db)
    actor = signed_in(env, operator, desk=False)
    if not may_manage_accounts(actor.roles):
        raise AccessDenied(t("auth.admins_only"))
    keys = KeyRing.open_or_create(key_file_for(env.db.path, env.settings.key_file))
    done = run(env.db, keys, actor, env.now, retire=not keep_old)
    retired = ", ".join(done.retired) or "-"
    message(t("key.rotated", key=done.new_key, count=done.rewrapped, retired=retired))


@key_app.command("encrypt-existing")
def encrypt_existing(
    ctx: typer.Context,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Seal classified text stored in clear by an older version (administrators)."""
    from dutydesk.rules.access import may_manage_accounts
    from dutydesk.services.accounts.audit import AccessDenied
    from dutydesk.services.integrity.keys import encrypt_existing as run
    from dutydesk.services.integrity.sealed import ring_for

    env = open_env(ctx, db)
    actor = signed_in(env, operator, desk=False)
    if not may_manage_accounts(actor.roles):
        raise AccessDenied(t("auth.admins_only"))
    keys = ring_for(env.db, configured=env.settings.key_file, create=True)
    done = run(env.db, keys, actor, env.now)
    message(t("crypto.encrypted_existing", count=done.sealed, left=done.left_in_clear))
