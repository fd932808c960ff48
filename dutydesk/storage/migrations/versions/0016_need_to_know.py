"""need to know: named readers (知悉范围) per item, a 内部 item's SMS decision, leave levels

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-04 12:00:00

Issue 13: a classified item opens only to a reader cleared for its level AND named in
its 知悉范围, in person or by unit (``incident_reader``). A 内部 item goes into a short
version (SMS/WeChat) only when sign-off recorded "可发短信/微信" for it
(``bulletin_item.sms_allowed``). A leader's itinerary (外出报备) carries a
classification like any item (``leave_registration.classification``, 内部 by default).

Frozen: nothing here imports dutydesk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_reader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=128), nullable=False, server_default=""),
        sa.Column("added_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "person_id", "unit", name="uq_incident_reader"),
    )
    op.create_index("ix_incident_reader_person", "incident_reader", ["person_id"])
    op.create_index("ix_incident_reader_unit", "incident_reader", ["unit"])
    with op.batch_alter_table("bulletin_item") as batch:
        batch.add_column(
            sa.Column("sms_allowed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("leave_registration") as batch:
        batch.add_column(
            sa.Column(
                "classification", sa.String(length=16), nullable=False, server_default="internal"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("leave_registration") as batch:
        batch.drop_column("classification")
    with op.batch_alter_table("bulletin_item") as batch:
        batch.drop_column("sms_allowed")
    op.drop_index("ix_incident_reader_unit", table_name="incident_reader")
    op.drop_index("ix_incident_reader_person", table_name="incident_reader")
    op.drop_table("incident_reader")
