"""roster, leave and handover: indexes for the queries of issue 4

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:00:00

* ``leave_registration (start_at, end_at)``: leaders away in a window (roster pane,
  handover pack, 《信息直呈》) and the acting-leader overlap check;
* ``handover (acknowledged_at)``: the last acknowledged handover starts the next period;
* ``assignment (person_id)``: a person's shifts, for swaps and the rest rules;
* ``audit_event (object_type, object_id)``: the change history of one record.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_leave_registration_period", "leave_registration", ["start_at", "end_at"]),
    ("ix_handover_acknowledged_at", "handover", ["acknowledged_at"]),
    ("ix_assignment_person_id", "assignment", ["person_id"]),
    ("ix_audit_event_object", "audit_event", ["object_type", "object_id"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
