"""open count: the number of open incidents, kept by the store on every write

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 09:20:00

Issue 16: the console's status line and the queue's height were a ``count(*)`` of
``ix_incident_queue`` (about 100 ms at 1,000,000 open incidents, on every reload). Now
one row, ``open_count.open_count``, is kept right by triggers on ``incident``: an insert
of an open incident adds one, a delete of one takes one away, an update that opens or
closes one moves it by one. Being triggers, they count every writer: console, CLI, the
demo loader, a script, a restore that loads rows with them on.

Concurrent writers: SQLite has one writer at a time. On PostgreSQL the trigger's
``UPDATE ... SET open_count = open_count + delta`` locks the one row until commit, and
under READ COMMITTED a waiting writer re-reads it after the first commits, so no change
is lost (writers already wait for each other on the chain head, ``chain_state``). A
``TRUNCATE`` of ``incident`` sets it to zero.

A load that bypasses the triggers (``ALTER TABLE ... DISABLE TRIGGER``, a data-only
restore with ``--disable-triggers``) leaves it wrong: ``dutydesk verify`` compares it
with a ``count(*)`` and sets it right, saying so.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_CREATE = (
    "CREATE TABLE open_count (id INTEGER PRIMARY KEY CHECK (id = 1), open_count BIGINT NOT NULL)"
)
_FILL = (
    "INSERT INTO open_count (id, open_count) SELECT 1, count(*) FROM incident WHERE is_open = TRUE"
)
_BUMP = "UPDATE open_count SET open_count = open_count + {delta} WHERE id = 1"

SQLITE_TRIGGERS = (
    "CREATE TRIGGER open_count_insert AFTER INSERT ON incident WHEN NEW.is_open BEGIN "
    f"{_BUMP.format(delta=1)}; END",
    "CREATE TRIGGER open_count_delete AFTER DELETE ON incident WHEN OLD.is_open BEGIN "
    f"{_BUMP.format(delta=-1)}; END",
    "CREATE TRIGGER open_count_update AFTER UPDATE OF is_open ON incident "
    "WHEN NEW.is_open IS NOT OLD.is_open BEGIN "
    f"{_BUMP.format(delta='(CASE WHEN NEW.is_open THEN 1 ELSE -1 END)')}; END",
)

PG_FUNCTION = """
CREATE FUNCTION dutydesk_open_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := 0;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE open_count SET open_count = 0 WHERE id = 1;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.is_open THEN delta := delta + 1; END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.is_open THEN delta := delta - 1; END IF;
  END IF;
  IF delta <> 0 THEN
    UPDATE open_count SET open_count = open_count + delta WHERE id = 1;
  END IF;
  RETURN NULL;
END $$
"""

PG_TRIGGERS = (
    "CREATE TRIGGER open_count_rows AFTER INSERT OR DELETE OR UPDATE OF is_open ON incident "
    "FOR EACH ROW EXECUTE FUNCTION dutydesk_open_count()",
    "CREATE TRIGGER open_count_truncate AFTER TRUNCATE ON incident "
    "FOR EACH STATEMENT EXECUTE FUNCTION dutydesk_open_count()",
    # Migration 0020: every table tells the consoles of a write.
    "CREATE TRIGGER dutydesk_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
    "ON open_count FOR EACH STATEMENT EXECUTE FUNCTION dutydesk_notify_changed()",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # No write may slip between the fill and the triggers (a concurrent intake
        # during the upgrade would be missed): hold writers of incident off meanwhile.
        op.execute("LOCK TABLE incident IN SHARE ROW EXCLUSIVE MODE")
    op.execute(_CREATE)
    op.execute(_FILL)
    if postgres:
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS open_count_rows ON incident")
        op.execute("DROP TRIGGER IF EXISTS open_count_truncate ON incident")
        op.execute("DROP TABLE open_count")
        op.execute("DROP FUNCTION IF EXISTS dutydesk_open_count()")
        return
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS open_count_{name}")
    op.execute("DROP TABLE open_count")
