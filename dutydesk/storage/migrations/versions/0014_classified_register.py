"""classified register: register mode keeps a classified item's register, not its content

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 12:00:00

Issue 13: on an ordinary workstation (register mode, the default deployment) the desk
keeps of a classified item only its register: the organ, 文号, ★保密期限, 份数 and 份号,
签收人 (``classified_register``), and each copy's 呈批/传阅/清退/销毁 with its signing
back (``register_copy``, beside the chained timeline entry that records the movement).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classified_register",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("organ", sa.String(length=128), nullable=False, server_default=""),
        sa.Column("outgoing", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("doc_no", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("period", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("copies", sa.Integer(), nullable=True),
        sa.Column("copy_no", sa.Integer(), nullable=True),
        sa.Column("signer", sa.String(length=64), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_table(
        "register_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("copy_no", sa.Integer(), nullable=True),
        sa.Column("holder", sa.String(length=128), nullable=False, server_default=""),
        sa.Column("signed_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_back_by", sa.String(length=64), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["timeline_entry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id"),
    )
    op.create_index("ix_register_copy_incident_id", "register_copy", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_register_copy_incident_id", table_name="register_copy")
    op.drop_table("register_copy")
    op.drop_table("classified_register")
