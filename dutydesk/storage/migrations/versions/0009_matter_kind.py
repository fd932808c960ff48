"""incident: kind of matter, time of occurrence, sensitivity, report cadence, casualties

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00

Issue 12: clocks by kind of matter. Each incident gets its kind (突发事件 emergency,
群众诉求 request, 收文/密电 document), the time the event happened (事发时间, a required
报告要素), a sensitive flag (敏感: on grade I's clock whatever its grade), a report cadence
an instruction or the officer set (every N minutes), and the latest casualty figures
(死亡/受伤/失联/被困; each change is also a timeline entry).

Existing rows take the kind their channel starts as today (letters, visits and messages
from the public are requests; cipher telegrams are documents; the rest emergencies).

Frozen: the channel table below is a copy of ``data/rules.toml`` ``[kind_by_channel]`` as
it was when this migration was written; nothing here imports dutydesk. Plain ADD COLUMN,
never a batch copy: copying the table would drop the search index triggers on it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_REQUEST_CHANNELS = ("letter", "walk_in", "sms_wechat")
_DOCUMENT_CHANNELS = ("cipher",)
_CASUALTIES = ("deaths", "injured", "missing", "trapped")


def upgrade() -> None:
    op.add_column(
        "incident",
        sa.Column("matter_kind", sa.String(length=16), nullable=False, server_default="emergency"),
    )
    op.add_column("incident", sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "incident",
        sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("incident", sa.Column("report_every_minutes", sa.Integer(), nullable=True))
    for column in _CASUALTIES:
        op.add_column("incident", sa.Column(column, sa.Integer(), nullable=True))
    for kind, channels in (("request", _REQUEST_CHANNELS), ("document", _DOCUMENT_CHANNELS)):
        op.execute(
            sa.text("UPDATE incident SET matter_kind = :kind WHERE channel IN :channels")
            .bindparams(sa.bindparam("channels", expanding=True))
            .bindparams(kind=kind, channels=list(channels))
        )


def downgrade() -> None:
    for column in (*reversed(_CASUALTIES), "report_every_minutes", "sensitive", "occurred_at"):
        op.drop_column("incident", column)
    op.drop_column("incident", "matter_kind")
