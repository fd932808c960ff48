"""An item's 知悉范围 (need-to-know list): who may read a classified item, by name or unit.

Who sets it (三员分立, issue 13):

- at intake, the officer registering a classified item (the 机要员 for a telegram) is
  named, since they hold its text, and names its first readers (``--reader``: the
  leader it is for, their own unit);
- afterwards only the security officer (安全保密管理员) adds or removes names
  (:func:`change_readers`), never their own name or unit: granting is their act,
  reading is not.

A name is a person's name, else a unit some person belongs to (everyone of that unit).
Every change is an audit event. What a name opens is decided in
:mod:`dutydesk.services.integrity.need_to_know`, read by every audited read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from dutydesk.errors import DutyDeskError, NotFoundError
from dutydesk.i18n import t
from dutydesk.rules.access import may_set_clearance
from dutydesk.services.accounts import audit
from dutydesk.services.accounts.audit import AccessDenied
from dutydesk.services.accounts.auth import Operator
from dutydesk.services.incidents.reader_list import NamedReader, list_readers
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident, IncidentReader, Person


class ReadersError(DutyDeskError):
    """The need-to-know list cannot be changed as asked; the message says why."""

    exit_code = 2


def _resolve(session: Session, name: str) -> tuple[int | None, str]:
    """``(person id, "")`` for a person's name, ``(None, unit)`` for a known unit."""
    wanted = name.strip()
    person = session.exec(select(Person).where(Person.name == wanted)).first()
    if person is not None:
        return person.id, ""
    if wanted and session.exec(select(Person.id).where(Person.unit == wanted)).first():
        return None, wanted
    raise ReadersError(t("readers.unknown", name=wanted))


def _find(
    session: Session, incident_id: int, person_id: int | None, unit: str
) -> IncidentReader | None:
    query = select(IncidentReader).where(IncidentReader.incident_id == incident_id)
    if person_id is not None:
        query = query.where(IncidentReader.person_id == person_id)
    else:
        query = query.where(IncidentReader.unit == unit)
    return session.exec(query).first()


def name_readers(
    session: Session,
    incident: Incident,
    names: Iterable[str],
    *,
    by: str,
    now: datetime,
    person_ids: Iterable[int] = (),
) -> list[str]:
    """Add ``names`` (and ``person_ids``) to the incident's 知悉范围; the names added.

    No role check: the caller decides who may (intake, the security officer).

    Raises:
        ReadersError: a name is neither a person nor a known unit.

    """
    assert incident.id is not None  # flushed
    wanted = [_resolve(session, name) for name in names if name.strip()]
    wanted += [(person_id, "") for person_id in person_ids]
    added: list[str] = []
    for person_id, unit in wanted:
        if _find(session, incident.id, person_id, unit) is not None:
            continue
        session.add(
            IncidentReader(
                incident_id=incident.id, person_id=person_id, unit=unit, added_by=by, added_at=now
            )
        )
        session.flush()
        added.append(unit or _name(session, person_id))
    return added


def _name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else ""


def _incident(session: Session, serial: str) -> Incident:
    found = session.exec(select(Incident).where(Incident.serial == serial.strip())).first()
    if found is None:
        raise NotFoundError(t("cli.error.no_incident", serial=repr(serial.strip())))
    return found


def change_readers(
    db: Database,
    operator: Operator,
    serial: str,
    now: datetime,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> None:
    """Add or remove names of an item's 知悉范围: the security officer's act, audited.

    Raises:
        AccessDenied: the operator is not the security officer.
        ReadersError: an unknown name, or the officer's own name or unit.
        NotFoundError: no incident ``serial``.

    """
    if not may_set_clearance(operator.roles):
        raise AccessDenied(t("auth.security_officers_only"))
    add, remove = list(add), list(remove)
    with db.session() as session:
        incident = _incident(session, serial)
        assert incident.id is not None  # read from the store
        me = session.get(Person, operator.id) if operator.id is not None else None
        own_unit = me.unit if me is not None else ""
        for name in add:
            person_id, unit = _resolve(session, name)
            if (person_id is not None and person_id == operator.id) or (unit and unit == own_unit):
                raise ReadersError(t("auth.own_clearance"))
        added = name_readers(session, incident, add, by=operator.name, now=now)
        removed: list[str] = []
        for name in remove:
            person_id, unit = _resolve(session, name)
            found = _find(session, incident.id, person_id, unit)
            if found is not None:
                session.delete(found)
                removed.append(name.strip())
        detail = f"added {','.join(added) or '-'}; removed {','.join(removed) or '-'}"
        audit.record(
            session, operator, "need_to_know_changed", "incident", incident.serial, detail, now
        )


__all__ = ["NamedReader", "ReadersError", "change_readers", "list_readers", "name_readers"]
