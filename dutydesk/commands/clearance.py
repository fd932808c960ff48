"""The operator's clearance (涉密等级) for commands that show content.

For now it comes from ``--clearance`` (default ``internal``: no classified content).
Signing in will supply it from the operator's record instead; every command takes it
through this one option and :func:`resolve_clearance`, so that is a change in one place.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dutydesk.commands.parsing import choice
from dutydesk.vocab import Classification

ClearanceOption = Annotated[
    str | None,
    typer.Option(
        "--clearance",
        help="Your clearance: public, internal (default), confidential, secret, top_secret. "
        "Classified content beyond it is shown by serial and classification only.",
        show_default=False,
    ),
]


def resolve_clearance(value: str | None) -> Classification:
    """The clearance to apply: the option's value, else ``internal``."""
    if value is None:
        return Classification.INTERNAL
    return choice(Classification, value, "clearance")
