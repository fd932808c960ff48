"""The CLI's plain-SQL write path: ``incident add`` and ``log`` without the ORM (issue 16).

A CLI write through the ORM imported SQLAlchemy, SQLModel and the models (1.5 s of a
command whose budget is twice a bare typer import) and did the ORM's bookkeeping while
it held SQLite's write lock, which eight concurrent writers queued behind. This module
writes the same rows with the ``sqlite3`` module:

* the incident row (:func:`.checks.incident_values`), its ``received`` entry, its serial;
  a follow-up entry (:func:`.checks.checked_entry`), numbered, and the incident moved on
  (:func:`.checks.entry_changes`);
* the chain links of the entry and of the incident's state facts, in the order the ORM's
  flushes append them (:func:`dutydesk.rules.chain.link_hash`, :mod:`.fact_form`), and
  the signed head;
* the clock (:func:`.checks.due_step`, :func:`.checks.clock_of`);
* the search index and the open count through the schema's own triggers, as for any
  insert.

What to check and what a row holds is decided by the functions the ORM path calls
(:mod:`.checks`); only the I/O is here. What this path does not cover raises
:class:`NotPlain` before anything is committed, and the caller writes it through the
ORM: a server database, a classified item (sealed text, its register, its readers),
named readers, an instruction that sets a report cadence (it writes a field change
too), an empty chain (its first link is the baseline marker), an unknown serial or
entry or an out-of-date version, or an error other than a busy store (the ORM path
reports each its way). ``tests/test_plain_write.py``
writes the same inputs both ways and compares every table.
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from enum import Enum
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from dutydesk.i18n import t
from dutydesk.rules.chain import ChainHead, link_hash
from dutydesk.rules.numbering import format_serial
from dutydesk.services.incidents.checks import (
    SPECIAL_QUERY,
    NewEntry,
    cadence_asked,
    check_entry,
    check_entry_times,
    check_intake,
    checked_entry,
    clock_of,
    due_step,
    entry_changes,
    entry_fact,
    entry_numbers,
    enum_value,
    incident_values,
    require_aware,
    special_day,
)
from dutydesk.services.integrity import fact_form, head_key
from dutydesk.storage.engine import as_utc
from dutydesk.vocab import Classification, EntryKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from dutydesk.rules.deadlines import DeadlineRules
    from dutydesk.services.incidents.intake import NewIncident
    from dutydesk.services.request import Request
    from dutydesk.storage.engine import Database


T = TypeVar("T")


class NotPlain(Exception):
    """Not a write this path covers; nothing was committed: write it through the ORM."""


class Written(NamedTuple):
    """What the command says of the incident it wrote."""

    id: int
    serial: str
    status: str
    version: int
    due_at: datetime | None
    due_step: str | None


def covers(db: Database) -> bool:
    """Whether this path can write to ``db`` at all (a SQLite file)."""
    return db.is_sqlite and db.path is not None


def stored(value: Any) -> Any:
    """A value as SQLite holds it, as SQLAlchemy writes it (times as UTC text)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class _Transaction:
    """One ``BEGIN IMMEDIATE`` transaction: its statements and the chain it appends to."""

    def __init__(self, connection: sqlite3.Connection, db: Database) -> None:
        self.connection = connection
        head = connection.execute("SELECT seq, hash FROM chain_state WHERE id = 1").fetchone()
        if head is None or int(head[0]) == 0:
            raise NotPlain("an empty chain starts with its baseline marker")
        self.seq, self.hash = int(head[0]), str(head[1])
        path = head_key.key_path_of(db.path)
        self.key = None if path is None else head_key.load(path, create=True)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first row of a query (``None``: none)."""
        return self.connection.execute(sql, params).fetchone()

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """Insert one row; its id."""
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.connection.execute(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - names are our columns; values bound
            [stored(value) for value in values.values()],
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def link(self, table: str, record: dict[str, Any]) -> None:
        """Give ``record`` the next place in the chain and its hash (``chain.append``)."""
        seq = self.seq + 1
        digest = link_hash(self.hash, table, seq, record)
        record.update(chain_seq=seq, prev_hash=self.hash, hash=digest)
        self.seq, self.hash = seq, digest

    def fact(self, incident: dict[str, Any]) -> None:
        """Chain the incident's state fact, as the ORM's flush hook does."""
        event = {
            "occurred_at": fact_form.fact_moment(),
            "actor_id": None,
            "action": "state",
            "object_type": "incident",
            "object_id": str(incident["id"]),
            "detail": fact_form.incident_fact(incident, self.key),
        }
        self.link("audit_event", event)
        self.insert("audit_event", event)

    def store_head(self) -> None:
        """Move the head row on, signed as ``chain.append`` signs it."""
        head = ChainHead(self.seq, self.hash)
        mac = head_key.mac(self.key, head) if self.key is not None else None
        self.connection.execute(
            "UPDATE chain_state SET seq = ?, hash = ?, mac = ? WHERE id = 1",
            (self.seq, self.hash, mac),
        )


def _run(db: Database, work: Callable[[_Transaction], T]) -> T:
    """Run ``work`` in a write transaction; again on a busy store, as ``write_with_retry``.

    Raises:
        NotPlain: ``work`` said so, or the store failed otherwise (the ORM path then
            writes, or reports the failure its way); nothing was committed.
        StoreBusyError: every try met a busy store.

    """
    from dutydesk.services.retry import ATTEMPTS, StoreBusyError, retries, transient_cause

    for attempt in range(ATTEMPTS):
        try:
            # Rolled back at the end of the block unless committed.
            with db.write_connection() as connection:
                db.begin_write(connection)  # BEGIN IMMEDIATE, queueing as the ORM's does
                result = work(_Transaction(connection, db))
                connection.execute("COMMIT")
                return result
        except sqlite3.Error as exc:
            cause = transient_cause(exc)
            if cause is None:
                raise NotPlain(str(exc)) from exc
            retries[cause] += 1
        time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter for a retry pause, not a secret
    raise StoreBusyError(t("store.busy", where=db.describe()))


def add_incident(req: Request, report: NewIncident) -> Written:
    """Register one unclassified incident as ``create_incident`` does, in plain SQL.

    Raises:
        IncidentError: ``report`` is not valid (the checks of the ORM path).
        NotPlain: not a write this path covers; nothing was written.

    """
    if not covers(req.db):
        raise NotPlain("not a SQLite file")
    checked = check_intake(req, report)
    if checked.level.is_classified or report.register is not None or report.readers:
        raise NotPlain("sealed text, a register or readers")
    return _run(req.db, lambda tx: _add(tx, req, report, checked))


def _add(tx: _Transaction, req: Request, report: NewIncident, checked: Any) -> Written:
    highest = tx.one(
        "SELECT max(serial_no) FROM incident WHERE serial_date = ?", (checked.day.isoformat(),)
    )[0]
    number = int(highest or 0) + 1
    serial = format_serial(checked.day, number)
    incident = incident_values(req, report, checked, serial, number)
    incident["id"] = tx.insert("incident", incident)
    tx.fact(incident)  # the ORM's first flush: the row as inserted
    text = report.summary if report.received_text is None else report.received_text
    received = {
        "incident_id": incident["id"],
        "seq": 1,
        "kind": EntryKind.RECEIVED,
        "occurred_at": report.received_at,
        "recorded_at": req.now,
        "actor_id": req.actor_id,
        "actor_name": req.actor_name,
        "text": text,
        "report_no": None,
        "target": "",
        "due_at": None,
        "refers_to_id": None,
    }
    tx.link("timeline_entry", received)
    tx.insert("timeline_entry", received)
    _refresh(tx, incident, req.rules)
    tx.store_head()
    return Written(
        id=incident["id"],
        serial=serial,
        status=str(incident["status"]),
        version=int(incident["version"]),
        due_at=incident["due_at"],
        due_step=incident["due_step"],
    )


def _refresh(tx: _Transaction, incident: dict[str, Any], rules: DeadlineRules) -> None:
    """Recompute the clock (``refresh_due``); a changed one is written, with its fact."""
    rows = tx.connection.execute(
        "SELECT kind, occurred_at, due_at, id, refers_to_id FROM timeline_entry"
        " WHERE incident_id = ? ORDER BY seq",
        (incident["id"],),
    ).fetchall()
    facts = [
        entry_fact(kind, as_utc(occurred), as_utc(due), entry_id, refers)  # type: ignore[arg-type]
        for kind, occurred, due, entry_id, refers in rows
    ]
    special = None
    if rules.special_report is not None:
        day = special_day(incident["updated_at"], rules)["day"].isoformat()
        if tx.connection.execute(SPECIAL_QUERY, {"day": day}).fetchone() is not None:
            special = rules.special_report
    step = due_step(SimpleNamespace(**incident), facts, rules, special)
    clock = clock_of(incident["status"], step)
    if clock == (incident["due_at"], incident["due_step"], incident["is_open"]):
        return
    incident["due_at"], incident["due_step"], incident["is_open"] = clock
    tx.connection.execute(
        "UPDATE incident SET due_at = ?, due_step = ?, is_open = ? WHERE id = ?",
        (*(stored(value) for value in clock), incident["id"]),
    )
    tx.fact(incident)  # the flush at commit: the row with its clock


def log_entry(req: Request, serial: str, entry: NewEntry, refers_to: int | None) -> Written:
    """Add one follow-up entry as ``add_entry`` does, in plain SQL; its ``seq`` in ``id``.

    ``refers_to`` is the referred entry's number on the timeline. The written incident's
    ``id`` is the new entry's number (what the command prints).

    Raises:
        IncidentError: the entry is not valid or does not fit (the ORM path's checks).
        NotPlain: not a write this path covers (a classified item, an instruction that
            sets a cadence, an unknown serial or entry, an out-of-date version: the ORM
            path writes it or says why not); nothing was written.

    """
    if not covers(req.db):
        raise NotPlain("not a SQLite file")
    kind = enum_value(EntryKind, entry.kind, "kind")
    require_aware(("occurred_at", entry.occurred_at), ("now", req.now), ("due_at", entry.due_at))
    return _run(req.db, lambda tx: _log(tx, req, serial, replace(entry, kind=kind), refers_to))


_KINDS = fact_form.INCIDENT_KINDS


def _incident(tx: _Transaction, serial: str) -> dict[str, Any]:
    """The incident's row as the ORM reads it: times aware, flags ``bool``."""
    cursor = tx.connection.execute(
        "SELECT * FROM incident WHERE serial = ?",  # every column: its fact holds them
        (serial.strip(),),
    )
    row = cursor.fetchone()
    if row is None:
        raise NotPlain("no such serial: the ORM path says so")
    values = dict(zip((column[0] for column in cursor.description), row, strict=True))
    for name, kind in _KINDS.items():
        if kind == fact_form.TIME:
            values[name] = as_utc(values[name])
        elif kind == fact_form.BOOL:
            values[name] = bool(values[name])
    return values


def _log(
    tx: _Transaction, req: Request, serial: str, entry: NewEntry, refers_to: int | None
) -> Written:
    incident = _incident(tx, serial)
    row = SimpleNamespace(**incident)
    if Classification(incident["classification"]).is_classified:
        raise NotPlain("sealed text")
    incident_id = incident["id"]
    referred = None
    if refers_to is not None:
        referred = tx.one(
            "SELECT id, kind FROM timeline_entry WHERE incident_id = ? AND seq = ?",
            (incident_id, refers_to),
        )
        if referred is None:
            raise NotPlain("no such entry: the ORM path says so")
        entry = replace(entry, refers_to_id=int(referred[0]))
    check_entry(req, row, entry)
    if entry.expected_version not in (None, incident["version"]):
        raise NotPlain("out of date: the ORM path shows what changed")
    check_entry_times(row, entry)
    history = [
        kind
        for (kind,) in tx.connection.execute(
            "SELECT kind FROM timeline_entry WHERE incident_id = ?", (incident_id,)
        )
    ]
    seen = None if referred is None or refers_to is None else (str(referred[1]), refers_to)
    kind = EntryKind(entry.kind)
    checked = checked_entry(req, row, entry, kind, history, seen)
    if cadence_asked(row, kind, entry.text) is not None:
        raise NotPlain("an instruction that sets the cadence writes a field change too")
    numbered = tx.connection.execute(
        "SELECT seq, kind FROM timeline_entry WHERE incident_id = ?", (incident_id,)
    ).fetchall()
    seq, report_no = entry_numbers(numbered)
    written = {
        "incident_id": incident_id,
        "seq": seq,
        "kind": kind,
        "occurred_at": checked.occurred_at,
        "recorded_at": req.now,
        "actor_id": req.actor_id,
        "actor_name": req.actor_name,
        "text": checked.text,
        "report_no": report_no if kind is EntryKind.CONTINUED_REPORT else None,
        "target": checked.target,
        "due_at": checked.due_at,
        "refers_to_id": checked.refers_to_id,
    }
    tx.link("timeline_entry", written)
    tx.insert("timeline_entry", written)
    changes = entry_changes(row, kind, checked.target, req.now, lambda value, _name: value)
    incident |= changes
    tx.connection.execute(
        f"UPDATE incident SET {', '.join(f'{name} = ?' for name in changes)} WHERE id = ?",  # noqa: S608 - names are our columns; values bound
        (*(stored(value) for value in changes.values()), incident_id),
    )
    tx.fact(incident)  # the ORM's flush in refresh_due: the row moved on
    _refresh(tx, incident, req.rules)
    tx.store_head()
    return Written(
        id=seq,
        serial=str(incident["serial"]),
        status=str(incident["status"]),
        version=int(incident["version"]),
        due_at=incident["due_at"],
        due_step=incident["due_step"],
    )
