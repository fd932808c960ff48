"""Incidents and timelines as plain records, for the command line and exports.

Read-only, through :meth:`dutydesk.storage.engine.Database.read` (no ORM import), returning frozen
dataclasses holding every stored field exactly as stored. Content the viewer is not
cleared for is withheld: a restricted record carries serial, times, status and
classification only (docs/architecture.md §7: classified items by serial number only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from dutydesk.errors import NotFoundError
from dutydesk.i18n import t
from dutydesk.records import record
from dutydesk.services.incidents.queue import QUEUE_ORDER, registers_of
from dutydesk.services.incidents.register_view import (
    CopyMovement,
    copy_movements,
    register_line_of,
)
from dutydesk.services.integrity.reading import ClassifiedRead, audited_read
from dutydesk.services.integrity.sealed import SEALED_FIELDS, entry_record, incident_record
from dutydesk.storage.engine import Row, as_utc
from dutydesk.vocab import (
    Category,
    Channel,
    Classification,
    EntryKind,
    MatterKind,
    Severity,
    Status,
)

if TYPE_CHECKING:
    from dutydesk.services.request import Request

_CONTENT = (
    "channel",
    "category",
    "severity",
    "title",
    "summary",
    "location",
    "reporter_name",
    "reporter_unit",
    "reporter_phone",
    "assigned_leader",
    "assigned_department",
    "occurred_at",
    "deaths",
    "injured",
    "missing",
    "trapped",
)
_COLUMNS: tuple[str, ...] = (
    "id",
    "serial",
    "received_at",
    "status",
    "classification",
    "due_at",
    "due_step",
    "version",
    "drill_run_id",
    "matter_kind",
    "sensitive",
    "report_every_minutes",
    *_CONTENT,
)


@record
class TimelineRecord:
    """One timeline entry, every field as stored; ``refers_to`` is the referred ``seq``."""

    seq: int
    kind: EntryKind
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    text: str
    report_no: int | None
    target: str
    due_at: datetime | None
    refers_to: int | None


@record
class IncidentRecord:
    """An incident as stored. Content fields are ``None`` when ``restricted``."""

    id: int
    serial: str
    received_at: datetime
    status: Status
    classification: Classification
    due_at: datetime | None
    due_step: str | None
    version: int
    restricted: bool
    drill_run_id: int | None = None
    """The drill (演练) run that created it; ``None`` for a real incident."""
    channel: Channel | None = None
    category: Category | None = None
    severity: Severity | None = None
    title: str | None = None
    summary: str | None = None
    location: str | None = None
    reporter_name: str | None = None
    reporter_unit: str | None = None
    reporter_phone: str | None = None
    assigned_leader: str | None = None
    assigned_department: str | None = None
    matter_kind: MatterKind = MatterKind.EMERGENCY
    """Which clocks run (issue 12); shown even when the content is restricted."""
    sensitive: bool = False
    report_every_minutes: int | None = None
    occurred_at: datetime | None = None
    """事发时间 (content: withheld when restricted, like the casualty figures)."""
    deaths: int | None = None
    injured: int | None = None
    missing: int | None = None
    trapped: int | None = None
    timeline: tuple[TimelineRecord, ...] = field(default=())
    register: str = ""
    """Register mode (issue 13): a classified item's register line, for every reader
    (it holds no content); empty when the item has no register."""
    copies: tuple[CopyMovement, ...] = field(default=())
    """The register's copy movements (呈批, 传阅, 清退, 销毁), for every reader; filled by
    :func:`get_incident` only."""


def _record(row: Row, read: ClassifiedRead, register: str = "") -> IncidentRecord:
    content = read.content(row.classification, str(row.serial))
    fields: dict[str, Any] = {}
    if content is not None:
        fields = {name: getattr(row, name) for name in _CONTENT}
        fields["channel"] = Channel(row.channel)
        fields["category"] = Category(row.category)
        fields["severity"] = Severity(row.severity)
        where = incident_record(int(row.id))
        for name in SEALED_FIELDS:  # issue 13: location, reporter... sealed too
            fields[name] = content(fields[name], record=where, field=name)
        fields["occurred_at"] = as_utc(row.occurred_at)
    return IncidentRecord(
        id=int(row.id),
        serial=str(row.serial),
        received_at=as_utc(row.received_at),  # type: ignore[arg-type]
        status=Status(row.status),
        classification=Classification(row.classification),
        due_at=as_utc(row.due_at),
        due_step=row.due_step,
        version=int(row.version),
        restricted=content is None,
        drill_run_id=row.drill_run_id,
        matter_kind=MatterKind(row.matter_kind),
        sensitive=bool(row.sensitive),
        report_every_minutes=row.report_every_minutes,
        register=register,
        **fields,
    )


@record
class IncidentFilter:
    """Which incidents a list holds; every filter given must hold."""

    statuses: Sequence[Status] = ()
    """Any of these statuses (closed ones included if named); empty: open incidents."""
    category: Category | None = None
    severity: Severity | None = None
    channel: Channel | None = None
    since: datetime | None = None
    """Received at or after this moment."""
    until: datetime | None = None
    """Received before this moment."""
    include_closed: bool = False
    """All incidents, in order of receipt, not only the open ones by urgency."""


def list_incidents(
    req: Request, filters: IncidentFilter | None = None, *, limit: int | None = None
) -> list[IncidentRecord]:
    """Incidents matching every filter given, at most ``limit`` of them.

    Open incidents only, most urgent first (the queue's order), unless
    ``include_closed``; then all, in order of receipt. ``since``/``until`` bound the
    receipt time (inclusive, exclusive). Content above ``req.clearance`` is withheld; a
    list showing classified content is an audit event of ``req.viewer`` at ``req.now``.
    """
    db, wanted = req.db, IncidentFilter() if filters is None else filters
    statuses, include_closed = wanted.statuses, wanted.include_closed
    since, until = wanted.since, wanted.until
    category, severity, channel = wanted.category, wanted.severity, wanted.channel
    where = [] if include_closed or statuses else ["is_open = TRUE"]
    params: dict[str, Any] = {}
    if statuses:
        names = [f"status{index}" for index in range(len(statuses))]
        where.append(f"status IN ({', '.join(':' + name for name in names)})")
        params.update(
            {name: Status(value).value for name, value in zip(names, statuses, strict=True)}
        )
    for column, value in (("category", category), ("severity", severity), ("channel", channel)):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value.value
    if since is not None:
        where.append("received_at >= :since")
        params["since"] = db.time_param(since)
    if until is not None:
        where.append("received_at < :until")
        params["until"] = db.time_param(until)
    order = "received_at, id" if include_closed or statuses else QUEUE_ORDER
    sql = f"SELECT {', '.join(_COLUMNS)} FROM incident"  # noqa: S608 - columns from a fixed tuple, order a constant; values bound
    sql += f" WHERE {' AND '.join(where)}" if where else ""
    sql += f" ORDER BY {order}"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = int(limit)
    rows = db.read(sql, params)
    registers = registers_of(db, rows)
    with audited_read(
        db,
        req.clearance,
        object_type="incident_list",
        keys=req.keys,
        viewer=req.viewer,
        now=req.now,
    ) as read:
        return [_record(row, read, registers.get(int(row.id), "")) for row in rows]


def get_incident(req: Request, serial: str) -> IncidentRecord:
    """The incident with this serial and, if the reader is cleared, its timeline.

    Classified content returned to a cleared ``req.viewer`` is decrypted with
    ``req.keys`` (else the database's key file) and recorded as viewed in the audit trail
    at ``req.now``.

    Raises:
        NotFoundError: no incident has this serial.

    """
    db = req.db
    rows = db.read(
        f"SELECT {', '.join(_COLUMNS)} FROM incident WHERE serial = :serial",  # noqa: S608 - constant columns; the serial is bound
        {"serial": serial.strip()},
    )
    if not rows:
        raise NotFoundError(t("cli.error.no_incident", serial=repr(serial.strip())))
    row = rows[0]
    # The register and its copy movements are not content: every reader gets them.
    register, copies = "", cast("tuple[CopyMovement, ...]", ())
    if Classification(row.classification).is_classified:
        register = register_line_of(db, int(row.id))
        copies = copy_movements(db, int(row.id))
    with audited_read(
        db, req.clearance, object_type="incident", keys=req.keys, viewer=req.viewer, now=req.now
    ) as read:
        record = replace(_record(row, read, register), copies=copies)
        content = read.content(record.classification, record.serial)
        if content is None:
            return record
        entries = db.read(
            "SELECT e.seq, e.kind, e.occurred_at, e.recorded_at, "
            "COALESCE(NULLIF(e.actor_name, ''), p.name, '') AS actor, e.text, e.report_no, "
            "e.target, e.due_at, r.seq AS refers_to FROM timeline_entry e "
            "LEFT JOIN person p ON p.id = e.actor_id "
            "LEFT JOIN timeline_entry r ON r.id = e.refers_to_id "
            "WHERE e.incident_id = :id ORDER BY e.seq",
            {"id": record.id},
        )
        timeline = tuple(
            TimelineRecord(
                seq=int(entry.seq),
                kind=EntryKind(entry.kind),
                occurred_at=as_utc(entry.occurred_at),  # type: ignore[arg-type]
                recorded_at=as_utc(entry.recorded_at),  # type: ignore[arg-type]
                actor=str(entry.actor),
                text=content(
                    entry.text, record=entry_record(record.id, int(entry.seq)), field="text"
                ),
                report_no=entry.report_no,
                target=content(
                    entry.target, record=entry_record(record.id, int(entry.seq)), field="target"
                ),
                due_at=as_utc(entry.due_at),
                refers_to=entry.refers_to,
            )
            for entry in entries
        )
        return replace(record, timeline=timeline)
