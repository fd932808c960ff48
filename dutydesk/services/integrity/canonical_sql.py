"""A link's canonical text built by SQLite itself, for ``verify``'s walk (issue 16).

Most of a link's cost in Python was making its canonical text (:mod:`dutydesk.rules.chain`)
value by value. SQLite can write the same text as it reads the row: ``json_object`` of
the columns with the keys in sorted order, each value quoted as ``json_quote`` quotes it
(a stored UTC time ``2026-11-26 08:00:00.000000`` becomes
``"2026-11-26T08:00:00.000000Z"``, as :func:`.chain_walk._time` makes it).

This text is only ever a shortcut: the walk hashes it with the previous hash and, when
that gives the stored hash, the link is intact (the stored hash was made over the app's
exact bytes, so equal hashes mean equal bytes). Anything else (an envelope, whose key
wrapping the chain leaves out; a value SQLite quotes otherwise; a changed link) is
hashed again the exact way, which alone decides. So the bytes that decide are always
the app's. Nor can the shortcut pass a row the exact way fails: SQLite's text is JSON
whose values are the row's (a time only in the one form both ways write alike), so
equal to the app's text means the same values, which the exact way hashes alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dutydesk.errors import DutyDeskError
from dutydesk.rules.chain import CHAINED_COLUMNS

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database

_TIMES = frozenset({"occurred_at", "recorded_at", "due_at"})


def _field(column: str) -> str:
    """SQL for one column's value as ``json_object`` is to write it."""
    if column.rsplit(".", 1)[-1] not in _TIMES:
        return column
    # SQLite's stored form of a UTC time: the canonical text is the same digits. Any
    # other form goes in as stored, and its link to the exact path (no hash match).
    return (
        f"CASE WHEN length({column}) = 26 AND substr({column}, 11, 1) = ' ' "
        f"AND substr({column}, 20, 1) = '.' "
        f"THEN substr({column}, 1, 10) || 'T' || substr({column}, 12) || 'Z' "
        f"ELSE {column} END"
    )


def canonical_text(table: str, prefix: str) -> str:
    """An SQL expression giving the canonical text of a ``table`` row (columns ``prefix.*``).

    One ``json_object`` call with the keys in :data:`~dutydesk.rules.chain.compact_json`'s
    sorted order: SQLite writes compact JSON and quotes each value as ``json_quote`` does,
    in one buffer (issue 16: a third cheaper than joining ``json_quote`` texts with ``||``).
    """
    values = {column: _field(prefix + column) for column in CHAINED_COLUMNS[table]}
    values["_chain_seq"] = prefix + "chain_seq"
    values["_table"] = "'" + table + "'"  # a table name: no quote of its own
    pairs = ", ".join(f"'{name}', {values[name]}" for name in sorted(values))
    return f"json_object({pairs})"


def hashed_bytes(table: str, prefix: str) -> str:
    """SQL for the bytes a link's hash covers, as SQLite would write them: a BLOB.

    The stored ``prev_hash``, a newline, then :func:`canonical_text`, so the walk hashes
    each link with one ``hashlib.sha256`` call on what the row hands it (``NULL`` when
    ``prev_hash`` is: such a link goes the exact way). A database in UTF-8 (dutydesk's)
    gives the same bytes as ``str.encode``; any other gives no hash match, never a wrong one.
    """
    return f"CAST({prefix}prev_hash || char(10) || {canonical_text(table, prefix)} AS BLOB)"


def available(db: Database) -> bool:
    """True for a SQLite store whose library has the JSON functions (3.38 on: built in)."""
    if not db.is_sqlite:
        return False
    try:
        rows = db.read("SELECT json_object('a', 'b')")
    except DutyDeskError:  # no such function: an old library built without them
        return False
    return bool(rows) and rows[0][0] == '{"a":"b"}'
