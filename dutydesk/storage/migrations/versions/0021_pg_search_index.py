"""PostgreSQL: an indexed search for every query length (pg_trgm plus a gram index)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 09:00:00

Issue 15: search on PostgreSQL read every row when nothing matched (LIKE fallback). Now
``search_doc`` holds one search document per incident, the same text SQLite's index
reads (serial, title, summary, location, reporter name and unit, then every timeline
entry's text and target in ``seq`` order, fields separated by newlines, each field's
first 20,000 characters), lower-cased; a classified incident's document is its serial
only, exactly as in SQLite's index (its content is sealed and never indexed in clear).

* ``search_doc_trgm``: GIN ``gin_trgm_ops`` on the document, for terms of 3+ characters
  (``doc LIKE '%term%'``). pg_trgm finds trigrams only inside what the database's
  LC_CTYPE calls letters and digits: Chinese counts under any UTF-8 locale, not under
  ``C``, so the gram index below is also used for long terms and works in every locale.
* ``search_doc_grams``: GIN over ``dutydesk_search_grams(doc)``, the distinct single
  characters and character pairs of the document (whitespace and pairs across a field
  boundary left out), for 1-2 character terms and as the pair prefilter of longer ones.
  An array GIN index is the "character-pair table" with compressed posting lists.
* ``search_doc_order``: B-tree on (received second, id), the result order (SQLite's
  rowid order), walked newest first while hits are common.

Kept right by row triggers on ``incident`` and ``timeline_entry`` (not the service
layer): like SQLite's, they keep the index right for every writer, the ORM, the demo
loader, a bulk ``INSERT ... SELECT`` and a ``psql`` session alike. A status change does
not touch the document. The backfill is one ``INSERT ... SELECT`` over all incidents;
the indexes are built after it.

pg_trgm is required: the migration stops with a message naming the package when the
server lacks it (Debian ships it in ``postgresql-15``/``postgresql-contrib``). It is a
trusted extension (PostgreSQL 13+), so a role with CREATE on the database may install
it. Downgrade leaves the extension installed (other schemas may use it).

SQLite: nothing to do (its FTS5 index is migration 0002's).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

CAP = 20_000
CLASSIFIED = "'confidential', 'secret', 'top_secret'"
NOTIFY_FUNCTION = "dutydesk_notify_changed"  # migration 0020's
NO_TRGM = (
    "PostgreSQL search index (migration 0021): the server has no pg_trgm extension; "
    "install the server's contrib package (Debian: postgresql-15 or postgresql-contrib) "
    "and run dutydesk init again"
)
_ENTRY = f"E'\\n' || left(e.text, {CAP}) || E'\\n' || left(e.target, {CAP})"
_FIELDS = " || E'\\n' || ".join(
    f"left(i.{field}, {CAP})"
    for field in ("serial", "title", "summary", "location", "reporter_name", "reporter_unit")
)
_SECOND = "greatest(floor(extract(epoch FROM i.received_at)), 0)::bigint"


def _row(entries: str) -> str:
    """SELECT list of one search_doc row of ``incident i``, ``entries`` its entry text."""
    return (
        f"i.id, {_SECOND}, lower(CASE WHEN i.classification IN ({CLASSIFIED}) "
        f"THEN i.serial ELSE {_FIELDS} || coalesce({entries}, '') END)"
    )


GRAMS = r"""
CREATE FUNCTION dutydesk_search_grams(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
    SELECT CASE WHEN k = 1 THEN c ELSE c || nxt END AS g
    FROM (
      SELECT c, lead(c) OVER (ORDER BY n) AS nxt
      FROM unnest(string_to_array(doc, NULL)) WITH ORDINALITY AS u(c, n)
    ) p CROSS JOIN (VALUES (1), (2)) AS v(k)
    WHERE c NOT IN (' ', E'\n', E'\t', E'\r', E'\u3000')
      AND (k = 1 OR nxt NOT IN (' ', E'\n', E'\t', E'\r', E'\u3000'))
  ) s
$$
"""
"""Distinct characters and adjacent pairs of ``doc``, whitespace left out: a query term
never holds whitespace (it is split on it), and a pair over a field boundary holds a
newline. ``string_to_array(doc, NULL)`` and ``lead`` keep it linear in the length."""

_ENTRIES_OF_I = (
    f"(SELECT string_agg({_ENTRY}, '' ORDER BY e.seq) FROM timeline_entry e "  # noqa: S608 - DDL from constants
    "WHERE e.incident_id = i.id)"
)
REFRESH = f"""
CREATE FUNCTION dutydesk_search_refresh(target bigint) RETURNS void
LANGUAGE sql VOLATILE AS $$
  DELETE FROM search_doc d WHERE d.incident_id = target
    AND NOT EXISTS (SELECT 1 FROM incident i WHERE i.id = target);
  INSERT INTO search_doc (incident_id, received_s, doc)
  SELECT {_row(_ENTRIES_OF_I)}
  FROM incident i WHERE i.id = target
  ON CONFLICT (incident_id) DO UPDATE
    SET received_s = EXCLUDED.received_s, doc = EXCLUDED.doc
    WHERE search_doc.received_s IS DISTINCT FROM EXCLUDED.received_s
       OR search_doc.doc IS DISTINCT FROM EXCLUDED.doc;
