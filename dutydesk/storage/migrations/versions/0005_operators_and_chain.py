"""operators and the record's integrity: credentials, hash chain, handover chain head

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:00:00

* ``credential``: a person's PIN hash and lockout state (apart from ``person``, so that
  reading people never carries a hash);
* ``timeline_entry`` and ``audit_event`` get ``chain_seq``/``prev_hash``/``hash``: one
  hash chain over both tables (``dutydesk.rules.chain``, frozen below); existing rows
  are linked here, in order of recording, so an upgraded database verifies from its
  first record;
* ``chain_state``: the one row holding the chain's head (what every append locks);
* ``handover.chain_head``: the head when a handover was acknowledged, so ``verify``
  notices the newest records being deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CHAINED = ("timeline_entry", "audit_event")
_TIMES = {"occurred_at", "recorded_at", "due_at"}


# Frozen copy of the chain's encoding (``dutydesk.rules.chain``) and of
# ``dutydesk.storage.engine.as_utc`` as they were when this migration was written: replaying it on
# an old database must link the rows the way ``dutydesk verify`` of this revision checks
# them, whatever the live modules become. Nothing here imports dutydesk; do not edit it to
# follow them (a new encoding is a new chain version and a new migration).
_GENESIS = "0" * 64
_ENVELOPE_PREFIX = "enc:v1:"
_CHAINED_COLUMNS: dict[str, tuple[str, ...]] = {
    "timeline_entry": (
        "incident_id",
        "seq",
        "kind",
        "occurred_at",
        "recorded_at",
        "actor_id",
        "actor_name",
        "text",
        "report_no",
        "target",
        "due_at",
        "refers_to_id",
    ),
    "audit_event": ("occurred_at", "actor_id", "action", "object_type", "object_id", "detail"),
}


def _as_utc(value: Any) -> datetime | None:
    """A timestamp column from a plain-SQL row as an aware UTC datetime."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _hashed_form(value: str) -> str:
    """An encrypted value without its key wrapping (``enc:v1:<sealed>``)."""
    if not value.startswith(_ENVELOPE_PREFIX):
        return value
    parts = value[len(_ENVELOPE_PREFIX) :].split(":")
    return _ENVELOPE_PREFIX + parts[-1]


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, str):
        return _hashed_form(value)
    return value


def _canonical(table: str, chain_seq: int, content: Mapping[str, Any]) -> bytes:
    document = {name: _plain(content[name]) for name in _CHAINED_COLUMNS[table]}
    document["_table"] = table
    document["_chain_seq"] = chain_seq
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _link_hash(prev_hash: str, table: str, chain_seq: int, content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) over the previous hash and the record's canonical encoding."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(_canonical(table, chain_seq, content))
    return digest.hexdigest()


def _backfill() -> None:
    bind = op.get_bind()
    records = []
    for order, table in enumerate(_CHAINED):
        columns = _CHAINED_COLUMNS[table]
        when = "recorded_at" if table == "timeline_entry" else "occurred_at"
        rows = bind.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).all()
        for row in rows:
            content = {
                name: _as_utc(value) if name in _TIMES else value
                for name, value in zip(columns, row[1:], strict=True)
            }
            records.append((content[when], order, row[0], table, content))
    records.sort(key=lambda item: item[:3])
    previous = _GENESIS
    links: dict[str, list[dict[str, Any]]] = {table: [] for table in _CHAINED}
    for seq, (_, _, row_id, table, content) in enumerate(records, start=1):
        digest = _link_hash(previous, table, seq, content)
        links[table].append({"seq": seq, "prev": previous, "hash": digest, "id": row_id})
        previous = digest
    # One executemany per table, not one statement per row (issue 16): the same rows
    # get the same values, and each row is written once whatever the order.
    for table, rows in links.items():
        if rows:  # an empty list would run the statement once, without its parameters
            bind.execute(
                sa.text(
                    f"UPDATE {table} SET chain_seq = :seq, prev_hash = :prev, hash = :hash "
                    "WHERE id = :id"
                ),
                rows,
            )
    bind.execute(
        sa.text("INSERT INTO chain_state (id, seq, hash) VALUES (1, :seq, :hash)"),
        {"seq": len(records), "hash": previous},
    )


def upgrade() -> None:
    op.create_table(
        "credential",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("pin_hash", sa.String(length=256), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "chain_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for table in _CHAINED:  # plain ALTER TABLE ADD COLUMN: no table copy, triggers kept
        op.add_column(table, sa.Column("chain_seq", sa.Integer(), nullable=True))
        op.add_column(table, sa.Column("prev_hash", sa.String(length=64), nullable=True))
        op.add_column(table, sa.Column("hash", sa.String(length=64), nullable=True))
        op.create_index(f"ix_{table}_chain_seq", table, ["chain_seq"], unique=True)
    op.add_column("handover", sa.Column("chain_head", sa.String(length=80), nullable=True))
    _backfill()


def downgrade() -> None:
    op.drop_column("handover", "chain_head")
    # Not batch mode: re-creating timeline_entry would trip the search triggers of 0002
    # (SQLite 3.35+ drops a column in place once its index is gone).
    for table in _CHAINED:
        op.drop_index(f"ix_{table}_chain_seq", table_name=table)
        for column in ("hash", "prev_hash", "chain_seq"):
            op.drop_column(table, column)
    op.drop_table("chain_state")
    op.drop_table("credential")
