"""bulletins: review/sign-off/discard fields and the webhook delivery queue

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00

* ``bulletin``: ``reviewed_by``/``reviewed_at`` (审核), ``signed_off_at`` (签发) and
  ``discarded_at`` (a draft dropped before issue keeps no number); an index on
  ``(status, created_at)`` for ``bulletin list`` and the handover's "bulletins issued";
* ``bulletin_delivery``: each webhook message of a short version, with its state, so a
  failed delivery is kept and retried, never lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add columns with defaults to a table with constraints
    # in place on every version, and the batch copy keeps uq_bulletin_number intact.
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(
            sa.Column("reviewed_by", sa.String(length=64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_bulletin_status_created", ["status", "created_at"])
    op.create_table(
        "bulletin_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletin.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bulletin_delivery_bulletin_id", "bulletin_delivery", ["bulletin_id"])
    op.create_index("ix_bulletin_delivery_state", "bulletin_delivery", ["state"])


def downgrade() -> None:
    op.drop_index("ix_bulletin_delivery_state", table_name="bulletin_delivery")
    op.drop_index("ix_bulletin_delivery_bulletin_id", table_name="bulletin_delivery")
    op.drop_table("bulletin_delivery")
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_index("ix_bulletin_status_created")
        for column in ("discarded_at", "signed_off_at", "reviewed_at", "reviewed_by"):
            batch.drop_column(column)
