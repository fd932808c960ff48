"""Intake (接报登记): register what comes in, warn of duplicates, link instead of repeat.

* :func:`register` and :func:`register_many` write new incidents through
  :func:`dutydesk.services.incidents.incident.create_incident` in a retried write transaction
  (:mod:`dutydesk.services.retry`), so two consoles or a console and a grassroots feed
  registering at the same moment both succeed with consecutive serials.
* :func:`find_similar` looks for incidents received within two hours of this one with
  the same category and place, or a very similar summary (:mod:`dutydesk.rules.similarity`).
* :func:`link_as_continued_report` records the new report on the existing incident
  instead of opening a second one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from dutydesk.errors import NotFoundError
from dutydesk.i18n import t
from dutydesk.records import record
from dutydesk.rules.similarity import COMPARED_CHARS, SIMILAR_SUMMARY, bigrams, jaccard, same_place
from dutydesk.services.integrity.reading import audited_read
from dutydesk.services.integrity.sealed import incident_record, is_classified
from dutydesk.storage.engine import Database, as_utc
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
    from sqlmodel import Session

    from dutydesk.services.incidents.register import RegisterFields
    from dutydesk.services.integrity.reading import ClassifiedRead
    from dutydesk.services.request import Request
    from dutydesk.storage.models import Incident, TimelineEntry

DUPLICATE_WINDOW = timedelta(hours=2)
"""How far apart two receipts may be to count as possibly the same matter."""

_CLAUSE_END = re.compile(r"[，。；！？,.;!?\n]")


def default_title(summary: str, limit: int = 30) -> str:
    """The summary's first clause (up to the first comma or stop), at most ``limit`` chars.

    Used by the console's intake form and by ``dutydesk incident add`` when no title is
    given: a phone report is filed in seconds and titled later if need be.
    """
    first = _CLAUSE_END.split(summary.strip(), maxsplit=1)[0].strip()
    return first[:limit] or summary.strip()[:limit]


@record
class NewIncident:
    """What came in, as the officer (or a feed) gives it: the fields of a new incident.

    Codes may be the enumerations or their stored values; they are checked when the
    incident is written (:func:`dutydesk.services.incidents.incident.create_incident`).
    """

    received_at: datetime
    """When the report reached the desk (aware)."""
    channel: Channel | str
    """How it came in."""
    category: Category | str
    """Kind of incident."""
    severity: Severity | str
    """Grade, or ``unassessed``."""
    classification: Classification | str
    """密级 of the content."""
    title: str
    """A short title."""
    summary: str
    """What was reported; the only text that must not be blank."""
    reporter_name: str = ""
    reporter_unit: str = ""
    reporter_phone: str = ""
    location: str = ""
    """Where it happened."""
    received_text: str | None = None
    """Text of the ``received`` entry; the summary when ``None``."""
    kind: MatterKind | str | None = None
    """突发事件, 群众诉求 or 收文密电; ``None``: as its category or channel starts it."""
    occurred_at: datetime | None = None
    """事发时间: when it happened (aware), a required 报告要素 of an emergency."""
    sensitive: bool = False
    """敏感: on grade I's report clocks whatever its grade."""
    report_every_minutes: int | None = None
    """A continued-report cadence set at intake (每小时 = 60)."""
    deaths: int | None = None
    injured: int | None = None
    missing: int | None = None
    trapped: int | None = None
    register: RegisterFields | None = None
    """Issue 13: the register of a classified item (organ, 文号, ★期限, copies, signer)."""
    readers: tuple[str, ...] = ()
    """知悉范围 of a classified item: persons or units named at intake (besides the registrar)."""


def register(req: Request, report: NewIncident) -> Incident:
    """Create one incident (:func:`create_incident` in its own transaction), retried."""
    from dutydesk.services.incidents.incident import create_incident
    from dutydesk.services.retry import write_with_retry

    return write_with_retry(req.db, lambda session: create_incident(req, report, session=session))


def register_many(req: Request, reports: Sequence[NewIncident]) -> list[Incident]:
    """Create several incidents in one transaction: all of them, or none if one is invalid."""
    from dutydesk.services.incidents.incident import create_incident
    from dutydesk.services.retry import write_with_retry

    def work(session: Session) -> list[Incident]:
        return [create_incident(req, report, session=session) for report in reports]

    return write_with_retry(req.db, work)


class SimilarIncident(NamedTuple):
    """An earlier incident that may be the same matter. Content is ``None`` if restricted."""

    id: int
    serial: str
    received_at: datetime
    status: Status
    version: int
    score: float
    """Bigram Jaccard index of the two summaries (0.0-1.0)."""
    same_place: bool
    """Same category and the same (normalised) location."""
    classification: Classification
    title: str | None
    location: str | None

    @property
    def is_open(self) -> bool:
        """True when the incident can take a continued report without reopening."""
        return self.status is not Status.CLOSED


def _time_param(db: Database, session: Session | None, moment: datetime) -> Any:
    if session is None:
        return db.time_param(moment)
    if session.get_bind().dialect.name == "sqlite":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def _when(value: Any) -> float:
    moment = as_utc(value)
    assert moment is not None  # a NOT NULL column
    return moment.timestamp()


def _place(read: ClassifiedRead, row: Any) -> str | None:
    """The place of candidate ``row`` to compare, or ``None`` when it is not compared.

    A classified item's place is sealed on an accredited network (issue 13): it is
    compared only for a reader who may open it, so a "same place" says nothing to
    anyone else about where it happened; nothing is noted as shown for comparing.
    """
    if not is_classified(row.classification):
        return str(row.location)
    content = read.compared(row.classification, str(row.serial))
    if content is None:
        return None
    return content(row.location, record=incident_record(int(row.id)), field="location")


