"""An incident's timeline as the writing transaction knows it: read once, then kept.

Every entry written recomputes the incident's clock from its timeline
(:func:`dutydesk.services.incidents.records.refresh_due`), and every entry added first
reads the timeline for the workflow check and its own numbers
(:mod:`dutydesk.services.incidents.followup`). Loading the demo read the same 29
timelines 207 times in one transaction (issue 16). Here the first read of a timeline in
a transaction is kept in ``session.info``, and every flush adds the entries it inserted
(:func:`_note_flushed`), so a later read is the same rows without a query.

What could make a kept timeline wrong forgets it: an entry changed or deleted through
the ORM (entries are append-only, but a reset deletes them), any statement other than a
SELECT run through the session (a bulk ``delete(TimelineEntry)``), a savepoint or the
transaction ending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import TextClause, event
from sqlalchemy import select as sa_select
from sqlalchemy.orm import ORMExecuteState, SessionTransaction, SessionTransactionOrigin
from sqlmodel import Session, col

from dutydesk.storage.engine import as_utc
from dutydesk.storage.models import TimelineEntry

_KEPT = "dutydesk.incidents.timelines"
"""``session.info`` key: incident id -> its timeline's :class:`Step` rows, by ``seq``."""


class Step(NamedTuple):
    """What the write path reads of one timeline entry."""

    seq: int
    kind: str
    occurred_at: datetime
    due_at: datetime | None
    entry_id: int | None
    refers_to_id: int | None


_COLUMNS = (
    col(TimelineEntry.seq),
    col(TimelineEntry.kind),
    col(TimelineEntry.occurred_at),
    col(TimelineEntry.due_at),
    col(TimelineEntry.id),
    col(TimelineEntry.refers_to_id),
)


def timeline_steps(session: Session, incident_id: int | None) -> list[Step]:
    """The incident's entries in recording order (``seq``), as this transaction sees them.

    A kept timeline is used as the read would be: what an autoflush would write first is
    flushed first (and so added to it).
    """
    kept: dict[int | None, list[Step]] = session.info.setdefault(_KEPT, {})
    if incident_id in kept:
        if session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()  # as the query's autoflush would have
        if incident_id in kept:  # unless that flush changed an entry (forgotten)
            return list(kept[incident_id])
    rows = session.execute(
        sa_select(*_COLUMNS)  # sqlmodel's select is typed for at most four columns
        .where(col(TimelineEntry.incident_id) == incident_id)
        .order_by(col(TimelineEntry.seq))  # recording order: rules.deadlines.closed_by_entries
    ).all()
    steps = [Step(*row) for row in rows]
    session.info.setdefault(_KEPT, {})[incident_id] = steps
    return list(steps)


def new_timeline(session: Session, incident_id: int) -> None:
    """Keep the empty timeline of an incident this transaction has just inserted."""
    session.info.setdefault(_KEPT, {})[incident_id] = []


def _step_of(entry: TimelineEntry) -> Step:
    """The row as a read would return it: times in UTC, as the column type gives them."""
    return Step(
        entry.seq,
        str(entry.kind),
        as_utc(entry.occurred_at),  # type: ignore[arg-type]
        as_utc(entry.due_at),
        entry.id,
        entry.refers_to_id,
    )


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: Any) -> None:
    """Add the entries this flush inserted to the kept timelines; forget changed ones."""
    kept: dict[int | None, list[Step]] | None = session.info.get(_KEPT)
    if not kept:
        return
    for row in (*session.dirty, *session.deleted):
        if isinstance(row, TimelineEntry):
            kept.pop(row.incident_id, None)
    added = [row for row in session.new if isinstance(row, TimelineEntry)]
    for entry in sorted(added, key=lambda row: row.seq):
        steps = kept.get(entry.incident_id)
        if steps is None:
            continue
        if steps and steps[-1].seq >= entry.seq:  # not an append: read it again
            del kept[entry.incident_id]
            continue
        steps.append(_step_of(entry))


@event.listens_for(Session, "do_orm_execute")
def _forget_on_write(state: ORMExecuteState) -> None:
    """A bulk or textual write through the session may touch any timeline."""
    if state.is_select or _reads_only(state.statement):
        return
    state.session.info.pop(_KEPT, None)


def _reads_only(statement: object) -> bool:
    """A textual ``SELECT`` (the ORM calls no text statement a select)."""
    return isinstance(statement, TextClause) and statement.text.lstrip()[:6].upper() == "SELECT"


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    """Not the subtransaction of a flush: a savepoint or the transaction itself."""
    if transaction.origin is not SessionTransactionOrigin.SUBTRANSACTION:
        session.info.pop(_KEPT, None)
