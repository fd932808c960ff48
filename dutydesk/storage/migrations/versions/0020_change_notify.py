"""PostgreSQL: every write to a dutydesk table notifies the consoles of this database

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 15:20:00

Issue 15: other consoles learned of a write by polling the server's transaction
snapshot, which every write to any database on the server moves. Now a statement-level
trigger on each table calls ``pg_notify('dutydesk_changed', '')``; PostgreSQL delivers
a notification only to sessions LISTENing in the same database, at the writer's commit
(never for a rolled-back write), folding repeats within one transaction. Being a
trigger, it covers every writer: console, CLI, the demo loader, a script.

A migration that adds a table adds the trigger with it (``tests/test_postgres.py``
checks that every table has one). SQLite: nothing to do (consoles read
``PRAGMA data_version``).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

CHANNEL = "dutydesk_changed"
FUNCTION = "dutydesk_notify_changed"
TRIGGER = "dutydesk_changed"


def _tables() -> list[str]:
    names = sa.inspect(op.get_bind()).get_table_names()
    return sorted(name for name in names if name != "alembic_version")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
    )
    for table in _tables():
        op.execute(
            f'CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables():
        op.execute(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
