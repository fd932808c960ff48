"""shift handover: a record at every change of shift, signed by three

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:00:00

Issue 12: one pack per workday meeting left Friday 08:30 to Monday 08:30 as one pack and
weekend changes of shift with no record. Every change of shift now gets its own record
(交接班记录): the outgoing shift, what it hands over (a snapshot of the pack for its
period), and the signatures of the 交班人, the 接班人 and the 带班领导, each with its time.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shift_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_date", sa.Date(), nullable=False),
        sa.Column("shift_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outgoing_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("outgoing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incoming_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("incoming_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leader_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("leader_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shift_date", "shift_kind", name="uq_shift_handover_shift"),
    )
    op.create_index("ix_shift_handover_changed_at", "shift_handover", ["changed_at"])


def downgrade() -> None:
    op.drop_index("ix_shift_handover_changed_at", table_name="shift_handover")
    op.drop_table("shift_handover")
