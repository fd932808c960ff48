"""What ``dutydesk demo`` prints: the load in one line, then who can sign in and as what.

The table goes to stdout (it is the command's output); the messages to stderr. Every cell
passes through :func:`dutydesk.cli.commands.output.render_table`, which sanitises it, since the
names come from an editable data file. Kept out of :mod:`dutydesk.cli` so that module stays
light; the services are only named for type checking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dutydesk.cli.commands.output import render_table
from dutydesk.i18n import label, t

if TYPE_CHECKING:
    from dutydesk.services.demo.accounts import DemoAccount


def accounts_table(accounts: Sequence[DemoAccount]) -> str:
    """Name, roles, clearance, demo PIN and the position held now, one row per account."""
    sep = t("demo.sep")
    headers = [
        t("demo.column.name"),
        t("demo.column.roles"),
        t("demo.column.clearance"),
        t("demo.column.pin"),
        t("demo.column.on_duty"),
    ]
    rows = [
        [
            account.name,
            sep.join(label(role) for role in account.roles),
            label(account.clearance),
            account.pin,
            sep.join(label(position) for position in account.on_duty),
        ]
        for account in accounts
    ]
    return render_table(headers, rows)


__all__ = ["accounts_table"]
