"""Shared parts of the incident write path: errors, checks, and the deadline refresh.

Used by :mod:`dutydesk.services.incidents.incident` (intake),
:mod:`dutydesk.services.incidents.followup` (timeline entries) and
:mod:`dutydesk.services.incidents.edits` (field edits), which import from here and never
from each other in a cycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy import select as sa_select
from sqlalchemy.orm import SessionTransaction, SessionTransactionOrigin
from sqlmodel import Session, col, select

from dutydesk.i18n import label, t
from dutydesk.rules.deadlines import DeadlineRules, DueStep, EntryFact, duty_date
from dutydesk.services.incidents.checks import (
    SPECIAL_QUERY,
    clock_of,
    due_step,
    entry_fact,
    special_day,
)

# Defined without the ORM (issue 16: the CLI's plain write path raises them too); every
# write service still imports them from here.
from dutydesk.services.incidents.checks import EntryRefused as EntryRefused
from dutydesk.services.incidents.checks import IncidentError as IncidentError
from dutydesk.services.incidents.checks import enum_value as enum_value
from dutydesk.services.incidents.checks import require_aware as require_aware
from dutydesk.services.incidents.steps import timeline_steps
from dutydesk.services.integrity.state_facts import reading_past_facts
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident, Shift, TimelineEntry
from dutydesk.vocab import Severity, Status


class ConflictError(IncidentError):
    """Someone else changed the incident since the caller read it; nothing was written.

    Attributes:
        current: the incident as it is now (column name -> value), to show the user.
        attempted: what the caller tried to write, so that nothing typed is lost.

    """

    def __init__(self, message: str, current: dict[str, Any], attempted: dict[str, Any]) -> None:
        super().__init__(message)
        self.current = current
        self.attempted = attempted


def check_version(incident: Incident, expected: int | None, attempted: dict[str, Any]) -> None:
    """Refuse a write based on an out-of-date read (optimistic locking).

    Raises:
        ConflictError: ``expected`` is given and is not the incident's version.

    """
    if expected is None or expected == incident.version:
        return
    message = t(
        "conflict.changed",
        serial=incident.serial,
        expected=expected,
        version=incident.version,
        status=label(Status(incident.status)),
        severity=label(Severity(incident.severity)),
    )
    current = {name: getattr(incident, name) for name in type(incident).model_fields}
    raise ConflictError(message, current, attempted)


_FACT_COLUMNS = (
    col(TimelineEntry.kind),
    col(TimelineEntry.occurred_at),
    col(TimelineEntry.due_at),
    col(TimelineEntry.id),
    col(TimelineEntry.refers_to_id),
)
"""What the deadline rules read of an entry: five columns, not whole entries (building an
ORM object per entry per write was a large part of loading the demo, issue 16)."""


def entry_facts(session: Session, incident: Incident) -> list[EntryFact]:
    """What the deadline rules need of the incident's timeline, in recording order.

    Read once per transaction and kept up to date by its flushes (:mod:`.steps`).
    """
    steps = timeline_steps(session, incident.id)
    return [entry_fact(*step[1:]) for step in steps]


def _facts_of(session: Session, ids: list[int]) -> dict[int, list[EntryFact] | None]:
    """:func:`entry_facts` of many incidents in one query (``None``: an unknown kind)."""
    rows = session.execute(
        sa_select(col(TimelineEntry.incident_id), *_FACT_COLUMNS)
        .where(col(TimelineEntry.incident_id).in_(ids))
        .order_by(col(TimelineEntry.incident_id), col(TimelineEntry.seq))
    ).all()
    found: dict[int, list[EntryFact] | None] = {key: [] for key in ids}
    for incident_id, *fact in rows:
        facts = found[incident_id]
        if facts is None:
            continue
        try:
            facts.append(entry_fact(*fact))
        except ValueError:  # a kind today's vocabulary does not know: keep its clock
            found[incident_id] = None
    return found


def special_cadence(
    source: Session | Database, moment: datetime, rules: DeadlineRules
) -> timedelta | None:
    """特殊时期: the continued-report cadence a special period imposes at ``moment``, if any.

    The 值班日 holding ``moment`` is special when the roster marked it so (``roster
    special``); then ``[special_period] continued_report_hours`` applies to every open
    emergency, on top of its own interval.
    """
    if rules.special_report is None:
        return None
    from sqlalchemy import text

    query, params = SPECIAL_QUERY, special_day(moment, rules)
    if isinstance(source, Database):
        found = bool(source.read(query, params))
    else:
        found = source.execute(text(query), params).first() is not None
    return rules.special_report if found else None


_SPECIAL = "dutydesk.incidents.special_days"
"""``session.info`` key: the 值班日 whose special period :func:`refresh_due` already read."""


def _special_in(session: Session, moment: datetime, rules: DeadlineRules) -> timedelta | None:
    """:func:`special_cadence` read once per 值班日 and transaction (issue 16).

    Every write of an incident recomputes its clock; loading the demo asked the shift
    table the same question 118 times in one transaction. What the answer rests on
    changes only with a shift row, and a flush writing one forgets every answer
    (:func:`_forget_special_days`), as does the end of the transaction.
    """
    if rules.special_report is None:
        return None
    known: dict[object, timedelta | None] = session.info.setdefault(_SPECIAL, {})
    day = duty_date(moment, rules)
    if day not in known:
        known[day] = special_cadence(session, moment, rules)
    return known[day]


@event.listens_for(Session, "after_flush")
def _forget_special_days(session: Session, _context: Any) -> None:
    """A flush that writes a shift may start or end a special period: read it again."""
    if _SPECIAL in session.info and any(
        isinstance(row, Shift) for row in (*session.new, *session.dirty, *session.deleted)
    ):
        del session.info[_SPECIAL]


@event.listens_for(Session, "after_transaction_end")
def _forget_special_at_end(session: Session, transaction: SessionTransaction) -> None:
    """Forget the special days when a transaction or savepoint ends.

    A new transaction may see shifts another writer changed; a savepoint rolled back may
    take back a shift this one wrote. Not the subtransaction every flush runs in.
    """
    if transaction.origin is not SessionTransactionOrigin.SUBTRANSACTION:
        session.info.pop(_SPECIAL, None)


REFRESH_BATCH = 500
"""Open incidents whose timelines one query reads when all their clocks are recomputed."""


def refresh_open_clocks(session: Session, rules: DeadlineRules, at: datetime) -> int:
    """Recompute the clocks of every open incident as of ``at``; returns how many.

    A special period that begins or ends changes them (roster), and so may a new release
    (after a migration). An incident whose timeline holds a value today's vocabulary does
    not know keeps its stored clock: one old row must never stop the others, nor a start.

    Set-based (issue 16): the special period is read once (every clock here is as of
    ``at``), the timelines :data:`REFRESH_BATCH` incidents a query, and only a row whose
    clock changes is written (and so gets a state fact). It was a SAVEPOINT, a flush and
    two queries per incident: 466 s for 20,000 open incidents at the first start after
    an upgrade.
    """
    session.flush()  # what the caller just wrote (the shifts it marked) is what is read
    open_incidents = session.exec(select(Incident).where(col(Incident.is_open))).all()
    special = special_cadence(session, at, rules)
    for start in range(0, len(open_incidents), REFRESH_BATCH):
        batch = open_incidents[start : start + REFRESH_BATCH]
        facts = _facts_of(session, [incident.id for incident in batch if incident.id])
        for incident in batch:
            known = facts.get(incident.id) if incident.id else None
            if known is None:
                continue
            try:
                step = due_step(incident, known, rules, special)
            except ValueError:
                continue
            _store_clock(session, incident, step, only_changed=True)
    return len(open_incidents)


def _store_clock(
    session: Session, incident: Incident, step: DueStep | None, *, only_changed: bool = False
) -> None:
    """Put ``step`` on the row; with ``only_changed``, leave an unchanged row untouched."""
    clock = clock_of(incident.status, step)
    if only_changed and (incident.due_at, incident.due_step, incident.is_open) == clock:
        return
    incident.due_at, incident.due_step, incident.is_open = clock
    session.add(incident)


def refresh_due(
    *, session: Session, incident: Incident, rules: DeadlineRules, at: datetime | None = None
) -> DueStep | None:
    """Recompute the incident's next due step from its timeline and store it on the row.

    ``at`` is the moment whose 值班日 decides whether a special period's cadence applies
    (default: the incident's last change, the write that asks for the refresh).

    Returns:
        The step now due soonest, or ``None`` when nothing is owed (closed incidents).

    """
    session.flush()  # entries added in this transaction must be counted
    with reading_past_facts(session):  # not the facts that flush chained: they can wait
        facts = entry_facts(session, incident)
        special = _special_in(session, at or incident.updated_at, rules)
    step = due_step(incident, facts, rules, special)
    _store_clock(session, incident, step)
    return step
