"""``verify``'s comparison of the tables with the state facts on the chain (issue 17, item 7).

:mod:`.state_facts` chains a fact for every write of a watched row; here the latest fact
per row (found walking the chain in order) is compared with the row, column by column,
and each difference is a sentence: ``incident 20261125-012: severity is 一般 in the table
but 重大 on the record (link 345)``. A digested text column only says that it differs:
neither the table's text nor the record's ever appears in a line.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from enum import Enum
from itertools import islice
from typing import Any

from dutydesk.i18n import code_name, field_caption, t
from dutydesk.rules.chain import compact_fill, compact_template, hashed_form
from dutydesk.services.integrity import fact_form, head_key
from dutydesk.services.integrity.row_facts import RowFacts
from dutydesk.services.integrity.state_facts import (
    DELETED,
    KEY_FIELD,
    PLAIN,
    STATE,
    TEXT,
    TIME,
    UNKEYED,
    WATCHED,
    columns,
    encode,
    enum_of,
    kind_of,
    normal_value,
    utc_text,
)
from dutydesk.storage.engine import Database, Query, SqlFunction

Facts = dict[str, RowFacts]
"""The latest fact per row, by table then row: its link's number, negative when the fact
says the row was deleted. Only the number: the fact's JSON is read again, a batch at a
time, when the row is compared, so a walk of any length holds ~8 bytes per row
(:class:`.row_facts.RowFacts`)."""


def note(facts: Facts, seq: int, action: Any, object_type: Any, object_id: Any) -> None:
    """Keep an audit event (its columns) if it is a state fact: the walk's cheap form."""
    if action not in _FACT_ACTIONS or object_type not in WATCHED:
        return
    table = str(object_type)
    rows = facts.get(table)
    if rows is None:  # not setdefault: that would make an empty RowFacts per event
        rows = facts[table] = RowFacts()
    rows[str(object_id)] = -seq if action == DELETED else seq


_FACT_ACTIONS = frozenset({STATE, DELETED})
_BATCH = 500
"""Rows compared at a time: their facts' JSON is read in one query."""


def _parsed(detail: Any) -> dict[str, Any]:
    try:
        state = json.loads(str(detail or "{}"))
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def _as_fact(template: str, names: list[str], now: list[Any], key_id: str | None) -> str:
    """The ``detail`` a fact of this row would have now (:func:`state_facts.encode`)."""
    text = compact_fill(template, [*now, key_id])
    if text is None:
        return encode({**dict(zip(names, now, strict=True)), KEY_FIELD: key_id})
    return text


def _details(query: Query, seqs: list[int]) -> dict[int, dict[str, Any]]:
    """The state held by each of these links (parsed), by link number."""
    return {seq: _parsed(detail) for seq, detail in _texts(query, seqs).items()}


def _texts(query: Query, seqs: list[int]) -> dict[int, Any]:
    """The ``detail`` of each of these links, as stored, by link number."""
    if not seqs:
        return {}
    names = {f"s{i}": seq for i, seq in enumerate(seqs)}
    marks = ", ".join(":" + name for name in names)
    sql = f"SELECT chain_seq, detail FROM audit_event WHERE chain_seq IN ({marks})"  # noqa: S608 - placeholders only
    return {int(seq): detail for seq, detail in query(sql, names)}


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
    db: Database,
    facts: Facts,
    key: bytes | None,
    *,
    baselined: bool,
    pieces: Pieces | None = None,
) -> list[str]:
    """Every difference between the watched tables and their latest facts, as sentences.

    Args:
        db: the store.
        facts: the latest fact per row, from :func:`note`; emptied as the rows are
            compared (memory stays flat: see :data:`Facts`).
        key: the head key (digested text is compared only with it).
        baselined: the chain holds the baseline marker, so a row with no fact was
            written around dutydesk.
        pieces: compares a table's rows in pieces elsewhere (worker processes,
            :mod:`.parallel_walk`): the problems of its rows in order, and which facts
            no row took. ``None``: here, one batch after the other.

    """
    from dutydesk.services.integrity import canonical_sql

    problems: list[str] = []
    quick = pieces is None and db.has_functions and canonical_sql.available(db)
    with db.snapshot(fact_functions(key) if quick else None) as query:
        for table in WATCHED:
            held = facts.pop(table, None) or RowFacts()
            left: set[str] | None = None  # here: compare_rows takes the rows out of held
            if pieces is None:
                found = compare_rows(query, table, held, key, baselined=baselined, quick=quick)
                problems.extend(found)
            else:
                left, lines = pieces(table, held, key, baselined)
                problems.extend(lines)
            problems.extend(_gone(query, table, held, left))
    return problems