def find_similar(
    req: Request,
    *,
    category: Category | str,
    location: str,
    summary: str,
    received_at: datetime,
    within: timedelta = DUPLICATE_WINDOW,
    exclude_id: int | None = None,
    limit: int = 5,
    session: Session | None = None,
) -> list[SimilarIncident]:
    """Incidents received within ``within`` of ``received_at`` that may be this one.

    A candidate matches when it has the same category and location, or when its
    summary is very similar (bigram Jaccard >= 0.6, see :mod:`dutydesk.rules.similarity`).
    Closed incidents are included (the officer may want to reopen one). Content the
    viewer is not cleared for is withheld: only serial, time and classification show.

    Args:
        req: the reader (``clearance``, ``viewer``, ``now``) and the key ring for the
            title of a classified match shown to a cleared viewer. Classified summaries
            are encrypted and never compared: a classified incident matches by category
            and place only. A classified match's title shown is an audit event.
        category: the new report's category.
        location: its place.
        summary: its summary.
        received_at: when it came in (aware).
        within: the window either side of ``received_at``.
        exclude_id: an incident to leave out (the one being edited).
        limit: at most this many, best first (same place, then score, then newest).
        session: an open session to read in (inside a write transaction, where the
            audit event is written too); ``None``: ``req.db``.

    Returns:
        The matches, best first.

    """
    sql = (
        "SELECT id, serial, received_at, category, location, title, "  # noqa: S608 - COMPARED_CHARS is an int constant; values bound
        f"substr(summary, 1, {COMPARED_CHARS}) AS compared, status, classification, version "
        "FROM incident WHERE received_at >= :since AND received_at <= :until "
        "ORDER BY received_at DESC"
    )
    db = req.db
    params = {
        "since": _time_param(db, session, received_at - within),
        "until": _time_param(db, session, received_at + within),
    }
    rows: Sequence[Any]
    if session is None:
        rows = db.read(sql, params)
    else:
        from sqlalchemy import text

        rows = list(session.execute(text(sql), params))  # SQLAlchemy rows: also by name
    wanted = Category(category)
    mine = bigrams(summary)
    found: list[SimilarIncident] = []
    with audited_read(
        db,
        req.clearance,
        object_type="similar",
        keys=req.keys,
        viewer=req.viewer,
        now=req.now,
        session=session,
    ) as read:
        candidates: list[tuple[Any, bool, float]] = []
        for row in rows:
            if row.id == exclude_id:
                continue
            place = _place(read, row)
            here = row.category == wanted.value and place is not None
            here = here and same_place(location, str(place))
            level = row.classification
            score = 0.0 if is_classified(level) else jaccard(mine, bigrams(str(row.compared)))
            if here or score >= SIMILAR_SUMMARY:
                candidates.append((row, here, round(score, 3)))
        # Same place first, then the closer summary, then the newest.
        candidates.sort(key=lambda c: (not c[1], -c[2], -_when(c[0].received_at)))
        for row, here, score in candidates[:limit]:  # only the matches shown are opened
            content = read.content(row.classification, str(row.serial))
            where = incident_record(int(row.id))
            found.append(
                SimilarIncident(
                    id=int(row.id),
                    serial=str(row.serial),
                    received_at=as_utc(row.received_at),  # type: ignore[arg-type]
                    status=Status(row.status),
                    version=int(row.version),
                    score=score,
                    same_place=here,
                    classification=Classification(row.classification),
                    title=None
                    if content is None
                    else content(row.title, record=where, field="title"),
                    location=None
                    if content is None
                    else content(row.location, record=where, field="location"),
                )
            )
    return found


def link_as_continued_report(
    req: Request,
    *,
    session: Session,
    incident_id: int,
    summary: str,
    received_at: datetime,
    reporter: str = "",
    expected_version: int | None = None,
) -> TimelineEntry:
    """Record a new report on an existing incident instead of registering it again.

    It becomes the incident's next continued report (续报, numbered automatically).
    While the incident has no first report yet a continued report would be refused
    (record the first report first), so the new report is then kept as a note: the
    officer still files it in seconds and the report clocks are not disturbed.

    Args:
        req: who writes, when, the deadline rules and the key ring sealing the text when
            the incident is classified.
        session: a writing session.
        incident_id: the existing incident.
        summary: the new report's text, stored exactly.
        received_at: when the new report came in (not before the incident's receipt:
            an earlier time is taken as the incident's receipt).
        reporter: who sent it (unit, name, phone), put in front of the text.
        expected_version: the version the officer saw in the duplicate warning.

    Returns:
        The new timeline entry (``continued_report`` or ``note``).

    Raises:
        NotFoundError: no such incident.
        EntryRefused: the incident is closed (reopen it first).
        ConflictError: ``expected_version`` is out of date.
        IncidentError: blank summary.

    """
    from dutydesk.services.incidents.followup import NewEntry, add_entry
    from dutydesk.services.incidents.records import EntryRefused, IncidentError
    from dutydesk.storage.models import Incident

    if not summary.strip():
        raise IncidentError(t("error.incident.no_summary"))
    incident = session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
    if incident is None:
        raise NotFoundError(t("error.incident.no_id", id=incident_id))
    text = f"{reporter}: {summary}" if reporter.strip() else summary
    entry = NewEntry(
        kind=EntryKind.CONTINUED_REPORT,
        occurred_at=max(received_at, incident.received_at),
        text=text,
        expected_version=expected_version,
    )
    try:
        return add_entry(req, incident, entry, session=session)
    except EntryRefused as refused:
        if refused.refusal.key != "continued_before_first":
            raise
        return add_entry(req, incident, replace(entry, kind=EntryKind.NOTE), session=session)
