"""bulletin urgency: the 紧急程度 (特急/加急) a bulletin prints at its top left

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 18:00:00

Issue 14: GB/T 9704-2012 §7.2.3 prints a document's 紧急程度 (特急 or 加急) at the
top left of the 版头. ``bulletin`` gets ``urgency``: ``none`` (every bulletin drafted
before this revision, and the default), ``urgent`` (加急) or ``extra_urgent`` (特急).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(sa.Column("urgency", sa.String(16), nullable=False, server_default="none"))


def downgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_column("urgency")
