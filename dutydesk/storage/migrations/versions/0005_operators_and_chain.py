"""operators and the record's integrity: credentials, hash chain, handover chain head

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:00:00

* ``credential``: a person's PIN hash and lockout state (apart from ``person``, so that
  reading people never carries a hash);
* ``timeline_entry`` and ``audit_event`` get ``chain_seq``/``prev_hash``/``hash``: one
  hash chain over both tables (``dutydesk.rules.chain``); existing rows are linked here,
  in order of recording, so an upgraded database verifies from its first record;
* ``chain_state``: the one row holding the chain's head (what every append locks);
* ``handover.chain_head``: the head when a handover was acknowledged, so ``verify``
  notices the newest records being deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CHAINED = ("timeline_entry", "audit_event")
_TIMES = {"occurred_at", "recorded_at", "due_at"}


def _backfill() -> None:
    from dutydesk.rules.chain import CHAINED_COLUMNS, GENESIS, link_hash
    from dutydesk.storage.engine import as_utc

    bind = op.get_bind()
    records = []
    for order, table in enumerate(_CHAINED):
        columns = CHAINED_COLUMNS[table]
        when = "recorded_at" if table == "timeline_entry" else "occurred_at"
        rows = bind.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).all()
        for row in rows:
            content = {
                name: as_utc(value) if name in _TIMES else value
                for name, value in zip(columns, row[1:], strict=True)
            }
            records.append((content[when], order, row[0], table, content))
    records.sort(key=lambda item: item[:3])
    previous = GENESIS
    for seq, (_, _, row_id, table, content) in enumerate(records, start=1):
        digest = link_hash(previous, table, seq, content)
        bind.execute(
            sa.text(
                f"UPDATE {table} SET chain_seq = :seq, prev_hash = :prev, hash = :hash "
                "WHERE id = :id"
            ),
            {"seq": seq, "prev": previous, "hash": digest, "id": row_id},
        )
        previous = digest
    bind.execute(
        sa.text("INSERT INTO chain_state (id, seq, hash) VALUES (1, :seq, :hash)"),
        {"seq": len(records), "hash": previous},
    )


def upgrade() -> None:
    op.create_table(
        "credential",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("pin_hash", sa.String(length=256), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "chain_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for table in _CHAINED:  # plain ALTER TABLE ADD COLUMN: no table copy, triggers kept
        op.add_column(table, sa.Column("chain_seq", sa.Integer(), nullable=True))
        op.add_column(table, sa.Column("prev_hash", sa.String(length=64), nullable=True))
        op.add_column(table, sa.Column("hash", sa.String(length=64), nullable=True))
        op.create_index(f"ix_{table}_chain_seq", table, ["chain_seq"], unique=True)
    op.add_column("handover", sa.Column("chain_head", sa.String(length=80), nullable=True))
    _backfill()


def downgrade() -> None:
    op.drop_column("handover", "chain_head")
    # Not batch mode: re-creating timeline_entry would trip the search triggers of 0002
    # (SQLite 3.35+ drops a column in place once its index is gone).
    for table in _CHAINED:
        op.drop_index(f"ix_{table}_chain_seq", table_name=table)
        for column in ("hash", "prev_hash", "chain_seq"):
            op.drop_column(table, column)
    op.drop_table("chain_state")
    op.drop_table("credential")
