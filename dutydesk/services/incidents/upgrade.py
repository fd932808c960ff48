"""After an upgrade, every open clock under the rules in force.

Each incident's next due step is stored on its row and recomputed at its next write. A
new release (a migration) may change the rules themselves: issue 12 made a letter a
request that owes no emergency report, and a database upgraded without this kept the
old "first report overdue" on every open letter until someone wrote to it. Whoever
migrates the store (the console's launcher, a CLI command, the demo loader) therefore
recomputes the open clocks once, in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.config import Settings
    from dutydesk.storage.engine import Database


def reclock_open(db: Database, settings: Settings, now: datetime) -> int:
    """Recompute the clocks of every open incident; returns how many were looked at.

    An incident whose timeline holds a value today's vocabulary does not know keeps its
    stored clock: the upgrade must never stop the console or a command from starting.
    """
    from sqlmodel import col, select

    from dutydesk.services.incidents.records import refresh_due
    from dutydesk.services.office_rules import office_rules
    from dutydesk.services.retry import write_with_retry
    from dutydesk.storage.models import Incident

    rules = office_rules(
        settings.rules, settings.tz, settings.holidays_path(), settings.day_shift_start
    )

    def work(session: Session) -> int:
        open_incidents = session.exec(select(Incident).where(col(Incident.is_open))).all()
        for incident in open_incidents:
            try:
                with session.begin_nested():  # one row that cannot be read stops no start
                    refresh_due(session=session, incident=incident, rules=rules, at=now)
            except ValueError:
                continue  # a value today's vocabulary does not know: its clock stays
        return len(open_incidents)

    return write_with_retry(db, work)


__all__ = ["reclock_open"]
