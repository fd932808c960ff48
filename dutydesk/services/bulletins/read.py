"""Reading bulletins: plain views for renderers, and the facts drafting is made from.

Read through :meth:`dutydesk.storage.engine.Database.read` (plain SQL). A bulletin above the
viewer's clearance comes back restricted: number, kind, status and classification only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dutydesk.errors import DutyDeskError, NotFoundError
from dutydesk.i18n import label, t
from dutydesk.rules.bulletins import KIND_NAMES, EntryFacts, ItemFacts, issue_label
from dutydesk.rules.documents import AwayFacts, BulletinView, ItemRef
from dutydesk.rules.policy import may_see
from dutydesk.services.integrity.sealed import Opener, entry_record, incident_record, record_view
from dutydesk.services.roster.pane import leaders_away
from dutydesk.storage.engine import Database, as_utc
from dutydesk.vocab import BulletinKind, BulletinStatus, Classification, EntryKind

if TYPE_CHECKING:
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.crypto import KeyRing


class BulletinError(DutyDeskError):
    """A bulletin cannot be drafted, changed or sent as asked; nothing was written."""

    exit_code = 2


_COLUMNS = (
    "b.id, b.kind, b.year, b.issue_no, b.status, b.classification, b.title, b.body, "
    "b.short_version, b.created_at, b.reviewed_by, b.reviewed_at, "
    "COALESCE(p.name, ''), b.signed_off_at, b.issued_at"
)


def _items(
    db: Database, bulletin_id: int, clearance: Classification, opener: Opener
) -> tuple[ItemRef, ...]:
    rows = db.read(
        "SELECT i.serial, i.classification, i.title, i.id FROM bulletin_item bi "
        "JOIN incident i ON i.id = bi.incident_id WHERE bi.bulletin_id = :id "
        "ORDER BY bi.position",
        {"id": bulletin_id},
    )
    return tuple(
        ItemRef(
            str(serial),
            Classification(level),
            opener(title, record=incident_record(int(id_)), field="title", classification=level)
            if may_see(clearance, level)
            else None,
        )
        for serial, level, title, id_ in rows
    )


def day_bounds(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day around ``moment``: [00:00, next 00:00) in ``tz``."""
    start = datetime.combine(moment.astimezone(tz).date(), time(0), tz)
    return start, start + timedelta(days=1)


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
        "WHERE b.id = :id",
        {"id": bulletin_id},
    )
    if not rows:
        raise NotFoundError(t("bulletin.not_found", id=bulletin_id))
    (
        id_,
        kind,
        year,
        number,
        status,
        level,
        title,
        body,
        short,
        created,
        reviewer,
        reviewed,
        signer,
        signed,
        issued,
    ) = rows[0]
    classification = Classification(level)
    opener = Opener(db, keys)
    head = {
        "id": int(id_),
        "kind": BulletinKind(kind),
        "year": int(year),
        "issue_no": number,
        "status": BulletinStatus(status),
        "classification": classification,
        "items": _items(db, int(id_), clearance, opener),
    }
    if not may_see(clearance, classification):
        return BulletinView(restricted=True, **head)
    away: tuple[AwayFacts, ...] = ()
    if head["kind"] is BulletinKind.DIRECT:
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
            )
            for a in leaders_away(db, *day_bounds(as_utc(issued) or now, tz))
        )
    where = f"bulletin:{int(id_)}"
    if classification.is_classified:
        record_view(db, viewer, "bulletin", int(id_), classification.value, now)
    return BulletinView(
        restricted=False,
        title=opener(title, record=where, field="title", classification=classification),
        body=opener(body, record=where, field="body", classification=classification),
        short_version=str(short),
        created_at=as_utc(created),
        reviewed_by=str(reviewer),
        reviewed_at=as_utc(reviewed),
        signed_off_by=str(signer),
        signed_off_at=as_utc(signed),
        issued_at=as_utc(issued),
        away=away,
        **head,
    )


