"""What every pane needs to read and show data: the store, settings, clock and viewer."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from dutydesk.clock import Clock
from dutydesk.config import Settings
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Role

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from dutydesk.rules.deadlines import DeadlineRules
    from dutydesk.services.incidents.queue import QueueRow
    from dutydesk.services.request import Request
    from dutydesk.storage.crypto import KeyRing


def default_operator() -> str:
    """Who is at the keyboard: ``DUTYDESK_OPERATOR`` (as for the CLI), else the OS user.

    Stored on every entry the console writes, until operators sign in (docs/architecture.md §7).
    """
    named = os.environ.get("DUTYDESK_OPERATOR", "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return ""


@dataclass(frozen=True)
class Context:
    """Shared, read-only wiring handed to screens and widgets (no globals, easy to test)."""

    db: Database
    """The store. Only ever called from thread workers, never on the event loop."""
    settings: Settings
    """Timezone and shift times."""
    clock: Clock
    """Where "now" comes from; a ``FrozenClock`` in tests."""
    clearance: Classification
    """The viewer's clearance: classified content above it is withheld."""
    first_rows: tuple[QueueRow, ...] | None = None
    """The top of the queue if the launcher already read it (start-up speed)."""
    operator: str = field(default_factory=default_operator)
    """The name written on entries recorded at this console."""
    keys: KeyRing | None = None
    """The database's key ring if already loaded; ``None``: services load it lazily."""
    operator_id: int | None = None
    """The signed-in operator's person id; ``None`` when the console runs without sign-in."""
    roles: frozenset[Role] = frozenset()
    """The signed-in operator's roles (none without sign-in)."""

    @property
    def viewer(self) -> int | str:
        """Who reads, for the audit of classified views: person id, else the name."""
        return self.operator_id if self.operator_id is not None else self.operator

    @property
    def signed_in(self) -> bool:
        """True if an operator signed in (the database requires sign-in)."""
        return self.operator_id is not None

    @property
    def may_write(self) -> bool:
        """True if this console may write the desk's record (issue 17: roles gate writes).

        Without sign-in there are no roles and the console writes as before; signed in, a
        desk role is needed (``rules.access.DESK_ROLES``): an auditor, administrator or
        security officer alone reads, and their console writes nothing.
        """
        from dutydesk.rules.access import may_write_record

        return not self.signed_in or may_write_record(self.roles)

    @property
    def tz(self) -> ZoneInfo:
        """The display timezone."""
        return self.settings.tz

    @cached_property
    def rules(self) -> DeadlineRules:
        """Deadline rules: data/rules.toml with the config file's ``[rules]`` on top."""
        from dutydesk.services.office_rules import office_rules

        settings = self.settings
        return office_rules(
            settings.rules, settings.tz, settings.holidays_path(), settings.day_shift_start
        )

    def request(self) -> Request:
        """The request a pane hands to services, at the clock's now: the console's one way.

        The operator at this console writes and reads; classified reads are audited under
        :attr:`viewer`. Built anywhere (no database call); the rules are this context's.
        """
        from dutydesk.services.request import Request
        from dutydesk.vocab import Deployment

        return Request(
            db=self.db,
            now=self.clock.now(),
            tz=self.settings.tz,
            clearance=self.clearance,
            viewer=self.viewer,
            actor_name=self.operator,
            actor_id=self.operator_id,
            keys=self.keys,
            deployment=Deployment(self.settings.deployment),
            limits=self.settings.field_limits(),
            rules_source=lambda: self.rules,
        )
