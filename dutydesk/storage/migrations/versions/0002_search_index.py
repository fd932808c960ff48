"""search index: FTS5 trigram + 2-character gram tables, triggers, backfill

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00

SQLite only, and only where FTS5 has the trigram tokenizer (3.34+): other databases,
and older SQLite libraries, are searched by ``LikeSearchIndex`` (correct, slower).
The DDL lives in ``dutydesk.storage.search`` next to the queries that depend on it; a later
change of the index layout gets a new migration that drops and reinstalls it.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from dutydesk.storage.search import install_sqlite, sqlite_has_trigram

    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    if raw is None or not sqlite_has_trigram(raw):  # type: ignore[arg-type]
        return
    install_sqlite(bind.exec_driver_sql)


def downgrade() -> None:
    from dutydesk.storage.search import SQLITE_DROP

    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for statement in SQLITE_DROP:
        bind.exec_driver_sql(statement)
