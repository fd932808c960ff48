"""The shift roster pane (值班表): who is on now, the next two shifts, leaders away."""

from __future__ import annotations

from textual import work
from textual.content import Content
from textual.message import Message
from textual.worker import get_current_worker

from dutydesk.i18n import label, t
from dutydesk.services.roster.pane import Absence, Holder, RosterView, ShiftView, roster_view
from dutydesk.tui.bindings import key
from dutydesk.tui.format import hhmm, shift_text, short_date
from dutydesk.tui.text import fit, safe
from dutydesk.tui.widgets.panes import TextPane
from dutydesk.vocab import Position

_POSITION_WIDTH = 12


class RosterPane(TextPane):
    """The roster as of the clock's now, read in a worker."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("w", "screen.roster_week", "desk.roster_week"),
        key("L", "screen.leave", "desk.leave"),
    ]

    class Loaded(Message):
        """A worker read the roster."""

        def __init__(self, view: RosterView) -> None:
            super().__init__()
            self.view = view

    view: RosterView | None = None
    """The roster on screen."""

    def on_mount(self) -> None:
        """Title the pane and say it is loading."""
        self.border_title = t("pane.roster")
        self.show(Content(t("app.loading")))

    def reload(self) -> None:
        """Read the roster again (shift change, another console wrote)."""
        self._read()

    @work(thread=True, exclusive=True, group="roster", exit_on_error=False)
    def _read(self) -> None:
        from dutydesk.services.integrity.reading import audited_read

        worker = get_current_worker()
        ctx = self.context
        settings, now = ctx.settings, ctx.clock.now()
        # A classified itinerary opens (marked, audited) only to whom it may; the rest
        # see who is away and who acts, the destination withheld.
        with audited_read(
            ctx.db, ctx.clearance, object_type="roster", keys=ctx.keys, viewer=ctx.viewer, now=now
        ) as read:
            view = roster_view(
                ctx.db,
                now,
                day_start=settings.day_shift_start,
                night_start=settings.night_shift_start,
                tz=ctx.tz,
                read=read,
            )
        if not worker.is_cancelled:
            self.post_message(self.Loaded(view))

    def on_roster_pane_loaded(self, message: RosterPane.Loaded) -> None:
        """Draw the roster that arrived."""
        message.stop()
        self.view = message.view
        self.show(self.render_roster(message.view))

    def render_roster(self, view: RosterView) -> Content:
        """The pane's text: now, next two shifts, leaders away today."""
        lines: list[Content] = []
        lines += self._shift(view.current, "roster.now")
        for upcoming in view.upcoming:
            lines.append(Content(""))
            lines += self._shift(upcoming, "roster.next")
        lines.append(Content(""))
        lines.append(Content.styled(t("roster.away"), "bold underline"))
        if not view.away:
            lines.append(Content.styled(t("roster.nobody_away"), "dim"))
        for absence in view.away:
            lines += self._absence(absence)
        return Content("\n").join(lines)

    def _shift(self, shift: ShiftView, key: str) -> list[Content]:
        tz = self.context.tz
        lines = [Content.styled(shift_text(shift.slot, tz, key), "bold")]
        if shift.special_period:
            # The note (why it is special) once, on the shift on duty; later shifts just
            # carry the mark, so the pane keeps room for names.
            note = shift.special_note if key == "roster.now" else ""
            lines.append(safe(f"★ {t('roster.special')} {note}".strip(), "bold"))
        if not shift.planned:
            lines.append(Content.styled(t("roster.not_rostered"), "dim"))
            return lines
        by_position: dict[Position, list[Holder]] = {}
        for holder in shift.holders:
            by_position.setdefault(holder.position, []).append(holder)
        for position in Position:
            name = fit(Content(label(position)), _POSITION_WIDTH)
            holders = by_position.get(position)
            if not holders:
                lines.append(Content.assemble(name, " ", Content.styled(t("roster.vacant"), "dim")))
                continue
            for number, holder in enumerate(holders):
                lead = name if number == 0 else Content(" " * _POSITION_WIDTH)
                parts: list[Content | str] = [lead, " ", safe(holder.name)]
                if holder.on_call:  # 电话带班: leading by phone, not at the desk
                    parts += [Content.styled(t("roster.on_call"), "dim")]
                if holder.start_at is not None or holder.end_at is not None:
                    start = hhmm(holder.start_at or shift.slot.start_at, tz)
                    end = hhmm(holder.end_at or shift.slot.end_at, tz)
                    parts += [" ", Content.styled(t("roster.partial", start=start, end=end), "dim")]
                lines.append(Content.assemble(*parts))
        return lines

    def _absence(self, absence: Absence) -> list[Content]:
        tz = self.context.tz
        # Name then title (刘强副市长), as duty logs write it.
        leader = f"{absence.leader}{absence.leader_title}"
        # The acting leader by name only: the pane is narrow and the title is in the pack.
        acting = absence.acting
        # ``place``: the destination, marked 【机密】 when classified, or withheld.
        line = safe(t("roster.away_line", leader=leader, destination=absence.place))
        until = t("roster.until", date=short_date(absence.end_at, tz))
        return [
            line,
            Content.assemble("  ", safe(t("roster.acting", acting=acting)), "  ", until),
        ]
