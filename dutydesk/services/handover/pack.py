"""Building the handover pack (交接班) from the store, for one viewer's clearance.

Plain reads (:meth:`Database.read`), a fixed number of queries whatever the size of the
night: incidents received, incidents open, the timelines of open incidents (for overdue
steps and instructions awaiting feedback), bulletins issued, leaders away and the roster.
Storing a pack and acknowledging it is :mod:`dutydesk.services.handover.store`.

The state of open incidents is the stored state (as of now), while "received" is bounded
by the period; a pack for an earlier ``at`` is a re-reading, not a time machine.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dutydesk.config import Settings
from dutydesk.rules.dates import day_window
from dutydesk.rules.deadlines import EntryFact, clock_terms, due_steps, duty_date
from dutydesk.rules.facts import casualty_line
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
from dutydesk.rules.marking import marking_of, term_of
from dutydesk.services.incidents.queue import QUEUE_ORDER
from dutydesk.services.incidents.records import special_cadence
from dutydesk.services.integrity.chain_read import signed_head
from dutydesk.services.integrity.reading import ClassifiedRead, Content, audited_read
from dutydesk.services.integrity.sealed import entry_record, incident_record
from dutydesk.services.roster.daily_report import states
from dutydesk.services.roster.pane import leaders_away
from dutydesk.services.roster.shifts import shift_views
from dutydesk.services.trends import top_candidates
from dutydesk.storage.engine import Database, Row, as_utc, stored_utc
from dutydesk.vocab import Category, Classification, EntryKind, Severity, Status, member

if TYPE_CHECKING:
    from dutydesk.services.request import Request


EMERGING_IN_PACK = 5
"""At most this many emerging issues in the pack: the meeting hears the strongest only."""


_COLUMNS = (
    "id, serial, received_at, category, severity, title, status, classification, "
    "matter_kind, sensitive, report_every_minutes, deaths, injured, missing, trapped"
)


def _incidents(db: Database, where: str, params: dict[str, Any], order: str) -> list[Row]:
    # Drill (演练) incidents never count in a real handover pack.
    return db.read(
        f"SELECT {_COLUMNS}, due_step, due_at FROM incident "  # noqa: S608 - where/order are constants of the callers below; values bound
        f"WHERE drill_run_id IS NULL AND ({where}) ORDER BY {order}",
        params,
    )


def _term(row: Row, level: Classification) -> str:
    """The 保密期限 the pack's marking may print for ``row``: only a classified item's counts.

    ``marking_of`` reads terms at the document's level, which is always a classified one;
    asking every unclassified row of a big night cost three missing attributes each.
    """
    return term_of(row) if level.is_classified else ""


def _received(db: Database, start: datetime, end: datetime) -> list[Row]:
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
    kinds = EntryKind._value2member_map_
    # By position, not attribute: 13,000 entries on a 10,000-incident night (issue 16).
    for incident_id, id_, kind, occurred, due, refers_to, target, text, seq in rows:
        fact = EntryFact(
            kinds.get(kind) or EntryKind(kind),  # type: ignore[arg-type]
            stored_utc(occurred),
            None if due is None else as_utc(due),
            int(id_),
            refers_to,
        )
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
    db: Database, start: datetime, end: datetime, read: ClassifiedRead
) -> tuple[IssuedBulletin, ...]:
    rows = db.read(
        "SELECT kind, year, issue_no, issued_at, classification, title, id FROM bulletin "
        "WHERE status = 'issued' AND issued_at >= :start AND issued_at < :end "
        "ORDER BY issued_at, id",
        {"start": db.time_param(start), "end": db.time_param(end)},
    )

    def title(row: Row, content: Content) -> str:
        return content(row.title, record=f"bulletin:{row.id}", field="title")

    titles = read.views(
        rows,
        level=lambda row: row.classification,
        shown=lambda row: f"bulletin:{row.id}",
        visible=title,
        restricted=lambda row: None,
    )
    return tuple(
        IssuedBulletin(
            str(row.kind),
            int(row.year),
            row.issue_no,
            stored_utc(row.issued_at),
            Classification(row.classification),
            shown,
        )
        for row, shown in zip(rows, titles, strict=True)
    )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (the collector's state is restored).

    Building the pack of a 10,000-incident night makes hundreds of thousands of small
    objects that live until the pack is done, and hardly a cycle among them: the
    collector ran some 270 times, sweeping them again and again, for a fifth to a
    quarter of the build's CPU (issue 16). What cycles there are go at the next run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_pack(req: Request, *, start: datetime, at: datetime, settings: Settings) -> HandoverPack:
    """The handover pack for ``[start, at)``, as the reader of ``req`` may read it.

    Args:
        req: the reader: ``clearance`` (internal, as a meeting room is, unless asked),
            the key ring for classified titles and instructions they may see (else the
            database's key file), ``viewer`` (a pack showing classified content is an
            audit event), ``now`` (when the pack is made) and the deadline rules, for
            every step owed on open incidents.
        start: the period's start (see :func:`dutydesk.services.handover.store.period_start`).
        at: the period's end: the meeting's moment.
        settings: timezone and shift times.

    """
    with _collector_paused():
        return _build(req, start=start, at=at, settings=settings)


def _build(req: Request, *, start: datetime, at: datetime, settings: Settings) -> HandoverPack:
    db, now, rules, clearance = req.db, req.now, req.rules, req.clearance
    with audited_read(
        db,
        clearance,
        object_type="handover",
        object_id=at.isoformat(),
        keys=req.keys,
        viewer=req.viewer,
        now=now,
    ) as read:
        classified: dict[str, Classification] = {}
        # The levels (and terms) of what the pack shows: only the distinct pairs mark it.
        shown: set[tuple[Classification, str]] = set()
        received: list[ReceivedItem] = []
        classified_received = 0
        for row in _received(db, start, at):
            level = member(Classification, row.classification)
            if level.is_classified:
                # Listed and counted for every reader; shown, marked, to the cleared too.
                classified[str(row.serial)] = level
                classified_received += 1
            content = read.content(row.classification, str(row.serial))
            if content is None:
                continue
            shown.add((level, _term(row, level)))
            received.append(
                ReceivedItem(
                    str(row.serial),
                    stored_utc(row.received_at),
                    member(Category, row.category),
                    member(Severity, row.severity),
                    content(row.title, record=incident_record(int(row.id)), field="title"),
                    member(Status, row.status),
                    level,
                )
            )
        open_rows = _incidents(
            db, "is_open = TRUE AND received_at < :end", {"end": db.time_param(at)}, QUEUE_ORDER
        )
        timelines = _timelines(db, at)
        special = special_cadence(db, at, rules)  # 特殊时期: daily reports at the least
        open_items: list[OpenItem] = []
        overdue: list[OverdueStep] = []
        pending: list[PendingInstruction] = []
        for row in open_rows:
            level = member(Classification, row.classification)
            if level.is_classified:
                classified.setdefault(str(row.serial), level)
            content = read.content(row.classification, str(row.serial))
            if content is None:
                continue
            shown.add((level, _term(row, level)))
            id_, serial = int(row.id), str(row.serial)
            received_at, severity = stored_utc(row.received_at), member(Severity, row.severity)
            title = content(row.title, record=incident_record(id_), field="title")
            open_items.append(
                OpenItem(
                    serial,
                    received_at,
                    title,
                    severity,
                    member(Status, row.status),
                    row.due_step,
                    as_utc(row.due_at),
                    casualty_line(row),
                    level,
                )
            )
            entries = timelines.get(id_, [])
            by_id = {entry[0].entry_id: entry for entry in entries}
            facts = [e[0] for e in entries]
            terms = clock_terms(row, special=special)
            for owed in due_steps(rules, severity, received_at, facts, **terms):
                if owed.due_at <= at:
                    overdue.append(OverdueStep(serial, title, owed.step, owed.due_at, level))
                source = by_id.get(owed.entry_id)
                if source is not None and source[0].kind is EntryKind.LEADER_INSTRUCTION:
                    fact, target, text, seq = source
                    text = content(text, record=entry_record(id_, seq), field="text")
                    target = content(target, record=entry_record(id_, seq), field="target")
                    pending.append(
                        PendingInstruction(
                            serial, title, target, fact.occurred_at, text, owed.due_at, level
                        )
                    )
        bulletins = _bulletins(db, start, at, read)
        shown.update((b.classification, "") for b in bulletins if b.title is not None)
        day = handover_day(at, settings.night_shift_start, settings.tz)
        # Leaders away: a classified itinerary opens (audited, marked) to whom it may.
        away = leaders_away(db, *day_window(day, settings.tz), read)
        shown.update((Classification(a.classification), "") for a in away if not a.restricted)
    # Classified items count under their mark only, for every reader alike: the counts
    # by category and grade of a cleared pack and an uncleared one add up the same way.
    by_category, by_severity = counts(
        tuple(item for item in received if not item.classification.is_classified)
    )
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
                Classification(a.classification),
                a.restricted,
            )
            for a in away
        ),
        roster=_roster(db, at, settings),
        classified=tuple(ClassifiedItem(s, c) for s, c in sorted(classified.items())),
        classified_received=classified_received,
        chain_head=signed_head(db),
        emerging=top_candidates(req, at=at, limit=EMERGING_IN_PACK),
        daily_reports=states(db, duty_date(start, rules), duty_date(at, rules), rules),
        marking=marking_of(shown),
    )


__all__ = ["build_pack"]
