"""Loading the demo night (``dutydesk demo``): people, roster, leave and incidents.

Incidents and their timelines go through :mod:`dutydesk.services.incidents.incident`, so serials,
statuses and deadlines come from the same rules as real intake. Times in the data file
are relative to the load moment, so the console looks live; tests pin that moment.

A database that holds demo data is marked by the ``demo_loaded_at`` key in ``Meta``.
Loading again adds nothing; ``replace=True`` (or :func:`reset_demo`) clears it and loads
afresh, which is refused on a database that is not marked as a demo database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func
from sqlmodel import SQLModel, col, select

from dutydesk.config import Settings
from dutydesk.errors import DutyDeskError
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.demo.accounts import DemoAccount, demo_accounts
from dutydesk.services.demo.file import DEMO_FILE, DemoData, DemoDataError, read_demo
from dutydesk.services.demo.write import write_demo
from dutydesk.services.request import Request
from dutydesk.storage.engine import Database
from dutydesk.storage.models import (
    DEMO_KEY,
    Assignment,
    AuditEvent,
    Bulletin,
    BulletinDelivery,
    BulletinItem,
    ChainState,
    ClassifiedRegister,
    Credential,
    DailyReport,
    DrillInject,
    DrillRun,
    Handover,
    Incident,
    IncidentReader,
    LeaveRegistration,
    Meta,
    Person,
    PersonRole,
    RegisterCopy,
    Shift,
    ShiftHandover,
    TimelineEntry,
)
from dutydesk.vocab import Deployment

if TYPE_CHECKING:
    from sqlmodel import Session

"""The ``Meta`` key that marks a demo database; its value is the load moment (ISO 8601)."""

# Children before parents, so that foreign keys hold at every step of a reset.
_CLEAR_ORDER: tuple[type[SQLModel], ...] = (
    ChainState,  # the chain starts again with the records
    Credential,
    BulletinDelivery,
    BulletinItem,
    Bulletin,
    Handover,
    ShiftHandover,  # records of changes of shift made on the old night
    DailyReport,  # the demo's 零报告, made for its special days
    AuditEvent,
    RegisterCopy,  # a copy's movement names its timeline entry
    TimelineEntry,
    DrillInject,
    IncidentReader,  # 知悉范围 names incidents and people
    ClassifiedRegister,  # the telegrams' registers (issue 13)
    Incident,
    DrillRun,  # after its incidents, which point at it
    Assignment,
    Shift,
    LeaveRegistration,
    PersonRole,
    Person,
)


class NotADemoDatabaseError(DutyDeskError):
    """The database holds real records: demo data must not be mixed in or cleared."""

    exit_code = 2


@dataclass(frozen=True)
class DemoReport:
    """What loading the demo did (or found), for the CLI to print."""

    database: str
    """Where the data went: the file path, or the URL without password."""
    source: Path
    """The demo data file."""
    loaded_at: datetime
    """The moment the data is relative to (for an earlier load, that load's moment)."""
    already_loaded: bool
    """True when the database already held the demo and nothing was added."""
    replaced: bool
    """True when earlier demo data was cleared first."""
    incidents: int
    open_incidents: int
    entries: int
    people: int
    shifts: int
    assignments: int
    leave: int
    operators: tuple[str, ...]
    """The duty officers of the demo, who can work the console."""
    accounts: tuple[DemoAccount, ...] = ()
    """The demo people who can sign in: roles, clearance, demo PIN and who is on duty at
    the moment of the call (for an earlier load too: the roster is read as of now)."""


def _count(session: Session, model: type[SQLModel]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _report(
    session: Session,
    db: Database,
    source: Path,
    loaded_at: datetime,
    **flags: bool,
) -> DemoReport:
    operators = session.exec(
        select(Person.name)
        .join(PersonRole, PersonRole.person_id == Person.id)  # type: ignore[arg-type]
        .where(PersonRole.role == "duty_officer")
        .order_by(Person.id)  # type: ignore[arg-type]
    ).all()
    open_count = session.exec(
        select(func.count()).select_from(Incident).where(Incident.is_open == True)  # noqa: E712
    ).one()
    return DemoReport(
        database=db.describe(),
        source=source,
        loaded_at=loaded_at,
        already_loaded=flags.get("already_loaded", False),
        replaced=flags.get("replaced", False),
        incidents=_count(session, Incident),
        open_incidents=int(open_count),
        entries=_count(session, TimelineEntry),
        people=_count(session, Person),
        shifts=_count(session, Shift),
        assignments=_count(session, Assignment),
        leave=_count(session, LeaveRegistration),
        operators=tuple(operators),
    )


def _clear(session: Session) -> None:
    for model in _CLEAR_ORDER:
        session.exec(delete(model))
    session.exec(delete(Meta).where(col(Meta.key) == DEMO_KEY))


def load_demo(
    db: Database,
    now: datetime,
    *,
    settings: Settings | None = None,
    replace: bool = False,
    path: Path = DEMO_FILE,
) -> DemoReport:
    """Load the demo night into ``db``, relative to the moment ``now``.

    Migrates the database first. Running it again on a demo database adds nothing and
    says so (``already_loaded``); ``replace=True`` clears that database and loads anew.

    Args:
        db: the database to fill.
        now: the load moment (aware); every time in the data is relative to it.
        settings: timezone and shift times; built-in defaults when ``None``.
        replace: clear an earlier demo load first.
        path: the demo data file.

    Returns:
        Counts of what the database now holds, whether anything was added, and the
        accounts that can sign in (with who of them is on duty at ``now``).

    Raises:
        DemoDataError: ``now`` is naive, or the data file is invalid.
        NotADemoDatabaseError: the database holds records that are not demo data.
        DatabaseError: the database cannot be opened or migrated.

    """
    if now.tzinfo is None:
        raise DemoDataError("the load moment needs a timezone")
    settings = settings or Settings()
    if db.ensure_schema():  # a demo kept from an older release: its clocks follow the rules
        from dutydesk.services.incidents.upgrade import reclock_open

        reclock_open(db, settings, now)
    data: DemoData = read_demo(now, settings.tz, path)
    rules = load_rules()
    pins = {person.name: person.pin for person in data.people if person.pin}
    with db.session() as session:
        marker = session.get(Meta, DEMO_KEY)
        if marker is not None and not replace:
            loaded_at = datetime.fromisoformat(marker.value)
            report = _report(session, db, path, loaded_at, already_loaded=True)
        elif marker is None and (_count(session, Person) or _count(session, Incident)):
            raise NotADemoDatabaseError(
                f"{db.describe()} already holds records that are not demo data; "
                "load the demo into a new database (--db PATH)"
            )
        else:
            if marker is not None:
                _clear(session)
                session.flush()
            # Issue 13: the demo is the default deployment's desk. Its cipher telegrams are
            # register entries (organ, 文号, ★期限, 份号, 签收人, copies out and back) with
            # no content, which only a register-mode request writes: the file holds no
            # classified text, so an accredited desk loading it gets the same register.
            req = Request(
                db=db,
                now=now,
                tz=settings.tz,
                rules_source=rules,
                deployment=Deployment.REGISTER,
            )
            write_demo(req, data, session=session, settings=settings)
            session.add(Meta(key=DEMO_KEY, value=now.isoformat()))
            session.flush()
            report = _report(session, db, path, now, replaced=marker is not None)
    if report.replaced:  # a new chain: the old one's acknowledged heads mean nothing now
        from dutydesk.services.integrity.head_key import clear_anchors

        clear_anchors(db.path)
    # Read once the load is committed: the accounts come through the roster's own read
    # path, which does not see an open session's writes.
    return dataclasses.replace(report, accounts=demo_accounts(db, pins, now, settings))


def reset_demo(
    db: Database, now: datetime, *, settings: Settings | None = None, path: Path = DEMO_FILE
) -> DemoReport:
    """Clear a demo database and load the demo afresh for the moment ``now``.

    Raises:
        NotADemoDatabaseError: the database is not marked as a demo database.

    """
    db.ensure_schema()
    rows = db.read("SELECT value FROM meta WHERE key = :key", {"key": DEMO_KEY})
    if not rows:
        raise NotADemoDatabaseError(f"{db.describe()} is not a demo database; refusing to clear it")
    return load_demo(db, now, settings=settings, replace=True, path=path)


__all__ = [
    "DEMO_KEY",
    "DemoAccount",
    "DemoReport",
    "NotADemoDatabaseError",
    "load_demo",
    "reset_demo",
]
