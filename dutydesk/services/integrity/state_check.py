"""``verify``'s comparison of the tables with the state facts on the chain (issue 17, item 7).

:mod:`.state_facts` chains a fact for every write of a watched row; here the latest fact
per row (found walking the chain in order) is compared with the row, column by column,
and each difference is a sentence: ``incident 20261125-012: severity is 一般 in the table
but 重大 on the record (link 345)``. A digested text column only says that it differs:
neither the table's text nor the record's ever appears in a line.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING, Any, NamedTuple

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
from dutydesk.storage.engine import Database, Query

if TYPE_CHECKING:
    from sqlmodel import SQLModel


class Fact(NamedTuple):
    """The latest fact of one row: its link, and its ``detail`` (``None``: deleted).

    The JSON stays text until the row is compared: a walk of 200,000 incidents keeps one
    short string per row instead of a parsed dict (a tenth of the memory).
    """

    seq: int
    detail: str | None

    def state(self) -> dict[str, Any] | None:
        """The row's state as the fact holds it (``None``: deleted; ``{}``: unreadable)."""
        if self.detail is None:
            return None
        try:
            state = json.loads(self.detail or "{}")
        except ValueError:
            return {}
        return state if isinstance(state, dict) else {}


def latest(facts: dict[tuple[str, str], Fact], seq: int, content: dict[str, Any]) -> None:
    """Keep ``content`` (an audit event's chained columns) if it is a state fact."""
    note(
        facts,
        seq,
        content.get("action"),
        content.get("object_type"),
        content.get("object_id"),
        content.get("detail"),
    )


def note(
    facts: dict[tuple[str, str], Fact],
    seq: int,
    action: Any,
    object_type: Any,
    object_id: Any,
    detail: Any,
) -> None:
    """Keep an audit event (its columns) if it is a state fact: the walk's cheap form."""
    if action not in _FACT_ACTIONS or object_type not in WATCHED:
        return
    where = (str(object_type), str(object_id))
    facts[where] = Fact(seq, None if action == DELETED else str(detail or "{}"))


_FACT_ACTIONS = frozenset({STATE, DELETED})


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
    table: str, label: str, fact: tuple[int, dict[str, Any]], now: dict[str, Any], key: str | None
) -> list[str]:
    seq, state = fact
    lines = []
    same_key = state.get(KEY_FIELD) == key
    for column, held in now.items():
        recorded = state.get(column)
        if column not in state or held == recorded or UNKEYED in (held, recorded):
            continue
        name = field_caption(column)
        if _digested(table, column):
            if not same_key:  # made under another head key: cannot be compared here
                continue
            lines.append(t("verify.text_differs", what=label, field=name, seq=seq))
        else:
            lines.append(
                t(
                    "verify.field_differs",
                    what=label,
                    field=name,
                    table=_shown(table, column, held),
                    record=_shown(table, column, recorded),
                    seq=seq,
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
        facts: the latest fact per (table, row), from :func:`note`; emptied as the rows
            are compared (each parsed fact is let go at once: memory stays flat).
        key: the head key (digested text is compared only with it).
        baselined: the chain holds the baseline marker, so a row with no fact was
            written around dutydesk.

    """
    problems: list[str] = []
    key_id = head_key.key_id(key)
    with db.snapshot() as query:
        for table, model in WATCHED.items():
            _compare_table(query, table, model, facts, key, key_id, problems, baselined=baselined)
    return problems


def _compare_table(
    query: Query,
    table: str,
    model: type[SQLModel],
    facts: dict[tuple[str, str], Fact],
    key: bytes | None,
    key_id: str | None,
    problems: list[str],
    *,
    baselined: bool,
) -> None:
    names = [c.name for c in columns(model)]
    for values in query(f"SELECT {', '.join(names)} FROM {table}", None):  # noqa: S608 - names from the models
        raw = dict(zip(names, values, strict=True))
        row = key_of(model, raw)
        now = {c.name: normal(table, c, raw[c.name], key) for c in columns(model)}
        # Taken out as it is compared: what is left after the table are rows gone.
        fact = facts.pop((table, row), None)
        if fact is None:
            if baselined:
                problems.append(t("verify.not_recorded", what=_label(table, row, now)))
            continue
        state = fact.state()
        if state is None:
            problems.append(t("verify.deleted_back", what=_label(table, row, now), seq=fact.seq))
            continue
        label = _label(table, row, now)
        problems.extend(_differences(table, label, (fact.seq, state), now, key_id))
    for (kind, row), fact in facts.items():
        state = fact.state() if kind == table else None
        if state is not None:
            problems.append(t("verify.row_gone", what=_label(table, row, state), seq=fact.seq))
