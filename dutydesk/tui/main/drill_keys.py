"""The main screen's drill key (``D``) and the clock that fires a drill's injects.

A drill is worked on the main screen like any night: the officer takes each report
through intake and logs the follow-up. So the timer lives here, not on the drill screen:
while a run is going, every :data:`TICK_SECONDS` a thread worker asks
:func:`dutydesk.services.drills.fire_due` to fire what is due (no database call on the
event loop), each fired inject is announced, and once every targeted step is done the
run is finished and its report shown. The drill screens are imported when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.worker import get_current_worker

from dutydesk.i18n import label, t
from dutydesk.tui.bindings import key
from dutydesk.tui.main.host import OnMainScreen
from dutydesk.tui.text import safe

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from dutydesk.services.drills import Fired
    from dutydesk.tui.screens.intake import IntakeResult

TICK_SECONDS = 0.5
"""How often a running drill looks for due injects (a cheap indexed read when none)."""

DRILL_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    # Not in the footer (full at 120 columns); ? and the palette list it.
    key("D", "drill", "drill.open", show=False),
]
"""The main screen's drill key."""


class DrillActions(OnMainScreen):
    """Mixin for the main screen: open the drill screen, fire injects, show the report."""

    class DrillTicked(Message):
        """A worker fired injects and/or found the run complete."""

        def __init__(self, run_id: int | None, fired: list[Fired], finished: bool) -> None:
            super().__init__()
            self.run_id = run_id
            self.fired = fired
            self.finished = finished

    _drill_timer: Timer | None = None
    drill_run_id: int | None = None
    """The running drill this console fires injects for, if any."""

    def drill_watch(self) -> None:
        """Look (in a worker) for a drill already running, e.g. started from the shell."""
        self._drill_look()

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _drill_look(self) -> None:
        from dutydesk.services.drills import active_run_id

        run_id = active_run_id(self.host.context.db)
        if run_id is not None and not get_current_worker().is_cancelled:
            self.host.post_message(self.DrillTicked(run_id, [], False))

    def drill_started(self, run_id: int) -> None:
        """A run started: fire its injects from now on."""
        self.drill_run_id = run_id
        if self._drill_timer is None:
            self._drill_timer = self.host.set_interval(TICK_SECONDS, self._drill_tick)
        self._drill_tick()

    def drill_stopped(self) -> None:
        """The run ended: stop the clock."""
        self.drill_run_id = None
        if self._drill_timer is not None:
            self._drill_timer.stop()
            self._drill_timer = None

    def _drill_tick(self) -> None:
        if self.drill_run_id is not None:
            self._drill_fire(self.drill_run_id)

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _drill_fire(self, run_id: int) -> None:
        from dutydesk.services.drills import build_report, fire_due, stop_run

        ctx = self.host.context
        req = ctx.request()
        fired = fire_due(req)
        report = build_report(ctx.db, run_id, now=req.now)
        finished = report.status == "running" and report.complete
        if finished:
            stop_run(req, run_id=run_id, finished=True)
        elif report.status != "running":
            finished = True  # stopped elsewhere (another console, the shell)
        if fired or finished:
            self.host.post_message(self.DrillTicked(run_id, fired, finished))

    def on_drill_actions_drill_ticked(self, message: DrillActions.DrillTicked) -> None:
        """Announce fired injects; start the clock for a found run; show a finished report."""
        if message.run_id is not None and self.drill_run_id is None and not message.finished:
            self.drill_started(message.run_id)
            return
        for item in message.fired:
            self._drill_say(item)
        if any(item.kind != "report" for item in message.fired):
            self.host.reload()  # a severity or an instruction changed an incident
        self._drill_refresh_screen()
        if message.finished and message.run_id is not None:
            self.drill_stopped()
            self.host.app.notify(t("drill.finished", id=message.run_id), markup=False)
            self.show_drill_report(message.run_id)

    def _drill_say(self, item: Fired) -> None:
        values = item.values
        severity: SeverityLevel
        if item.kind == "report":
            channel = values.get("channel", "phone")
            from dutydesk.vocab import Channel

            text = t(
                "drill.came_in",
                number=item.number,
                channel=label(Channel(channel)),
                summary=values.get("summary", ""),
            )
            severity = "warning"
        elif "refused" in values:
            text = t("drill.refused", number=item.number, reason=values["refused"])
            severity = "warning"
        else:
            kind = t(f"drill.kind.{item.kind}")
            text = t("drill.applied", number=item.number, kind=kind, serial=item.serial or "")
            severity = "information"
        # Scenario text is stored text: sanitised, never markup.
        self.host.app.notify(safe(text).plain, severity=severity, timeout=20, markup=False)

    def _drill_refresh_screen(self) -> None:
        from dutydesk.tui.screens.drill import DrillScreen

        screen = self.host.app.screen
        if isinstance(screen, DrillScreen):
            screen.reload()

    # -- keys ----------------------------------------------------------------------------

    def action_drill(self) -> None:
        """Open the drill screen: start a scenario, or see the running one's injects."""
        from dutydesk.tui.screens.drill import DrillScreen

        front: object = self.host.app.screen  # a Screen; the host is one too
        if front is not self.host:
            return
        self.host.app.push_screen(DrillScreen(self.host.context, self), self._drill_closed)

    def _drill_closed(self, result: IntakeResult | None) -> None:
        self.host.reload()
        if result is not None:  # a drill report taken through intake: show it
            self.host.queue.reload(select=result.incident_id)
            self.host.timeline.load(result.incident_id)
            self.host.app.notify(safe(t("intake.saved", serial=result.serial)).plain, markup=False)

    def show_drill_report(self, run_id: int) -> None:
        """Show a run's report (over whatever is in front: the drill is over)."""
        from dutydesk.tui.screens.drill import DrillReportScreen

        self.host.app.push_screen(DrillReportScreen(self.host.context, run_id))
