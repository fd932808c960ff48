"""Where "now" comes from, so that tests and demos can pin the moment.

Everything that needs the time asks a :class:`Clock`. The console's header, countdowns
and the demo loader all take one; tests pass a :class:`FrozenClock`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The real clock. ``now()`` is timezone-aware UTC."""

    def now(self) -> datetime:
        """Return the current moment in UTC."""
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock stopped at one moment (for tests, snapshots and ``DUTYDESK_NOW``)."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a frozen moment must carry a timezone")
        self.moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        """Return the frozen moment."""
        return self.moment

    def advance(self, delta: timedelta) -> None:
        """Move the frozen moment on by ``delta`` (tests of deadlines passing)."""
        self.moment = self.moment + delta


def parse_moment(value: str, default_tz: object = None) -> datetime:
    """Parse an ISO 8601 moment; a value without offset is read in ``default_tz``.

    Raises:
        ValueError: with a message naming the expected form.

    """
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"not a date and time: {value!r} (expected e.g. 2026-11-26T08:30+08:00)"
        ) from None
    if moment.tzinfo is None:
        if default_tz is None:
            raise ValueError(f"{value!r} has no timezone offset")
        moment = moment.replace(tzinfo=default_tz)  # type: ignore[arg-type]
    return moment.astimezone(UTC)
