"""pg search filter walks: one ordered index per search filter on PostgreSQL

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 14:00:00

Issue 15: a search for text with filters (火灾, category 事故灾难, severity Ⅰ) walked the
newest documents in order on ``search_doc_order`` and checked each one. With the filters
passed by one document in twenty and the text by one in twelve, a page of 50 took a walk
of 12,400 documents: 20 ms in the server at 1M incidents, the query kind farthest over
the issue's 20 ms p95.

``search_doc.keys`` ends with the incident's five filter tokens, in a fixed order
(migration 0025's ``dutydesk_search_keys``: status, category, severity, channel, open).
Each gets an index on ``(token, received_s, incident_id)``, so a walk restricted to one
filter value is read newest first from its own index: the walk above reads the 2,500
documents of its category instead of 12,400, or 600 when the planner takes the severity.
The search picks nothing itself: it states every single-valued filter as an equality on
its token and the planner takes the index with the fewest rows.

The indexes take about 40 MB each at 1M incidents and 15 s each to build there; every
write of a search document updates them (a document is written on an incident's save).

SQLite: nothing (its FTS5 tables hold the filter tokens as terms).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

POSITIONS = {"status": 4, "category": 3, "severity": 2, "channel": 1, "open": 0}
"""Each filter token's place counted back from the end of ``keys`` (0: the last)."""


def index_sql(name: str, back: int) -> str:
    """The index on one filter token, newest first within each value."""
    # The same expression as the search's walk (storage/search.py ``pg_token_at``), "- 0"
    # included: the planner matches an index to a query by the expression's form.
    return (
        f"CREATE INDEX search_doc_by_{name} ON search_doc "
        f"((keys[array_upper(keys, 1) - {back}]), received_s, incident_id)"
    )


def upgrade() -> None:
    """Create the five indexes (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, back in POSITIONS.items():
        op.execute(index_sql(name, back))
    op.execute("ANALYZE search_doc")  # the planner's row estimates for each token


def downgrade() -> None:
    """Drop them."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in POSITIONS:
        op.execute(f"DROP INDEX IF EXISTS search_doc_by_{name}")
