"""``dutydesk deployment migrate``: move a database between the two deployments (issue 13).

Examples::

    dutydesk deployment migrate --to classified-network --dry-run
    dutydesk deployment migrate --to register --yes --operator 赵建国

The dry run lists what would change, items by serial and counts only (no content), on
any settings. The move itself asks ``--yes``, is an administrator's act once the
database has accounts, and runs only when the settings already name the target
(``deployment`` in the config file or ``DUTYDESK_DEPLOYMENT``): the setting is the
switch, the move brings the data in line with it, so no desk runs one mode over the
other's data longer than it takes to run this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from dutydesk.cli.commands.context import DbOption, OperatorOption, open_env, signed_in
from dutydesk.cli.commands.output import message
from dutydesk.cli.commands.parsing import InputError, choice
from dutydesk.i18n import t

if TYPE_CHECKING:
    from dutydesk.services.incidents.deployment import ModeChange

deployment_app = typer.Typer(
    name="deployment",
    help="The deployment (register mode or classified network): move a database between them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _show(change: ModeChange, *, done: bool) -> None:
    """What the move changes (or changed): counts and serials, never content."""
    from dutydesk.vocab import Deployment

    mode = t(f"deployment.{change.target.value}")
    if change.empty:
        message(t("accredited.migrate_nothing", mode=mode))
        return
    network = change.target is Deployment.CLASSIFIED_NETWORK
    head = "accredited.migrate_seal" if network else "accredited.migrate_purge"
    message(t(head + ("_done" if done else ""), mode=mode, count=len(change.items)))
    fields = ", ".join(f"{name} {count}" for name, count in change.by_field.items())
    if fields:
        message(t("accredited.migrate_fields", fields=fields))
    for item in change.items:
        typer.echo(t("accredited.migrate_item", serial=item.serial, fields=len(item.fields),
                     entries=item.entries))  # fmt: skip
    if change.chained:
        key = "accredited.migrate_chained_clear" if network else "accredited.migrate_chained_sealed"
        message(t(key, count=change.chained))


@deployment_app.command("migrate")
def migrate(
    ctx: typer.Context,
    to: Annotated[
        str, typer.Option("--to", help="register or classified-network.", show_default=False)
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would change; change nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: purging cannot be undone.")] = False,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Move the database to a deployment: seal for a classified network, purge for register."""
    from dutydesk.vocab import Deployment

    target = choice(Deployment, to, "--to")
    env = open_env(ctx, db)
    from dutydesk.services.incidents.deployment import migrate as run
    from dutydesk.services.incidents.deployment import plan

    if dry_run:
        _show(plan(env.request(), target), done=False)
        return
    if env.settings.deployment != target.value:
        raise InputError(
            t("accredited.migrate_setting", setting=env.settings.deployment, target=target.value)
        )
    if not yes:
        raise InputError(t("accredited.migrate_needs_yes", target=target.value))
    actor = signed_in(env, operator, desk=False)
    from dutydesk.rules.access import may_manage_accounts
    from dutydesk.services.accounts.audit import AccessDenied
    from dutydesk.services.accounts.auth import sign_in_required

    if sign_in_required(env.db) and not may_manage_accounts(actor.roles):
        raise AccessDenied(t("auth.admins_only"))
    _show(run(env.request(actor=actor), target), done=True)
