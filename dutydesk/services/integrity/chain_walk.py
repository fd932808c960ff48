"""``verify``'s walk of the hash chain, streamed from the database (issue 16).

Both chained tables are read in ``chain_seq`` order (each has a unique index on it) and
merged as they stream, so a record of any length is checked holding one link at a time:
the running hash, the latest state fact per watched row (:mod:`.state_check`) and the
few hashes asked for by sequence number (an acknowledged head, the anchors). Reading
every link into a list first took 1.14 GB and 55 s at 200,000 incidents.

Each link's cost is kept low: the canonical form is built straight from the stored text
(a stored time ``2026-11-26 08:00:00.000000`` becomes ``2026-11-26T08:00:00.000000Z``
without a ``datetime``), and a link's label (an i18n sentence) is only made for a link
that has a problem.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from itertools import islice
from typing import Any

from dutydesk.i18n import t
from dutydesk.rules.chain import (
    CHAINED_COLUMNS,
    ENVELOPE_PREFIX,
    GENESIS,
    PURGED_PREFIX,
    hashed_form,
    plain,
    values_hash,
)
from dutydesk.services.integrity.canonical_sql import hashed_bytes
from dutydesk.services.integrity.state_check import Facts, note
from dutydesk.storage.engine import Query, as_utc

_TIMES = frozenset({"occurred_at", "recorded_at", "due_at"})

_ENTRY, _EVENT = "timeline_entry", "audit_event"
_ENTRY_COLUMNS = CHAINED_COLUMNS[_ENTRY]
_EVENT_COLUMNS = CHAINED_COLUMNS[_EVENT]
_FIRST = 5
"""Chained columns start after id, chain_seq, prev_hash, hash and the label's part."""

# Column names from CHAINED_COLUMNS, no input: hence the noqa on S608.
_SELECT = {
    _ENTRY: "SELECT t.id, t.chain_seq, t.prev_hash, t.hash, coalesce(i.serial, '?'), "  # noqa: S608
    + ", ".join("t." + c for c in _ENTRY_COLUMNS)
    + " FROM timeline_entry t LEFT JOIN incident i ON i.id = t.incident_id",
    _EVENT: "SELECT a.id, a.chain_seq, a.prev_hash, a.hash, a.action, "  # noqa: S608
    + ", ".join("a." + c for c in _EVENT_COLUMNS)
    + " FROM audit_event a",
}
_PREFIX = {_ENTRY: "t.", _EVENT: "a."}
_QUICK = {
    _ENTRY: f"SELECT t.id, t.chain_seq, t.prev_hash, t.hash, {hashed_bytes(_ENTRY, 't.')}, "  # noqa: S608
    "NULL, NULL, NULL, 0 FROM timeline_entry t",
    _EVENT: f"SELECT a.id, a.chain_seq, a.prev_hash, a.hash, {hashed_bytes(_EVENT, 'a.')}, "  # noqa: S608
    "a.action, a.object_type, a.object_id, 1 FROM audit_event a",
}
"""SQLite: what the quick walk reads of a link (:mod:`.canonical_sql`): the bytes its hash
covers, what a state fact is made of, and its table (0 entry, 1 event); the rest of the
row only for a link whose bytes do not give its hash, or that a problem names."""
_Q_BYTES, _Q_ACTION, _Q_TYPE, _Q_ID, _Q_TABLE = 4, 5, 6, 7, 8
_TABLES = (_ENTRY, _EVENT)
_CHUNK = 2000
"""Links the quick walk checks at a time (:func:`_intact`): one chunk's rows in memory."""


def _quick_sql(stretch: tuple[int | None, int | None]) -> str:
    """Both tables' links of a stretch in one statement, in ``chain_seq`` order.

    SQLite merges the two ``chain_seq`` index scans itself (``MERGE (UNION ALL)``, no
    sort). At an equal number (a link renumbered onto another) its merge puts the left
    arm, the entry, first: the order of :func:`_stream`'s merge.
    """
    entries = f"{_QUICK[_ENTRY]} WHERE {_range('t.chain_seq', *stretch)}"
    events = f"{_QUICK[_EVENT]} WHERE {_range('a.chain_seq', *stretch)}"
    return f"{entries} UNION ALL {events} ORDER BY 2"


