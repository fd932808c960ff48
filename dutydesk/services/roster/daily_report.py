"""零报告: recording a special period's daily report, and reading what is owed.

The clock is :mod:`dutydesk.rules.daily_report`; this reads which 值班日 the roster marks
special (a shift of that date with ``special_period``) and the ``daily_report`` rows
(migration 0013), and writes one with its audit event. Reads go through
:meth:`Database.read`, so the console's header and the handover pack pay no ORM import.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.daily_report import DailyReportState, report_due_at
from dutydesk.rules.deadlines import DeadlineRules, duty_date
from dutydesk.services.request import Request
from dutydesk.storage.engine import Database, as_utc

if TYPE_CHECKING:
    from sqlmodel import Session


class DailyReportError(DutyDeskError):
    """A daily report that cannot be recorded as asked; nothing was written."""

    exit_code = 2


def report_state(db: Database, day: date, rules: DeadlineRules) -> DailyReportState | None:
    """The 值班日 ``day``'s report, or ``None`` when it owes none (not special, no hour)."""
    found = states(db, day, day, rules)
    return found[0] if found else None


def states(
    db: Database, first: date, last: date, rules: DeadlineRules
) -> tuple[DailyReportState, ...]:
    """The reports owed by the special 值班日 from ``first`` to ``last``, oldest first."""
    hour = rules.zero_report_at
    if hour is None:
        return ()
    params = {"first": first.isoformat(), "last": last.isoformat()}
    special = db.read(
        "SELECT DISTINCT shift_date FROM shift WHERE special_period "
        "AND shift_date >= :first AND shift_date <= :last ORDER BY shift_date",
        params,
    )
    made = {
        date.fromisoformat(str(row.report_date)[:10]): row
        for row in db.read(
            "SELECT report_date, zero_report, recorded_by, recorded_at FROM daily_report "
            "WHERE report_date >= :first AND report_date <= :last",
            params,
        )
    }
    found = []
    for (value,) in special:
        day = date.fromisoformat(str(value)[:10])
        due = report_due_at(day, hour, rules.day_start, rules.zone)
        row = made.get(day)
        if row is None:
            found.append(DailyReportState(day, due))
        else:
            found.append(
                DailyReportState(
                    day, due, as_utc(row.recorded_at), str(row.recorded_by), bool(row.zero_report)
                )
            )
    return tuple(found)


def owed_report(db: Database, now: datetime, rules: DeadlineRules) -> DailyReportState | None:
    """The report of the 值班日 holding ``now``, if that day is special (else ``None``)."""
    return report_state(db, duty_date(now, rules), rules)


def late_report(db: Database, now: datetime, rules: DeadlineRules) -> DailyReportState | None:
    """The day's report if it is owed and late at ``now`` (what the console's header counts)."""
    state = owed_report(db, now, rules)
    return state if state is not None and state.late(now) else None


def record_report(req: Request, day: date, *, text: str, nothing: bool = False) -> DailyReportState:
    """Record that the 值班日 ``day``'s report was made, as ``req.actor_name`` at ``req.now``.

    ``nothing`` makes it a 零报告; otherwise ``text`` says in a line what was reported.
    The detail of the audit event names the day and the kind, never the text.

    Raises:
        DailyReportError: the day is not in a special period, neither ``nothing`` nor a
            text was given, or the day's report was recorded already.

    """
    from sqlmodel import select

    from dutydesk.services.accounts.audit import record
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import DailyReport

    text = " ".join(text.split())
    if nothing == bool(text):
        raise DailyReportError(t("daily_report.text_or_none"))
    if report_state(req.db, day, req.rules) is None:
        raise DailyReportError(t("daily_report.not_special", day=day.isoformat()))

    def work(session: Session) -> None:
        found = session.exec(select(DailyReport).where(DailyReport.report_date == day)).first()
        if found is not None:
            raise DailyReportError(
                t("daily_report.already", day=day.isoformat(), name=found.recorded_by)
            )
        row = DailyReport(
            report_date=day,
            zero_report=nothing,
            text=text[:500],
            recorded_by=req.actor_name,
            recorded_at=req.now,
        )
        session.add(row)
        session.flush()
        kind = "zero report" if nothing else "daily report"
        record(
            session=session,
            actor=req.actor_id if req.actor_id is not None else req.actor_name or None,
            action="daily_report.record",
            object_type="daily_report",
            object_id=row.id,
            detail=f"{kind} {day.isoformat()} by {req.actor_name}",
            now=req.now,
        )

    write_with_retry(req.db, work)
    state = report_state(req.db, day, req.rules)
    assert state is not None
    return state


__all__ = [
    "DailyReportError",
    "late_report",
    "owed_report",
    "record_report",
    "report_state",
    "states",
]
