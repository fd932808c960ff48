"""PostgreSQL search: one stored key array (grams and filter tokens) under one GIN index

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 03:30:00

Issue 15 asks for search p95 under 20 ms at 1M incidents. Migration 0021's gram index
was an expression index over ``dutydesk_search_grams(doc)``, and filters were checked on
the incident row per candidate: a common word with a filter nothing passed read every
candidate (1-2 s), and building the index on a million documents called the SQL gram
function a million times (about 2 ms each).

* ``search_doc.keys``: the document's grams (``dutydesk_search_grams(doc)``, unchanged)
  plus one filter token per status, category, severity, channel and open flag, the
  tokens SQLite's gram table holds (``\\ue000`` + a letter + the value without
  underscores, open as ``1``/``0``; never a gram: those are 1-2 characters). A query's
  grams and filters are ONE ``@>`` that GIN intersects itself, the rarest list first.
  Stored, so a bulk load can compute it outside the server and a GIN build reads it.
* ``search_doc_keys``: GIN on ``keys``; ``search_doc_grams`` (the expression index) and
  ``search_doc_trgm`` (pairs already narrow 3+ character terms, in every locale) go.
* The refresh function writes ``keys``; the incident trigger also fires on a change of
  status, category, severity, channel or the open flag (the tokens follow the row).

Backfill: one ``UPDATE ... FROM incident`` with the indexes dropped, then the GIN build.

SQLite: nothing to do (its gram table has held filter tokens since migration 0002).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

CAP = 20_000
CLASSIFIED = "'confidential', 'secret', 'top_secret'"
MARK = "E'\\uE000'"

KEYS = f"""
CREATE FUNCTION dutydesk_search_keys(
  doc text, status text, category text, severity text, channel text, is_open boolean
) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT dutydesk_search_grams(doc) || ARRAY[
    {MARK} || 's' || replace(status, '_', ''),
    {MARK} || 'c' || replace(category, '_', ''),
    {MARK} || 'v' || replace(severity, '_', ''),
    {MARK} || 'h' || replace(channel, '_', ''),
    {MARK} || 'o' || CASE WHEN is_open THEN '1' ELSE '0' END
  ]
$$
"""
"""The key array of one document: its grams, then its incident's filter tokens."""

_ENTRY = f"E'\\n' || left(e.text, {CAP}) || E'\\n' || left(e.target, {CAP})"
_FIELDS = " || E'\\n' || ".join(
    f"left(i.{field}, {CAP})"
    for field in ("serial", "title", "summary", "location", "reporter_name", "reporter_unit")
)
_SECOND = "greatest(floor(extract(epoch FROM i.received_at)), 0)::bigint"
_ENTRIES_OF_I = (
    f"(SELECT string_agg({_ENTRY}, '' ORDER BY e.seq) FROM timeline_entry e "  # noqa: S608 - DDL from constants
    "WHERE e.incident_id = i.id)"
)
_DOC = (
    f"lower(CASE WHEN i.classification IN ({CLASSIFIED}) "
    f"THEN i.serial ELSE {_FIELDS} || coalesce({_ENTRIES_OF_I}, '') END)"
)


def _refresh(with_keys: bool) -> str:
    """``dutydesk_search_refresh``: 0021's, plus the key array when ``with_keys``."""
    columns = "incident_id, received_s, doc" + (", keys" if with_keys else "")
    keys = (
        ", dutydesk_search_keys(x.doc, x.status, x.category, x.severity, x.channel, x.is_open)"
        if with_keys
        else ""
    )
    also = ", keys = EXCLUDED.keys" if with_keys else ""
    also_when = " OR search_doc.keys IS DISTINCT FROM EXCLUDED.keys" if with_keys else ""
    return f"""
CREATE OR REPLACE FUNCTION dutydesk_search_refresh(target bigint) RETURNS void
LANGUAGE sql VOLATILE AS $$
  DELETE FROM search_doc d WHERE d.incident_id = target
    AND NOT EXISTS (SELECT 1 FROM incident i WHERE i.id = target);
  INSERT INTO search_doc ({columns})
  SELECT x.id, x.received_s, x.doc{keys} FROM (
    SELECT i.id, {_SECOND} AS received_s, {_DOC} AS doc, i.status, i.category,
      i.severity, i.channel, i.is_open
    FROM incident i WHERE i.id = target) x
  ON CONFLICT (incident_id) DO UPDATE
    SET received_s = EXCLUDED.received_s, doc = EXCLUDED.doc{also}
    WHERE search_doc.received_s IS DISTINCT FROM EXCLUDED.received_s
       OR search_doc.doc IS DISTINCT FROM EXCLUDED.doc{also_when};
$$
"""  # noqa: S608 - DDL from constants


_CONTENT = (
    "id", "serial", "received_at", "title", "summary", "location",
    "reporter_name", "reporter_unit", "classification",
)  # fmt: skip
_FILTERS = ("status", "category", "severity", "channel", "is_open")


def _incident_update_trigger(fields: tuple[str, ...]) -> str:
    changed = " OR ".join(f"OLD.{f} IS DISTINCT FROM NEW.{f}" for f in fields)
    return (
        "CREATE TRIGGER search_incident_au AFTER UPDATE ON incident FOR EACH ROW "
        f"WHEN ({changed}) EXECUTE FUNCTION dutydesk_search_sync()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_doc ADD COLUMN keys text[] NOT NULL DEFAULT '{}'")
    op.execute(KEYS)
    # Drop first: the UPDATE below would otherwise maintain both GIN indexes row by row.
    op.execute("DROP INDEX IF EXISTS search_doc_grams")
    op.execute("DROP INDEX IF EXISTS search_doc_trgm")
    op.execute(
        "UPDATE search_doc d SET keys = dutydesk_search_keys(d.doc, i.status, i.category, "
        "i.severity, i.channel, i.is_open) FROM incident i WHERE i.id = d.incident_id"
    )
    op.execute("CREATE INDEX search_doc_keys ON search_doc USING gin (keys)")
    op.execute("ANALYZE search_doc")
    op.execute(_refresh(with_keys=True))
    op.execute("DROP TRIGGER search_incident_au ON incident")
    # A status change now rewrites the tokens (a deadline or version change still not).
    op.execute(_incident_update_trigger(_CONTENT + _FILTERS))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER search_incident_au ON incident")
    op.execute(_incident_update_trigger(_CONTENT))
    op.execute(_refresh(with_keys=False))
    op.execute("DROP INDEX IF EXISTS search_doc_keys")
    op.execute("ALTER TABLE search_doc DROP COLUMN keys")
    op.execute(
        "DROP FUNCTION IF EXISTS dutydesk_search_keys(text, text, text, text, text, boolean)"
    )
    op.execute("CREATE INDEX search_doc_trgm ON search_doc USING gin (doc gin_trgm_ops)")
    op.execute("CREATE INDEX search_doc_grams ON search_doc USING gin (dutydesk_search_grams(doc))")
