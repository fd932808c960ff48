"""Building the handover pack (交接班) from the store, for one viewer's clearance.

Plain reads (:meth:`Database.read`), a fixed number of queries whatever the size of the
night: incidents received, incidents open, the timelines of open incidents (for overdue
steps and instructions awaiting feedback), bulletins issued, leaders away and the roster.
Storing a pack and acknowledging it is :mod:`dutydesk.services.handover.store`.

The state of open incidents is the stored state (as of now), while "received" is bounded
by the period; a pack for an earlier ``at`` is a re-reading, not a time machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dutydesk.config import Settings
from dutydesk.rules.deadlines import DeadlineRules, EntryFact, due_steps
from dutydesk.rules.handover import (
    AwayLeader,
    ClassifiedItem,
    HandoverPack,
    IssuedBulletin,
    OpenItem,
    OverdueStep,
    PendingInstruction,
    ReceivedItem,
    RosterSeat,
    RosterShift,
    counts,
    handover_day,
)
from dutydesk.rules.policy import may_see
from dutydesk.services.incidents.queue import QUEUE_ORDER
from dutydesk.services.integrity.chain import chain_head
from dutydesk.services.integrity.sealed import Opener, entry_record, incident_record, record_view
from dutydesk.services.roster.pane import leaders_away
from dutydesk.services.roster.shifts import day_bounds, shift_views
from dutydesk.services.trends import top_candidates
from dutydesk.storage.engine import Database, as_utc
from dutydesk.vocab import Category, Classification, EntryKind, Severity, Status

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing


EMERGING_IN_PACK = 5
"""At most this many emerging issues in the pack: the meeting hears the strongest only."""


def _utc(value: Any) -> datetime:
    moment = as_utc(value)
    assert moment is not None  # a NOT NULL column
    return moment


_COLUMNS = "id, serial, received_at, category, severity, title, status, classification"


def _incidents(db: Database, where: str, params: dict[str, Any], order: str) -> list[Sequence[Any]]:
    # Drill (演练) incidents never count in a real handover pack.
    return db.read(
        f"SELECT {_COLUMNS}, due_step, due_at FROM incident "  # noqa: S608 - where/order are constants of the callers below; values bound
        f"WHERE drill_run_id IS NULL AND ({where}) ORDER BY {order}",
        params,
    )


def _received(db: Database, start: datetime, end: datetime) -> list[Sequence[Any]]:
    return _incidents(
        db,
        "received_at >= :start AND received_at < :end",
        {"start": db.time_param(start), "end": db.time_param(end)},
        "received_at, id",
    )


def _timelines(db: Database, end: datetime) -> dict[int, list[tuple[EntryFact, str, str, int]]]:
    """Entries of open incidents received before ``end``: (fact, target, text, seq) by id."""
    rows = db.read(
        "SELECT e.incident_id, e.id, e.kind, e.occurred_at, e.due_at, e.refers_to_id, "
        "e.target, e.text, e.seq FROM timeline_entry e JOIN incident i ON i.id = e.incident_id "
        "WHERE i.is_open = TRUE AND i.received_at < :end AND i.drill_run_id IS NULL "
        "ORDER BY e.incident_id, e.seq",
        {"end": db.time_param(end)},
    )
    found: dict[int, list[tuple[EntryFact, str, str, int]]] = {}
    for incident_id, id_, kind, occurred, due, refers, target, text, seq in rows:
        fact = EntryFact(EntryKind(kind), as_utc(occurred), as_utc(due), int(id_), refers)  # type: ignore[arg-type]
        found.setdefault(int(incident_id), []).append((fact, str(target), str(text), int(seq)))
    return found


def _roster(db: Database, at: datetime, settings: Settings) -> tuple[RosterShift, ...]:
    day = handover_day(at, settings.night_shift_start, settings.tz)
    return tuple(
        RosterShift(
            shift_date=view.slot.shift_date,
            kind=view.slot.kind,
            start_at=view.slot.start_at,
            end_at=view.slot.end_at,
            special_period=view.special_period,
            special_note=view.special_note,
            planned=view.planned,
            seats=tuple(RosterSeat(h.position, h.name, h.start_at, h.end_at) for h in view.holders),
        )
        for view in shift_views(db, day, day, settings)
    )


def _bulletins(
    db: Database, start: datetime, end: datetime, clearance: Classification, opener: Opener
) -> tuple[IssuedBulletin, ...]:
    rows = db.read(
        "SELECT kind, year, issue_no, issued_at, classification, title, id FROM bulletin "
        "WHERE status = 'issued' AND issued_at >= :start AND issued_at < :end "
        "ORDER BY issued_at, id",
        {"start": db.time_param(start), "end": db.time_param(end)},
    )
    return tuple(
        IssuedBulletin(
            str(kind),
            int(year),
            issue_no,
            _utc(issued),
            Classification(level),
            opener(title, record=f"bulletin:{id_}", field="title", classification=level)
            if may_see(clearance, level)
            else None,
        )
        for kind, year, issue_no, issued, level, title, id_ in rows
    )


def build_pack(
    db: Database,
    *,
    start: datetime,
    at: datetime,
    now: datetime,
    rules: DeadlineRules,
    settings: Settings,
    clearance: Classification = Classification.INTERNAL,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
) -> HandoverPack:
    """The handover pack for ``[start, at)``, as the viewer with ``clearance`` may read it.

    Args:
        db: the store.
        start: the period's start (see :func:`dutydesk.services.handover.store.period_start`).
        at: the period's end: the meeting's moment.
        now: when the pack is made.
        rules: deadline rules, for every step owed on open incidents.
        settings: timezone and shift times.
        clearance: the viewer's; by default internal, as a meeting room is.
        keys: the key ring for classified titles and instructions the viewer may see
            (else the database's key file).
        viewer: who reads it; a pack showing classified content is an audit event.

    """
    opener = Opener(db, keys)
    shown: set[str] = set()

    def title_of(id_: Any, serial: Any, title: Any, level: Any) -> str:
        if Classification(level).is_classified:
            shown.add(str(serial))
        return opener(title, record=incident_record(int(id_)), field="title", classification=level)

    classified: dict[str, Classification] = {}
    received: list[ReceivedItem] = []
    hidden_received = 0
    for id_, serial, rec, cat, sev, title, status, level, _step, _due in _received(db, start, at):
        if not may_see(clearance, level):
            classified[str(serial)] = Classification(level)
            hidden_received += 1
            continue
        received.append(
            ReceivedItem(
                str(serial),
                _utc(rec),
                Category(cat),
                Severity(sev),
                title_of(id_, serial, title, level),
                Status(status),
            )
        )
    open_rows = _incidents(
        db, "is_open = TRUE AND received_at < :end", {"end": db.time_param(at)}, QUEUE_ORDER
    )
    timelines = _timelines(db, at)
    open_items: list[OpenItem] = []
    overdue: list[OverdueStep] = []
    pending: list[PendingInstruction] = []
    for id_, serial, rec, _cat, sev, title, status, level, step, due in open_rows:
        if not may_see(clearance, level):
            classified.setdefault(str(serial), Classification(level))
            continue
        received_at, severity = _utc(rec), Severity(sev)
        title = title_of(id_, serial, title, level)
        open_items.append(
            OpenItem(
                str(serial), received_at, str(title), severity, Status(status), step, as_utc(due)
            )
        )
        entries = timelines.get(int(id_), [])
        by_id = {entry[0].entry_id: entry for entry in entries}
        for owed in due_steps(rules, severity, received_at, [e[0] for e in entries]):
            if owed.due_at <= at:
                overdue.append(OverdueStep(str(serial), str(title), owed.step, owed.due_at))
            source = by_id.get(owed.entry_id)
            if source is not None and source[0].kind is EntryKind.LEADER_INSTRUCTION:
                fact, target, text, seq = source
                text = opener(
                    text,
                    record=entry_record(int(id_), seq),
                    field="text",
                    classification=level,
                )
                pending.append(
                    PendingInstruction(
                        str(serial), str(title), target, fact.occurred_at, text, owed.due_at
                    )
                )
    day = handover_day(at, settings.night_shift_start, settings.tz)
    day_start, day_end = day_bounds(day, settings)
    by_category, by_severity = counts(tuple(received))
    bulletins = _bulletins(db, start, at, clearance, opener)
    if shown:
        detail = f"handover pack: {len(shown)} classified incidents shown"
        record_view(db, viewer, "handover", at.isoformat(), detail, now)
    return HandoverPack(
        period_start=start,
        period_end=at,
        generated_at=now,
        clearance=clearance,
        received=tuple(received),
        by_category=by_category,
        by_severity=by_severity,
        open=tuple(open_items),
        overdue=tuple(sorted(overdue, key=lambda o: (o.due_at, o.serial))),
        instructions=tuple(sorted(pending, key=lambda p: (p.due_at, p.serial))),
        bulletins=bulletins,
        away=tuple(
            AwayLeader(
                a.leader,
                a.leader_title,
                a.destination,
                a.start_at,
                a.end_at,
                a.acting,
                a.acting_title,
            )
            for a in leaders_away(db, day_start, day_end)
        ),
        roster=_roster(db, at, settings),
        classified=tuple(ClassifiedItem(s, c) for s, c in sorted(classified.items())),
        classified_received=hidden_received,
        chain_head=chain_head(db).short,
        emerging=top_candidates(db, at=at, clearance=clearance, limit=EMERGING_IN_PACK),
    )


__all__ = ["build_pack"]
