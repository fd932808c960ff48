"""State facts: every row that matters, as the chain last saw it (issue 17, item 7).

The chain covers timeline entries and audit events; an incident's severity or status, a
bulletin's state, a leave or an account lived beside it, so a direct SQL edit of those
rows went unseen. Now every flush that inserts, changes or deletes a row of
:data:`WATCHED` appends one audit event ``state`` (or ``state_deleted``) to the chain in
the same transaction, whose ``detail`` is the row's state as compact JSON:

* codes, numbers, flags and times as their values (``"severity":"major"``), so that
  ``verify`` can say what the table holds and what the record holds;
* every other text as a keyed digest (HMAC under the head key, :mod:`.head_key`): a fact
  never holds a title, a place or a name of a classified item, and nobody without the key
  file can test guesses against it. With no head key the digest is ``"?"``: not compared.

One hook on the ORM session (``after_flush``, then ``after_flush_postexec``) rather than
a call in every write path, so that a path added later cannot forget it. ``verify``
(:mod:`.verify`) keeps the latest fact per row and compares the table with it.
Existing databases get a baseline from their first ``verify`` (:func:`baseline`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Date, event
from sqlmodel import Session, SQLModel

from dutydesk.rules.chain import compact_json
from dutydesk.services.integrity import fact_form, head_key
from dutydesk.storage.models import (
    Assignment,
    AuditEvent,
    Bulletin,
    ChainState,
    Handover,
    Incident,
    LeaveRegistration,
    Person,
    PersonRole,
    UTCDateTime,
)

if TYPE_CHECKING:
    from sqlalchemy import Column

    from dutydesk.storage.engine import Database

WATCHED: dict[str, type[SQLModel]] = {
    "incident": Incident,
    "bulletin": Bulletin,
    "assignment": Assignment,
    "leave_registration": LeaveRegistration,
    "person": Person,
    "person_role": PersonRole,
    "handover": Handover,
}
"""The tables whose rows are on the chain as state facts."""

PLAIN_TEXT: dict[str, frozenset[str]] = {
    "incident": frozenset({"serial", "due_step"}),
    "handover": frozenset({"chain_head"}),
    "person": frozenset({"name"}),
    "person_role": frozenset({"role"}),
}
"""Text columns kept as values (never classified); other text is digested."""

DIGESTED_NUMBERS: dict[str, frozenset[str]] = {
    "incident": frozenset({"deaths", "injured", "missing", "trapped"}),
}
"""Numbers that are content (a classified incident's casualty figures): digested too."""

SKIPPED = frozenset({"updated_at", "version"})
"""Columns left out: bookkeeping that changes with every write of the row anyway."""

STATE, DELETED, BASELINE = "state", "state_deleted", "state_baseline"
"""The audit actions of a fact, a deletion, and the baseline marker."""


def columns(model: type[SQLModel]) -> list[Column[Any]]:
    """The columns a fact holds, in table order."""
    table = model.__table__  # type: ignore[attr-defined]
    return [c for c in table.columns if c.name not in SKIPPED]


def key_of(model: type[SQLModel], values: dict[str, Any]) -> str:
    """The row's identifier in a fact: its primary key, ``a:b`` for a composite one."""
    table = model.__table__  # type: ignore[attr-defined]
    return ":".join(str(values[c.name]) for c in table.primary_key.columns)


def enum_of(model: type[SQLModel], name: str) -> type[Enum] | None:
    """The vocabulary of a code column, if it has one."""
    field = model.model_fields.get(name)
    kind = getattr(field, "annotation", None)
    return kind if isinstance(kind, type) and issubclass(kind, Enum) else None


TIME, _BOOL, _DATE, _NUMBER, PLAIN, TEXT = (
    fact_form.TIME,
    fact_form.BOOL,
    fact_form.DATE,
    fact_form.NUMBER,
    fact_form.PLAIN,
    fact_form.TEXT,
)
"""What :func:`kind_of` says of a column (:mod:`.fact_form`)."""
UNKEYED, KEY_FIELD, utc_text = fact_form.UNKEYED, fact_form.KEY_FIELD, fact_form.utc_text


@functools.cache
def kind_of(table: str, name: str) -> int:
    """How a column's value becomes a fact's (worked out once per column, not per value)."""
    model = WATCHED[table]
    column = model.__table__.columns[name]  # type: ignore[attr-defined]
    if isinstance(column.type, UTCDateTime):
        return TIME
    if isinstance(column.type, Boolean):
        return _BOOL
    if isinstance(column.type, Date):
        return _DATE
    if name in DIGESTED_NUMBERS.get(table, ()):
        return _NUMBER
    if name in PLAIN_TEXT.get(table, ()) or enum_of(model, name) is not None:
        return PLAIN
    return TEXT


def normal(table: str, column: Column[Any], value: Any, key: bytes | None) -> Any:
    """One column's value as a fact holds it; the same from an ORM object or a plain read."""
    return normal_value(table, column.name, value, key)


def normal_value(table: str, name: str, value: Any, key: bytes | None) -> Any:
    """:func:`normal` by column name: ``verify`` calls it for every column of every row."""
    return fact_form.normal_by_kind(table, name, kind_of(table, name), value, key)


def state(table: str, values: dict[str, Any], key: bytes | None) -> dict[str, Any]:
    """A row's state fact from its column values."""
    document = {c.name: normal(table, c, values.get(c.name), key) for c in columns(WATCHED[table])}
    document[KEY_FIELD] = head_key.key_id(key)
    return document


def encode(document: dict[str, Any]) -> str:
    """The fact's ``detail``: compact JSON with sorted keys (:data:`compact_json`)."""
    return compact_json(document)


def _table_of(instance: object) -> str | None:
    name = getattr(type(instance), "__tablename__", None)
    return name if isinstance(name, str) and name in WATCHED else None


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    """Note the watched rows this flush wrote (history is still there to ask)."""
    pending: dict[tuple[str, str], object | None] = session.info.setdefault("state_facts", {})
    for instance in list(session.new) + list(session.dirty):
        table = _table_of(instance)
        if table and (instance in session.new or session.is_modified(instance)):
            model = WATCHED[table]
            values = {c.name: getattr(instance, c.name, None) for c in columns(model)}
            pending[(table, key_of(model, values))] = instance
    for instance in session.deleted:
        table = _table_of(instance)
        if table:
            model = WATCHED[table]
            values = {c.name: getattr(instance, c.name, None) for c in columns(model)}
            pending[(table, key_of(model, values))] = None


def chain_fact(session: Session, table: str, row: str, values: dict[str, Any] | None) -> None:
    """Append the fact of one row (its column values; ``None``: deleted) in ``session``."""
    from dutydesk.services.integrity.chain import append, session_head_key

    if values is None:
        action, detail = DELETED, ""
    else:
        action, detail = STATE, encode(state(table, values, session_head_key(session)))
    fact = AuditEvent(
        occurred_at=fact_form.fact_moment(), action=action, object_type=table, object_id=row
    )
    fact.detail = detail
    session.add(fact)
    append(session, fact)


def _values(table: str, instance: object) -> dict[str, Any]:
    return {c.name: getattr(instance, c.name, None) for c in columns(WATCHED[table])}


@event.listens_for(Session, "after_flush_postexec")
def _append(session: Session, _context: Any) -> None:
    """Chain one fact per noted row; ``commit`` flushes them before it commits."""
    pending: dict[tuple[str, str], object | None] = session.info.pop("state_facts", {})
    with session.no_autoflush:
        for (table, row), instance in pending.items():
            chain_fact(session, table, row, None if instance is None else _values(table, instance))


def only_chain_pending(session: Session) -> bool:
    """True when all the session would flush is chain bookkeeping: facts and the head row.

    That is what every flush leaves behind (:func:`_append` adds the facts it chains).
    """
    bookkeeping = (AuditEvent, ChainState)
    if session.deleted or not all(isinstance(row, bookkeeping) for row in session.new):
        return False
    # A row set to the values it had is in `dirty` but writes nothing (nor a fact).
    return all(
        isinstance(row, bookkeeping) or not session.is_modified(row) for row in session.dirty
    )


@contextlib.contextmanager
def reading_past_facts(session: Session) -> Iterator[None]:
    """Read without a flush of its own when only the chain's bookkeeping is pending.

    Such a flush would write just the facts of the previous one: they go with the next
    flush instead, in the same order and with the same ids (issue 16: a third of the
    demo's flushes were these). Anything else pending is flushed first, as autoflush
    would. For reads of other tables than ``audit_event`` and ``chain_state`` only.
    """
    if only_chain_pending(session):
        with session.no_autoflush:
            yield
    else:
        yield


BASELINE_BATCH = 2000
"""Rows per transaction of a baseline: bounded memory on a large record."""


def baseline(db: Database, known: set[tuple[str, str]]) -> int:
    """Chain a fact for every watched row with none yet, then the baseline marker.

    Run once, by the first ``verify`` of a database written before state facts: from
    then on a row without a fact was written around dutydesk. Rows are read with plain
    SQL and recorded :data:`BASELINE_BATCH` at a time. Returns the rows recorded.
    """
    from dutydesk.services.integrity.chain import append

    count = 0
    for table, model in WATCHED.items():
        names = [c.name for c in columns(model)]
        rows = db.read(f"SELECT {', '.join(names)} FROM {table}")  # noqa: S608 - names from the models
        missing = [
            values
            for values in (dict(zip(names, row, strict=True)) for row in rows)
            if (table, key_of(model, values)) not in known
        ]
        for start in range(0, len(missing), BASELINE_BATCH):
            with db.session() as session:
                for values in missing[start : start + BASELINE_BATCH]:
                    chain_fact(session, table, key_of(model, values), values)
        count += len(missing)
    with db.session() as session:
        marker = AuditEvent(
            occurred_at=datetime.now(UTC), action=BASELINE, object_type="", object_id=""
        )
        marker.detail = f"{count} rows"
        session.add(marker)
        append(session, marker)
    return count
