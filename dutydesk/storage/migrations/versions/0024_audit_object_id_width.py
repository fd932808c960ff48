"""audit object id: 64 characters, as long as the document names it records

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 21:20:00

A classified copy's audit event names its document as ``object_id``
(``handover:2026-11-26T08:30:00+08:00``, 34 characters; ``document_copy.document`` holds
64). PostgreSQL enforces ``VARCHAR(32)`` and refused the write, so a top-secret handover
pack could not be printed on a server database ("unexpected error (DataError)"). SQLite
never enforces a VARCHAR length, so there the column is left as it is: rebuilding the
audit table of a year's database would cost minutes for nothing.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "audit_event", "object_id", type_=sa.String(64), existing_type=sa.String(32)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "audit_event", "object_id", type_=sa.String(32), existing_type=sa.String(64)
        )