Pieces = Callable[[str, RowFacts, "bytes | None", bool], tuple[set[str], list[str]]]
"""How :func:`compare` has a table's rows compared elsewhere: ``(table, held, key,
baselined)`` -> (the rows of ``held`` no row of the table took, the problems of the
rows in table order)."""


def compare_rows(
    query: Query,
    table: str,
    held: RowFacts,
    key: bytes | None,
    *,
    baselined: bool,
    rowids: tuple[int | None, int | None] = (None, None),
    quick: bool = False,
) -> list[str]:
    """The problems of ``table``'s rows (``low <= rowid < high``) against their facts.

    ``held`` is the table's :data:`Facts`; each row compared is taken out of it, so what
    is left after every row of the table are rows gone. ``quick``: a SQLite snapshot
    given :func:`fact_functions`, where SQLite writes each row's fact (:func:`fact_sql`)
    and a row whose fact is not the stored one is read again and compared the exact way.
    """
    model = WATCHED[table]
    names = [c.name for c in columns(model)]
    keys = [names.index(c.name) for c in model.__table__.primary_key.columns]  # type: ignore[attr-defined]
    low, high = rowids
    bounds = []  # SQLite's rowid: the pieces of a table, in the order a plain scan reads it
    if low is not None:
        bounds.append(f"rowid >= {int(low)}")
    if high is not None:
        bounds.append(f"rowid < {int(high)}")
    where = " WHERE " + " AND ".join(bounds) if bounds else ""
    exact = _Exact(table, names, key, baselined=baselined)
    if not quick:
        sql = f"SELECT {', '.join(names)} FROM {table}{where}"  # noqa: S608 - names from the models
        rows = query(sql, None)
        while batch := list(islice(rows, _BATCH)):
            # The row's key as key_of makes it: its primary key, "a:b" for a composite one.
            found = [":".join([str(values[i]) for i in keys]) for values in batch]
            # Taken out as compared: what is left after the table are rows gone.
            seqs = [held.pop(row, 0) for row in found]
            texts = _texts(query, [seq for seq in seqs if seq > 0])
            for row, values, seq in zip(found, batch, seqs, strict=True):
                exact.check(row, values, seq, texts)
        return exact.problems
    key_names = ", ".join(names[i] for i in keys)
    fact = fact_sql(table, head_key.key_id(key))
    sql = f"SELECT rowid, {key_names}, {fact} FROM {table}{where} ORDER BY rowid"  # noqa: S608 - names from the models
    again = f"SELECT {', '.join(names)} FROM {table} WHERE rowid = :rowid"  # noqa: S608 - the same
    at = 1 + len(keys)  # where the fact is in a row
    rows = query(sql, None)
    while batch := list(islice(rows, _BATCH)):
        found = [":".join([str(value) for value in row[1:at]]) for row in batch]
        seqs = [held.pop(row, 0) for row in found]
        texts = _texts(query, [seq for seq in seqs if seq > 0])
        for row, values, seq in zip(found, batch, seqs, strict=True):
            now = values[at]
            if seq > 0 and now is not None and now == texts.get(seq):
                continue  # SQLite wrote the fact this row would have now: nothing differs
            whole = next(iter(query(again, {"rowid": values[0]})))
            exact.check(row, whole, seq, texts)
    return exact.problems


