"""sealed details: the columns a classified item keeps sealed hold an envelope (TEXT)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 12:00:00

Issue 13: on an accredited classified network a classified item's location, reporter
(name, unit, phone), assigned leader and department and each timeline entry's 'to
whom' are sealed like its title. An envelope (``enc:v1:...``) is a hundred characters
and more, longer than the VARCHAR(32..256) these columns had: on PostgreSQL they become
TEXT, the title too (a long title's envelope passed 256). SQLite does not enforce a
VARCHAR length, and rebuilding its tables would drop the search triggers: nothing to do.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_WIDENED = {
    "incident": {
        "title": 256,
        "location": 256,
        "reporter_name": 64,
        "reporter_unit": 128,
        "reporter_phone": 32,
        "assigned_leader": 64,
        "assigned_department": 128,
    },
    "timeline_entry": {"target": 128},
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in _WIDENED.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length=length))


def downgrade() -> None:
    # An envelope does not fit the old width: a database holding sealed details cannot
    # go back (PostgreSQL refuses the cast rather than cut an envelope).
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in _WIDENED.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.String(length=length), existing_type=sa.Text())
