"""leave registration: the whole 外出报备 (phone while away, approval, type, 销假)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:30:00

Issue 12: a leader's report of absence (领导干部外出报备) names a contact number while
away, to whom it was reported or who approved it, its type (公务, 因私, 出国（境）) and,
once back, the actual return (销假). Existing registrations are official trips with no
number or approver recorded, not yet back-reported.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "leave_registration",
        sa.Column("contact_phone", sa.String(length=32), nullable=False, server_default=""),
    )
    op.add_column(
        "leave_registration",
        sa.Column("approved_by", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "leave_registration",
        sa.Column("leave_type", sa.String(length=16), nullable=False, server_default="official"),
    )
    op.add_column(
        "leave_registration", sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    for column in ("returned_at", "leave_type", "approved_by", "contact_phone"):
        op.drop_column("leave_registration", column)
