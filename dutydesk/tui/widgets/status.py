"""The header line: deployment, local time, shift, time to handover, open and overdue counts."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from dutydesk.i18n import t
from dutydesk.rules.shifts import format_span, next_handover, shift_at
from dutydesk.tui.context import Context
from dutydesk.tui.format import clock_line, shift_text
from dutydesk.tui.text import safe
from dutydesk.vocab import PERSONNEL_CATEGORY_ZH, Classification


class StatusLine(Static):
    """One line at the top of the main screen, redrawn each second from the clock.

    The counts come from the screen's workers (:meth:`set_counts`); the rest is pure
    arithmetic on the clock, so ticking never touches the database.
    """

    def __init__(self, context: Context, *, id: str | None = None) -> None:
        super().__init__(Content(""), id=id)
        self.context = context
        self.open_count: int | None = None
        self.overdue_count: int | None = None
        self.lost = False
        """The database server cannot be reached (issue 15): said instead of the counts."""

    def on_mount(self) -> None:
        """Draw now and tick every second."""
        self.tick()
        self.set_interval(1, self.tick)

    def set_counts(self, open_count: int, overdue_count: int) -> None:
        """Show new counts read by a worker."""
        self.open_count, self.overdue_count = open_count, overdue_count
        self.tick()

    def set_connection(self, *, lost: bool) -> None:
        """The server went away (``lost``) or came back."""
        self.lost = lost
        self.tick()

    def tick(self) -> None:
        """Redraw if what the line says has changed (a frozen clock never changes it)."""
        content = self.build()
        if content.plain != str(self.content):
            # One line, docked, as wide as the screen (app.tcss): new text never changes
            # its size, so no layout of the whole screen (issue 16: each count after
            # another desk's write or a save laid the screen out again, 10-40 ms).
            self.update(content, layout=False)

    def on_resize(self) -> None:
        """What fits depends on the width: build the line again."""
        self.tick()

    def build(self) -> Content:
        """The line as of the clock's now, fitted to the terminal's width.

        Nothing is cut mid-word. When everything does not fit, what goes first is what
        is shown elsewhere or least needed at a glance: the shift (the roster pane shows
        it), then the deployment's long name gives way to its short one and the clock
        its seconds; only then is the operator's name shortened. The deployment, the
        clearance, the time to handover and the counts always show.
        """
        ctx = self.context
        now = ctx.clock.now()
        settings = ctx.settings
        slot = shift_at(now, settings.day_shift_start, settings.night_shift_start, ctx.tz)
        hours, minutes = format_span(next_handover(now, settings.handover_time, ctx.tz) - now)
        clock = clock_line(now, ctx.tz)

        def head(deployment: str, shown_clock: str) -> list[Content | str]:
            return [
                Content.styled(f" {t('app.title')} ", "bold reverse"),
                " ",
                # Issue 13: which deployment this is, always in sight.
                Content.styled(t(deployment), "bold"),
                "  ",
                Content.styled(shown_clock, "bold"),
            ]

        shift: list[Content | str] = ["  ", shift_text(slot, ctx.tz)]
        tail: list[Content | str] = ["  ", t("header.handover_in", hours=hours, minutes=minutes)]
        if self.lost:
            # The counts would be stale: the one thing to know is that nothing is saved.
            tail = ["  ", Content.styled(ctx.db.lost_header, "bold $text-error")]
        elif self.open_count is not None:
            tail += ["  ", t("header.open", count=self.open_count)]
        if self.overdue_count is not None and not self.lost:
            overdue = t("header.overdue", count=self.overdue_count)
            style = "bold $text-error" if self.overdue_count else ""
            tail += ["  ", Content.styled(overdue, style) if style else overdue]
        name = safe(ctx.operator, "bold")
        who: list[Content | str] = []
        if ctx.signed_in:  # only with sign-in: the console without it looks as before
            level = clearance_label(ctx.clearance)
            who = ["  ", name, " ", level]
        width = self.size.width or self.app.size.width
        full = f"deployment.{settings.deployment}"
        short = f"deployment_short.{settings.deployment}"
        tries = (
            [*head(full, clock), *shift, *tail, *who],
            [*head(full, clock), *tail, *who],
            [*head(short, clock), *tail, *who],
            [*head(short, clock.rsplit(":", 1)[0]), *tail, *who],
        )
        line = Content.assemble()
        for parts in tries:
            line = Content.assemble(*parts)
            if line.cell_length <= width or not width:
                return line
        if not who:
            return line
        room = name.cell_length - (line.cell_length - width)
        who[1] = name.truncate(max(room, 2), ellipsis=True)
        return Content.assemble(*head(short, clock.rsplit(":", 1)[0]), *tail, *who)


def clearance_label(clearance: Classification) -> str:
    """The header's clearance: the level, and for a classified one its 涉密人员类别."""
    level = t(f"classification.{clearance.value}")
    category = PERSONNEL_CATEGORY_ZH.get(clearance)
    if category is None:
        return t("session.header", clearance=level)
    return t("session.header_category", clearance=level, category=category)
