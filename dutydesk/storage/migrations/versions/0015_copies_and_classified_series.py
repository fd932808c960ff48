"""copies: a classified bulletin series, and the 份号 and distribution log of classified copies

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-04 12:00:00

Issue 13: classified bulletins are numbered in a series of their own (the open series
keeps its numbers without gaps), so ``bulletin`` gets ``series`` ('open' or
'classified') and its unique number becomes (kind, series, year, issue_no); existing
bulletins stay in the open series, as they were numbered. Every classified copy printed
(a bulletin, a handover pack, a daily summary) takes the next 份号 of its document and is
logged in ``document_copy``: who printed it when, to whom it was given and when it came
back (分发、签收、清退).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot drop a table constraint in place: the batch copy rebuilds the table.
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(
            sa.Column("series", sa.String(length=16), nullable=False, server_default="open")
        )
        batch.drop_constraint("uq_bulletin_number", type_="unique")
        batch.create_unique_constraint(
            "uq_bulletin_series_number", ["kind", "series", "year", "issue_no"]
        )
    op.create_table(
        "document_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("copy_no", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("given_to", sa.String(length=64), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document", "copy_no", name="uq_document_copy"),
    )


def downgrade() -> None:
    op.drop_table("document_copy")
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_constraint("uq_bulletin_series_number", type_="unique")
        batch.create_unique_constraint("uq_bulletin_number", ["kind", "year", "issue_no"])
        batch.drop_column("series")
