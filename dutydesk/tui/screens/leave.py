"""The leave registration form (领导干部外出报备; ``L`` on the roster pane, or the palette).

Leader, from, to, destination, reason, acting leader (required) and the itinerary's
classification (内部 unless chosen, as every item of the desk). The service
(:func:`dutydesk.services.roster.leave.add_leave`) refuses in words, e.g. when the acting
leader is away too, or, in register mode, a destination or reason typed for a classified
itinerary; the refusal shows on the form and everything typed stays.
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Select

from dutydesk.i18n import t
from dutydesk.services.roster.leave import LeaveRequest
from dutydesk.tui.base.line_form import LineForm, parse_moment
from dutydesk.tui.context import Context
from dutydesk.tui.widgets.form import choices
from dutydesk.vocab import Classification, Deployment


class LeaveScreen(LineForm):
    """Register a leader's absence and who acts for them."""

    FIELDS = ("leader", "start", "end", "destination", "reason", "acting", "classification")

    def __init__(self, context: Context) -> None:
        initial = {"classification": Classification.INTERNAL.value}
        super().__init__(context, t("desk.leave.title"), initial, t("desk.leave.hint"))

    def make_control(self, name: str) -> Widget:
        """The classification is a choice of the levels; the rest are typed."""
        if name == "classification":
            return Select(
                choices(Classification),
                value=self.initial[name],
                allow_blank=False,
                compact=True,
            )
        return super().make_control(name)

    def values(self) -> dict[str, str]:
        """Every field as typed, the classification as its code."""
        found = {name: self.text(name) for name in self.FIELDS if name != "classification"}
        level = self.control("classification")
        assert isinstance(level, Select)
        return {**found, "classification": str(level.value)}

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
            classification=Classification(values["classification"]),
        )
        number = add_leave(
            ctx.db,
            request,
            actor=ctx.operator,
            now=now,
            tz=ctx.tz,
            deployment=Deployment(ctx.settings.deployment),
            keys=ctx.keys,
        )
        fmt = "%m-%d %H:%M"
        return t(
            "leave.added",
            id=number,
            leader=request.leader,
            start=request.start_at.astimezone(ctx.tz).strftime(fmt),
            end=request.end_at.astimezone(ctx.tz).strftime(fmt),
            acting=request.acting,
        )
