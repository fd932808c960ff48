"""The handover pack (交接班材料): its shape, and the pure rules of what goes into it.

The pack is plain data. :mod:`dutydesk.services.handover.pack` fills it from the store;
:mod:`dutydesk.reports.handover` renders it (txt, md, docx) without touching the store.
It lives here, below both, because services and reports are independent layers.

What a viewer is not cleared for never enters the pack: a classified incident appears
only in :attr:`HandoverPack.classified`, by serial and classification, and is counted
there, not by category or severity (a count by category would already say something).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dutydesk.rules.daily_report import DailyReportState
from dutydesk.rules.marking import Marking
from dutydesk.rules.trends import Candidate
from dutydesk.vocab import Category, Classification, Position, Severity, ShiftKind, Status


@dataclass(frozen=True)
class ReceivedItem:
    """An incident received in the period (visible to the viewer)."""

    serial: str
    received_at: datetime
    category: Category
    severity: Severity
    title: str
    status: Status
    classification: Classification = Classification.INTERNAL
    """Its level: a classified item shown to a cleared reader keeps its mark (【机密】)."""


@dataclass(frozen=True)
class OpenItem:
    """An incident still open, with its next due step and when (``None`` when none)."""

    serial: str
    received_at: datetime
    title: str
    severity: Severity
    status: Status
    due_step: str | None
    due_at: datetime | None
    casualties: str = ""
    """The latest figures, worded (死亡3人、受伤2人); empty when none are recorded."""
    classification: Classification = Classification.INTERNAL


@dataclass(frozen=True)
class OverdueStep:
    """A step whose deadline has passed at the pack's moment."""

    serial: str
    title: str
    step: str
    due_at: datetime
    classification: Classification = Classification.INTERNAL


@dataclass(frozen=True)
class PendingInstruction:
    """A leader instruction (领导批示) still awaiting the department's feedback."""

    serial: str
    title: str
    leader: str
    given_at: datetime
    text: str
    due_at: datetime
    classification: Classification = Classification.INTERNAL


@dataclass(frozen=True)
class IssuedBulletin:
    """A bulletin issued in the period; ``title`` is ``None`` when withheld."""

    kind: str
    year: int
    issue_no: int | None
    issued_at: datetime
    classification: Classification
    title: str | None


@dataclass(frozen=True)
class AwayLeader:
    """A leader away on the handover day and the colleague who looks after their work."""

    leader: str
    leader_title: str
    destination: str
    start_at: datetime
    end_at: datetime
    acting: str
    acting_title: str
    classification: Classification = Classification.INTERNAL
    """The itinerary's level (issue 13)."""
    restricted: bool = False
    """A classified itinerary the reader may not open: ``destination`` is blank."""


@dataclass(frozen=True)
class RosterSeat:
    """A person in a position; ``start_at``/``end_at`` for a partial cover."""

    position: Position
    name: str
    start_at: datetime | None = None
    end_at: datetime | None = None


@dataclass(frozen=True)
class RosterShift:
    """One shift of the handover day (today's day shift, tonight's night shift)."""

    shift_date: date
    kind: ShiftKind
    start_at: datetime
    end_at: datetime
    special_period: bool
    special_note: str
    planned: bool
    seats: tuple[RosterSeat, ...] = ()


@dataclass(frozen=True)
class ClassifiedItem:
    """A classified incident of the period: serial and classification (the register line).

    Every classified incident is listed, the ones the viewer may read too (those also
    appear, marked, among the others).
    """

    serial: str
    classification: Classification


@dataclass(frozen=True)
class HandoverPack:
    """Everything the 08:30 meeting hears, for the period ``[period_start, period_end)``."""

    period_start: datetime
    period_end: datetime
    generated_at: datetime
    clearance: Classification
    """The viewer's clearance the pack was made for."""
    received: tuple[ReceivedItem, ...] = ()
    by_category: tuple[tuple[Category, int], ...] = ()
    by_severity: tuple[tuple[Severity, int], ...] = ()
    open: tuple[OpenItem, ...] = ()
    overdue: tuple[OverdueStep, ...] = ()
    instructions: tuple[PendingInstruction, ...] = ()
    bulletins: tuple[IssuedBulletin, ...] = ()
    away: tuple[AwayLeader, ...] = ()
    roster: tuple[RosterShift, ...] = ()
    classified: tuple[ClassifiedItem, ...] = ()
    classified_received: int = 0
    """Classified incidents received in the period (listed in ``classified``), all of
    them: those the viewer may read as well (the count is true for every reader)."""
    chain_head: str = ""
    emerging: tuple[Candidate, ...] = ()
    """The strongest emerging issues of the last 24 hours (:mod:`dutydesk.rules.trends`)."""
    """The record's hash-chain head when the pack was made (``#57 3f9a1c2b…``)."""
    daily_reports: tuple[DailyReportState, ...] = ()
    """零报告: the special 值班日 of the period and whether their daily report was made."""
    handover_id: int | None = field(default=None, compare=False)
    marking: Marking | None = None
    """The highest level of the classified content shown (and the copy's 份号); ``None``
    when the pack shows none (:mod:`dutydesk.rules.marking`)."""

    @property
    def received_total(self) -> int:
        """Every incident received in the period, classified ones included."""
        shown_open = sum(1 for item in self.received if not item.classification.is_classified)
        return shown_open + self.classified_received

    @property
    def zero_report(self) -> bool:
        """True when nothing came in and nothing was issued in the period (零报告)."""
        return self.received_total == 0 and not self.bulletins


def counts(
    items: tuple[ReceivedItem, ...],
) -> tuple[tuple[tuple[Category, int], ...], tuple[tuple[Severity, int], ...]]:
    """Counts by category and by severity, in vocabulary order, zeros left out."""
    by_category = tuple((c, n) for c in Category if (n := sum(1 for i in items if i.category is c)))
    by_severity = tuple((s, n) for s in Severity if (n := sum(1 for i in items if i.severity is s)))
    return by_category, by_severity


def default_period_start(at: datetime, handover: time, tz: ZoneInfo) -> datetime:
    """The latest handover time (e.g. 08:30) strictly before ``at``: the fallback start."""
    local = at.astimezone(tz)
    candidate = datetime.combine(local.date(), handover, tz)
    if candidate >= local:
        candidate -= timedelta(days=1)
    return candidate


def handover_day(at: datetime, night_start: time, tz: ZoneInfo) -> date:
    """The day whose day and night shifts the pack lists.

    Before the night shift starts that is today (at 02:31 and at 08:30 alike, the day
    ahead); once tonight's shift has begun, tomorrow.
    """
    local = at.astimezone(tz)
    if local.time() >= night_start:
        return local.date() + timedelta(days=1)
    return local.date()
