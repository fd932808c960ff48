"""drills: runs, their injects, and the drill mark on incidents

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 21:00:00

* ``drill_run``: one rehearsal of a scenario from ``data/drills/*.toml`` (who started
  it, when, at what clock speed, and when it ended);
* ``drill_inject``: each scheduled inject of a run (an incoming report, a change of
  severity, a leader instruction), when it fired and which incident it became;
* ``incident.drill_run_id``: set on every incident a drill created. Real outputs
  (exports, bulletins, short versions, handover counts, trends) leave these out unless
  asked for explicitly. Timeline entries belong to their incident, so they carry the
  mark through it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drill_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("speed", sa.Float(), nullable=False, server_default="1"),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="running"),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("scenario_text", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["started_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "drill_inject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("inject_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False, server_default=""),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["drill_run.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "inject_no", name="uq_drill_inject_no"),
    )
    # Plain ADD COLUMN (no table copy): the search triggers on incident stay in place.
    # Alembic cannot add a column with a constraint on SQLite without copying the table,
    # so the reference is declared inline in plain DDL (SQLite accepts REFERENCES on ADD
    # COLUMN when the default is NULL).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE incident ADD COLUMN drill_run_id INTEGER REFERENCES drill_run (id)")
    else:
        op.add_column("incident", sa.Column("drill_run_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_incident_drill_run", "incident", "drill_run", ["drill_run_id"], ["id"]
        )
    op.create_index("ix_incident_drill_run_id", "incident", ["drill_run_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_drill_run_id", table_name="incident")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_incident_drill_run", "incident", type_="foreignkey")
    op.drop_column("incident", "drill_run_id")
    op.drop_table("drill_inject")
    op.drop_table("drill_run")
