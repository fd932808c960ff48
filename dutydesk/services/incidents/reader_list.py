"""The names of an item's 知悉范围, read with plain SQL (no SQLModel).

Apart from :mod:`dutydesk.services.incidents.readers` (which changes the list through the
ORM) so that ``incident show`` and ``incident readers`` stay on the CLI's light path
(issue 16).
"""

from __future__ import annotations

from dutydesk.errors import NotFoundError
from dutydesk.i18n import t
from dutydesk.records import record
from dutydesk.storage.engine import Database


@record
class NamedReader:
    """One name of a 知悉范围: a person or a unit."""

    name: str
    is_unit: bool


def list_readers(db: Database, serial: str) -> list[NamedReader]:
    """The names of the item's 知悉范围, persons first (names only: no content).

    Raises:
        NotFoundError: no incident ``serial``.

    """
    rows = db.read(
        "SELECT p.name, r.unit FROM incident_reader r JOIN incident i ON i.id = r.incident_id"
        " LEFT JOIN person p ON p.id = r.person_id WHERE i.serial = :serial ORDER BY r.id",
        {"serial": serial.strip()},
    )
    if not rows and not db.read(
        "SELECT 1 FROM incident WHERE serial = :serial", {"serial": serial.strip()}
    ):
        raise NotFoundError(t("cli.error.no_incident", serial=repr(serial.strip())))
    found = [NamedReader(str(unit) if unit else str(name), bool(unit)) for name, unit in rows]
    return sorted(found, key=lambda reader: reader.is_unit)


__all__ = ["NamedReader", "list_readers"]
