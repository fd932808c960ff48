"""The ``--clearance`` option (涉密等级) of commands that show content.

Output is internal by default (classified incidents by serial and classification only).
``--clearance`` asks for more, and :func:`dutydesk.commands.context.reader` grants it
only up to the signed-in operator's own clearance.
"""

from __future__ import annotations

from typing import Annotated

import typer

ClearanceOption = Annotated[
    str | None,
    typer.Option(
        "--clearance",
        help="Show classified content up to this level: public, internal (default), "
        "confidential, secret, top_secret. Needs a signed-in --operator cleared that far; "
        "classified content beyond it is shown by serial and classification only.",
        show_default=False,
    ),
]