# Positions of what the walk reads besides the hash (entry: its text and number; event:
# what a state fact or a purge is made of).
_E_SEQ = _FIRST + _ENTRY_COLUMNS.index("seq")
_E_TEXT = _FIRST + _ENTRY_COLUMNS.index("text")
_A_ACTION = _FIRST + _EVENT_COLUMNS.index("action")
_A_TYPE = _FIRST + _EVENT_COLUMNS.index("object_type")
_A_ID = _FIRST + _EVENT_COLUMNS.index("object_id")


def _time(value: Any) -> Any:
    """A stored time as the chain's canonical text (``rules.chain.plain`` of it)."""
    if isinstance(value, str) and len(value) == 26 and value[10] == " " and value[19] == ".":
        # SQLite's stored form of a UTC time: the canonical form is the same digits.
        return f"{value[:10]}T{value[11:]}Z"
    return plain(as_utc(value))


_TIME_AT = {
    table: tuple(i for i, name in enumerate(CHAINED_COLUMNS[table]) if name in _TIMES)
    for table in (_ENTRY, _EVENT)
}
_OTHER_AT = {
    table: tuple(i for i, name in enumerate(CHAINED_COLUMNS[table]) if name not in _TIMES)
    for table in (_ENTRY, _EVENT)
}


def plain_content(table: str, row: tuple[Any, ...]) -> dict[str, Any]:
    """The plain form of a link's content (:func:`dutydesk.rules.chain.document_hash`).

    What :func:`dutydesk.rules.chain.plain` makes of each stored value, cheaply: a plain
    read gives times as text (or datetimes, from a server) and else text or numbers, of
    which only an envelope changes (its key wrapping is dropped).
    """
    columns = CHAINED_COLUMNS[table]
    values = list(row[_FIRST:])
    for i in _TIME_AT[table]:
        values[i] = _time(values[i])
    for i in _OTHER_AT[table]:
        value = values[i]
        if value.__class__ is not str and value.__class__ is not int and value is not None:
            values[i] = plain(value)
        elif value.__class__ is str and value.startswith(ENVELOPE_PREFIX):
            values[i] = hashed_form(value)
    return dict(zip(columns, values, strict=True))


def _values(table: str, row: tuple[Any, ...]) -> list[Any]:
    """A link's chained values, times in their canonical text; the rest as stored.

    :func:`~dutydesk.rules.chain.values_hash` makes the plain form of the rest (an
    envelope loses its key wrapping) on its exact path.
    """
    values = list(row[_FIRST:])
    for i in _TIME_AT[table]:
        value = values[i]
        if value.__class__ is str and len(value) == 26 and value[10] == " " and value[19] == ".":
            values[i] = f"{value[:10]}T{value[11:]}Z"  # _time, without its call
        elif value is not None:
            values[i] = _time(value)
    return values


def _label(table: str, row: tuple[Any, ...]) -> str:
    if table == _ENTRY:
        return t("verify.entry", id=row[0], serial=row[4], seq=row[_E_SEQ])
    return t("verify.event", id=row[0], action=row[4])


def unchained(query: Query, problems: list[str]) -> None:
    """A problem for every record written around the chain (no ``chain_seq``)."""
    for table in (_ENTRY, _EVENT):
        sql = (
            f"{_SELECT[table]} WHERE {_PREFIX[table]}chain_seq IS NULL ORDER BY {_PREFIX[table]}id"
        )
        problems.extend(t("verify.unchained", label=_label(table, row)) for row in query(sql, None))


def purge_events(query: Query) -> set[tuple[str, int]]:
    """(serial, entry number) of every entry a chained ``content_purged`` event names."""
    named: set[tuple[str, int]] = set()
    sql = (
        "SELECT object_id, detail FROM audit_event "
        "WHERE action = 'content_purged' AND chain_seq IS NOT NULL"
    )
    for object_id, detail in query(sql, None):
        seqs = str(detail or "").partition("entries=")[2]
        named.update((str(object_id), int(seq)) for seq in seqs.split(",") if seq.isdigit())
    return named


