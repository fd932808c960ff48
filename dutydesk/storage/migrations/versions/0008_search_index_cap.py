"""search index: index the first 20,000 characters of each text

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 22:00:00

A 1 MB paste indexed whole made every write on its incident rebuild megabytes of search
grams inside the write lock (44 s to register it, 31 s for each follow-up entry, while
every other console waited). The triggers now index the first
``dutydesk.storage.search.INDEX_CAP`` characters of each field and timeline text.

Only incidents with a longer text are re-indexed: their uncapped documents are deleted
with the old expressions before the triggers are replaced, then written capped. Every
other document is the same either way, so a large database upgrades in moments.
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


def upgrade() -> None:
    from dutydesk.storage.search import INDEX_CAP, _entries, _write, sqlite_schema

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
        f"length(reporter_name), length(reporter_unit)) > {INDEX_CAP} "
        "UNION SELECT incident_id FROM timeline_entry "
        f"WHERE max(length(text), length(target)) > {INDEX_CAP}"
    )
    source = f"FROM incident i WHERE i.id IN ({long_ids})"
    for statement in _write("delete", "i", _entries("i.id"), source, cap=None).split(";\n"):
        bind.exec_driver_sql(statement.rstrip(";"))
    for name in _TRIGGERS:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for statement in sqlite_schema():
        if statement.startswith("CREATE TRIGGER"):
            bind.exec_driver_sql(statement)
    for statement in _write("insert", "i", _entries("i.id"), source).split(";\n"):
        bind.exec_driver_sql(statement.rstrip(";"))


def downgrade() -> None:
    # The uncapped triggers would only bring back the slow writes; the index is kept.
    pass
