"""The search index: every database-specific line of full-text search lives here.

Services hand a :class:`SearchSpec` (plain terms and filters) to ``db.search_index.find``
and get plain row tuples back; they never see FTS5, ``MATCH``, ``pg_trgm`` or index
tables. SQLite: :class:`SqliteSearchIndex` (below). PostgreSQL: :class:`PostgresSearchIndex`
over migration 0021's ``search_doc`` (the same document; 0025's key array under one GIN
index, 0028's day keys under another; design in its docstring and the migrations').
Both answer the same substring semantics; a test in ``tests/test_postgres.py`` compares
them on the demo night and hostile strings.

SQLite design (figures: 1,000,000 incidents, 3,000,000 timeline entries, SQLite 3.40.1,
``tests/bench/bench_search.py``, through the service, 200 queries per kind)
-------------------------------------------------------------------------------------
* One search document per incident: serial, title, summary, location, reporter name and
  unit, then the text and target of every timeline entry in ``seq`` order, fields
  separated by newlines (a query never contains one, so no match spans two fields).
  A hit anywhere, entries included, is a hit on the incident.
* ``search_tri``: FTS5, ``trigram`` tokenizer, contentless, answers terms of 3 or more
  characters, Chinese, English (case-insensitive) or mixed, as an exact substring (a
  phrase of overlapping trigrams). p95 2.4 ms (3 chars), 2.5 ms (6 chars), 1.5 ms
  (English words) with 50 hits to build; 0.1-0.2 ms without hits.
* ``search_bi``: FTS5, ``unicode61`` over the text rewritten as overlapping 2-character
  grams ("幸福路" -> "幸福 福路 路"), ``detail=none``, ``prefix='1'``. A 2-character term
  is one token lookup (p95 2.8 ms with hits, 0.2 ms without); a 1-character term is one
  lookup in the 1-character prefix index (2.6 / 0.13 ms); the last character of each
  field is emitted alone so it is found too. The same table holds one filter token per
  status, category, severity, channel and open flag (:func:`filter_token`), so a query
  with filters, or with terms of both kinds, is ONE ``MATCH`` that FTS5 intersects
  itself: longer terms enter as their grams and are then checked exactly in
  ``search_tri`` per survivor. Two common words that never meet: p95 21 ms; a common
  character with filters nothing passes: 0.4 ms (probing per candidate instead: seconds).
* The FTS rowid is not the incident id but ``received-second << 29 | id``: FTS5 walks a
  doclist in rowid order and stops at LIMIT, so results come newest-received first with
  no sort (a fax registered late still sorts by when it arrived), and a date range is a
  rowid range inside the index (a week a year ago: p95 1.1 ms). Ranking with bm25 would
  visit every hit (260 ms for common words), so there is none. The price is size: large
  rowid deltas make doclists wider. Index 1,083 MB (trigram 564, grams 519) beside
  937 MB of tables; the same documents keyed by id measured 3.4x smaller (20,000
  incidents), at the cost of id order and of date ranges filtered row by row.
* Filters and need-to-know are also checked on the incident row (primary key per
  candidate). Incidents above the viewer's clearance match only when every term is in
  their serial, and never through a content filter.
* Backfill (migration 0002) of 1,000,000 incidents: 299 s including ``optimize``; an
  intake write (incident + first entry, ORM) on that database: 4.2 ms median.

Maintenance is by triggers written in plain SQL (no user-defined functions), so every
writer keeps the index right: the ORM, ``build_db.py``'s raw ``executemany``, and a
``sqlite3`` shell. The gram expansion is SQL too: ``substr`` over a 1..1000 number table
(``search_seq``), in chunks of 1,000 characters so long texts cost linear time (a field of
up to 1,000,000 characters is expanded whole). A user function would have been shorter,
but a plain ``sqlite3`` shell could then not write to the database at all. Contentless
tables keep the index small; their ``delete`` needs the exact old text, which the
triggers rebuild from the tables (incident: ``OLD.*``; entries: the rows minus or plus
the changed one, in ``seq`` order). ``INSERT OR REPLACE`` on incident bypasses delete
triggers (dutydesk never uses it); :meth:`SqliteSearchIndex.rebuild` repairs anything.

The version is checked at run time: FTS5 with the trigram tokenizer (SQLite 3.34+) must
be present, or the SQLite store falls back to :class:`LikeSearchIndex`. The trigram
``LIKE`` optimisation (buggy for short patterns in 3.40) is never used: only ``MATCH``.

The migrations that install or change the index (0002, 0006, 0008) carry frozen copies of
this module's DDL as it was on their day; they do not import it. A change to the index
layout here therefore needs a new migration carrying the new DDL (a test checks that a
new database gets exactly the triggers of :func:`sqlite_schema`).
"""

from __future__ import annotations

import sqlite3
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dutydesk.storage.engine import Database, Row

RESULT_COLUMNS = (
    "i.id, i.serial, i.received_at, i.channel, i.category, i.severity, i.title, i.status, "
    "i.classification, i.due_at, i.due_step, i.drill_run_id"
)
"""What :meth:`SearchIndex.find` returns per row, in this order."""

KEY_ID_BITS = 29
"""Low bits of an FTS rowid that hold the incident id; the rest hold the received second."""
KEY_ID_MASK = (1 << KEY_ID_BITS) - 1
MIN_TRIGRAM_SQLITE = (3, 34, 0)
GRAM_CHUNK = 1000
"""Texts are cut into chunks of this many characters before the gram expansion."""
INDEX_CAP = 20_000
"""Characters of each field and each timeline text that are indexed (the first ones).

A 1 MB paste indexed whole made every later write on its incident rebuild megabytes of
grams inside the write lock (44 s to register it, 31 s per follow-up entry); capped, it
costs what any incident does. Searching finds words in the first 20,000 characters of
each text; the text itself is stored whole."""
FILTER_MARK = "\ue000"
"""Starts every filter token in the gram table: a private-use character (a token
character to ``unicode61``) that queries never contain, so text never matches one."""
_FILTER_COLUMNS = {"status": "s", "category": "c", "severity": "v", "channel": "h", "is_open": "o"}


def filter_token(column: str, value: object) -> str:
    """The gram-table token saying ``incident.column = value``, e.g. ``\ue000sreceived``.

    Grams are at most two characters, so a longer token that starts with
    :data:`FILTER_MARK` can only be a filter token.
    """
    return f"{FILTER_MARK}{_FILTER_COLUMNS[column]}{str(value).replace('_', '')}"