def _stream(
    query: Query, table: str, condition: str | None = None
) -> Iterator[tuple[int, int, str, tuple[Any, ...]]]:
    prefix = _PREFIX[table]
    where = condition or f"{prefix}chain_seq IS NOT NULL"
    sql = f"{_SELECT[table]} WHERE {where} ORDER BY {prefix}chain_seq, {prefix}id"
    # (seq, 0|1, ...) sorts as the merge's key did: entries before events at an equal
    # number, each table in its own order (ids are unique); no key function per link.
    order = 0 if table == _ENTRY else 1
    for row in query(sql, None):
        yield row[1], order, table, row


def chained(query: Query) -> Iterator[tuple[int, str, tuple[Any, ...]]]:
    """Every chained link in order, streamed: ``(chain_seq, table, row)``.

    ``row`` is id, chain_seq, prev_hash, hash, the label's part (an entry's serial, an
    event's action), then the content columns of :data:`CHAINED_COLUMNS`.
    """
    merged = heapq.merge(_stream(query, _ENTRY), _stream(query, _EVENT))
    return ((seq, table, row) for seq, _order, table, row in merged)


@dataclass
class Walk:
    """What :func:`walk` found besides its problems."""

    links: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    facts: Facts = field(default_factory=dict)
    """The latest state fact per watched row."""
    hashes: dict[int, str | None] = field(default_factory=dict)
    """The stored hash at each sequence number asked for (absent: no such link)."""


Link = tuple[str, tuple[Any, ...]]
"""A link as the walk keeps it: its table and its row (see :func:`chained`)."""


@dataclass
class Part:
    """One stretch of the chain (a range of ``chain_seq``) walked on its own.

    Its links are checked against each other; how its first link follows the link
    before the stretch is checked by :func:`join`, which alone knows that link. So a
    long chain can be walked in stretches side by side (:mod:`.parallel_walk`) and
    still report exactly what one walk in order reports.
    """

    links: int = 0
    first: Link | None = None
    first_changed: bool = False
    """The first link's content does not give its stored hash (and it was not purged)."""
    groups: list[list[str]] = field(default_factory=list)
    """The problems of each later link that has any, in order; recorded until ``limit``."""
    last: Link | None = None
    facts: Facts = field(default_factory=dict)
    hashes: dict[int, str | None] = field(default_factory=dict)


def _problems(
    previous: Link | None,
    expected: tuple[str, int],
    link: Link,
    *,
    changed: bool,
) -> list[str]:
    """What is wrong with ``link``, coming after ``previous`` (``None``: the start)."""
    table, row = link
    seq, prev = row[1], row[2]
    expected_prev, expected_seq = expected
    problems = []
    if seq > expected_seq:
        after = _label(*previous) if previous else t("verify.start")
        problems.append(t("verify.missing", first=expected_seq, last=seq - 1, after=after))
    elif seq < expected_seq:
        problems.append(t("verify.duplicate", seq=seq, label=_label(table, row)))
    elif prev != expected_prev:
        problems.append(t("verify.relinked", label=_label(table, row), seq=seq))
    if changed:
        problems.append(t("verify.changed", label=_label(table, row)))
    return problems


def _range(column: str, low: int | None, high: int | None) -> str:
    """The SQL condition of a stretch: ``low <= chain_seq < high`` (``None``: open)."""
    condition = f"{column} IS NOT NULL"
    if low is not None:
        condition += f" AND {column} >= {int(low)}"
    if high is not None:
        condition += f" AND {column} < {int(high)}"
    return condition


def walk_part(
    query: Query,
    purges: set[tuple[str, int]],
    wanted: set[int],
    limit: int,
    stretch: tuple[int | None, int | None] = (None, None),
    *,
    quick: bool = False,
) -> Part:
    """Check every link with ``low <= chain_seq < high`` (``stretch``) in order.

    Args:
        query: a :meth:`Database.snapshot` query.
        purges: :func:`purge_events` (the whole chain's).
        wanted: sequence numbers whose stored hash the caller needs.
        limit: problems are recorded until this many (the first are what matters).
        stretch: ``(low, high)``; ``None`` leaves that end open.
        quick: SQLite (with its JSON functions): SQLite writes the bytes each link's
            hash covers (:mod:`.canonical_sql`) and the links are checked a chunk at a
            time (:func:`_intact`); a chunk with anything out of the way is walked link
            by link, and a link whose bytes do not give its hash is read again and
            hashed the exact way.

    """
    walker = _Walker(query, purges, wanted, limit, quick=quick)
    if quick:
        rows = query(_quick_sql(stretch), None)
        while chunk := list(islice(rows, _CHUNK)):
            walker.chunk(chunk)
    else:
        entries = _stream(query, _ENTRY, _range("t.chain_seq", *stretch))
        events = _stream(query, _EVENT, _range("a.chain_seq", *stretch))
        for _seq, _order, table, row in heapq.merge(entries, events):
            walker.step(table, row)
    return walker.finish()


