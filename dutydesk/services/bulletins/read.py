"""Reading bulletins: plain views for renderers, and the facts drafting is made from.

Read through :meth:`dutydesk.storage.engine.Database.read` (plain SQL). A bulletin above the
viewer's clearance comes back restricted: number, kind, status and classification only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dutydesk.errors import DutyDeskError, NotFoundError
from dutydesk.i18n import label, t
from dutydesk.rules.bulletins import EntryFacts, ItemFacts, numbered_name
from dutydesk.rules.dates import day_around
from dutydesk.rules.documents import AwayFacts, BulletinView, ItemRef
from dutydesk.rules.facts import casualty_line
from dutydesk.services.integrity.reading import ClassifiedRead, audited_read
from dutydesk.services.integrity.sealed import entry_record, incident_record
from dutydesk.services.roster.pane import leaders_away
from dutydesk.storage.engine import Database, Row, as_utc
from dutydesk.vocab import BulletinKind, BulletinStatus, Classification, EntryKind, Urgency

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing


class BulletinError(DutyDeskError):
    """A bulletin cannot be drafted, changed or sent as asked; nothing was written."""

    exit_code = 2


_COLUMNS = (
    "b.id, b.kind, b.year, b.issue_no, b.status, b.classification, b.title, b.body, "
    "b.short_version, b.created_at, b.reviewed_by, b.reviewed_at, "
    "COALESCE(p.name, '') AS signer, b.signed_off_at, b.issued_at, "
    "COALESCE(l.name, '') AS leader, b.urgency"
)


def _items(db: Database, bulletin_id: int, read: ClassifiedRead) -> tuple[ItemRef, ...]:
    rows = db.read(
        "SELECT i.serial, i.classification, i.title, i.id, bi.sms_allowed FROM bulletin_item bi "
        "JOIN incident i ON i.id = bi.incident_id WHERE bi.bulletin_id = :id "
        "ORDER BY bi.position",
        {"id": bulletin_id},
    )
    return tuple(
        read.views(
            rows,
            level=lambda row: row.classification,
            shown=lambda row: str(row.serial),
            visible=lambda row, content: ItemRef(
                str(row.serial),
                content.level,
                content(row.title, record=incident_record(int(row.id)), field="title"),
                bool(row.sms_allowed),
            ),
            restricted=lambda row: ItemRef(
                str(row.serial), Classification(row.classification), None, bool(row.sms_allowed)
            ),
        )
    )


def get_bulletin(
    db: Database,
    bulletin_id: int,
    *,
    tz: ZoneInfo,
    now: datetime,
    clearance: Classification = Classification.INTERNAL,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
) -> BulletinView:
    """The bulletin with its items (and, for 《信息直呈》, the leaders away that day).

    Sealed text (a classified bulletin's title and body, classified item titles) is
    opened only for a cleared viewer, with ``keys`` (else the database's key file); a
    classified bulletin shown to ``viewer`` is an audit event.

    Raises:
        NotFoundError: there is no such bulletin.

    """
    rows = db.read(
        f"SELECT {_COLUMNS} FROM bulletin b LEFT JOIN person p ON p.id = b.signed_off_by_id "  # noqa: S608 - constant columns; the id is bound
        "LEFT JOIN person l ON l.id = b.leader_id WHERE b.id = :id",
        {"id": bulletin_id},
    )
    if not rows:
        raise NotFoundError(t("bulletin.not_found", id=bulletin_id))
    row = rows[0]
    with audited_read(
        db,
        clearance,
        object_type="bulletin",
        object_id=int(row.id),
        keys=keys,
        viewer=viewer,
        now=now,
    ) as read:
        head = {
            "id": int(row.id),
            "kind": BulletinKind(row.kind),
            "year": int(row.year),
            "issue_no": row.issue_no,
            "status": BulletinStatus(row.status),
            "classification": Classification(row.classification),
            "items": _items(db, int(row.id), read),
            "presented_to": str(row.leader),
            "urgency": Urgency(row.urgency),
        }
        content = read.content(row.classification, f"bulletin:{int(row.id)}")
        if content is None:
            return BulletinView(restricted=True, **head)
        # Both products carry the day's leave reports (the seed: 《信息直呈》 and 《信息快报》).
        # Read with no classified read: a classified itinerary is withheld, whoever prints.
        away = tuple(
            AwayFacts(
                leader=a.leader,
                leader_title=a.leader_title,
                destination=a.destination,
                reason=a.reason,
                start_at=a.start_at,
                end_at=a.end_at,
                acting=a.acting,
                acting_title=a.acting_title,
                contact_phone=a.contact_phone,
                leave_type=a.leave_type,
                classification=a.classification,
                restricted=a.restricted,
            )
            for a in leaders_away(db, *day_around(as_utc(row.issued_at) or now, tz))
        )
        where = f"bulletin:{int(row.id)}"
        return BulletinView(
            restricted=False,
            title=content(row.title, record=where, field="title"),
            body=content(row.body, record=where, field="body"),
            short_version=str(row.short_version),
            created_at=as_utc(row.created_at),
            reviewed_by=str(row.reviewed_by),
            reviewed_at=as_utc(row.reviewed_at),
            signed_off_by=str(row.signer),
            signed_off_at=as_utc(row.signed_off_at),
            issued_at=as_utc(row.issued_at),
            away=away,
            **head,
        )


def list_bulletins(
    db: Database,
    *,
    clearance: Classification = Classification.INTERNAL,
    include_discarded: bool = False,
    limit: int = 200,
    keys: KeyRing | None = None,
    viewer: Operator | int | str | None = None,
    now: datetime | None = None,
) -> list[tuple[int, BulletinKind, int, int | None, BulletinStatus, Classification, str | None]]:
    """Recent bulletins, newest first: (id, kind, year, number, status, classification, title).

    The title is ``None`` where the reader's ``clearance`` does not reach the bulletin's
    classification; such titles are never opened. A list showing classified titles to
    ``viewer`` is an audit event at ``now``.
    """
    where = "" if include_discarded else "WHERE status != 'discarded'"
    rows = db.read(
        f"SELECT id, kind, year, issue_no, status, classification, title FROM bulletin {where} "  # noqa: S608 - WHERE is one of two constants; limit is bound
        "ORDER BY created_at DESC, id DESC LIMIT :limit",
        {"limit": limit},
    )
    with audited_read(
        db, clearance, object_type="bulletin_list", keys=keys, viewer=viewer, now=now
    ) as read:
        titles = read.views(
            rows,
            level=lambda row: row.classification,
            shown=lambda row: f"bulletin:{int(row.id)}",
            visible=lambda row, content: content(
                row.title, record=f"bulletin:{int(row.id)}", field="title"
            ),
            restricted=lambda row: None,
        )
    return [
        (
            int(row.id),
            BulletinKind(row.kind),
            int(row.year),
            row.issue_no,
            BulletinStatus(row.status),
            Classification(row.classification),
            title,
        )
        for row, title in zip(rows, titles, strict=True)
    ]


BulletinRef = tuple[int, BulletinKind, int, int | None, BulletinStatus]
"""A bulletin by number and state: (id, kind, year, number or ``None``, status)."""


def bulletins_of(db: Database, serial: str) -> list[BulletinRef]:
    """The bulletins carrying incident ``serial``, oldest first, discarded ones left out.

    Numbers and states only, no content, so the list needs no clearance (the console
    shows it before anything is opened).
    """
    rows = db.read(
        "SELECT b.id, b.kind, b.year, b.issue_no, b.status FROM bulletin b "
        "JOIN bulletin_item bi ON bi.bulletin_id = b.id "
        "JOIN incident i ON i.id = bi.incident_id "
        "WHERE i.serial = :serial AND b.status != 'discarded' ORDER BY b.id",
        {"serial": serial},
    )
    return [
        (int(i), BulletinKind(k), int(y), None if n is None else int(n), BulletinStatus(s))
        for i, k, y, n, s in rows
    ]


def issue_title(db: Database, bulletin_id: int) -> str:
    """《Kind》YYYY年第N期 of an issued bulletin (its number label, no content).

    Raises:
        NotFoundError: no such bulletin.

    """
    rows = db.read(
        "SELECT kind, year, issue_no, classification FROM bulletin WHERE id = :id",
        {"id": bulletin_id},
    )
    if not rows:
        raise NotFoundError(f"no bulletin {bulletin_id}")
    kind, year, number, level = rows[0]
    return numbered_name(BulletinKind(kind), int(year), number, level)


def presented_to(db: Database, bulletin_id: int) -> tuple[BulletinKind, str]:
    """A bulletin's kind and, for a 《信息直呈》, the leader it names ("" if none).

    Raises:
        NotFoundError: no such bulletin.

    """
    rows = db.read(
        "SELECT b.kind, COALESCE(p.name, '') FROM bulletin b "
        "LEFT JOIN person p ON p.id = b.leader_id WHERE b.id = :id",
        {"id": bulletin_id},
    )
    if not rows:
        raise NotFoundError(t("bulletin.not_found", id=bulletin_id))
    return BulletinKind(rows[0][0]), str(rows[0][1])


def bulletin_level(db: Database, bulletin_id: int) -> Classification:
    """A bulletin's classification (no content read).

    Raises:
        NotFoundError: no such bulletin.

    """
    rows = db.read("SELECT classification FROM bulletin WHERE id = :id", {"id": bulletin_id})
    if not rows:
        raise NotFoundError(t("bulletin.not_found", id=bulletin_id))
    return Classification(rows[0][0])


def incident_facts(
    db: Database, serials: Sequence[str], read: ClassifiedRead
) -> list[tuple[int, ItemFacts]]:
    """Incident ids and drafting facts for ``serials``, in the order given.

    Facts of an incident above ``read``'s clearance carry no text (see :func:`_facts`).

    Raises:
        BulletinError: a serial names no incident, or is given twice.

    """
    wanted = [serial.strip() for serial in serials]
    duplicates = sorted({serial for serial in wanted if wanted.count(serial) > 1})
    if duplicates:
        raise BulletinError(t("bulletin.duplicate_item", serials=", ".join(duplicates)))
    found: list[tuple[int, ItemFacts]] = []
    for serial in wanted:
        rows = db.read(
            f"SELECT {_FACT_COLUMNS} FROM incident i WHERE serial = :serial",  # noqa: S608 - constant columns; the serial is bound
            {"serial": serial},
        )
        if not rows:
            raise NotFoundError(t("bulletin.no_incident", serial=serial))
        if rows[0].drill_run_id is not None:
            raise BulletinError(t("drill.no_bulletin", serial=serial))
        found.append((int(rows[0].id), _facts(db, rows[0], read)))
    return found


def bulletin_facts(db: Database, bulletin_id: int, read: ClassifiedRead) -> list[ItemFacts]:
    """Drafting facts of a bulletin's items, in order (no text above ``read``'s clearance)."""
    rows = db.read(
        f"SELECT {_FACT_COLUMNS} FROM bulletin_item bi JOIN incident i ON i.id = bi.incident_id "  # noqa: S608 - constant columns; the id is bound
        # A drill incident never reaches a real bulletin or its short version.
        "WHERE bi.bulletin_id = :id AND i.drill_run_id IS NULL ORDER BY bi.position",
        {"id": bulletin_id},
    )
    return [_facts(db, row, read) for row in rows]


_FACT_COLUMNS = (
    "i.id, i.serial, i.title, i.summary, i.classification, i.reporter_unit, i.reporter_name, "
    "i.drill_run_id, i.deaths, i.injured, i.missing, i.trapped"
)


def _facts(db: Database, row: Row, read: ClassifiedRead) -> ItemFacts:
    """What drafting needs of the incident ``row``; no text at all above the clearance.

    The caller refuses such an item (a drafter must be cleared for every item) or
    leaves it out (a short version carries no classified item).
    """
    level = Classification(row.classification)
    content = read.content(level, str(row.serial))
    if content is None:
        return ItemFacts(serial=str(row.serial), title="", summary="", classification=level)
    entries = db.read(
        "SELECT kind, occurred_at, text, target, seq FROM timeline_entry "
        "WHERE incident_id = :id ORDER BY occurred_at, seq",
        {"id": row.id},
    )
    incident_id = int(row.id)
    where = incident_record(incident_id)
    return ItemFacts(
        serial=str(row.serial),
        title=content(row.title, record=where, field="title"),
        summary=content(row.summary, record=where, field="summary"),
        classification=level,
        reporter_unit=content(row.reporter_unit, record=where, field="reporter_unit"),
        reporter_name=content(row.reporter_name, record=where, field="reporter_name"),
        casualties=casualty_line(row),
        entries=tuple(
            EntryFacts(
                EntryKind(entry.kind),
                as_utc(entry.occurred_at),  # type: ignore[arg-type]
                content(entry.text, record=entry_record(incident_id, int(entry.seq)), field="text"),
                content(
                    entry.target, record=entry_record(incident_id, int(entry.seq)), field="target"
                ),
            )
            for entry in entries
        ),
    )


def describe(view: BulletinView) -> str:
    """``《信息快报》2026年第7期`` (or 未编号), for messages."""
    return numbered_name(view.kind, view.year, view.issue_no, view.classification) + (
        f" [{label(view.classification)}]" if view.classification.is_classified else ""
    )
