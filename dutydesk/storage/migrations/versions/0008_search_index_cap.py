"""search index: index the first 20,000 characters of each text

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 22:00:00

A 1 MB paste indexed whole made every write on its incident rebuild megabytes of search
grams inside the write lock (44 s to register it, 31 s for each follow-up entry, while
every other console waited). The triggers now index the
first 20,000 characters of each field and timeline text.

Only incidents with a longer text are re-indexed: their uncapped documents are deleted
with the old expressions before the triggers are replaced, then written capped. Every
other document is the same either way, so a large database upgrades in moments.

Frozen: the SQL below is the index layout of this revision (the first 20,000 characters
of each text; classified incidents by serial only), copied from ``dutydesk.storage.search``
as it was when this migration was written. Nothing here imports dutydesk; do not edit it
to follow the live module: a new layout gets a new migration.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TRIGGERS = (
    "search_entry_au_moved",
    "search_entry_au",
    "search_entry_ad",
    "search_entry_ai",
    "search_incident_ad",
    "search_incident_au_filters",
    "search_incident_au",
    "search_incident_ai",
)


_KEY_ID_BITS = 29
_KEY_ID_MASK = (1 << _KEY_ID_BITS) - 1
_GRAM_CHUNK = 1000
_INDEX_CAP = 20_000
_FILTER_MARK = "\ue000"
_FILTER_COLUMNS = {"status": "s", "category": "c", "severity": "v", "channel": "h", "is_open": "o"}
_CLASSIFIED_LEVELS = ("confidential", "secret", "top_secret")


def _key_sql(row: str) -> str:
    seconds = f"max(coalesce(CAST(strftime('%s', {row}.received_at) AS INTEGER), 0), 0)"
    return f"(({seconds} << {_KEY_ID_BITS}) | {row}.id)"


def _is_classified(row: str) -> str:
    levels = ", ".join(f"'{level}'" for level in _CLASSIFIED_LEVELS)
    return f"{row}.classification IN ({levels})"


def _capped(value: str, cap: int | None) -> str:
    return value if cap is None else f"substr({value}, 1, {cap})"


def _incident_text(row: str, cap: int | None = _INDEX_CAP) -> str:
    # A classified incident is indexed by its serial only: its content is sealed.
    fields = ("serial", "title", "summary", "location", "reporter_name", "reporter_unit")
    text = " || char(10) || ".join(_capped(f"{row}.{field}", cap) for field in fields)
    return f"(CASE WHEN {_is_classified(row)} THEN {row}.serial ELSE {text} END)"


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


def _doc(row: str, entries: str, cap: int | None = _INDEX_CAP) -> str:
    return (
        f"{_incident_text(row, cap)} || (CASE WHEN {_is_classified(row)} THEN '' ELSE "
        "coalesce((SELECT group_concat(x, '') FROM ("
        f"SELECT char(10) || {_capped('text', cap)} || char(10) || {_capped('target', cap)} "
        f"AS x FROM ({entries}) ORDER BY seq)), '') END)"
    )


def _filter_tokens_sql(row: str) -> str:
    parts = [
        f"char({ord(_FILTER_MARK)}) || '{letter}' || replace({row}.{column}, '_', '')"
        for column, letter in _FILTER_COLUMNS.items()
    ]
    return " || ' ' || ".join(parts)


def _doc_grams(row: str, entries: str, cap: int | None = _INDEX_CAP) -> str:
    entry = _grams(
        f"(char(10) || {_capped('x.text', cap)} || char(10) || {_capped('x.target', cap)})"
    )
    return (
        f"{_grams(_incident_text(row, cap))} || ' ' || (CASE WHEN {_is_classified(row)} THEN '' "
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
    cap: int | None = _INDEX_CAP,
) -> str:
    # cap=None writes the uncapped documents of revisions 0006 and 0007.
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
    f"WHERE NEW.id > {_KEY_ID_MASK};"
)


def _triggers() -> list[str]:
    """The capped triggers (the tables of 0006 stay as they are)."""
    at = "FROM incident i WHERE i.id = "
    return [
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


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    installed = bind.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE name IN ('search_tri', 'search_bi')"
    ).scalar()
    if installed != 2:
        return  # no FTS5 index here (searches use LIKE): nothing to re-index
    long_ids = (
        "SELECT id FROM incident WHERE max(length(title), length(summary), length(location), "
        f"length(reporter_name), length(reporter_unit)) > {_INDEX_CAP} "
        "UNION SELECT incident_id FROM timeline_entry "
        f"WHERE max(length(text), length(target)) > {_INDEX_CAP}"
    )
    source = f"FROM incident i WHERE i.id IN ({long_ids})"
    for statement in _write("delete", "i", _entries("i.id"), source, cap=None).split(";\n"):
        bind.exec_driver_sql(statement.rstrip(";"))
    for name in _TRIGGERS:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for statement in _triggers():
        bind.exec_driver_sql(statement)
    for statement in _write("insert", "i", _entries("i.id"), source).split(";\n"):
        bind.exec_driver_sql(statement.rstrip(";"))


def downgrade() -> None:
    # The uncapped triggers would only bring back the slow writes; the index is kept.
    pass