def list_bulletins(
    db: Database,
    *,
    clearance: Classification = Classification.INTERNAL,
    include_discarded: bool = False,
    limit: int = 200,
) -> list[tuple[int, BulletinKind, int, int | None, BulletinStatus, Classification, str | None]]:
    """Recent bulletins, newest first: (id, kind, year, number, status, classification, title).

    The title is ``None`` where the reader's ``clearance`` does not reach the bulletin's
    classification; such titles are never opened.
    """
    where = "" if include_discarded else "WHERE status != 'discarded'"
    rows = db.read(
        f"SELECT id, kind, year, issue_no, status, classification, title FROM bulletin {where} "  # noqa: S608 - WHERE is one of two constants; limit is bound
        "ORDER BY created_at DESC, id DESC LIMIT :limit",
        {"limit": limit},
    )
    opener = Opener(db, None)  # sealed titles opened for callers that gate by clearance
    return [
        (
            int(i),
            BulletinKind(k),
            int(y),
            n,
            BulletinStatus(s),
            Classification(c),
            opener(title, record=f"bulletin:{int(i)}", field="title", classification=c)
            if may_see(clearance, c)
            else None,
        )
        for i, k, y, n, s, c, title in rows
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
    rows = db.read("SELECT kind, year, issue_no FROM bulletin WHERE id = :id", {"id": bulletin_id})
    if not rows:
        raise NotFoundError(f"no bulletin {bulletin_id}")
    kind, year, number = rows[0]
    return f"《{KIND_NAMES[BulletinKind(kind)]}》{issue_label(int(year), number)}"


def incident_facts(db: Database, serials: Sequence[str]) -> list[tuple[int, ItemFacts]]:
    """Incident ids and drafting facts for ``serials``, in the order given.

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
            "SELECT id, title, summary, classification, reporter_unit, reporter_name, "
            "drill_run_id FROM incident WHERE serial = :serial",
            {"serial": serial},
        )
        if not rows:
            raise NotFoundError(t("bulletin.no_incident", serial=serial))
        id_, title, summary, level, unit, name, drill = rows[0]
        if drill is not None:
            raise BulletinError(t("drill.no_bulletin", serial=serial))
        found.append((int(id_), _facts(db, int(id_), serial, title, summary, level, unit, name)))
    return found


def bulletin_facts(db: Database, bulletin_id: int) -> list[ItemFacts]:
    """Drafting facts of a bulletin's items, in order."""
    rows = db.read(
        "SELECT i.id, i.serial, i.title, i.summary, i.classification, i.reporter_unit, "
        "i.reporter_name FROM bulletin_item bi JOIN incident i ON i.id = bi.incident_id "
        # A drill incident never reaches a real bulletin or its short version.
        "WHERE bi.bulletin_id = :id AND i.drill_run_id IS NULL ORDER BY bi.position",
        {"id": bulletin_id},
    )
    return [_facts(db, int(row[0]), *row[1:]) for row in rows]


def _facts(
    db: Database,
    incident_id: int,
    serial: str,
    title: str,
    summary: str,
    level: str,
    unit: str,
    name: str,
) -> ItemFacts:
    entries = db.read(
        "SELECT kind, occurred_at, text, target, seq FROM timeline_entry "
        "WHERE incident_id = :id ORDER BY occurred_at, seq",
        {"id": incident_id},
    )
    # Drafting is for the cleared (the bulletin services check before drafting): sealed
    # text is opened with the database's key file, a placeholder if it is missing.
    opener = Opener(db, None)
    where = incident_record(incident_id)
    return ItemFacts(
        serial=str(serial),
        title=opener(title, record=where, field="title", classification=level),
        summary=opener(summary, record=where, field="summary", classification=level),
        classification=Classification(level),
        reporter_unit=str(unit),
        reporter_name=str(name),
        entries=tuple(
            EntryFacts(
                EntryKind(kind),
                as_utc(at),  # type: ignore[arg-type]
                opener(
                    text,
                    record=entry_record(incident_id, int(seq)),
                    field="text",
                    classification=level,
                ),
                str(target),
            )
            for kind, at, text, target, seq in entries
        ),
    )


def describe(view: BulletinView) -> str:
    """``《信息快报》2026年第7期`` (or 未编号), for messages."""
    from dutydesk.rules.bulletins import KIND_NAMES, issue_label

    return f"《{KIND_NAMES[view.kind]}》{issue_label(view.year, view.issue_no)}" + (
        f" [{label(view.classification)}]" if view.classification.is_classified else ""
    )