@dataclass(frozen=True)
class SearchAfter:
    """Where the previous page of a search ended: its last row's received time and id.

    The next page starts after that row in result order, found through the index's own
    ordering key rather than by skipping rows: an officer scrolling to the 20th page
    costs what the first did (issue 15). An index ordered by the received *second*
    (SQLite's FTS rowids, PostgreSQL's ``search_doc``) compares the second and the id;
    one ordered by the stored time compares the time and the id.
    """

    received_at: datetime
    """Aware; as the row came back."""
    id: int

    @property
    def second(self) -> int:
        """The received second as the indexes store it (0 before 1970)."""
        return max(int(self.received_at.astimezone(UTC).timestamp() // 1), 0)


@dataclass(frozen=True)
class SearchSpec:
    """A validated search: what to match, what to filter, who is asking, which page.

    Attributes:
        terms: Whitespace-separated parts of the query; each must occur (case-insensitive
            substring) in the incident or its timeline. Empty: filters only.
        statuses: Allowed status codes; empty means any. Likewise the next three.
        categories: Allowed category codes.
        severities: Allowed severity codes.
        channels: Allowed channel codes.
        received_from: Inclusive lower bound on ``received_at`` (aware), or ``None``.
        received_to: Exclusive upper bound on ``received_at`` (aware), or ``None``.
        open_only: Only incidents not closed.
        visible: Classification codes the viewer may read; other incidents match only
            on their serial and never through a content filter.
        limit: Rows to return at most.
        offset: Rows to skip (newest first), after ``after`` when both are given.
        after: Only rows after this one in result order (the next page), or ``None``.

    """

    terms: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    received_from: datetime | None = None
    received_to: datetime | None = None
    open_only: bool = False
    visible: tuple[str, ...] = ()
    limit: int = 50
    offset: int = 0
    after: SearchAfter | None = None

    @property
    def has_content_filter(self) -> bool:
        """True when a filter reads content that restricted rows must not reveal."""
        return bool(self.statuses or self.categories or self.severities or self.channels)


class SearchIndex(Protocol):
    """What the store offers services for full-text search."""

    name: str
    """Short name for diagnostics and the benchmark ("sqlite-fts5", "like")."""

    def find(self, spec: SearchSpec) -> list[Row]:
        """Rows (:data:`RESULT_COLUMNS`) matching ``spec``, newest received first."""
        ...

    def rebuild(self) -> None:
        """Recreate the index from the tables (after a bulk load or to repair it)."""
        ...


def is_token_char(char: str) -> bool:
    """True for characters the ``unicode61`` tokenizer keeps: letters, digits, private use."""
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


def searchable(term: str) -> bool:
    """Whether ``term`` can be looked up: 3+ characters, or a letter or digit in it."""
    return len(term) >= 3 or any(is_token_char(char) for char in term)


def _pairs(term: str) -> list[str]:
    """The distinct 2-character grams of ``term`` that the gram index can look up."""
    pairs = (term[i : i + 2] for i in range(len(term) - 1))
    return list(dict.fromkeys(pair for pair in pairs if searchable(pair)))


def fts_phrase(term: str) -> str:
    """``term`` as an FTS5 string literal: every character literal, quotes doubled."""
    return '"' + term.replace('"', '""') + '"'


# -- shared SQL (both implementations) ---------------------------------------------------


class _Params:
    """Collects bound parameters under generated names."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"

    def many(self, values: Sequence[Any]) -> str:
        return ", ".join(self.add(value) for value in values)


def _filter_sql(db: Database, spec: SearchSpec, params: _Params) -> list[str]:
    """Conditions on ``incident AS i`` for every filter of ``spec`` (not the text)."""
    where: list[str] = []
    for column, values in (
        ("status", spec.statuses),
        ("category", spec.categories),
        ("severity", spec.severities),
        ("channel", spec.channels),
    ):
        if values:
            where.append(f"i.{column} IN ({params.many(values)})")
    if spec.received_from is not None:
        where.append(f"i.received_at >= {params.add(db.time_param(spec.received_from))}")
    if spec.received_to is not None:
        where.append(f"i.received_at < {params.add(db.time_param(spec.received_to))}")
    if spec.open_only:
        where.append(f"i.is_open = {params.add(True)}")  # a boolean on PostgreSQL
    return where


def _after_sql(db: Database, spec: SearchSpec, params: _Params) -> list[str]:
    """The next-page condition on ``incident AS i`` ordered by ``received_at, id``."""
    if spec.after is None:
        return []
    at, key = params.add(db.time_param(spec.after.received_at)), params.add(spec.after.id)
    return [f"(i.received_at < {at} OR (i.received_at = {at} AND i.id < {key}))"]


def _visibility_sql(spec: SearchSpec, params: _Params, serial_match: bool) -> str:
    """Who may come back: readable rows, or restricted rows by serial only.

    A restricted row never matches through its content and never through a content
    filter (that would tell the viewer its category or status).
    """
    # TRUE/FALSE, not 1/0, and LIKE, not instr(): the same SQL runs on PostgreSQL.
    visible = f"i.classification IN ({params.many(spec.visible)})" if spec.visible else "FALSE"
    if spec.has_content_filter:
        return visible
    if not spec.terms:
        return "TRUE"
    if not serial_match:
        return visible
    serial = " AND ".join(
        f"lower(i.serial) LIKE {params.add(_like_pattern(t))} ESCAPE '!'" for t in spec.terms
    )
    return f"({visible} OR ({serial}))"


def _like_pattern(term: str) -> str:
    """``%term%`` for ``lower(column) LIKE ... ESCAPE '!'``, every character literal."""
    escaped = term.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


_TEXT_COLUMNS = ("title", "summary", "location", "reporter_name", "reporter_unit")


def _like_term_sql(term: str, params: _Params) -> str:
    """SQL: ``term`` occurs in incident ``i`` or its timeline (scans; checks one row fast).

    A classified incident's content is sealed: it is found by its serial only.
    """
    pattern = params.add(_like_pattern(term))
    own = " OR ".join(f"lower(i.{column}) LIKE {pattern} ESCAPE '!'" for column in _TEXT_COLUMNS)
    entries = (
        "EXISTS (SELECT 1 FROM timeline_entry e WHERE e.incident_id = i.id AND "  # noqa: S608 - placeholders from _Params; terms are bound
        f"(lower(e.text) LIKE {pattern} ESCAPE '!' "
        f"OR lower(e.target) LIKE {pattern} ESCAPE '!'))"
    )
    serial = f"lower(i.serial) LIKE {pattern} ESCAPE '!'"
    return f"({serial} OR (NOT {_is_classified('i')} AND ({own} OR {entries})))"


def _page_sql(spec: SearchSpec, params: _Params) -> str:
    return f"LIMIT {params.add(spec.limit)} OFFSET {params.add(spec.offset)}"


# -- the portable fallback ------------------------------------------------------------


class LikeSearchIndex:
    """Correct everywhere, fast nowhere: ``lower(column) LIKE`` over the tables.

    Used on a SQLite without FTS5 trigram support, for filters-only searches on
    PostgreSQL, and on a server database not yet migrated to 0021. Every query walks
    the incidents newest first and, for each, its timeline entries: fine while hits are
    common (29 ms for 火灾), but when nothing matches it reads everything: 12-22 s on
    SQLite with 1,000,000 incidents and 3,000,000 entries.
    """

    name = "like"

    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, spec: SearchSpec) -> list[Row]:
        """Rows matching ``spec``, newest received first (see :class:`SearchIndex`)."""
        if not self.db.is_sqlite and any("\x00" in term for term in spec.terms):
            return []  # PostgreSQL text holds no NUL (and refuses it as a parameter)
        params = _Params()
        where = _filter_sql(self.db, spec, params) + _after_sql(self.db, spec, params)
        where += [_like_term_sql(term, params) for term in spec.terms]
        where.append(_visibility_sql(spec, params, serial_match=True))
        sql = (
            f"SELECT {RESULT_COLUMNS} FROM incident i WHERE {' AND '.join(where)} "  # noqa: S608 - constants and _Params placeholders; terms bound
            f"ORDER BY i.received_at DESC, i.id DESC {_page_sql(spec, params)}"
        )
        return self.db.read(sql, params.values)

    def rebuild(self) -> None:
        """Nothing to rebuild: this implementation reads the tables directly."""


# -- SQLite FTS5 -------------------------------------------------------------------------


def sqlite_has_trigram(connection: sqlite3.Connection) -> bool:
    """Whether this SQLite library has FTS5 with the trigram tokenizer (3.34+).

    Checked by creating a throw-away table rather than by version number alone, because
    FTS5 is a compile-time option.
    """
    if sqlite3.sqlite_version_info < MIN_TRIGRAM_SQLITE:
        return False
    try:
        connection.execute(
            "CREATE VIRTUAL TABLE temp.dutydesk_probe USING fts5(x, tokenize='trigram')"
        )
        connection.execute("DROP TABLE temp.dutydesk_probe")
    except sqlite3.OperationalError:
        return False
    return True


def _key_sql(row: str) -> str:
    """The FTS rowid of incident ``row``: received second in the high bits, id below."""
    seconds = f"max(coalesce(CAST(strftime('%s', {row}.received_at) AS INTEGER), 0), 0)"
    return f"(({seconds} << {KEY_ID_BITS}) | {row}.id)"


CLASSIFIED_LEVELS = ("confidential", "secret", "top_secret")
"""Levels whose content is sealed at rest and kept out of the index (serial only)."""


def _is_classified(row: str) -> str:
    """SQL: true when incident ``row`` is classified."""
    levels = ", ".join(f"'{level}'" for level in CLASSIFIED_LEVELS)
    return f"{row}.classification IN ({levels})"


def _capped(value: str, cap: int | None) -> str:
    """SQL for the indexed part of ``value``: its first ``cap`` characters (all if None)."""
    return value if cap is None else f"substr({value}, 1, {cap})"


def _incident_text(row: str, cap: int | None = INDEX_CAP) -> str:
    """The incident's indexed text: its serial only when classified (content is sealed)."""
    fields = ("serial", "title", "summary", "location", "reporter_name", "reporter_unit")
    text = " || char(10) || ".join(_capped(f"{row}.{field}", cap) for field in fields)
    return f"(CASE WHEN {_is_classified(row)} THEN {row}.serial ELSE {text} END)"


def _grams(text: str) -> str:
    """SQL for the space-separated 2-character grams of ``text`` (last one a single char).

    ``substr`` walks UTF-8 from the start, so one pass over a long text is quadratic
    (3.5 s for 50,000 characters); cutting it into chunks of :data:`GRAM_CHUNK` (+1 of
    overlap) first keeps it linear (0.13 s). ``LIMIT -1`` stops SQLite from flattening
    the chunk subquery, which would re-cut the text for every gram.
    """
    return (
        "coalesce((SELECT group_concat(substr(c.chunk, q.n, 2), ' ') FROM ("  # noqa: S608 - index DDL from constants (column SQL, GRAM_CHUNK)
        f"SELECT substr({text}, (k.n - 1) * {GRAM_CHUNK} + 1, {GRAM_CHUNK + 1}) AS chunk "
        f"FROM search_seq k WHERE k.n <= (length({text}) + {GRAM_CHUNK - 1}) / {GRAM_CHUNK} "
        f"LIMIT -1) c JOIN search_seq q ON q.n <= min({GRAM_CHUNK}, length(c.chunk))), '')"
    )


def _entries(incident_id: str, *, without: str | None = None, plus: str | None = None) -> str:
    """A subquery of an incident's entries (text, target, seq), one changed row aside."""
    sql = f"SELECT text, target, seq FROM timeline_entry WHERE incident_id = {incident_id}"  # noqa: S608 - index DDL: a row alias and constants, no values
    if without is not None:
        sql += f" AND id <> {without}.id"
    if plus is not None:
        sql += f" UNION ALL SELECT {plus}.text, {plus}.target, {plus}.seq"
    return sql


def _doc(row: str, entries: str, cap: int | None = INDEX_CAP) -> str:
    """The trigram document: incident fields, then entries in ``seq`` order.

    The order matters: trigrams span the newline between two entries, and a contentless
    ``delete`` must name exactly the trigrams that were inserted.
    """
    return (
        f"{_incident_text(row, cap)} || (CASE WHEN {_is_classified(row)} THEN '' ELSE "  # noqa: S608 - index DDL from constants, no values
        "coalesce((SELECT group_concat(x, '') FROM ("
        f"SELECT char(10) || {_capped('text', cap)} || char(10) || {_capped('target', cap)} "
        f"AS x FROM ({entries}) ORDER BY seq)), '') END)"
    )


def _filter_tokens_sql(row: str) -> str:
    """SQL for the filter tokens of incident ``row`` (see :func:`filter_token`)."""
    parts = [
        f"char({ord(FILTER_MARK)}) || '{letter}' || replace({row}.{column}, '_', '')"
        for column, letter in _FILTER_COLUMNS.items()
    ]
    return " || ' ' || ".join(parts)


def _doc_grams(row: str, entries: str, cap: int | None = INDEX_CAP) -> str:
    """The gram document: grams of the fields and of each entry (any order), filter tokens."""
    entry = _grams(
        f"(char(10) || {_capped('x.text', cap)} || char(10) || {_capped('x.target', cap)})"
    )
    return (
        f"{_grams(_incident_text(row, cap))} || ' ' || (CASE WHEN {_is_classified(row)} THEN '' "  # noqa: S608 - index DDL from constants, no values
        f"ELSE coalesce((SELECT group_concat({entry}, ' ') FROM ({entries}) x), '') END) "
        "|| ' ' || "
        f"{_filter_tokens_sql(row)}"
    )


def _write(
    action: str,
    row: str,
    entries: str,
    source: str,
    *,
    grams_only: bool = False,
    cap: int | None = INDEX_CAP,
) -> str:
    """Two statements adding (or with ``action='delete'`` removing) one incident's docs.

    ``cap`` is how much of each text is indexed; ``None`` writes the uncapped documents
    of schema 0007 and before (migration 0008 deletes those for long texts).
    """
    tri_cols, bi_cols, prefix_tri, prefix_bi = "rowid, doc", "rowid, grams", "", ""
    if action == "delete":
        tri_cols, bi_cols = "search_tri, " + tri_cols, "search_bi, " + bi_cols
        prefix_tri = prefix_bi = "'delete', "
    tri = (
        f"INSERT INTO search_tri({tri_cols}) SELECT {prefix_tri}{_key_sql(row)}, "
        f"{_doc(row, entries, cap)} {source};\n"
    )
    return ("" if grams_only else tri) + (
        f"INSERT INTO search_bi({bi_cols}) SELECT {prefix_bi}{_key_sql(row)}, "
        f"{_doc_grams(row, entries, cap)} {source};"
    )


_INCIDENT_FIELDS = ("id", "serial", "received_at", "title", "summary", "location")
_INCIDENT_WHEN = " OR ".join(
    f"OLD.{f} IS NOT NEW.{f}"
    for f in (*_INCIDENT_FIELDS, "reporter_name", "reporter_unit", "classification")
)
_FILTERS_WHEN = (
    f"NOT ({_INCIDENT_WHEN}) AND ("
    + " OR ".join(
        f"OLD.{f} IS NOT NEW.{f}" for f in ("status", "category", "severity", "channel", "is_open")
    )
    + ")"
)
_ENTRY_WHEN = " OR ".join(
    f"OLD.{f} IS NOT NEW.{f}" for f in ("id", "incident_id", "seq", "text", "target")
)
_TOO_BIG = (
    f"SELECT RAISE(ABORT, 'incident id too large for the search index') "
    f"WHERE NEW.id > {KEY_ID_MASK};"
)


def sqlite_schema() -> list[str]:
    """DDL for the SQLite index: number table, two FTS5 tables, the triggers."""
    at = "FROM incident i WHERE i.id = "
    return [
        "CREATE TABLE search_seq (n INTEGER PRIMARY KEY)",
        "INSERT INTO search_seq (n) WITH RECURSIVE k(n) AS "  # noqa: S608 - index DDL; GRAM_CHUNK is an int constant
        f"(SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {GRAM_CHUNK}) SELECT n FROM k",
        "CREATE VIRTUAL TABLE search_tri USING fts5("
        "doc, tokenize='trigram', content='', columnsize=0)",
        "CREATE VIRTUAL TABLE search_bi USING fts5(grams, "
        "tokenize='unicode61 remove_diacritics 0', content='', detail='none', "
        "columnsize=0, prefix='1')",
        # Incidents: OLD.* and NEW.* are the whole story; entries are unchanged.
        f"CREATE TRIGGER search_incident_ai AFTER INSERT ON incident BEGIN {_TOO_BIG}\n"
        f"{_write('insert', 'NEW', _entries('NEW.id'), '')}\nEND",
        f"CREATE TRIGGER search_incident_au AFTER UPDATE ON incident WHEN {_INCIDENT_WHEN} "
        f"BEGIN {_TOO_BIG}\n{_write('delete', 'OLD', _entries('OLD.id'), '')}\n"
        f"{_write('insert', 'NEW', _entries('NEW.id'), '')}\nEND",
        # A status (or other filter field) change only touches the filter tokens.
        f"CREATE TRIGGER search_incident_au_filters AFTER UPDATE ON incident "
        f"WHEN {_FILTERS_WHEN} BEGIN\n"
        f"{_write('delete', 'OLD', _entries('OLD.id'), '', grams_only=True)}\n"
        f"{_write('insert', 'NEW', _entries('NEW.id'), '', grams_only=True)}\nEND",
        "CREATE TRIGGER search_incident_ad AFTER DELETE ON incident BEGIN\n"
        f"{_write('delete', 'OLD', _entries('OLD.id'), '')}\nEND",
        # Entries (append-only by design, but every change is handled): the old document
        # is today's rows without the new row, or with the old row put back.
        "CREATE TRIGGER search_entry_ai AFTER INSERT ON timeline_entry BEGIN\n"
        f"{_write('delete', 'i', _entries('i.id', without='NEW'), at + 'NEW.incident_id')}\n"
        f"{_write('insert', 'i', _entries('i.id'), at + 'NEW.incident_id')}\nEND",
        "CREATE TRIGGER search_entry_ad AFTER DELETE ON timeline_entry BEGIN\n"
        f"{_write('delete', 'i', _entries('i.id', plus='OLD'), at + 'OLD.incident_id')}\n"
        f"{_write('insert', 'i', _entries('i.id'), at + 'OLD.incident_id')}\nEND",
        f"CREATE TRIGGER search_entry_au AFTER UPDATE ON timeline_entry WHEN {_ENTRY_WHEN} "
        "BEGIN\n"
        f"{_write('delete', 'i', _entries('i.id', without='NEW', plus='OLD'), at + 'OLD.incident_id')}\n"  # noqa: E501
        f"{_write('insert', 'i', _entries('i.id'), at + 'OLD.incident_id')}\nEND",
        # An entry moved to another incident also changes the new owner's document.
        "CREATE TRIGGER search_entry_au_moved AFTER UPDATE OF incident_id ON timeline_entry "
        "WHEN OLD.incident_id IS NOT NEW.incident_id BEGIN\n"
        f"{_write('delete', 'i', _entries('i.id', without='NEW'), at + 'NEW.incident_id')}\n"
        f"{_write('insert', 'i', _entries('i.id'), at + 'NEW.incident_id')}\nEND",
    ]


SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_entry_au_moved",
    "DROP TRIGGER IF EXISTS search_entry_au",
    "DROP TRIGGER IF EXISTS search_entry_ad",
    "DROP TRIGGER IF EXISTS search_entry_ai",
    "DROP TRIGGER IF EXISTS search_incident_ad",
    "DROP TRIGGER IF EXISTS search_incident_au_filters",
    "DROP TRIGGER IF EXISTS search_incident_au",
    "DROP TRIGGER IF EXISTS search_incident_ai",
    "DROP TABLE IF EXISTS search_bi",
    "DROP TABLE IF EXISTS search_tri",
    "DROP TABLE IF EXISTS search_seq",
]
"""DDL that removes the SQLite index (migration downgrade, rebuild)."""


def sqlite_fill() -> list[str]:
    """Statements that (re)fill both FTS tables from the tables, then merge segments.

    Inserting in rowid order and one ``optimize`` afterwards leaves a single b-tree
    segment per table, the fastest shape to query.
    """
    # Received order is rowid order up to ties within one second: FTS5 flushes a segment
    # whenever a rowid goes backwards, so feed it (almost) sorted, straight off an index.
    source = "FROM incident i ORDER BY i.received_at, i.id"
    return [
        "INSERT INTO search_tri(search_tri) VALUES ('delete-all')",
        "INSERT INTO search_bi(search_bi) VALUES ('delete-all')",
        *_write("insert", "i", _entries("i.id"), source).split(";\n"),
        "INSERT INTO search_tri(search_tri) VALUES ('optimize')",
        "INSERT INTO search_bi(search_bi) VALUES ('optimize')",
    ]


def install_sqlite(execute: Callable[[str], Any]) -> None:
    """Create and fill the SQLite index through ``execute`` (one SQL string at a time)."""
    for statement in [*sqlite_schema(), *sqlite_fill()]:
        execute(statement.rstrip(";"))


class SqliteSearchIndex:
    """FTS5 search over a SQLite store (design in the module docstring)."""

    name = "sqlite-fts5"

    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, spec: SearchSpec) -> list[Row]:
        """Rows matching ``spec``, newest received first (see :class:`SearchIndex`)."""
        terms = [term for term in spec.terms if searchable(term)]
        if spec.terms and not terms:
            return []  # nothing the index can look up (the service reports such terms)
        spec = replace(spec, terms=tuple(terms))
        filters = self._filter_query(spec)
        if not terms and not filters:
            return self._filters_only(spec)  # no filter or only dates: the received index
        long = [term for term in terms if len(term) >= 3]
        short = [term for term in terms if len(term) < 3]
        params = _Params()
        if not short and not filters:
            table, match = "search_tri", " AND ".join(fts_phrase(term) for term in long)
        else:
            # The gram table drives, so that FTS5 intersects every term and filter inside
            # one MATCH: longer terms go in as their grams (a near-exact prefilter) and the
            # exact trigram phrase is checked per survivor. Probing the other table for
            # every candidate instead cost 26-180 us each: seconds for two common terms
            # that never meet, or for a common word with a filter nothing passes.
            grams = [g for term in long for g in _pairs(term)]
            parts = [self._gram_query([*short, *grams]), *filters]
            table, match = "search_bi", " AND ".join(part for part in parts if part)
        where = [f"f.{table} MATCH {params.add(match)}"]
        if long and table == "search_bi":
            exact = " AND ".join(fts_phrase(term) for term in long)
            where.append(
                "EXISTS (SELECT 1 FROM search_tri t WHERE t.rowid = f.rowid AND "  # noqa: S608 - table is one of two constants; the MATCH text bound
                f"t.search_tri MATCH {params.add(exact)})"
            )
        if spec.received_from is not None:
            seconds = int(spec.received_from.astimezone(UTC).timestamp() // 1)
            where.append(f"f.rowid >= {params.add(max(seconds, 0) << KEY_ID_BITS)}")
        if spec.received_to is not None:
            seconds = int(spec.received_to.astimezone(UTC).timestamp() // 1)
            where.append(f"f.rowid < {params.add((max(seconds, 0) + 1) << KEY_ID_BITS)}")
        if spec.after is not None:  # the next page: below the last row's rowid
            key = (spec.after.second << KEY_ID_BITS) | spec.after.id
            where.append(f"f.rowid < {params.add(key)}")
        # unicode61 drops punctuation from a gram: "0%" was looked up as the token "0",
        # which every "0" before a symbol or at a field's end matches. Such a term is
        # checked exactly on each candidate (the grams of its letter already narrow them).
        where += [
            _like_term_sql(term, params)
            for term in short
            if not all(is_token_char(char) for char in term)
        ]
        where += _filter_sql(self.db, spec, params)
        where.append(_visibility_sql(spec, params, serial_match=True))
        # CROSS JOIN keeps the FTS table outermost, so its rowid order is the result order
        # and LIMIT stops the walk early.
        sql = (
            f"SELECT {RESULT_COLUMNS} FROM {table} f CROSS JOIN incident i "  # noqa: S608 - constants and _Params placeholders; values bound
            f"ON i.id = (f.rowid & {KEY_ID_MASK}) WHERE {' AND '.join(where)} "
            f"ORDER BY f.rowid DESC {_page_sql(spec, params)}"
        )
        return self.db.read(sql, params.values)

    @staticmethod
    def _gram_query(terms: Sequence[str]) -> str:
        # A 1-character term is a prefix of the grams that start with it.
        return " AND ".join(fts_phrase(t) + ("*" if len(t) == 1 else "") for t in terms)

    @staticmethod
    def _filter_query(spec: SearchSpec) -> list[str]:
        """FTS5 clauses for the filters: one OR-group per filtered column."""
        clauses = []
        for column, values in (
            ("status", spec.statuses),
            ("category", spec.categories),
            ("severity", spec.severities),
            ("channel", spec.channels),
            ("is_open", ("1",) if spec.open_only else ()),
        ):
            if values:
                tokens = " OR ".join(fts_phrase(filter_token(column, v)) for v in values)
                clauses.append(f"({tokens})")
        return clauses

    def _filters_only(self, spec: SearchSpec) -> list[Row]:
        params = _Params()
        where = [
            *_filter_sql(self.db, spec, params),
            *_after_sql(self.db, spec, params),
            _visibility_sql(spec, params, False),
        ]
        sql = (
            f"SELECT {RESULT_COLUMNS} FROM incident i WHERE {' AND '.join(where)} "  # noqa: S608 - constants and _Params placeholders; values bound
            f"ORDER BY i.received_at DESC, i.id DESC {_page_sql(spec, params)}"
        )
        return self.db.read(sql, params.values)

    def rebuild(self) -> None:
        """Recreate the index tables and triggers and refill them from the tables."""
        rebuild(self.db)


# -- PostgreSQL: pg_trgm and the gram index (migration 0021) -----------------------------

PG_WINDOW = 1000
"""Newest documents (in range) :class:`PostgresSearchIndex` first walks in result order:
a page of any match in one document of 20 or more."""
PG_WALK_MAX = 60_000
"""Most documents the second, longer walk reads (sized by the first walk's hit rate)."""
PG_DAY = 86_400
"""Seconds in a day of migration 0028's day keys (``received_s / PG_DAY``)."""
PG_DAY_KEYS = "dutydesk_search_day_keys(keys, received_s)"
"""Migration 0028's GIN expression: each gram of ``keys`` as ``'<day>|<gram>'``. A query
must spell it exactly so for the planner to use the index."""
PG_DAY_WALK_DAYS = 400
"""Days the day walk reads at most, newest first (the 1M benchmark spans 365). A word
found on none of them costs a GIN read a day (新区城 at 1M: 15 ms for 365 days), so in
a database of many years the days older than these are read by the plain GIN step."""
PG_DAY_WALK_SHARE = 0.005
"""Share of documents from which a one-term GIN step is read day by day: its rarest
key's (``pg_stats`` keeps no key under about 0.75% at 1M; an unknown key is rarer, or
absent: few candidates, read at once)."""


def like_literal(term: str) -> str:
    """``%term%`` for PostgreSQL's ``LIKE`` (backslash escape), every character literal."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def pg_grams(term: str) -> list[str]:
    """What the gram index must hold for ``term``: itself (1-2 chars) or its pairs."""
    return [term] if len(term) <= 2 else list(dict.fromkeys(_pairs_all(term)))


def _pairs_all(term: str) -> list[str]:
    return [term[i : i + 2] for i in range(len(term) - 1)]


PG_CHEAP_KEY = 0.01
"""Share of documents up to which a key is always looked up: its posting list is short,
and the documents it rules out would each cost a ``LIKE`` recheck."""
PG_KEY_STATS_SECONDS = 600.0
"""How long :class:`PostgresSearchIndex` keeps the key frequencies it read from ``pg_stats``
(``ANALYZE``, mostly autovacuum's, refreshes them there)."""


def pg_lookup_grams(terms: Sequence[str], share: Callable[[str], float] | None) -> list[list[str]]:
    """The grams the GIN index is asked for, per term (each term's list non-empty).

    ``share`` estimates the share of documents whose keys hold a (lower-cased) gram; with
    none, or one term, every gram of every term (:func:`pg_grams`). With two terms or
    more, a term of 3+ characters keeps its rarest pair and the pairs no commoner than
    :data:`PG_CHEAP_KEY`: the pairs of one word are found together (each pair of a place
    name in one document of six), so a second common pair narrows nothing and only
    doubles the lists GIN decodes, while the other terms' keys narrow the candidates and
    ``LIKE`` checks each one exactly. Two words never together at 1M: 4 lists of
    170,000 read before, 2 now (tests/bench/README.md). One term keeps all its pairs: a
    word absent though each of its pairs is common is then still the (short)
    intersection of its pairs. With two terms, such a word's rarest pair may meet the
    other terms in many documents, each checked by ``LIKE`` in vain (新区城 火灾 at 1M:
    68 ms, against 32 with every pair): :meth:`PostgresSearchIndex._steps_sql` asks GIN
    for these grams only when none of the newest documents holds them all.
    """
    grams = [pg_grams(term) for term in terms]
    if share is None or len(terms) < 2:
        return grams
    chosen = []
    for own in grams:
        shares = {gram: share(gram.lower()) for gram in own}
        rarest = min(own, key=shares.__getitem__)  # the first of equals: stable
        chosen.append([g for g in own if g == rarest or shares[g] <= PG_CHEAP_KEY])
    return chosen


_PG_SPACE = frozenset(" \n\t\r\u3000")
"""Characters ``dutydesk_search_grams`` leaves out of the grams (a term never holds one)."""


def pg_doc_keys(
    doc: str, status: str, category: str, severity: str, channel: str, is_open: bool
) -> list[str]:
    """``search_doc.keys`` of one document, as ``dutydesk_search_keys`` (migration 0025).

    The distinct characters and adjacent pairs of ``doc`` (already lower-cased), none
    holding whitespace, then the incident's filter tokens (:func:`filter_token`). For
    bulk loads that compute the column outside the server; a test checks both agree.
    """
    singles = set(doc) - _PG_SPACE
    pairs = {
        first + second
        for first, second in pairwise(doc)
        if first not in _PG_SPACE and second not in _PG_SPACE
    }
    return [
        *sorted(singles | pairs),
        *pg_filter_tokens(status, category, severity, channel, is_open),
    ]


PG_FILTER_ORDER = ("status", "category", "severity", "channel", "is_open")
"""The filter tokens at the end of ``search_doc.keys``, in their order (migration 0025)."""


def _pg_filter_keys(spec: SearchSpec) -> list[tuple[str, str]]:
    """Filter tokens every match's keys hold, by column: filters with one allowed value."""
    keys = [
        (column, filter_token(column, values[0]))
        for column, values in (
            ("status", spec.statuses),
            ("category", spec.categories),
            ("severity", spec.severities),
            ("channel", spec.channels),
        )
        if len(values) == 1
    ]
    return keys + ([("is_open", filter_token("is_open", "1"))] if spec.open_only else [])


def pg_token_at(column: str) -> str:
    """``column``'s token in ``keys``, as migration 0027's index on it spells it."""
    back = len(PG_FILTER_ORDER) - 1 - PG_FILTER_ORDER.index(column)
    return f"keys[array_upper(keys, 1) - {back}]"


def pg_filter_tokens(
    status: str, category: str, severity: str, channel: str, is_open: bool
) -> list[str]:
    """The filter tokens in ``search_doc.keys`` of an incident with these values."""
    return [
        filter_token("status", status),
        filter_token("category", category),
        filter_token("severity", severity),
        filter_token("channel", channel),
        filter_token("is_open", "1" if is_open else "0"),
    ]


def _gin_keys(
    grams: list[list[str]], tokens: list[str], params: _Params, *, apart: bool = False
) -> list[str]:
    """The ``keys @>`` conditions of a GIN step, in one array or (``apart``) one per term.

    The filters' tokens (SQL placeholders) go with the (first term's) grams. Within one
    array GIN checks the commoner keys only at the rarest's entries; apart, it leapfrogs
    between the arrays' lists: a tenth cheaper at 1M for one common pair a word (fewer
    consistency checks).
    """
    if not apart:
        grams = [list(dict.fromkeys(gram for own in grams for gram in own))]
    keys = []
    for number, own in enumerate(grams):
        items = [f"lower({params.add(gram)})" for gram in own] + (tokens if number == 0 else [])
        keys.append(f"keys @> ARRAY[{', '.join(items)}]::text[]")
    return keys


class PostgresSearchIndex:
    """Indexed search over a PostgreSQL store (migrations 0021, 0025 and 0028).

    ``search_doc`` holds each incident's search document (the text SQLite's index
    reads, lower-cased; a classified incident's is its serial) and its key array: its
    grams (characters and pairs) and its filter tokens, under one GIN index. Every term
    is checked exactly, ``doc LIKE '%term%'``, so the answers are substring matches as
    SQLite's. Where the rows come from depends on how common the match is:

    1. the newest :data:`PG_WINDOW` documents in range, walked in result order on
       ``search_doc_order`` (the text checked by ``LIKE``, the filters by the keys):
       a common match fills the page and the walk stops;
    2. a match seen but too sparse for the page: one longer walk, as long as the rate
       step 1 saw says holds the page half again (at most :data:`PG_WALK_MAX`);
    3. otherwise the match is rare among the newest: the GIN index, one ``keys @>``
       per term (its grams, the filters' tokens with the first term's; GIN intersects
       them itself), every candidate checked and sorted. A match nowhere costs index
       pages only. With two terms or more, a long term is asked for by its rarest pair
       as ``pg_stats`` tells it (:func:`pg_lookup_grams`) when no document among the
       newest :data:`PG_WINDOW` holds those pairs together: two common words never
       together read two posting lists, not every pair's. One term of common keys
       and no filter token is read day by day, newest first, until the page is full
       (:meth:`_day_walk_sql`, a statement of its own after the walks, on migration
       0028's index of day keys): a word common only in older documents no longer
       visits every candidate's row, nor reads its whole GIN list (县 at 1M: 159,000
       entries, 30-50 ms a read, whatever a time window, before 0028).

    A page asked for by ``offset`` is skipped in the server (:meth:`_read_page`): only
    its rows come back.

    The three go to the server as one statement, the later steps gated on the first
    (:meth:`_steps_sql`): on a busy machine a round trip cost more than most steps.
    Measured at 1M incidents (tests/bench/README.md): a GIN bitmap of a pair in one
    document of 12 took 110-150 ms on a loaded machine, a walk about 1-5 us a document,
    so GIN is kept for what the walks cannot find.
    One walk for rare terms reads the whole table; one bitmap of a term in every row
    sorts a million: the steps avoid both.
    """

    name = "postgresql-gin"

    def __init__(self, db: Database) -> None:
        self.db = db
        self._shares: dict[str, float] | None = None
        self._shares_read = -PG_KEY_STATS_SECONDS  # never: read at the first lookup

    def _key_share(self) -> Callable[[str], float] | None:
        """The share of documents holding a key, from ``pg_stats`` (``None``: no statistics).

        ``ANALYZE`` (autovacuum's, or a bulk load's) keeps the commonest keys of
        ``search_doc.keys`` with their shares (``most_common_elems``); a key it did not
        keep is rarer than all of them and counts as 0. Read again after
        :data:`PG_KEY_STATS_SECONDS`. A guess only: it decides which grams GIN reads,
        never which rows match (``LIKE`` does).
        """
        now = time.monotonic()
        if now - self._shares_read >= PG_KEY_STATS_SECONDS:
            rows = self.db.read(
                "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs "
                "FROM pg_stats s JOIN pg_namespace n ON n.nspname = s.schemaname "
                "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename "
                "WHERE c.oid = to_regclass('search_doc') AND s.attname = 'keys'"
            )
            self._shares_read = now
            # The frequencies run on past the elements (their least, their greatest, the
            # share of NULLs): zip stops at the elements.
            elems, freqs = rows[0] if rows else (None, None)
            self._shares = dict(zip(elems, freqs, strict=False)) if elems and freqs else None
        known = self._shares
        if known is None:
            return None
        return lambda key: known.get(key, 0.0)

    def find(self, spec: SearchSpec) -> list[Row]:
        """Rows matching ``spec``, newest received first (see :class:`SearchIndex`)."""
        terms = [term for term in spec.terms if searchable(term)]
        if spec.terms and not terms:
            return []  # nothing the index can look up (the service reports such terms)
        if any("\x00" in term for term in terms):
            return []  # PostgreSQL text holds no NUL (and refuses it as a parameter)
        spec = replace(spec, terms=tuple(terms))
        if not terms:
            return LikeSearchIndex(self.db).find(spec)  # filters only: the incident row
        wanted = spec.offset + spec.limit
        share = self._key_share()
        by_day = self._reads_by_day(spec, share)
        page, found, step = self._read_page(spec, *self._steps_sql(spec, gin=not by_day))
        gin_ran = step != 2  # the GIN step is in the statement (or nothing was found)
        if found >= wanted or (gin_ran and not by_day):
            return page
        # The walks did not fill the page: the GIN candidates, checked and sorted. The
        # day walk is a statement of its own, planned only when it runs: inside
        # the first one its planning cost every search 1-5 ms at 1M.
        params = _Params()
        gin = self._gin_sql(spec, params, by_day=by_day)
        return self._read_page(spec, gin, params.values)[0]

    def _read_page(
        self, spec: SearchSpec, sql: str, values: dict[str, Any]
    ) -> tuple[list[Row], int, int | None]:
        """The page of a statement's rows after ``spec.offset``, how many rows it had, its step.

        The statement returns the first ``offset + limit`` matches; the server skips the
        offset, so only the page crosses to this process: page 21 by ``offset`` 1,000
        had 1,050 rows converted here for 50 kept (issue 15). A page past the end holds
        no row to tell the count: the statement is then read whole, as before.
        """
        if spec.offset:
            page = self.db.read(
                f"SELECT *, count(*) OVER () AS n_found FROM ({sql}) s "  # noqa: S608 - a statement built here; values bound
                "ORDER BY r_s DESC, r_id DESC OFFSET :page_offset",
                {**values, "page_offset": spec.offset},  # not a _Params name (p0, p1...)
            )
            if page:
                return page, page[0].n_found, getattr(page[0], "step", None)
        found = self.db.read(sql, values)
        return found[spec.offset :], len(found), getattr(found[0], "step", None) if found else None

    def _gin_sql(self, spec: SearchSpec, params: _Params, *, by_day: bool) -> str:
        """The GIN step over every pair of every term: day by day when worth it.

        ``by_day``: one term whose rarest key ``pg_stats`` counts in at least
        :data:`PG_DAY_WALK_SHARE` of the documents (:meth:`_reads_by_day`) is read day
        by day (:meth:`_day_walk_sql`); a rarer key has few candidates, and two terms or
        more are found together in few documents.
        """
        if not by_day:
            return self._select(spec, params)
        return self._day_walk_sql(spec, params, *pg_grams(spec.terms[0]))

    @staticmethod
    def _reads_by_day(spec: SearchSpec, share: Callable[[str], float] | None) -> bool:
        """Whether a search's GIN step is read day by day (else the plain GIN step).

        One term whose rarest key by ``pg_stats`` is in at least :data:`PG_DAY_WALK_SHARE`
        of the documents. Not with a filter GIN reads as a token: a rare one leaves few
        candidates, and the plain step in the walks' statement cost a round trip less
        (报 with three filters: 3 ms, 5 in 0027's time windows).
        """
        if len(spec.terms) != 1 or share is None or _pg_filter_keys(spec):
            return False
        return min(share(gram.lower()) for gram in pg_grams(spec.terms[0])) >= PG_DAY_WALK_SHARE

    def _day_walk_sql(self, spec: SearchSpec, params: _Params, *keys: str) -> str:
        """The GIN step of one term, day by day newest first, until the page is full.

        A key in a sixth of the documents but in none of the newest (县 at 1M) cost a
        read of its whole GIN list, 159,000 entries, 30-50 ms whatever the time window:
        a window is a filter after GIN, which keeps no order to stop in. Migration 0028
        indexes each document's grams once more under its UTC day
        (:data:`PG_DAY_KEYS`, ``'20417|县'``): here the days from the newest document in
        range to the oldest are walked in order, one GIN list a day (a few hundred
        entries at most; a day without the key is one descent of the entry tree), its
        candidates checked by ``LIKE`` and sorted, and the walk stops when the page is
        full. A day holds whole seconds, so the days in turn give the result order;
        the next-page bounds are in ``_bounds``.

        ``keys``: every key of the term, which GIN intersects within each day. A term
        whose pairs are all common but rarely adjacent (东湖县 at 1M) had its candidates
        by every pair probed first, then read by its rarest key's windows: 92 ms of
        server CPU before, 3 ms day by day. A term whose pairs are common but never
        adjacent (新区城) walks every day of the range: 15 ms, as the plain GIN step.
        At most :data:`PG_DAY_WALK_DAYS` days are walked; documents older than those,
        if the page is still short, come from the plain GIN step.
        """
        bounds, _exact = self._bounds(spec, params)
        where = f" WHERE {' AND '.join(bounds)}" if bounds else ""
        # The newest and the oldest document in range, each one step of search_doc_order.
        ends = [
            f"(SELECT {end}(received_s) FROM search_doc{where}) / {PG_DAY}"  # noqa: S608 - constants and _Params placeholders
            for end in ("max", "min")
        ]
        items = [f"win_d.day::text || '|' || lower({params.add(key)})" for key in keys]
        day = f"{PG_DAY_KEYS} @> ARRAY[{', '.join(items)}]"
        one_day = self._select(spec, params, grams=[], within=[day], tokens=False)
        wanted = params.add(spec.offset + spec.limit)
        top, most = ends[0], params.add(PG_DAY_WALK_DAYS)
        since = f"({top} - {most} + 1)"  # the oldest day walked
        # A nested loop over the days in the series' order, each day's rows in the
        # result order (its own ORDER BY ... LIMIT): the LIMIT outside stops the walk
        # at the first days that fill the page, and the rows come in the result order.
        walk = (
            f"SELECT r.* FROM generate_series({top}, greatest({ends[1]}, {since}), -1) "  # noqa: S608 - constants and _Params placeholders
            f"AS win_d(day) CROSS JOIN LATERAL ({one_day}) r LIMIT {wanted}"
        )
        # Older than the days walked, only if they left the page short and the range
        # holds older days: the plain GIN step ("+ 0": a condition the order index
        # cannot serve, so GIN is read).
        older = self._select(spec, params, within=[f"received_s + 0 < {since} * {PG_DAY}"])
        return (
            f"WITH win_days AS MATERIALIZED ({walk}) SELECT * FROM win_days "  # noqa: S608 - constants and _Params placeholders
            f"UNION ALL SELECT * FROM ({older}) win_old "
            f"WHERE (SELECT count(*) FROM win_days) < {wanted} AND {ends[1]} < {since} "
            f"ORDER BY r_s DESC, r_id DESC LIMIT {wanted}"
        )

    def _steps_sql(self, spec: SearchSpec, *, gin: bool = True) -> tuple[str, dict[str, Any]]:
        """The three steps in one statement, each later one gated on the first.

        Without ``gin``, the first two: :meth:`find` then reads the GIN step day by day
        apart. One round trip: on a busy machine each cost more than most steps.

        1. the walk of the newest :data:`PG_WINDOW`: the answer when it fills the page;
        2. found some, not enough: the walk as long as their rate says holds the page
           half again, unless that is over :data:`PG_WALK_MAX`;
        3. otherwise: the GIN candidates.

        Each row carries ``step``, the step that made it (:meth:`find` runs the GIN
        step after a step 2 that did not fill the page).
        """
        params = _Params()
        wanted = params.add(spec.offset + spec.limit)
        window = params.add(PG_WINDOW)
        first = self._select(spec, params, walk=window)
        rate = f"CAST({wanted} AS bigint) * {window} / (2 * greatest(n, 1))"
        reach = f"(SELECT {window} + 3 * {rate} FROM n)"  # noqa: S608 - placeholders
        longer = self._select(spec, params, walk=reach)
        every = pg_lookup_grams(spec.terms, None)
        share = self._key_share()
        plain = self._select(spec, params)
        most = params.add(PG_WALK_MAX)
        gate = f"(SELECT n FROM n) = 0 OR {reach} > {most}"  # noqa: S608 - placeholders
        fewest = pg_lookup_grams(spec.terms, share)  # one term: all its pairs
        sample, tail = "", f"UNION ALL SELECT *, 3 FROM ({plain}) y WHERE {gate} "  # noqa: S608 - placeholders
        if not gin:
            tail = ""
        elif fewest != every:
            # The rarest pairs' candidates, sampled in the newest documents: none
            # there, and GIN reads just those lists (two words never together);
            # some, and every pair (a word absent though its pairs are common, with a
            # common word: its rarest pair's documents, all checked by LIKE, cost more
            # than the other lists). Counted only if the GIN step runs.
            sample = f", s AS MATERIALIZED ({self._sample_sql(spec, params, fewest, window)})"
            lean = self._select(spec, params, grams=fewest)
            tail = (
                f"UNION ALL SELECT *, 3 FROM ({lean}) y WHERE ({gate}) AND (SELECT c FROM s) = 0 "  # noqa: S608 - placeholders
                f"UNION ALL SELECT *, 3 FROM ({plain}) z WHERE ({gate}) AND (SELECT c FROM s) > 0 "
            )
        sql = (
            f"WITH w AS MATERIALIZED ({first}), n AS MATERIALIZED (SELECT count(*) AS n FROM w)"  # noqa: S608 - constants and _Params placeholders; values bound
            f"{sample} "
            f"SELECT *, 1 AS step FROM w WHERE (SELECT n FROM n) >= {wanted} "
            f"UNION ALL SELECT *, 2 FROM ({longer}) x "
            f"WHERE (SELECT n FROM n) BETWEEN 1 AND {wanted} - 1 AND {reach} <= {most} "
            f"{tail}"
            "ORDER BY r_s DESC, r_id DESC"
        )
        return sql, params.values

    def _sample_sql(
        self, spec: SearchSpec, params: _Params, grams: list[list[str]], window: str
    ) -> str:
        """How many of the newest ``window`` documents in range hold all of ``grams``.

        By ``LIKE`` on the text, as the walk checks it (a gram holds no whitespace, so
        it is in the text where it is in the keys): reading the key arrays of a thousand
        documents cost five times as much.
        """
        bounds, _exact = self._bounds(spec, params)
        where = f"WHERE {' AND '.join(bounds)} " if bounds else ""
        likes = [
            f"doc LIKE lower({params.add(like_literal(gram))})" for own in grams for gram in own
        ]
        return (
            "SELECT count(*) AS c FROM (SELECT doc FROM search_doc "  # noqa: S608 - constants and _Params placeholders
            f"{where}ORDER BY received_s DESC, incident_id DESC LIMIT {window}) x "
            f"WHERE {' AND '.join(likes)}"
        )

    def _select(
        self,
        spec: SearchSpec,
        params: _Params,
        walk: str | None = None,
        grams: list[list[str]] | None = None,
        within: Sequence[str] = (),
        tokens: bool = True,
    ) -> str:
        """The first ``offset + limit`` matches, newest first, with their sort keys.

        Among the GIN candidates of ``grams`` (per term; default every pair of every
        term), or (``walk``, an SQL expression) among the newest ``walk`` documents in
        range, read in order. ``within``: more conditions on the GIN candidates (a time
        window). ``tokens``: whether GIN is asked for the filters' tokens too (without
        them the incident row still checks the filters).
        """
        bounds, exact = self._bounds(spec, params)
        # LIKE, not strpos: strpos is cheaper per document walked, but the planner then
        # put the key check before it (59 ms for text + filters at 1M), and with the
        # order forced no gain could be measured (issue 15, stop 27).
        likes = [f"doc LIKE lower({params.add(like_literal(term))})" for term in spec.terms]
        filters = [(column, params.add(token)) for column, token in _pg_filter_keys(spec)]
        if walk is not None:
            # Each filter as an equality on its token: the planner walks the index of
            # the one with the fewest rows (migration 0027), newest first, and checks
            # the others on the way; without a filter, search_doc_order.
            within = bounds + [f"{pg_token_at(column)} = {token}" for column, token in filters]
            where_within = f"WHERE {' AND '.join(within)} " if within else ""
            source = (
                "(SELECT incident_id, received_s, doc, keys FROM search_doc "  # noqa: S608 - constants and _Params placeholders
                f"{where_within}ORDER BY received_s DESC, incident_id DESC LIMIT {walk})"
            )
            where = [f"d.{check}" for check in likes]
        else:
            asked = [token for _column, token in filters] if tokens else []
            if grams is None:  # every pair: one array, as GIN reads it best
                keys = _gin_keys(pg_lookup_grams(spec.terms, None), asked, params)
            else:
                keys = _gin_keys(grams, asked, params, apart=True)
            # OFFSET 0 keeps the GIN rows a fence: the planner then looks up each one's
            # incident by key, not every incident received in the date range. The rows
            # are sorted in a second fence, the page's order, so incidents are looked up
            # only until the page is full, not for every candidate before a sort: a
            # phrase common in older documents but in none of the newest had 13,815
            # candidates at 1M, 415-483 -> 107-117 ms in the server (issue 15, stop 28).
            # Sorting inside the first fence would let the planner walk search_doc_order
            # with the keys as a filter instead of reading GIN.
            read = (
                "SELECT incident_id, received_s "  # noqa: S608 - constants and _Params placeholders
                f"FROM search_doc WHERE {' AND '.join(bounds + list(within) + keys + likes)} "
                "OFFSET 0"
            )
            source = (
                f"(SELECT incident_id, received_s FROM ({read}) g "  # noqa: S608 - constants and _Params placeholders
                "ORDER BY received_s DESC, incident_id DESC OFFSET 0)"
            )
            where = []
        where += _filter_sql(self.db, replace(spec, received_from=None, received_to=None), params)
        where += exact
        where.append(_visibility_sql(spec, params, serial_match=True))
        return (
            f"SELECT {RESULT_COLUMNS}, d.received_s AS r_s, d.incident_id AS r_id "  # noqa: S608 - constants and _Params placeholders; values bound
            f"FROM {source} d JOIN incident i ON i.id = d.incident_id "
            f"WHERE {' AND '.join(where)} "
            "ORDER BY d.received_s DESC, d.incident_id DESC "
            f"LIMIT {params.add(spec.offset + spec.limit)}"
        )

    def _bounds(self, spec: SearchSpec, params: _Params) -> tuple[list[str], list[str]]:
        """Date-range and next-page conditions on ``search_doc``, then those on ``incident i``.

        The second list holds what the first cannot say: a bound inside a second, or
        before 1970 (where ``received_s`` is 0).
        """
        bounds: list[str] = []
        exact: list[str] = []
        for bound, low in ((spec.received_from, True), (spec.received_to, False)):
            if bound is None:
                continue
            seconds = bound.astimezone(UTC).timestamp()
            whole = seconds == int(seconds) and seconds > 0
            if low:
                bounds.append(f"received_s >= {params.add(int(seconds // 1))}")
                if not whole:
                    exact.append(f"i.received_at >= {params.add(self.db.time_param(bound))}")
            elif whole:
                bounds.append(f"received_s < {params.add(int(seconds))}")
            else:
                bounds.append(f"received_s <= {params.add(max(int(seconds // 1), 0))}")
                exact.append(f"i.received_at < {params.add(self.db.time_param(bound))}")
        if spec.after is not None:  # the next page: one row comparison, on the order index
            after = f"({params.add(spec.after.second)}, {params.add(spec.after.id)})"
            bounds.append(f"(received_s, incident_id) < {after}")
        return bounds, exact

    def rebuild(self) -> None:
        """Recompute every document from the tables (the indexes follow)."""
        with self.db.session() as session:
            from sqlalchemy import text

            session.execute(text("SELECT dutydesk_search_refresh(id) FROM incident"))
            session.execute(
                text(
                    "DELETE FROM search_doc d WHERE NOT EXISTS "
                    "(SELECT 1 FROM incident i WHERE i.id = d.incident_id)"
                )
            )


def index_for(db: Database) -> SearchIndex:
    """The best index this database holds: FTS5 on SQLite, pg_trgm on PostgreSQL, else LIKE.

    The FTS5 tables exist only where the migration found FTS5 with the trigram tokenizer;
    ``search_doc`` wherever migration 0021 ran on PostgreSQL. A database that lacks them
    (an older SQLite, a server database not yet migrated) is searched with LIKE.
    """
    if db.is_sqlite and db.path is not None:
        rows = db.read(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('search_tri', 'search_bi')"
        )
        if rows[0][0] == 2:
            return SqliteSearchIndex(db)
    elif not db.is_sqlite and db.read("SELECT to_regclass('search_doc') IS NOT NULL")[0][0]:
        return PostgresSearchIndex(db)
    return LikeSearchIndex(db)


def rebuild(db: Database) -> None:
    """Drop and reinstall the SQLite index, filled from the tables, in one transaction.

    Does nothing for databases other than SQLite files, and for a SQLite library without
    FTS5 trigram support (searches then use :class:`LikeSearchIndex`).
    """
    if not (db.is_sqlite and db.path is not None):
        return
    # The store's own raw connection: same pragmas, and no ORM import for a bulk job.
    connection = db._sqlite_connection()
    if not sqlite_has_trigram(connection):
        return
    db.begin_write(connection)
    try:
        for statement in SQLITE_DROP:
            connection.execute(statement)
        install_sqlite(connection.execute)
    except BaseException:
        connection.rollback()
        raise
    connection.commit()
