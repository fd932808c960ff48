"""Roster change forms of the week screen: swap two people, cover, mark a special period.

Each calls one service of :mod:`dutydesk.services.roster.changes`, which records who did
it (the console's operator) in the audit trail. A rest-rule breach (two nights in a
row) is made, because the people agreed to it, and shown as a warning.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dutydesk.i18n import t
from dutydesk.rules.shifts import slot
from dutydesk.rules.typed_time import TypedTimeError, read_clock
from dutydesk.tui.base.line_form import LineForm, parse_day, parse_shift


def _said(text: str, warnings: list[str]) -> str:
    """The sentence, plus any rest-rule warnings the service returned."""
    return "\n".join([text, *(t("rostering.warning", problem=w) for w in warnings)])


class SwapForm(LineForm):
    """Swap two people's seats (on one shift or on two)."""

    FIELDS = ("shift", "first", "other_shift", "second")

    def apply(self, values: dict[str, str]) -> str:
        """Swap through :func:`dutydesk.services.roster.changes.swap`."""
        from dutydesk.services.roster.changes import swap

        ctx = self.context
        day, kind = parse_shift(values["shift"], ctx.clock.now().date())
        other_day, other_kind = parse_shift(values["other_shift"] or values["shift"], day)
        first, second = values["first"].strip(), values["second"].strip()
        warnings = swap(
            ctx.db,
            (day, kind, first),
            (other_day, other_kind, second),
            actor=ctx.operator,
            now=ctx.clock.now(),
        )
        return _said(t("rostering.swapped", first=first, second=second), warnings)


class CoverForm(LineForm):
    """Someone covers a seat, for the whole shift or from one time to another."""

    FIELDS = ("shift", "absent", "by", "from_time", "to_time")

    def _moment(self, shift_day: datetime, typed: str) -> datetime:
        """``HH:MM`` inside the shift that starts at ``shift_day`` (after midnight: next day)."""
        try:
            at = read_clock(typed)
        except TypedTimeError:
            raise ValueError(t("desk.form.bad_time", value=typed.strip())) from None
        local = shift_day.replace(hour=at.hour, minute=at.minute)
        return local + timedelta(days=1) if local < shift_day else local

    def apply(self, values: dict[str, str]) -> str:
        """Cover through :func:`dutydesk.services.roster.changes.cover`."""
        from dutydesk.services.roster.changes import cover

        ctx = self.context
        settings = ctx.settings
        day, kind = parse_shift(values["shift"], ctx.clock.now().date())
        bounds = slot(day, kind, settings.day_shift_start, settings.night_shift_start, ctx.tz)
        start_local = bounds.start_at.astimezone(ctx.tz)
        start = end = None
        if values["from_time"].strip() or values["to_time"].strip():
            start = self._moment(start_local, values["from_time"])
            end = self._moment(start_local, values["to_time"])
        absent, by = values["absent"].strip(), values["by"].strip()
        warnings = cover(
            ctx.request(), day=day, kind=kind, absent=absent, by=by, start=start, end=end
        )
        text = t("rostering.covered", by=by, absent=absent, date=day.isoformat(), kind=kind.value)
        return _said(text, warnings)


class SpecialForm(LineForm):
    """Mark the shifts of a range of days as a special period (特殊时期)."""

    FIELDS = ("first_day", "last_day", "note")

    def apply(self, values: dict[str, str]) -> str:
        """Mark through :func:`dutydesk.services.roster.changes.mark_special`."""
        from dutydesk.services.roster.changes import mark_special

        ctx = self.context
        first, last = parse_day(values["first_day"]), parse_day(values["last_day"])
        count = mark_special(ctx.request(), first, last, note=values["note"], settings=ctx.settings)
        return t("rostering.special", count=count, first=first, last=last)
