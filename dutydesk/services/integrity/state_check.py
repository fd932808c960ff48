"""``verify``'s comparison of the tables with the state facts on the chain (issue 17, item 7).

:mod:`.state_facts` chains a fact for every write of a watched row; here the latest fact
per row (found walking the chain in order) is compared with the row, column by column,
and each difference is a sentence: ``incident 20261125-012: severity is 一般 in the table
but 重大 on the record (link 345)``. A digested text column only says that it differs:
neither the table's text nor the record's ever appears in a line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from dutydesk.i18n import code_name, field_caption, t
from dutydesk.services.integrity import head_key
from dutydesk.services.integrity.state_facts import (
    DELETED,
    KEY_FIELD,
    STATE,
    UNKEYED,
    WATCHED,
    columns,
    enum_of,
    key_of,
    normal,
)
from dutydesk.storage.engine import Database


@dataclass(frozen=True)
class Fact:
    """The latest fact of one row: its link, and its state (``None``: deleted)."""

    seq: int
    state: dict[str, Any] | None


def latest(facts: dict[tuple[str, str], Fact], seq: int, content: dict[str, Any]) -> None:
    """Keep ``content`` (an audit event's chained columns) if it is a state fact."""
    action = content.get("action")
    if action not in (STATE, DELETED) or content.get("object_type") not in WATCHED:
        return
    where = (str(content["object_type"]), str(content["object_id"]))
    if action == DELETED:
        facts[where] = Fact(seq, None)
        return
    try:
        state = json.loads(str(content.get("detail") or "{}"))
    except ValueError:
        state = {}
    facts[where] = Fact(seq, state if isinstance(state, dict) else {})


def _label(table: str, row: str, state: dict[str, Any] | None) -> str:
    name = ""
    if state is not None:
        name = str(state.get("serial") or state.get("name") or "")
    return t(f"verify.object.{table}", id=row, name=name or row)


def _shown(table: str, column: str, value: Any) -> str:
    vocabulary = enum_of(WATCHED[table], column)
    if value is None:
        return t("verify.nothing")
    if vocabulary is not None:
        try:
            member: Enum = vocabulary(value)
        except ValueError:
            return str(value)
        return code_name(member)
    return str(value)


def _differences(
    table: str, label: str, fact: Fact, now: dict[str, Any], key: str | None
) -> list[str]:
    assert fact.state is not None
    lines = []
    same_key = fact.state.get(KEY_FIELD) == key
    for column, held in now.items():
        recorded = fact.state.get(column)
        if column not in fact.state or held == recorded or UNKEYED in (held, recorded):
            continue
        name = field_caption(column)
        if _digested(table, column):
            if not same_key:  # made under another head key: cannot be compared here
                continue
            lines.append(t("verify.text_differs", what=label, field=name, seq=fact.seq))
        else:
            lines.append(
                t(
                    "verify.field_differs",
                    what=label,
                    field=name,
                    table=_shown(table, column, held),
                    record=_shown(table, column, recorded),
                    seq=fact.seq,
                )
            )
    return lines


def _digested(table: str, column: str) -> bool:
    from dutydesk.services.integrity.state_facts import DIGESTED_NUMBERS, PLAIN_TEXT

    if column in DIGESTED_NUMBERS.get(table, ()):
        return True
    model = WATCHED[table]
    kind = {c.name: c for c in columns(model)}[column].type.python_type
    return (
        kind is str and column not in PLAIN_TEXT.get(table, ()) and enum_of(model, column) is None
    )


def compare(
    db: Database, facts: dict[tuple[str, str], Fact], key: bytes | None, *, baselined: bool
) -> list[str]:
    """Every difference between the watched tables and their latest facts, as sentences.

    Args:
        db: the store.
        facts: the latest fact per (table, row), from :func:`latest`.
        key: the head key (digested text is compared only with it).
        baselined: the chain holds the baseline marker, so a row with no fact was
            written around dutydesk.

    """
    problems: list[str] = []
    for table, model in WATCHED.items():
        names = [c.name for c in columns(model)]
        seen: set[str] = set()
        for values in db.read(f"SELECT {', '.join(names)} FROM {table}"):  # noqa: S608 - names from the models
            raw = dict(zip(names, values, strict=True))
            row = key_of(model, raw)
            seen.add(row)
            now = {c.name: normal(table, c, raw[c.name], key) for c in columns(model)}
            fact = facts.get((table, row))
            if fact is None:
                if baselined:
                    problems.append(t("verify.not_recorded", what=_label(table, row, now)))
                continue
            if fact.state is None:
                problems.append(
                    t("verify.deleted_back", what=_label(table, row, now), seq=fact.seq)
                )
                continue
            label = _label(table, row, now)
            problems.extend(_differences(table, label, fact, now, head_key.key_id(key)))
        for (kind, row), fact in facts.items():
            if kind == table and row not in seen and fact.state is not None:
                problems.append(
                    t("verify.row_gone", what=_label(table, row, fact.state), seq=fact.seq)
                )
    return problems
