"""sealed itinerary: a classified leader's itinerary holds an envelope (TEXT)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 15:30:00

Issue 13: on an accredited classified network a classified itinerary (外出报备) keeps its
destination, reason and contact phone sealed. An envelope (``enc:v1:...``) is a hundred
characters and more, longer than the VARCHAR(32..256) these columns had: on PostgreSQL
they become TEXT (as migration 0017 did for an incident's details). SQLite does not
enforce a VARCHAR length: nothing to do.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_WIDENED = {"destination": 128, "reason": 256, "contact_phone": 32}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, length in _WIDENED.items():
        op.alter_column(
            "leave_registration", column, type_=sa.Text(), existing_type=sa.String(length=length)
        )


def downgrade() -> None:
    # An envelope does not fit the old width: PostgreSQL refuses the cast rather than cut it.
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, length in _WIDENED.items():
        op.alter_column(
            "leave_registration", column, type_=sa.String(length=length), existing_type=sa.Text()
        )
