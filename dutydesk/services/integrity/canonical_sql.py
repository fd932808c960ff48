"""A link's canonical text built by SQLite itself, for ``verify``'s walk (issue 16).

Most of a link's cost in Python was making its canonical text (:mod:`dutydesk.rules.chain`)
value by value. SQLite can write the same text as it reads the row: the template of
:func:`~dutydesk.rules.chain.compact_template` with each field filled by ``json_quote``
of the column (a stored UTC time ``2026-11-26 08:00:00.000000`` becomes
``"2026-11-26T08:00:00.000000Z"``, as :func:`.chain_walk._time` makes it).

This text is only ever a shortcut: the walk hashes it with the previous hash and, when
that gives the stored hash, the link is intact (the stored hash was made over the app's
exact bytes, so equal hashes mean equal bytes). Anything else (an envelope, whose key
wrapping the chain leaves out; a value SQLite quotes otherwise; a changed link) is
hashed again the exact way, which alone decides. So the bytes that decide are always
the app's.
"""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import TYPE_CHECKING

from dutydesk.errors import DutyDeskError
from dutydesk.rules.chain import CHAINED_COLUMNS, compact_template

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database

_TIMES = frozenset({"occurred_at", "recorded_at", "due_at"})


def _field(column: str) -> str:
    """SQL for one column's JSON text."""
    if column.rsplit(".", 1)[-1] not in _TIMES:
        return f"json_quote({column})"
    # SQLite's stored form of a UTC time: the canonical text is the same digits.
    return (
        f"CASE WHEN length({column}) = 26 AND substr({column}, 11, 1) = ' ' "
        f"AND substr({column}, 20, 1) = '.' "
        f"THEN '\"' || substr({column}, 1, 10) || 'T' || substr({column}, 12) || 'Z\"' "
        f"ELSE json_quote({column}) END"
    )


def canonical_text(table: str, prefix: str) -> str:
    """An SQL expression giving the canonical text of a ``table`` row (columns ``prefix.*``)."""
    columns = CHAINED_COLUMNS[table]
    template = compact_template((*columns, "_chain_seq"), {"_table": encode_basestring(table)})
    fields = [_field(prefix + column) for column in (*columns, "chain_seq")]
    # The template's literal text has no quote of SQL's own (keys are column names).
    return "'" + template.format(*[f"' || {field} || '" for field in fields]) + "'"


def available(db: Database) -> bool:
    """True for a SQLite store whose library has the JSON functions (3.38 on: built in)."""
    if not db.is_sqlite:
        return False
    try:
        rows = db.read("SELECT json_quote('a')")
    except DutyDeskError:  # no such function: an old library built without them
        return False
    return bool(rows) and rows[0][0] == '"a"'
