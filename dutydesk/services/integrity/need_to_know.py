"""Whom an item names (知悉范围): what :class:`~.reading.ClassifiedRead` asks before opening.

A classified incident names its readers in ``incident_reader``: persons, or units
(everyone whose ``person.unit`` is that unit). A classified bulletin is named for a
reader who is named on every classified incident it cites (it carries their text); one
citing none is named for whoever drafted it. A classified leader's itinerary (外出报备,
``leave:<id>``) has no list of its own: it is named for the leader away, the acting
leader and whoever registered it, the people who had it in hand.

Read once per :class:`NamedFor`, lazily (a read that shows nothing classified never
asks), through the store's plain path: no SQLModel, as every read service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dutydesk.vocab import Classification

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.engine import Database

_CLASSIFIED = tuple(c.value for c in Classification if c.is_classified)
BULLETIN_PREFIX = "bulletin:"
"""How a bulletin is labelled in a read (``bulletin:<id>``); anything else is a serial."""
LEAVE_PREFIX = "leave:"
"""How a leave registration is labelled in a read (``leave:<id>``)."""


class NamedFor:
    """The labels (serials, ``bulletin:N``) one viewer is named for, read when first asked."""

    def __init__(self, db: Database, viewer: Operator | int | str | None) -> None:
        self._db = db
        self._viewer = viewer
        self._looked_up = False
        self._person: tuple[int, str] | None = None
        self._serials: frozenset[str] | None = None
        self._bulletins: frozenset[str] | None = None
        self._leave: frozenset[str] | None = None

    def _who(self) -> tuple[int, str] | None:
        """The viewer's person id and unit; ``None`` for a viewer the store does not know."""
        if not self._looked_up:
            self._person, self._looked_up = _person_of(self._db, self._viewer), True
        return self._person

    def covers(self, label: str) -> bool:
        """True when the viewer is named for ``label``'s content."""
        who = self._who()
        if who is None:
            return False
        if label.startswith(BULLETIN_PREFIX):
            if self._bulletins is None:
                self._bulletins = _named_bulletins(self._db, who[0], self.serials())
            return label in self._bulletins
        if label.startswith(LEAVE_PREFIX):
            if self._leave is None:
                self._leave = _named_leave(self._db, who[0])
            return label in self._leave
        return label in self.serials()

    def serials(self) -> frozenset[str]:
        """The serials of the incidents that name the viewer (in person or by unit)."""
        who = self._who()
        if who is None:
            return frozenset()
        if self._serials is None:
            person_id, unit = who
            rows = self._db.read(
                "SELECT i.serial FROM incident_reader r JOIN incident i ON i.id = r.incident_id"
                " WHERE r.person_id = :person OR (r.unit <> '' AND r.unit = :unit)",
                {"person": person_id, "unit": unit},
            )
            self._serials = frozenset(str(row[0]) for row in rows)
        return self._serials


def _person_of(db: Database, viewer: Operator | int | str | None) -> tuple[int, str] | None:
    """Person id and unit of ``viewer`` (an operator, a person id or a name)."""
    if viewer is None:
        return None
    if isinstance(viewer, int):
        rows = db.read("SELECT id, unit FROM person WHERE id = :id", {"id": viewer})
    elif isinstance(viewer, str):
        rows = db.read("SELECT id, unit FROM person WHERE name = :name", {"name": viewer})
    elif viewer.id is not None:
        rows = db.read("SELECT id, unit FROM person WHERE id = :id", {"id": viewer.id})
    else:
        rows = db.read("SELECT id, unit FROM person WHERE name = :name", {"name": viewer.name})
    return (int(rows[0][0]), str(rows[0][1] or "")) if rows else None


def _named_leave(db: Database, person_id: int) -> frozenset[str]:
    """Labels of the leave registrations the person is named for (see the module doc)."""
    rows = db.read(
        "SELECT id FROM leave_registration WHERE leader_id = :p OR acting_leader_id = :p"
        " OR created_by_id = :p",
        {"p": person_id},
    )
    return frozenset(f"{LEAVE_PREFIX}{int(row[0])}" for row in rows)


def _named_bulletins(db: Database, person_id: int, serials: frozenset[str]) -> frozenset[str]:
    """Labels of the classified bulletins the person is named for (see the module doc)."""
    marks = ", ".join(f"'{level}'" for level in _CLASSIFIED)
    bulletins = db.read(
        f"SELECT id, created_by_id FROM bulletin WHERE classification IN ({marks})"  # noqa: S608 - constant level codes; no values in the text
    )
    cited = db.read(
        "SELECT bi.bulletin_id, i.serial FROM bulletin_item bi"  # noqa: S608 - as above
        f" JOIN incident i ON i.id = bi.incident_id WHERE i.classification IN ({marks})"
    )
    items: dict[int, set[str]] = {}
    for bulletin_id, serial in cited:
        items.setdefault(int(bulletin_id), set()).add(str(serial))
    named = set()
    for bulletin_id, created_by in bulletins:
        own = items.get(int(bulletin_id))
        if (own and own <= serials) or (not own and created_by == person_id):
            named.add(f"{BULLETIN_PREFIX}{int(bulletin_id)}")
    return frozenset(named)


__all__ = ["BULLETIN_PREFIX", "LEAVE_PREFIX", "NamedFor"]
