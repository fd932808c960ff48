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
    from dutydesk.config import Settings
    from dutydesk.storage.engine import Database


def reclock_open(db: Database, settings: Settings, now: datetime) -> int:
    """Recompute the clocks of every open incident under the rules in force."""
    from dutydesk.services.incidents.records import refresh_open_clocks
    from dutydesk.services.office_rules import office_rules
    from dutydesk.services.retry import write_with_retry

    rules = office_rules(
        settings.rules, settings.tz, settings.holidays_path(), settings.day_shift_start
    )
    return write_with_retry(db, lambda session: refresh_open_clocks(session, rules, now))


__all__ = ["reclock_open"]
