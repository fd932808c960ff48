"""Times as an officer types them in a console form, through the one reader of both faces.

The forms accepted are those of :mod:`dutydesk.rules.typed_time` (``HH:MM``,
``YYYY-MM-DD HH:MM``, full-width ``１２：３０``, ISO 8601, and ``+3d`` where the field looks
ahead). A refused value raises ``ValueError`` whose message (in the interface language)
is shown under the field, with what was typed left in place.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dutydesk.i18n import t
from dutydesk.rules.typed_time import FUTURE_SLACK, Day, TypedTimeError, read_time


def typed_time(moment: datetime, tz: ZoneInfo) -> str:
    """How a form first shows ``moment`` (now): local ``HH:MM``, the shortest to retype."""
    return f"{moment.astimezone(tz):%H:%M}"


def parse_past(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """A receipt or event time: not in the future.

    ``HH:MM`` is the latest such local time not after now (02:10 typed at 01:00 is
    yesterday's); a date and time is exact; a date alone is its first moment.

    Raises:
        ValueError: not a time, or later than now.

    """
    try:
        moment = read_time(text, now=now, tz=tz)
    except TypedTimeError:
        raise ValueError(t("form.error_time")) from None
    if moment > now + FUTURE_SLACK:
        raise ValueError(t("form.error_future"))
    return moment


def parse_due(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """A due date, typed in one of several short forms.

    ``YYYY-MM-DD`` (end of that day's office hours: 17:30), a full time, ``HH:MM`` (the
    next such time) or ``+3d`` / ``+12h`` / ``+30m`` from now.

    Raises:
        ValueError: not a time in any of these forms, or in the past.

    """
    try:
        moment = read_time(text, now=now, tz=tz, future=True, day=Day.CLOSE)
    except TypedTimeError:
        raise ValueError(t("form.error_due")) from None
    if moment < now:
        raise ValueError(t("form.error_past"))
    return moment
