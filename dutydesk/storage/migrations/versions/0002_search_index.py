"""search index: FTS5 trigram + 2-character gram tables, triggers, backfill

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00

SQLite only, and only where FTS5 has the trigram tokenizer (3.34+): other databases,
and older SQLite libraries, are searched by ``LikeSearchIndex`` (correct, slower).
The design is described in ``dutydesk.storage.search``; a later change of the index layout
gets a new migration that drops and reinstalls it.

Frozen: the DDL below is the index layout of this revision (every text indexed whole,
classified incidents too), copied from ``dutydesk.storage.search`` as it was when this
migration was written. Replaying it on an old database must not run today's code, so
nothing here imports dutydesk; do not edit it to follow the live module.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KEY_ID_BITS = 29
_KEY_ID_MASK = (1 << _KEY_ID_BITS) - 1
_MIN_TRIGRAM_SQLITE = (3, 34, 0)
_GRAM_CHUNK = 1000
_FILTER_MARK = "\ue000"
_FILTER_COLUMNS = {"status": "s", "category": "c", "severity": "v", "channel": "h", "is_open": "o"}


def _has_trigram(connection: sqlite3.Connection) -> bool:
    """Whether this SQLite library has FTS5 with the trigram tokenizer (a probe table)."""
    if sqlite3.sqlite_version_info < _MIN_TRIGRAM_SQLITE:
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
    seconds = f"max(coalesce(CAST(strftime('%s', {row}.received_at) AS INTEGER), 0), 0)"
    return f"(({seconds} << {_KEY_ID_BITS}) | {row}.id)"


def _incident_text(row: str) -> str:
    fields = ("serial", "title", "summary", "location", "reporter_name", "reporter_unit")
    return " || char(10) || ".join(f"{row}.{field}" for field in fields)


def _grams(text: str) -> str:
    return (
        "coalesce((SELECT group_concat(substr(c.chunk, q.n, 2), ' ') FROM ("
        f"SELECT substr({text}, (k.n - 1) * {_GRAM_CHUNK} + 1, {_GRAM_CHUNK + 1}) AS chunk "
        f"FROM search_seq k WHERE k.n <= (length({text}) + {_GRAM_CHUNK - 1}) / {_GRAM_CHUNK} "
        f"LIMIT -1) c JOIN search_seq q ON q.n <= min({_GRAM_CHUNK}, length(c.chunk))), '')"
    )


def _entries(incident_id: str, *, without: str | None = None, plus: str | None = None) -> str:
    sql = f"SELECT text, target, seq FROM timeline_entry WHERE incident_id = {incident_id}"
    if without is not None:
        sql += f" AND id <> {without}.id"
    if plus is not None:
        sql += f" UNION ALL SELECT {plus}.text, {plus}.target, {plus}.seq"
    return sql


def _doc(row: str, entries: str) -> str:
    return (
        f"{_incident_text(row)} || coalesce((SELECT group_concat(x, '') FROM ("
        f"SELECT char(10) || text || char(10) || target AS x FROM ({entries}) ORDER BY seq)), '')"
    )


def _filter_tokens_sql(row: str) -> str:
    parts = [
        f"char({ord(_FILTER_MARK)}) || '{letter}' || replace({row}.{column}, '_', '')"
        for column, letter in _FILTER_COLUMNS.items()
    ]
    return " || ' ' || ".join(parts)


def _doc_grams(row: str, entries: str) -> str:
    entry = _grams("(char(10) || x.text || char(10) || x.target)")
    return (
        f"{_grams(_incident_text(row))} || ' ' || "
        f"coalesce((SELECT group_concat({entry}, ' ') FROM ({entries}) x), '') || ' ' || "
        f"{_filter_tokens_sql(row)}"
    )


def _write(action: str, row: str, entries: str, source: str, *, grams_only: bool = False) -> str:
    tri_cols, bi_cols, prefix_tri, prefix_bi = "rowid, doc", "rowid, grams", "", ""
    if action == "delete":
        tri_cols, bi_cols = "search_tri, " + tri_cols, "search_bi, " + bi_cols
        prefix_tri = prefix_bi = "'delete', "
    tri = (
        f"INSERT INTO search_tri({tri_cols}) SELECT {prefix_tri}{_key_sql(row)}, "
        f"{_doc(row, entries)} {source};\n"
    )
    return ("" if grams_only else tri) + (
        f"INSERT INTO search_bi({bi_cols}) SELECT {prefix_bi}{_key_sql(row)}, "
        f"{_doc_grams(row, entries)} {source};"
    )


_INCIDENT_FIELDS = ("id", "serial", "received_at", "title", "summary", "location")
_INCIDENT_WHEN = " OR ".join(
    f"OLD.{f} IS NOT NEW.{f}" for f in (*_INCIDENT_FIELDS, "reporter_name", "reporter_unit")
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
    f"WHERE NEW.id > {_KEY_ID_MASK};"
)


def _schema() -> list[str]:
    at = "FROM incident i WHERE i.id = "
    return [
        "CREATE TABLE search_seq (n INTEGER PRIMARY KEY)",
        "INSERT INTO search_seq (n) WITH RECURSIVE k(n) AS "
        f"(SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {_GRAM_CHUNK}) SELECT n FROM k",
        "CREATE VIRTUAL TABLE search_tri USING fts5("
        "doc, tokenize='trigram', content='', columnsize=0)",
        "CREATE VIRTUAL TABLE search_bi USING fts5(grams, "
        "tokenize='unicode61 remove_diacritics 0', content='', detail='none', "
        "columnsize=0, prefix='1')",
        f"CREATE TRIGGER search_incident_ai AFTER INSERT ON incident BEGIN {_TOO_BIG}\n"
        f"{_write('insert', 'NEW', _entries('NEW.id'), '')}\nEND",
        f"CREATE TRIGGER search_incident_au AFTER UPDATE ON incident WHEN {_INCIDENT_WHEN} "
        f"BEGIN {_TOO_BIG}\n{_write('delete', 'OLD', _entries('OLD.id'), '')}\n"
        f"{_write('insert', 'NEW', _entries('NEW.id'), '')}\nEND",
        f"CREATE TRIGGER search_incident_au_filters AFTER UPDATE ON incident "
        f"WHEN {_FILTERS_WHEN} BEGIN\n"
        f"{_write('delete', 'OLD', _entries('OLD.id'), '', grams_only=True)}\n"
        f"{_write('insert', 'NEW', _entries('NEW.id'), '', grams_only=True)}\nEND",
        "CREATE TRIGGER search_incident_ad AFTER DELETE ON incident BEGIN\n"
        f"{_write('delete', 'OLD', _entries('OLD.id'), '')}\nEND",
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
        "CREATE TRIGGER search_entry_au_moved AFTER UPDATE OF incident_id ON timeline_entry "
        "WHEN OLD.incident_id IS NOT NEW.incident_id BEGIN\n"
        f"{_write('delete', 'i', _entries('i.id', without='NEW'), at + 'NEW.incident_id')}\n"
        f"{_write('insert', 'i', _entries('i.id'), at + 'NEW.incident_id')}\nEND",
    ]


_DROP = [
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


def _fill() -> list[str]:
    # Fed in (almost) rowid order, then merged: one b-tree segment per table.
    source = "FROM incident i ORDER BY i.received_at, i.id"
    return [
        "INSERT INTO search_tri(search_tri) VALUES ('delete-all')",
        "INSERT INTO search_bi(search_bi) VALUES ('delete-all')",
        *_write("insert", "i", _entries("i.id"), source).split(";\n"),
        "INSERT INTO search_tri(search_tri) VALUES ('optimize')",
        "INSERT INTO search_bi(search_bi) VALUES ('optimize')",
    ]


def _install(execute: Callable[[str], Any]) -> None:
    for statement in [*_schema(), *_fill()]:
        execute(statement.rstrip(";"))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    if raw is None or not _has_trigram(raw):  # type: ignore[arg-type]
        return
    _install(bind.exec_driver_sql)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for statement in _DROP:
        bind.exec_driver_sql(statement)