class _Exact:
    """One row compared with its fact the exact way (:func:`normal_values`); its problems."""

    def __init__(self, table: str, names: list[str], key: bytes | None, *, baselined: bool) -> None:
        self.problems: list[str] = []
        self._table, self._names, self._key, self._baselined = table, names, key, baselined
        self._key_id = head_key.key_id(key)
        self._kinds = [(name, kind_of(table, name)) for name in names]
        self._fact = compact_template([*names, KEY_FIELD])

    def check(self, row: str, values: tuple[Any, ...], seq: int, texts: dict[int, Any]) -> None:
        """Compare one row (its key, its columns) with the fact at link ``seq``."""
        table, names = self._table, self._names
        now = normal_values(table, values, self._kinds, self._key)
        if seq > 0 and _as_fact(self._fact, names, now, self._key_id) == texts.get(seq):
            return  # the fact as this row would write it now: nothing differs
        document = dict(zip(names, now, strict=True))
        states = {seq: _parsed(texts.get(seq))} if seq > 0 else {}
        self.problems.extend(
            _row(table, row, document, seq, states, self._key_id, baselined=self._baselined)
        )


FACT_DIGEST = "dutydesk_fact_digest"
"""The SQL function :func:`fact_sql` digests a text with (:func:`fact_functions`)."""


def fact_functions(key: bytes | None) -> dict[str, SqlFunction]:
    """The SQL functions :func:`fact_sql` calls, for :meth:`Database.snapshot`."""
    if key is None:
        return {FACT_DIGEST: (3, lambda _table, _name, _value: UNKEYED)}
    remembered = _DIGESTS

    def fact_digest(table: str, name: str, value: str) -> str:
        # _digest's cache looked up here: SQLite calls this for every text of every row
        digest = remembered.get((key, table, name, value))
        return digest if digest is not None else _digest(key, table, name, value)

    return {FACT_DIGEST: (3, fact_digest)}


def _fact_value(table: str, name: str) -> tuple[str, str]:
    """SQL for one column's value in a fact (as :func:`normal_value` makes it), and when.

    The condition under which that SQL makes it so; else the row is compared the exact way.
    """
    kind = kind_of(table, name)
    simple = f"typeof({name}) IN ('null', 'integer', 'text')"
    digest = f"{FACT_DIGEST}('{table}', '{name}', {{}})"
    if kind == TIME:  # SQLite's stored form of a UTC time only (fact_form.utc_text)
        form = (
            f"typeof({name}) = 'text' AND length({name}) = 26 "
            f"AND substr({name}, 11, 1) = ' ' AND substr({name}, 20, 1) = '.'"
        )
        value = f"substr({name}, 1, 10) || 'T' || substr({name}, 12) || 'Z'"
        return value, f"({name} IS NULL OR ({form}))"
    if kind == fact_form.BOOL:
        return f"CASE WHEN {name} IS NULL THEN NULL WHEN {name} THEN 1 ELSE 0 END", (
            f"typeof({name}) IN ('null', 'integer')"
        )
    if kind == fact_form.DATE:
        return f"substr({name}, 1, 10)", f"typeof({name}) IN ('null', 'text')"
    if kind == fact_form.NUMBER:  # digested as its text (str of the number)
        cast = f"CAST({name} AS TEXT)"
        return f"CASE WHEN {name} IS NULL THEN NULL ELSE {digest.format(cast)} END", simple
    if kind == PLAIN:
        return name, simple
    # TEXT: a text digested, a number kept
    return f"CASE WHEN typeof({name}) = 'text' THEN {digest.format(name)} ELSE {name} END", simple


