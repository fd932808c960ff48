"""The leave registration form (领导干部外出报备; ``L`` on the roster pane, or the palette).

Leader, from, to, destination, reason and acting leader (required). The service
(:func:`dutydesk.services.roster.leave.add_leave`) refuses in words, e.g. when the acting
leader is away too; the refusal shows on the form and everything typed stays.
"""

from __future__ import annotations

from dutydesk.i18n import t
from dutydesk.services.roster.leave import LeaveRequest
from dutydesk.tui.base.line_form import LineForm, parse_moment
from dutydesk.tui.context import Context


class LeaveScreen(LineForm):
    """Register a leader's absence and who acts for them."""

    FIELDS = ("leader", "start", "end", "destination", "reason", "acting")

    def __init__(self, context: Context) -> None:
        super().__init__(context, t("desk.leave.title"), {}, t("desk.leave.hint"))

    def apply(self, values: dict[str, str]) -> str:
        """Register through :func:`dutydesk.services.roster.leave.add_leave`."""
        from dutydesk.services.roster.leave import add_leave

        ctx = self.context
        now = ctx.clock.now()
        request = LeaveRequest(
            leader=values["leader"].strip(),
            start_at=parse_moment(values["start"], ctx.tz, now=now),
            end_at=parse_moment(values["end"], ctx.tz, now=now, end=True),
            destination=values["destination"],
            reason=values["reason"],
            acting=values["acting"].strip(),
        )
        number = add_leave(ctx.db, request, actor=ctx.operator, now=now, tz=ctx.tz)
        fmt = "%m-%d %H:%M"
        return t(
            "leave.added",
            id=number,
            leader=request.leader,
            start=request.start_at.astimezone(ctx.tz).strftime(fmt),
            end=request.end_at.astimezone(ctx.tz).strftime(fmt),
            acting=request.acting,
        )
