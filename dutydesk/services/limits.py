"""Refusing a field longer than the office allows, before anything is written (issue 17).

The limits themselves are pure (:mod:`dutydesk.rules.limits`) and come with the request
(:attr:`dutydesk.services.request.Request.limits`, from the settings); each writing
service calls :func:`refuse_too_long` with the fields it was given, so the command line,
the console, ``--json`` imports and scripts are all held to them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import field_caption, t
from dutydesk.rules.limits import FieldLimits


class FieldTooLong(DutyDeskError):
    """A field is longer than the configured limit; nothing was written."""

    exit_code = 2


def refuse_too_long(limits: FieldLimits, fields: Mapping[str, object]) -> None:
    """Raise :class:`FieldTooLong`, in one line, for the first field over its limit.

    Values that are dataclasses (a classified item's register) and tuples (readers) are
    looked into, each of their texts held to the limit of its own name.
    """
    flat: dict[str, object] = {}
    for name, value in fields.items():
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            flat |= {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        elif isinstance(value, tuple | list):
            flat |= {f"{name}[{index}]": item for index, item in enumerate(value, start=1)}
        else:
            flat[name] = value
    found = limits.too_long(flat)
    if found is not None:
        name, length, limit = found
        raise FieldTooLong(
            t(
                "error.size.too_long",
                field=field_caption(name),
                length=f"{length:,}",
                limit=f"{limit:,}",
            )
        )


__all__ = ["FieldTooLong", "refuse_too_long"]
