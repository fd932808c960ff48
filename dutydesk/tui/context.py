"""What every pane needs to read and show data: the store, settings, clock and viewer."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dutydesk.clock import Clock
from dutydesk.config import Settings
from dutydesk.store import Database
from dutydesk.vocab import Classification


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

    @property
    def tz(self) -> ZoneInfo:
        """The display timezone."""
        return self.settings.tz