class _Walker:
    """One stretch's walk, a link (:meth:`step`) or a chunk of links (:meth:`chunk`) at a time."""

    def __init__(
        self,
        query: Query,
        purges: set[tuple[str, int]],
        wanted: set[int],
        limit: int,
        *,
        quick: bool,
    ) -> None:
        self.part = Part()
        self._query, self._purges, self._wanted, self._quick = query, purges, wanted, quick
        self._room = limit
        self._previous: Link | None = None
        self._expected = (GENESIS, 1)
        quick_at = (_Q_ACTION, _Q_TYPE, _Q_ID)
        self._fact_at = quick_at if quick else (_A_ACTION, _A_TYPE, _A_ID)

    def step(self, table: str, row: tuple[Any, ...]) -> None:
        """Check one link against the one before it (or start the stretch with it)."""
        part, query, quick = self.part, self._query, self._quick
        part.links += 1
        seq, prev, stored = row[1], row[2], row[3]
        if table == _EVENT:
            action, kind, name = self._fact_at
            note(part.facts, seq, row[action], row[kind], row[name])
        if seq in self._wanted:
            part.hashes.setdefault(seq, stored)
        if quick and _fits(row):
            changed = False
        else:
            changed = _changed(_whole(query, (table, row), quick=quick), self._purges)
        expected = self._expected
        if self._previous is None:
            part.first, part.first_changed = _whole(query, (table, row), quick=quick), changed
        elif self._room > 0 and (changed or seq != expected[1] or prev != expected[0]):
            link = _whole(query, (table, row), quick=quick)
            before = _whole(query, self._previous, quick=quick)
            group = _problems(before, expected, link, changed=changed)
            part.groups.append(group)
            self._room -= len(group)
        self._previous, self._expected = (table, row), (stored or "", seq + 1)

    def chunk(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Quick rows in order: taken whole when :func:`_intact`, else link by link."""
        if self._previous is None:  # the stretch's first link: join() checks its start
            self.step(_TABLES[rows[0][_Q_TABLE]], rows[0])
            rows = rows[1:]
        if not rows:
            return
        if not _intact(rows, self._expected):
            for row in rows:
                self.step(_TABLES[row[_Q_TABLE]], row)
            return
        part, first = self.part, int(self._expected[1])
        part.links += len(rows)
        facts = part.facts
        for row in rows:
            if row[_Q_TABLE]:
                note(facts, row[1], row[_Q_ACTION], row[_Q_TYPE], row[_Q_ID])
        for seq in self._wanted:
            if first <= seq < first + len(rows):
                part.hashes.setdefault(seq, rows[seq - first][3])
        last = rows[-1]
        self._previous, self._expected = (
            (_TABLES[last[_Q_TABLE]], last),
            (last[3], first + len(rows)),
        )

    def finish(self) -> Part:
        """The stretch walked: its last link read whole for :func:`join`."""
        if self._previous is not None:
            self.part.last = _whole(self._query, self._previous, quick=self._quick)
        return self.part


def _intact(rows: Sequence[tuple[Any, ...]], expected: tuple[str, int]) -> bool:
    """Every quick row gives its stored hash and follows the one before it, in order.

    The three checks :meth:`_Walker.step` makes of each link (its bytes give its stored
    hash, its ``prev_hash`` is the hash before it, its number the next one), made for a
    chunk by list comprehensions and comparisons of whole lists: a few C loops rather
    than Python code per link. ``False`` at the least doubt; the chunk is walked link by
    link then, which alone words the problems.
    """
    stored = [row[3] for row in rows]
    try:
        computed = [sha256(row[_Q_BYTES]).hexdigest() for row in rows]
    except TypeError:  # NULL bytes (no prev_hash, a NULL hash in the text): the exact way
        return False
    if computed != stored:
        return False
    prev_hash, seq = expected
    if seq.__class__ is not int:  # a number stored as a REAL before: link by link
        return False
    if [row[2] for row in rows] != [prev_hash, *stored[:-1]]:
        return False
    return [row[1] for row in rows] == list(range(seq, seq + len(rows)))


def _fits(row: tuple[Any, ...]) -> bool:
    """The quick row's bytes (:mod:`.canonical_sql`) give its stored hash."""
    data = row[_Q_BYTES]
    return data is not None and sha256(data).hexdigest() == row[3]


def _changed(link: Link, purges: set[tuple[str, int]]) -> bool:
    """The link's content, hashed the exact way, does not give its stored hash."""
    table, row = link
    computed = values_hash(row[2] or "", table, row[1], _values(table, row))
    return computed != row[3] and not _purged(table, row, purges)


def _whole(query: Query, link: Link, *, quick: bool) -> Link:
    """The link with every column the exact hash and its label need (as a plain tuple)."""
    table, row = link
    if quick:
        sql = f"{_SELECT[table]} WHERE {_PREFIX[table]}id = :id"
        row = next(iter(query(sql, {"id": row[0]})))
    return table, tuple(row)


def join(parts: list[Part], problems: list[str], limit: int) -> Walk:
    """The walk of the whole chain from its stretches, in order (see :class:`Part`).

    Each stretch's first link is checked against the last link of the stretch before;
    problems are appended as one walk in order appends them, at most ``limit`` from
    the walk (a link's problems are taken whole: the last may go past it). The parts'
    facts are merged into the result (a later fact of a row replaces an earlier one)
    and taken out of the parts.
    """
    found = Walk()
    room = limit - len(problems)
    previous: Link | None = None
    expected = (GENESIS, 1)
    for part in parts:
        if part.first is None or part.last is None:
            continue  # a stretch with no links
        found.links += part.links
        if room > 0:
            first = _problems(previous, expected, part.first, changed=part.first_changed)
            problems.extend(first)
            room -= len(first)
        for group in part.groups:
            if room <= 0:
                break
            problems.extend(group)
            room -= len(group)
        for table, rows in part.facts.items():
            merged = found.facts.get(table)
            if merged is None:
                found.facts[table] = rows  # taken over, not copied: memory is per watched row
            else:
                merged.update(rows)
        part.facts = {}  # merged: let the stretch's own go now
        for seq, stored in part.hashes.items():
            found.hashes.setdefault(seq, stored)
        previous = part.last
        expected = (previous[1][3] or "", int(previous[1][1]) + 1)
    if previous is not None:
        found.last_seq, found.last_hash = int(previous[1][1]), previous[1][3] or ""
    return found


def walk(
    query: Query, problems: list[str], wanted: set[int], limit: int, *, quick: bool = False
) -> Walk:
    """Check every chained link in order (see the module docstring).

    Args:
        query: a :meth:`Database.snapshot` query.
        problems: sentences are appended here, at most ``limit`` from this walk (the
            first ones are what matters; the rest would be cut anyway).
        wanted: sequence numbers whose stored hash the caller needs (:attr:`Walk.hashes`).
        limit: see ``problems``.
        quick: see :func:`walk_part`.

    """
    part = walk_part(query, purge_events(query), wanted, limit, quick=quick)
    return join([part], problems, limit)


def _purged(table: str, row: tuple[Any, ...], purges: set[tuple[str, int]]) -> bool:
    """True for an entry whose text was purged as ``register.purge`` does (issue 13).

    The text names the link's own hash (so the two cannot be changed apart: the next
    link's ``prev_hash`` holds this hash), and a ``content_purged`` event on the chain
    names the incident and the entry's number.
    """
    return (
        table == _ENTRY
        and str(row[_E_TEXT] or "") == PURGED_PREFIX + str(row[3])
        and (str(row[4]), int(row[_E_SEQ])) in purges
    )
