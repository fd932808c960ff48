"""signed head: chain_state.mac, the head's HMAC under the head key (issue 17)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 21:00:00

``chain_state`` gets ``mac``: HMAC-SHA256 of ``<seq>:<hash>`` under the head key, a file
beside the database's key file that the database does not hold
(``services/integrity/head_key.py``). Existing databases keep ``NULL`` until their next
write signs the head; ``verify`` says "not signed yet" rather than failing, since the
migration cannot reach the key.

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chain_state") as batch:
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chain_state") as batch:
        batch.drop_column("mac")
