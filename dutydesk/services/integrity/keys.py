"""``dutydesk key rotate``: a new key, every stored data key re-wrapped, old keys retired.

The order makes every crash safe: (1) the new key is added to the key file, which keeps
the old ones; (2) one write transaction re-wraps every envelope in
:data:`dutydesk.storage.crypto.ENCRYPTED_COLUMNS` under the new key and records an audit event;
(3) only after that commit are the old keys dropped from the key file. A crash after (1)
or (2) leaves a key file that still opens everything; running rotate again finishes.

Sealed text is not touched (:func:`dutydesk.storage.crypto.rewrap`), so no hash of the record's
chain changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text

from dutydesk.rules.chain import ENVELOPE_PREFIX
from dutydesk.services.accounts import audit
from dutydesk.services.accounts.auth import Operator
from dutydesk.storage.crypto import ENCRYPTED_COLUMNS, KeyRing, envelope_key_id, rewrap
from dutydesk.storage.engine import Database

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class Rotation:
    """What a rotation did."""

    new_key: str
    retired: tuple[str, ...]
    rewrapped: int


def rotate(
    db: Database, keys: KeyRing, operator: Operator | None, now: datetime, *, retire: bool = True
) -> Rotation:
    """Rotate to a fresh key; see the module docstring for the crash-safe order.

    Args:
        db: the store.
        keys: the loaded key file (it is rewritten).
        operator: who asked (an administrator, checked by the caller).
        now: the moment (aware).
        retire: drop the old keys once nothing uses them (keep them for old backups
            with ``False``).

    Raises:
        KeyFileError: ``keys`` is not this database's key file (nothing changed).
        DecryptError: an envelope's data key cannot be unwrapped with the key file.

    """
    from dutydesk.services.integrity.sealed import claim

    with db.session() as session:
        claim(session, keys)  # another database's key file is refused before it is changed
    old = tuple(kid for kid in keys.keys)
    new = keys.add_key()
    keys.save()
    count = 0
    with db.session() as session:
        claim(session, keys)  # the record follows to the new key, in this transaction
        for table, columns in ENCRYPTED_COLUMNS.items():
            for column in columns:
                rows = session.execute(
                    text(f"SELECT id, {column} FROM {table} WHERE {column} LIKE :prefix"),  # noqa: S608 - table/column from ENCRYPTED_COLUMNS; values bound
                    {"prefix": ENVELOPE_PREFIX + "%"},
                ).all()
                for row_id, value in rows:
                    if envelope_key_id(value) == new:
                        continue
                    fresh = rewrap(keys, value, where=f"{table}:{row_id} {column}")
                    session.execute(
                        text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),  # noqa: S608 - table/column from ENCRYPTED_COLUMNS; values bound
                        {"value": fresh, "id": row_id},
                    )
                    count += 1
        detail = f"new key {new}; {count} values re-wrapped"
        actor = operator.id if operator is not None else None
        audit.record(session, actor, "key_rotated", "key_file", new, detail, now)
    retired: tuple[str, ...] = ()
    if retire:
        retired = old
        for kid in old:
            del keys.keys[kid]
        keys.save()
    return Rotation(new, retired, count)


@dataclass(frozen=True)
class Sealing:
    """What :func:`encrypt_existing` did."""

    sealed: int
    """Incident titles/summaries and bulletin titles/bodies now stored sealed."""
    left_in_clear: int
    """Classified timeline entries still in clear: they are on the hash chain, whose
    links cover the stored form, so sealing them would break the record's integrity."""


_EXISTING = {"incident": ("title", "summary"), "bulletin": ("title", "body")}


def _refact(session: Session, rows: set[tuple[str, int]]) -> None:
    """Chain the new state of rows sealed by plain SQL (their text's digest changed)."""
    from dutydesk.services.integrity.state_facts import WATCHED, chain_fact, columns

    for table, row_id in sorted(rows):
        instance = session.get(WATCHED[table], row_id, populate_existing=True)
        if instance is not None:
            values = {c.name: getattr(instance, c.name) for c in columns(WATCHED[table])}
            chain_fact(session, table, str(row_id), values)


def encrypt_existing(
    db: Database, keys: KeyRing, operator: Operator | None, now: datetime
) -> Sealing:
    """Seal classified text stored in clear before encryption at rest was wired.

    One write transaction with an audit event; running it again finds nothing to do.
    """
    from dutydesk.services.integrity.sealed import claim
    from dutydesk.storage.crypto import encrypt_field
    from dutydesk.storage.search import CLASSIFIED_LEVELS

    levels = ", ".join(f"'{level}'" for level in CLASSIFIED_LEVELS)
    count = 0
    sealed_rows: set[tuple[str, int]] = set()
    with db.session() as session:
        claim(session, keys)
        for table, columns in _EXISTING.items():
            for column in columns:
                rows = session.execute(
                    text(
                        f"SELECT id, {column}, classification FROM {table} "  # noqa: S608 - table/column from _EXISTING, levels from the enum
                        f"WHERE classification IN ({levels}) AND {column} NOT LIKE :prefix"
                    ),
                    {"prefix": ENVELOPE_PREFIX + "%"},
                ).all()
                for row_id, value, level in rows:
                    sealed = encrypt_field(
                        keys,
                        str(value),
                        record=f"{table}:{row_id}",
                        field=column,
                        classification=str(level),
                    )
                    session.execute(
                        text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),  # noqa: S608 - table/column from _EXISTING; values bound
                        {"value": sealed, "id": row_id},
                    )
                    sealed_rows.add((table, int(row_id)))
                    count += 1
        _refact(session, sealed_rows)
        left = session.execute(
            text(
                "SELECT count(*) FROM timeline_entry e JOIN incident i ON i.id = e.incident_id "  # noqa: S608 - levels from the Classification enum
                f"WHERE i.classification IN ({levels}) AND e.text NOT LIKE :prefix"
            ),
            {"prefix": ENVELOPE_PREFIX + "%"},
        ).scalar_one()
        detail = f"{count} values sealed; {left} chained entries left in clear"
        actor = operator.id if operator is not None else None
        audit.record(session, actor, "classified_sealed", "database", None, detail, now)
    return Sealing(count, int(left))
