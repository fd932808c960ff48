"""The ``--clearance`` option (涉密等级) of commands that show content.

Output is internal by default (classified incidents by serial and classification only).
``--clearance`` asks for more, and :func:`dutydesk.cli.commands.context.reader` grants it
only up to the signed-in operator's own clearance.

The option is a choice list: help and shell completion offer the levels by code and by
their Chinese names (公开, 内部, 秘密, 机密, 绝密), and
:func:`dutydesk.cli.commands.parsing.choice` reads either.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

ClearanceName = Literal[
    "public",
    "internal",
    "confidential",
    "secret",
    "top_secret",
    "公开",
    "内部",
    "秘密",
    "机密",
    "绝密",
]
"""A classification level as typed: its code, or its Chinese name (``vocab.CLASSIFICATION_ZH``)."""

ClearanceOption = Annotated[
    ClearanceName | None,
    typer.Option(
        "--clearance",
        case_sensitive=False,
        help="Show classified content up to this level: public (公开), internal (内部, the "
        "default), confidential (秘密), secret (机密), top_secret (绝密). Needs a signed-in "
        "--operator cleared that far; classified content beyond it is shown by serial and "
        "classification only.",
        show_default=False,
    ),
]
