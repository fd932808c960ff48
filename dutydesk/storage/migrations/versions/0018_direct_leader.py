"""direct leader: the leader a 《信息直呈》 is presented to

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 12:00:00

Issue 13: a 《信息直呈》 goes to the named leader, not a group robot. ``bulletin`` gets
``leader_id`` (the person it is presented to, NULL for a 《信息快报》 and for a 直呈
drafted before this revision); its short version is addressed to that leader and never
posted to the group webhook.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(sa.Column("leader_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_bulletin_leader", "person", ["leader_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_constraint("fk_bulletin_leader", type_="foreignkey")
        batch.drop_column("leader_id")
