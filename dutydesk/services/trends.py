"""Trends (key ``a``, ``dutydesk trends``): counts by dimension and emerging issues.

Reads through :meth:`Database.read` (plain SQL, no ORM): one query for the incidents of
the recent window and its baseline windows, one for the first record's time (the
history's start). The statistics are :mod:`dutydesk.rules.trends`.

Drill incidents (``incident.drill_run_id`` set) are left out unless
``include_drills=True``: a rehearsal must not look like an emerging issue.

Need-to-know: an incident the reader may not see, and every classified (涉密) incident
whatever the reader's clearance, is counted under ``restricted`` in every dimension and
never takes part in emerging issues or key phrases. Trends are aggregates that go into
the handover pack and the weekly summary, read in meeting rooms; classified matters are
handed over through the confidential channel. So no sealed text is ever opened here and
no view of classified content happens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.dates import same_week_last_year, year_earlier
from dutydesk.rules.policy import may_see
from dutydesk.rules.similarity import normalise
from dutydesk.rules.trends import (
    ALPHA,
    BASELINE_WINDOWS,
    PHRASE_CHANNELS,
    RESTRICTED,
    WINDOW_DAYS,
    Candidate,
    Dimension,
    NotableItem,
    TrendFact,
    TrendReport,
    WeeklySummary,
    build_report,
    emerging_candidates,
    location_key,
    phrases,
    place_keys,
    unit_key,
    year_ago_counts,
)
from dutydesk.storage.engine import Database, as_utc, stored_utc
from dutydesk.vocab import Category, Channel, Classification, Severity, Status

TREND_TEXT_CHARS = 4000
"""Emerging-issue phrases are read from a report's first 4,000 characters: its gist is
there, and one pasted document (up to the 2,000,000-character limit, issue 17) then
costs every handover pack and weekly report no more than a long report does (it took
their phrase search from well under a second to 13 s)."""

_SQL = (
    "SELECT id, serial, received_at, channel, category, severity, location, reporter_unit, "
    "classification, title, substr(summary, 1, :opening) AS summary, status "
    "FROM incident "
    "WHERE received_at >= :start AND received_at < :end{drills} ORDER BY received_at, id"
)
_NO_DRILLS = " AND drill_run_id IS NULL"
_FIRST = "SELECT min(received_at) FROM incident{where}"

_CHANNELS = {member.value: member for member in Channel}
_STATUSES = {member.value: member for member in Status}

if TYPE_CHECKING:
    from dutydesk.services.request import Request


def _time(value: object) -> datetime:
    if isinstance(value, str):  # SQLite: UTC text, parsed directly (the common case)
        return stored_utc(value)
    moment = as_utc(value)
    assert moment is not None  # a NOT NULL column
    return moment


class TrendsError(DutyDeskError, ValueError):
    """A window the trends cannot be read for; the message is in the interface language."""

    exit_code = 2


def window_length(window: str) -> timedelta:
    """The length of a named window (``day``, ``week``, ``month``).

    Raises:
        TrendsError: an unknown name (a ``ValueError``).

    """
    if window not in WINDOW_DAYS:
        allowed = ", ".join(WINDOW_DAYS)
        raise TrendsError(t("error.trends.window", window=repr(window), allowed=allowed))
    return timedelta(days=WINDOW_DAYS[window])


def _hidden(clearance: Classification) -> dict[str, bool]:
    """Per stored level: counted as restricted (classified, or beyond the reader)."""
    return {
        level.value: level.is_classified or not may_see(clearance, level)
        for level in Classification
    }


def _fact(row: Sequence[Any], hidden: Mapping[str, bool]) -> TrendFact:
    (id_, serial, received, channel, category, severity, location, unit, level, title,
     summary, status) = row  # fmt: skip
    if hidden[str(level)]:
        return TrendFact(
            id=int(id_),
            serial=str(serial),
            received_at=_time(received),
            restricted=True,
            keys=dict.fromkeys(Dimension, RESTRICTED),
        )
    public = _CHANNELS.get(str(channel)) in PHRASE_CHANNELS
    normalised = normalise(str(summary or "")) if public else ""
    places = place_keys(str(location or ""))
    return TrendFact(
        id=int(id_),
        serial=str(serial),
        received_at=_time(received),
        restricted=False,
        keys={
            Dimension.CATEGORY: str(category),
            Dimension.CHANNEL: str(channel),
            Dimension.SEVERITY: str(severity),
            Dimension.LOCATION: places[0] if places else location_key(""),
            Dimension.UNIT: unit_key(str(unit or "")),
        },
        title=str(title or ""),
        status=_STATUSES.get(str(status)),
        phrases=phrases(normalised, normalised=True) if public else frozenset(),
        text=normalised,
        places=places,
    )


def read_facts(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    clearance: Classification = Classification.INTERNAL,
    include_drills: bool = False,
) -> list[TrendFact]:
    """Incidents received in ``[start, end)`` as trend facts, for a reader at ``clearance``."""
    sql = _SQL.format(drills="" if include_drills else _NO_DRILLS)
    rows = db.read(
        sql,
        {"start": db.time_param(start), "end": db.time_param(end), "opening": TREND_TEXT_CHARS},
    )
    hidden = _hidden(clearance)
    return [_fact(row, hidden) for row in rows]


def history_start(db: Database, *, include_drills: bool = False) -> datetime | None:
    """When the first incident was received (``None``: the store has none)."""
    where = "" if include_drills else " WHERE drill_run_id IS NULL"
    rows = db.read(_FIRST.format(where=where))
    value = rows[0][0] if rows else None
    return _time(value) if value not in (None, "") else None


def trend_report(
    req: Request,
    *,
    end: datetime,
    length: timedelta,
    window: str,
    include_drills: bool = False,
    windows: int = BASELINE_WINDOWS,
    alpha: float = ALPHA,
    year_ago: tuple[datetime, datetime] | None = None,
) -> TrendReport:
    """Counts by dimension and emerging candidates for ``[end - length, end)``.

    Args:
        req: the reader: ``clearance`` (what it does not cover is counted as
            ``restricted``) and ``now`` (when the report is made).
        end: the recent window's end (usually now).
        length: every window's length (see :func:`window_length`).
        window: its name as printed (``day``, ``week``, ``month`` or ``custom``).
        include_drills: count drill incidents too (off for every real output).
        windows: baseline windows before the recent one.
        alpha: the report's family-wise error rate (rule 1).
        year_ago: the same period a year earlier, ``[start, end)``, for 同比 (see
            :func:`year_ago_window`); ``None``: no such comparison.

    Raises:
        TrendsError: a window length that is not positive, or windows that would start
            before year 1 (both ``ValueError``).

    """
    if length <= timedelta(0):
        raise TrendsError(t("error.trends.not_positive"))
    try:
        first = end - (windows + 1) * length
    except OverflowError:
        raise TrendsError(t("error.trends.too_early")) from None
    db = req.db
    facts = read_facts(db, first, end, clearance=req.clearance, include_drills=include_drills)
    began = history_start(db, include_drills=include_drills)
    report = build_report(
        facts,
        window=window,
        end=end,
        length=length,
        generated_at=req.now,
        history_start=began,
        include_drills=include_drills,
        windows=windows,
        alpha=alpha,
    )
    if year_ago is None:
        return report
    then_start, then_end = year_ago
    then = read_facts(
        db, then_start, then_end, clearance=req.clearance, include_drills=include_drills
    )
    counts = year_ago_counts(then, start=then_start, end=then_end, history_start=began)
    return replace(report, year_ago=counts)


def year_ago_window(
    start: datetime, end: datetime, window: str, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """The period a year before ``[start, end)`` that 同比 compares with.

    A week is the one 52 weeks back (the same weekdays); any other window the same local
    dates and times one calendar year earlier.

    Raises:
        TrendsError: the period a year before would start before year 1.

    """
    try:
        if window == "week":
            back = timedelta(weeks=52)
            return start - back, end - back
        return year_earlier(start, tz), year_earlier(end, tz)
    except (OverflowError, ValueError):
        raise TrendsError(t("error.trends.too_early")) from None


def top_candidates(req: Request, *, at: datetime, limit: int = 5) -> tuple[Candidate, ...]:
    """The strongest emerging candidates of the day before ``at`` (for the handover pack).

    Read at ``req``'s clearance, as of ``at``.
    """
    length = window_length("day")
    db = req.db
    # As trend_report reads them (the baseline windows before the day), counts left out.
    facts = read_facts(db, at - (BASELINE_WINDOWS + 1) * length, at, clearance=req.clearance)
    found = emerging_candidates(facts, end=at, length=length, history_start=history_start(db))
    return found[:limit]


_SERIOUS = (Severity.I.value, Severity.II.value)


def weekly_summary(req: Request, *, end: datetime, include_drills: bool = False) -> WeeklySummary:
    """The weekly summary: the week before ``end`` against the previous weeks.

    Notable items are the week's grade I and II incidents the reader of ``req`` may see.
    """
    db, clearance = req.db, req.clearance
    length = window_length("week")
    # 同比: the same natural week (第N周) of the year before, from the same change of shift.
    monday = (end - length).astimezone(req.tz)
    then = datetime.combine(same_week_last_year(monday.date()), monday.time(), req.tz)
    report = trend_report(
        req,
        end=end,
        length=length,
        window="week",
        include_drills=include_drills,
        year_ago=(then, datetime.combine(then.date() + length, monday.time(), req.tz)),
    )
    rows = db.read(
        _SQL.format(drills="" if include_drills else _NO_DRILLS),
        {
            "start": db.time_param(report.start),
            "end": db.time_param(end),
            "opening": TREND_TEXT_CHARS,
        },
    )
    notable = []
    hidden = _hidden(clearance)
    for row in rows:
        fact = _fact(row, hidden)
        if fact.restricted or str(row[5]) not in _SERIOUS:
            continue
        notable.append(
            NotableItem(
                serial=fact.serial,
                received_at=fact.received_at,
                category=Category(str(row[4])),
                severity=Severity(str(row[5])),
                title=fact.title,
                status=Status(str(row[11])),
            )
        )
    notable.sort(key=lambda item: (item.severity.rank, item.received_at, item.serial))
    return WeeklySummary(report=report, notable=tuple(notable))


__all__ = [
    "TrendsError",
    "history_start",
    "read_facts",
    "top_candidates",
    "trend_report",
    "weekly_summary",
    "window_length",
    "year_ago_window",
]