@functools.cache
def fact_sql(table: str, key_id: str | None) -> str:
    """SQL for the ``detail`` a fact of a ``table`` row would have now, or ``NULL``.

    ``json_object`` with the keys in sorted order, as :func:`state_facts.encode` writes
    them; each value as :func:`normal_value` makes it for the common kinds of stored
    value (text, integers, no value, a UTC time in SQLite's form), text digested by
    :data:`FACT_DIGEST`. Any other kind of value in any column makes the whole text
    ``NULL``: that row is compared the exact way. So SQLite's text can only equal a stored
    fact when the row's values, normalised as the exact way does, are the fact's.
    """
    names = [c.name for c in columns(WATCHED[table])]
    made = {name: _fact_value(table, name) for name in names}
    values = {name: value for name, (value, _when) in made.items()}
    values[KEY_FIELD] = "NULL" if key_id is None else f"'{int(key_id, 16):08x}'"
    pairs = ", ".join(f"'{name}', {values[name]}" for name in sorted(values))
    when = " AND ".join(condition for _value, condition in made.values())
    return f"CASE WHEN {when} THEN json_object({pairs}) END"


def _gone(query: Query, table: str, held: RowFacts, left: set[str] | None) -> list[str]:
    """A problem for each row with a fact (not a deletion) but no longer in the table.

    ``left``: the rows of ``held`` no piece of the table found (:data:`Pieces`);
    ``None``: every row still in ``held``.
    """
    problems = []
    gone = [(row, seq) for row, seq in held.items() if seq > 0 and (left is None or row in left)]
    for start in range(0, len(gone), _BATCH):
        part = gone[start : start + _BATCH]
        states = _details(query, [seq for _row, seq in part])
        for row, seq in part:
            what = _label(table, row, states.get(seq, {}))
            problems.append(t("verify.row_gone", what=what, seq=seq))
    return problems


_DIGESTS: dict[tuple[bytes, str, str, str], str] = {}
_DIGESTS_KEPT = 8192
"""Digests remembered (then forgotten all at once: memory stays flat). Many texts recur
from row to row (an empty phone, a unit, a place): each is digested once a run."""


def _digest(key: bytes, table: str, name: str, value: str) -> str:
    """``head_key.digest`` of a text column's value, as a fact holds it."""
    known = (key, table, name, value)
    digest = _DIGESTS.get(known)
    if digest is None:
        if len(_DIGESTS) >= _DIGESTS_KEPT:
            _DIGESTS.clear()
        digest = _DIGESTS[known] = head_key.digest(key, f"{table}.{name}", hashed_form(value))
    return digest


def normal_values(
    table: str, values: tuple[Any, ...], kinds: list[tuple[str, int]], key: bytes | None
) -> list[Any]:
    """:func:`normal_value` of every column of a row read with plain SQL, in column order.

    The common cases (no value, a plain code or text, a number) without a call, and no
    dictionary per row: ``verify`` runs this for every watched row (issue 16).
    """
    now = list(values)
    for i, (name, kind) in enumerate(kinds):
        value = now[i]
        if value is None:
            continue
        if (kind == PLAIN and value.__class__ is str) or (kind == TEXT and value.__class__ is int):
            continue
        if kind == TEXT and value.__class__ is str and key is not None:
            now[i] = _digest(key, table, name, value)
        elif kind == TIME and value.__class__ is str:
            now[i] = utc_text(value)
        else:
            now[i] = normal_value(table, name, value, key)
    return now


def normal_row(
    table: str, raw: dict[str, Any], kinds: list[tuple[str, int]], key: bytes | None
) -> dict[str, Any]:
    """:func:`normal_value` of every column of a row read with plain SQL.

    The same as :func:`normal_values`, keyed by column name.
    """
    values = normal_values(table, tuple(raw[name] for name, _kind in kinds), kinds, key)
    return {name: value for (name, _kind), value in zip(kinds, values, strict=True)}


def _row(
    table: str,
    row: str,
    now: dict[str, Any],
    seq: int,
    states: dict[int, dict[str, Any]],
    key_id: str | None,
    *,
    baselined: bool,
) -> list[str]:
    """The problems of one row against its latest fact (``seq`` 0: none, negative: deleted)."""
    if seq == 0:
        return [t("verify.not_recorded", what=_label(table, row, now))] if baselined else []
    if seq < 0:
        return [t("verify.deleted_back", what=_label(table, row, now), seq=-seq)]
    label = _label(table, row, now)
    return _differences(table, label, (seq, states.get(seq, {})), now, key_id)
