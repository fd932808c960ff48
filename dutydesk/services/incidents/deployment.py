"""Moving a database from one deployment to the other (issue 13), dry run first.

* **register → classified network**: nothing is lost. Whatever a classified item holds
  in clear among the columns the accredited desk seals (title, summary, location,
  reporter, assigned leader and department: :data:`~dutydesk.services.integrity.sealed.
  SEALED_FIELDS`) is sealed. A timeline entry's text or 'to whom' is on the hash chain,
  whose links cover the stored form: those stay as they are and are counted (in register
  mode they hold a copy's 呈批/传阅 holder, the register, and no content).
* **classified network → register**: a classified item keeps its register only. The
  content of each classified item that holds any is purged for good
  (:func:`dutydesk.services.incidents.register.purge`, one audited ``content_purged`` each,
  ``dutydesk verify`` still holds), and its assigned leader and department, which are
  not on the chain, are emptied. The 'to whom' of its chained entries stays sealed.

:func:`plan` reads only and names items by serial, never by content; :func:`migrate`
does it in one write transaction with a ``deployment_migrated`` audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import select

from dutydesk.rules.chain import ENVELOPE_PREFIX, PURGED_PREFIX
from dutydesk.services.incidents.register import purge
from dutydesk.services.integrity.sealed import SEALED_FIELDS, incident_record, write_ring
from dutydesk.storage.models import Incident, TimelineEntry
from dutydesk.vocab import Classification, Deployment

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.request import Request

_CLASSIFIED = tuple(level for level in Classification if level.is_classified)


@dataclass(frozen=True)
class ItemChange:
    """What the move does to one classified item: by serial and counts, no content."""

    serial: str
    fields: tuple[str, ...]
    """Its columns to be sealed (to a classified network) or emptied (to register)."""
    entries: int = 0
    """Its entry texts to be purged (to register)."""


@dataclass(frozen=True)
class ModeChange:
    """What moving the database to ``target`` changes (or changed)."""

    target: Deployment
    items: tuple[ItemChange, ...] = ()
    chained: int = 0
    """Entry texts and 'to whom' values left as they are: on the hash chain (to a
    classified network: in clear; to register: the 'to whom' stays sealed)."""
    by_field: dict[str, int] = field(default_factory=dict)
    """How many values of each column change."""

    @property
    def empty(self) -> bool:
        """True when nothing would change."""
        return not self.items


def _in_clear(value: object) -> bool:
    text = "" if value is None else str(value)
    return bool(text) and not text.startswith((ENVELOPE_PREFIX, PURGED_PREFIX))


def _classified(session: Session) -> list[Incident]:
    query = select(Incident).where(Incident.classification.in_(_CLASSIFIED))  # type: ignore[attr-defined]
    return list(session.exec(query.order_by(Incident.id)))  # type: ignore[arg-type]


def _entries(session: Session, incident_id: int | None) -> list[TimelineEntry]:
    return list(session.exec(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)))


def _to_network(session: Session) -> ModeChange:
    items: list[ItemChange] = []
    chained = 0
    for incident in _classified(session):
        names = tuple(name for name in SEALED_FIELDS if _in_clear(getattr(incident, name)))
        if names:
            items.append(ItemChange(incident.serial, names))
        for entry in _entries(session, incident.id):
            chained += _in_clear(entry.text) + _in_clear(entry.target)
    return _counted(Deployment.CLASSIFIED_NETWORK, items, chained)


def _to_register(session: Session) -> ModeChange:
    items: list[ItemChange] = []
    chained = 0
    for incident in _classified(session):
        names = tuple(name for name in SEALED_FIELDS if str(getattr(incident, name) or ""))
        entries = _entries(session, incident.id)
        texts = sum(
            1 for entry in entries if entry.text and not entry.text.startswith(PURGED_PREFIX)
        )
        chained += sum(1 for entry in entries if entry.target.startswith(ENVELOPE_PREFIX))
        if names or texts:
            items.append(ItemChange(incident.serial, names, texts))
    return _counted(Deployment.REGISTER, items, chained)


def _counted(target: Deployment, items: list[ItemChange], chained: int) -> ModeChange:
    by_field: dict[str, int] = {}
    for item in items:
        for name in item.fields:
            by_field[name] = by_field.get(name, 0) + 1
    return ModeChange(target, tuple(items), chained, by_field)


def _plan_in(session: Session, target: Deployment) -> ModeChange:
    if Deployment(target) is Deployment.CLASSIFIED_NETWORK:
        return _to_network(session)
    return _to_register(session)


def plan(req: Request, target: Deployment | str) -> ModeChange:
    """What moving ``req.db`` to ``target`` would change; nothing is written or opened."""
    with req.db.session() as session:
        found = _plan_in(session, Deployment(target))
        session.rollback()
    return found


def migrate(req: Request, target: Deployment | str) -> ModeChange:
    """Move the database to ``target`` (see the module); audited; returns what changed.

    Raises:
        KeyFileError: sealing needs the key file and none can be found or made.
        DecryptError: never raised: nothing is opened.

    """
    from dutydesk.services.accounts import audit
    from dutydesk.storage.crypto import encrypt_field

    wanted = Deployment(target)
    with req.db.session() as session:
        change = _plan_in(session, wanted)
        if change.empty:
            return change
        by_serial = {item.serial: item for item in change.items}
        for incident in _classified(session):
            item = by_serial.get(incident.serial)
            if item is None:
                continue
            if wanted is Deployment.CLASSIFIED_NETWORK:
                assert incident.id is not None
                ring = write_ring(session, req.keys)
                for name in item.fields:
                    sealed = encrypt_field(
                        ring, str(getattr(incident, name)), record=incident_record(incident.id),
                        field=name, classification=Classification(incident.classification).value,
                    )  # fmt: skip
                    setattr(incident, name, sealed)
                incident.version += 1
                incident.updated_at = req.now
                session.add(incident)
            else:
                purge(req, incident.serial, session=session)
                incident.assigned_leader = incident.assigned_department = ""
                session.add(incident)
        detail = (
            f"to={wanted.value}; items={len(change.items)}; "
            f"fields={sum(change.by_field.values())}; chained left={change.chained}"
        )
        actor = req.actor_id or req.actor_name or None
        audit.record(session, actor, "deployment_migrated", "database", None, detail, req.now)
    return change


__all__ = ["ItemChange", "ModeChange", "migrate", "plan"]
