"""pg search day keys: a second GIN index whose keys carry the document's day

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 02:00:00

Issue 15: a key in a sixth of the documents but in none of the newest (县 at 1M) was
read through ``search_doc_keys``, whose posting list for it holds 159,000 documents:
30-50 ms a read *whatever the time window*, because GIN keeps no order to stop in and
a window is a filter after it.

Here each document's grams are indexed once more under its day: ``'20417|县'`` for a
document received on UTC day 20417 (``received_s / 86400``). A search walks the days
newest first, one GIN key a day, and stops when the page is full: a day's posting list
is a few hundred documents at most (县 at 1M: 28 a day in the newest weeks), a day
without the key is one descent of the entry tree.

An expression index, not a column: nothing is stored in the table, every writer keeps
it right (PostgreSQL computes the expression on each write of a row), and a document
whose ``received_s`` changes moves to its new day by itself. The filter tokens (the last
five keys, migration 0025) are left out: the day walk is never asked for them.

Without a pending list (``fastupdate = off``, see ``INDEX``): each write puts its day
keys in the index at once, as a search reads the pending list whole at every day.

At 1M incidents: 284 MB (the plain GIN index: 151 MB), 94 s to build.

SQLite: nothing (its FTS5 rowids already hold the received second).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION dutydesk_search_day_keys(keys text[], received_s bigint)
RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT ARRAY(SELECT ($2 / 86400)::text || '|' || k FROM unnest($1[1:array_upper($1, 1) - 5]) k)
$$
"""
"""Each gram of ``keys`` (all but the five filter tokens at its end) under its day."""

INDEX = (
    "CREATE INDEX search_doc_day_keys ON search_doc "
    "USING gin (dutydesk_search_day_keys(keys, received_s)) WITH (fastupdate = off)"
)
"""Without GIN's pending list: a search reads that whole list at every day it walks. At
1M, 2,000 document writes left pending (491 pages) took the server's CPU for 县 from
3 to 17 ms, 南岗村 from 4 to 176, 新区城 from 15 to 440; every write now puts its day
keys in the index at once."""


def upgrade() -> None:
    """Create the function and the index (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    # The build collects its entries in this memory before writing them out (default 64 MB).
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(INDEX)
    op.execute("ANALYZE search_doc")  # the expression's statistics


def downgrade() -> None:
    """Drop them."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS search_doc_day_keys")
    op.execute("DROP FUNCTION IF EXISTS dutydesk_search_day_keys(text[], bigint)")