$$
"""  # noqa: S608 - DDL from constants
"""Recompute one incident's document from the tables (deleted: drop it)."""

TRIGGER_FUNCTION = """
CREATE FUNCTION dutydesk_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'incident' THEN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      PERFORM dutydesk_search_refresh(OLD.id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR OLD.id <> NEW.id) THEN
      PERFORM dutydesk_search_refresh(NEW.id);
    END IF;
  ELSE
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      PERFORM dutydesk_search_refresh(OLD.incident_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE')
       AND (TG_OP = 'INSERT' OR OLD.incident_id <> NEW.incident_id) THEN
      PERFORM dutydesk_search_refresh(NEW.incident_id);
    END IF;
  END IF;
  RETURN NULL;
END $$
"""
"""One trigger function for both tables: refresh the old and the new owner's document."""


def _changed(fields: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{f} IS DISTINCT FROM NEW.{f}" for f in fields)


_INCIDENT_FIELDS = (
    "id", "serial", "received_at", "title", "summary", "location",
    "reporter_name", "reporter_unit", "classification",
)  # fmt: skip
_ENTRY_FIELDS = ("id", "incident_id", "seq", "text", "target")

TRIGGERS = [
    "CREATE TRIGGER search_incident_ai AFTER INSERT OR DELETE ON incident "
    "FOR EACH ROW EXECUTE FUNCTION dutydesk_search_sync()",
    # A status, deadline or version change leaves the document alone.
    f"CREATE TRIGGER search_incident_au AFTER UPDATE ON incident FOR EACH ROW "
    f"WHEN ({_changed(_INCIDENT_FIELDS)}) EXECUTE FUNCTION dutydesk_search_sync()",
    "CREATE TRIGGER search_entry_aid AFTER INSERT OR DELETE ON timeline_entry "
    "FOR EACH ROW EXECUTE FUNCTION dutydesk_search_sync()",
    # The hash chain stamps every entry after its insert: that update changes no text.
    f"CREATE TRIGGER search_entry_au AFTER UPDATE ON timeline_entry FOR EACH ROW "
    f"WHEN ({_changed(_ENTRY_FIELDS)}) EXECUTE FUNCTION dutydesk_search_sync()",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first()
    if available is None:
        raise RuntimeError(NO_TRGM)
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE TABLE search_doc (incident_id bigint PRIMARY KEY, "
        "received_s bigint NOT NULL, doc text NOT NULL)"
    )
    op.execute(GRAMS)
    # Backfill in one statement: each incident's entries aggregated by one GROUP BY.
    op.execute(
        "INSERT INTO search_doc (incident_id, received_s, doc) "  # noqa: S608 - DDL from constants
        f"SELECT {_row('x.entries')} FROM incident i LEFT JOIN ("
        f"SELECT e.incident_id, string_agg({_ENTRY}, '' ORDER BY e.seq) AS entries "
        "FROM timeline_entry e GROUP BY e.incident_id) x ON x.incident_id = i.id"
    )
    op.execute("CREATE INDEX search_doc_order ON search_doc (received_s, incident_id)")
    op.execute("CREATE INDEX search_doc_trgm ON search_doc USING gin (doc gin_trgm_ops)")
    op.execute("CREATE INDEX search_doc_grams ON search_doc USING gin (dutydesk_search_grams(doc))")
    op.execute("ANALYZE search_doc")
    op.execute(REFRESH)
    op.execute(TRIGGER_FUNCTION)
    for statement in TRIGGERS:
        op.execute(statement)
    # Migration 0020: every table notifies the consoles of this database.
    op.execute(
        "CREATE TRIGGER dutydesk_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON search_doc FOR EACH STATEMENT EXECUTE FUNCTION {NOTIFY_FUNCTION}()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, table in (
        ("search_entry_au", "timeline_entry"),
        ("search_entry_aid", "timeline_entry"),
        ("search_incident_au", "incident"),
        ("search_incident_ai", "incident"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute("DROP TABLE IF EXISTS search_doc")
    op.execute("DROP FUNCTION IF EXISTS dutydesk_search_sync()")
    op.execute("DROP FUNCTION IF EXISTS dutydesk_search_refresh(bigint)")
    op.execute("DROP FUNCTION IF EXISTS dutydesk_search_grams(text)")
