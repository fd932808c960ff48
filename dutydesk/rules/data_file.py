"""Data files people edit (the demo night, drill scenarios): pydantic's errors in one line.

Both files are checked by pydantic models, declared beside their readers
(:mod:`dutydesk.services.demo.file`, :mod:`dutydesk.rules.scenario_file`). Neither is on
the start-up path of the console or of a plain CLI command, which is why pydantic may be
imported here (``tests/test_cli.py`` checks it stays off that path). A mistake reaches
the officer as one line naming the field: ``person[2].name: missing``; lists are counted
from 1, in the order their tables appear in the file.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from dutydesk.rules import sanitize


class Table(BaseModel):
    """A table of a data file: unknown keys are mistakes, values are kept as validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)


def field_path(loc: Sequence[int | str], tags: Collection[str] = ()) -> str:
    """``("incident", 0, "entry", 2, "at")`` as ``incident[1].entry[3].at``.

    ``tags`` are the names pydantic puts after a list index for a tagged union (a drill
    inject's ``kind``): they are not keys of the file, so they are left out.
    """
    path = ""
    after_index = False
    for part in loc:
        if part == "[key]":  # pydantic's mark of a bad key, already named by the path
            continue
        if isinstance(part, int):
            path, after_index = f"{path}[{part + 1}]", True
            continue
        if not (after_index and part in tags):
            path = f"{path}.{part}" if path else str(part)
        after_index = False
    return path


def _choices(expected: object) -> str:
    # pydantic writes "'I', 'II' or 'IV'"; the officer reads the values as typed in the file.
    return str(expected).replace("'", "").replace(" or ", ", ")


def _message(error: Any, tags: Collection[str]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    got = sanitize.one_line(repr(error.get("input")), 60)  # a whole table can be the input
    if kind == "missing":
        return "missing"
    if kind == "union_tag_not_found":
        return f"missing (one of {', '.join(tags)})"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_type":
        return f"expected text, got {got}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} item, got {got}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a table, got {got}"
    if kind in ("enum", "literal_error"):
        return f"expected one of {_choices(ctx.get('expected'))}, got {got}"
    if kind == "union_tag_invalid":
        tag = sanitize.one_line(repr(ctx.get("tag")), 60)
        return f"expected one of {_choices(ctx.get('expected_tags'))}, got {tag}"
    return f"{error['msg']}, got {got}"


def one_line(error: ValidationError, tags: Collection[str] = ()) -> str:
    """The first mistake as ``<field path>: <message>``, and how many more there are."""
    errors = error.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    if first["type"].startswith("union_tag_"):
        # pydantic reports a bad tag at the table; the officer looks for the key.
        loc = (*loc, str(first["ctx"]["discriminator"]).strip("'"))
    where = field_path(loc, tags)
    message = _message(first, tags)
    line = f"{where}: {message}" if where else message
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more)"
    return sanitize.one_line(line)  # keys and values are the file's: shown as data
