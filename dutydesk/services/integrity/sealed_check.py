"""``verify``'s check that every sealed value opens with the database's key file (issue 17).

The hash chain covers a timeline entry's stored form, not whether it still opens; an
incident's or bulletin's sealed columns are on no chain at all. A value sealed with
another key file, moved to another record or field, or altered, was reported "intact".
:func:`unopened` tries each envelope in :data:`dutydesk.storage.crypto.ENCRYPTED_COLUMNS`
under its own record name and classification (and the levels below it, as a reader does:
entries sealed before the item was raised) and names the ones that do not open, by
record and field, never with their text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dutydesk.i18n import t
from dutydesk.rules.chain import ENVELOPE_PREFIX
from dutydesk.storage.crypto import KeyRing
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification

_QUERIES = {
    "incident": (
        "SELECT i.id, i.serial, i.classification, {column} FROM incident i "
        "WHERE {column} LIKE :prefix ORDER BY i.id"
    ),
    "timeline_entry": (
        "SELECT e.incident_id, i.serial, i.classification, e.seq, e.{column} "
        "FROM timeline_entry e JOIN incident i ON i.id = e.incident_id "
        "WHERE e.{column} LIKE :prefix ORDER BY e.incident_id, e.seq"
    ),
    "bulletin": (
        "SELECT b.id, b.id, b.classification, {column} FROM bulletin b "
        "WHERE {column} LIKE :prefix ORDER BY b.id"
    ),
    # A pack is sealed at its reader's clearance, which the row does not keep: the
    # highest level is tried, and every level below it as for any value.
    "handover": (
        "SELECT h.id, h.id, 'top_secret', {column} FROM handover h "
        "WHERE {column} LIKE :prefix ORDER BY h.id"
    ),
    "leave_registration": (
        "SELECT l.id, l.id, l.classification, {column} FROM leave_registration l "
        "WHERE {column} LIKE :prefix ORDER BY l.id"
    ),
}


@dataclass(frozen=True)
class SealedCheck:
    """What :func:`unopened` found."""

    checked: int
    """Sealed values tried."""
    problems: list[str]
    """One sentence per value that does not open."""


@dataclass(frozen=True)
class _Sealed:
    record: str
    label: str
    field: str
    classification: str
    value: str


def _sealed(db: Database) -> Iterator[_Sealed]:
    from dutydesk.storage.crypto import ENCRYPTED_COLUMNS

    prefix = {"prefix": ENVELOPE_PREFIX + "%"}
    for table, columns in ENCRYPTED_COLUMNS.items():
        for column in columns:
            sql = _QUERIES[table].format(column=column)
            for row in db.read(sql, prefix):
                if table == "timeline_entry":
                    incident_id, serial, level, seq, value = row
                    record = f"timeline_entry:{incident_id}/{seq}"
                    label = t("verify.sealed_entry", serial=serial, seq=seq)
                else:
                    row_id, name, level, value = row
                    record = f"{table}:{row_id}"
                    label = t(f"verify.sealed_{table}", name=name)
                yield _Sealed(record, label, column, str(level), str(value))


def unopened(db: Database, keys: KeyRing, limit: int) -> SealedCheck:
    """Try every sealed value with ``keys``; at most ``limit`` problems are listed."""
    from dutydesk.services.integrity.sealed import opened_at_or_below

    checked = 0
    problems: list[str] = []
    for item in _sealed(db):
        checked += 1
        try:
            level = Classification(item.classification)
        except ValueError:
            level = Classification.TOP_SECRET  # an unknown label: try every level below
        opened = level.is_classified and (
            opened_at_or_below(keys, item.value, item.record, item.field, level) is not None
        )
        if not opened and len(problems) < limit:
            problems.append(t("verify.sealed_unopened", label=item.label, field=item.field))
    return SealedCheck(checked, problems)
