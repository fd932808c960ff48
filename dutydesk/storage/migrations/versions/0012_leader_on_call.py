"""assignment: the duty leader 在岗 or 电话带班

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:20:00

Issue 12: a duty leader (带班领导) either sits at the desk (在岗) or leads by phone
(电话带班); the roster says which, beside the contact numbers. Existing seats are 在岗.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "assignment",
        sa.Column("on_call", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("assignment", "on_call")
