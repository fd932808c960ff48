"""daily report: a special period's 零报告, made once per 值班日

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00

Issue 12: during a special period (特殊时期) the desk owes its superior a report every
值班日 even when nothing happened (零报告), by the hour the rules set. This records that
the day's report was made: the day, whether it was a 零报告 or what it said, who and when.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("zero_report", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("recorded_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_date"),
    )


def downgrade() -> None:
    op.drop_table("daily_report")
