"""The drill screens (操作演练, key ``D``): start a scenario, see its injects, its report.

:class:`DrillScreen` shows, with no run going, the scenarios (``data/drills`` and the
configured folder) and a speed; ``enter`` starts the highlighted one. While a run is
going it lists the injects (due, waiting for intake, taken, applied); ``enter`` on a
report that came in opens the normal intake form prefilled with what the caller says,
and the officer takes it as a drill incident. ``f`` fires what is due now, ``s`` stops
the run, ``m`` shows the report. The main screen's timer fires injects meanwhile
(:mod:`dutydesk.tui.main.drill_keys`).

:class:`DrillReportScreen` shows a run's measured steps, slowest links first, in
scenario time; ``x`` writes it as Markdown and DOCX. All scenario and stored text goes
through :func:`dutydesk.tui.text.safe`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.drills import DrillReport, InjectState
from dutydesk.tui.base.read_only import refused
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.format import hhmm
from dutydesk.tui.text import fit, safe, safe_block
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from dutydesk.services.drills import ScenarioFile
    from dutydesk.tui.main.drill_keys import DrillActions
    from dutydesk.tui.screens.intake import IntakeResult

DEFAULT_SPEED = "10"
"""A rehearsal at the desk usually runs ten times faster than the scenario's clock."""


def _status(screen: Screen[Any], text: str, *, error: bool = False) -> None:
    line = screen.query_one("#drill-status", Static)
    line.set_class(error, "-error")
    line.update(safe_block(text, "bold" if error else ""))


def _row(cells: Sequence[tuple[Content, int]], *, option: bool = False) -> Content:
    """Cells cut or padded to their widths, one space apart.

    An option list wraps its prompts and collapses runs of spaces, so an option's
    padding is made of no-break spaces (same width) to keep the columns.
    """
    if not option:
        return Content(" ").join(fit(cell, width) for cell, width in cells)
    parts = []
    for cell, width in cells:
        cut = cell.truncate(max(width, 0), ellipsis=True)
        parts.append(cut + Content("\u00a0" * (width - cut.cell_length + 1)))
    return Content.assemble(*parts)


class DrillScreen(ReportsWorkerErrors, Screen["IntakeResult | None"], inherit_bindings=False):
    """Scenarios to start, or the running drill's injects."""

    CSS_PATH = "../drill.tcss"
    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("f", "fire", "drill.fire"),
        key("s", "stop", "drill.stop"),
        key("m", "report", "drill.report"),
        key("escape,q", "close", "drill.close"),
    ]

    class Loaded(Message):
        """A worker read the scenarios (no run) or the running drill."""

        def __init__(
            self,
            run_id: int | None,
            report: DrillReport | None,
            scenarios: list[ScenarioFile],
        ) -> None:
            super().__init__()
            self.run_id = run_id
            self.report = report
            self.scenarios = scenarios

    class Started(Message):
        """A run started (or was refused: ``error``)."""

        def __init__(self, run_id: int | None, error: str | None = None) -> None:
            super().__init__()
            self.run_id = run_id
            self.error = error

    class Stopped(Message):
        """The run was stopped (or there was none: ``error``)."""

        def __init__(self, run_id: int | None, error: str | None = None) -> None:
            super().__init__()
            self.run_id = run_id
            self.error = error

    def __init__(self, context: Context, main: DrillActions) -> None:
        super().__init__(id="drill")
        translate_bindings(self)
        self.context = context
        self.main = main
        self.run_id: int | None = None
        self.report: DrillReport | None = None
        self.scenarios: list[ScenarioFile] = []

    def compose(self) -> ComposeResult:
        """Head line, the speed (before a run), the list, a status line, the keys."""
        with Vertical(id="drill-box") as box:
            box.border_title = t("drill.screen.title")
            yield Static(Content(t("app.loading")), id="drill-head")
            with Horizontal(id="drill-setup"):
                yield Static(Content(t("drill.screen.speed")), id="drill-speed-label")
                yield Input(DEFAULT_SPEED, id="drill-speed", compact=True, restrict=r"[0-9.]*")
            yield OptionList(id="drill-list", compact=True)
        yield Static(Content(""), id="drill-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Read what there is to show."""
        self.query_one("#drill-setup").display = False
        self.query_one("#drill-list", OptionList).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        """Back from the intake form or a report: read the run again."""
        self.reload()

    @property
    def text(self) -> str:
        """The head line and the list as plain text (for tests)."""
        head = str(self.query_one("#drill-head", Static).content)
        options = self.query_one("#drill-list", OptionList)
        lines = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        return "\n".join([head, *lines])

    # -- reading ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the running drill (or the scenarios) again."""
        self._read()

    @work(thread=True, exclusive=True, group="drill-screen", exit_on_error=False)
    def _read(self) -> None:
        from dutydesk.services.drills import active_run_id, build_report, list_scenarios

        ctx = self.context
        run_id = active_run_id(ctx.db)
        if run_id is None:
            self.post_message(self.Loaded(None, None, list_scenarios(ctx.settings)))
            return
        self.post_message(
            self.Loaded(run_id, build_report(ctx.db, run_id, now=ctx.clock.now()), [])
        )

    def on_drill_screen_loaded(self, message: DrillScreen.Loaded) -> None:
        """Show the scenarios, or the run's injects (keeping the highlight)."""
        self.run_id, self.report, self.scenarios = message.run_id, message.report, message.scenarios
        options = self.query_one("#drill-list", OptionList)
        keep = options.highlighted
        options.clear_options()
        self.query_one("#drill-setup").display = message.report is None
        head = self.query_one("#drill-head", Static)
        if message.report is None:
            head.update(safe_block(t("drill.screen.choose")))
            if not message.scenarios:
                _status(self, t("drill.screen.no_scenarios"), error=True)
            options.add_options([Option(self._scenario_line(item)) for item in message.scenarios])
        else:
            report = message.report
            head.update(
                Content.assemble(
                    Content.styled(t("drill.mark"), "bold $text-warning"),
                    " ",
                    safe(
                        t(
                            "drill.screen.running",
                            id=report.run_id,
                            title=report.title,
                            speed=f"{report.speed:g}",
                            started=hhmm(report.started_at, self.context.tz),
                        ),
                        "bold",
                    ),
                    "\n",
                    Content.styled(t("drill.hint.take"), "dim"),
                )
            )
            options.add_options([Option(self._inject_line(item)) for item in report.injects])
        if options.option_count:
            options.highlighted = min(keep or 0, options.option_count - 1)

    def _scenario_line(self, item: ScenarioFile) -> Content:
        if item.scenario is None:
            return Content.assemble(safe(item.name, "bold"), "  ", safe(item.error, "italic"))
        count = len(item.scenario.injects)
        return _row(
            [
                (safe(item.name, "bold"), 16),
                (safe(item.scenario.title), 20),
                (Content(t("drill.list.injects", count=count)), 12),
                (safe(item.scenario.description, "dim"), 64),
            ],
            option=True,
        )

    def _inject_line(self, item: InjectState) -> Content:
        state_style = {"fired": "bold $text-warning", "due": "dim"}.get(item.state, "")
        if item.kind == "report":
            what = item.values.get("summary", "")
        elif item.kind == "severity":
            what = f"{item.report} → {item.values.get('severity', '')}"
        else:
            what = f"{item.report}: {item.values.get('leader', '')} {item.values.get('text', '')}"
        return _row(
            [
                (Content(str(item.number)), 3),
                (Content(t(f"drill.kind.{item.kind}")), 18),
                (safe(item.name), 12),
                (Content(hhmm(item.due_at, self.context.tz)), 5),
                (Content.styled(t(f"drill.state.{item.state}"), state_style), 18),
                (safe(item.serial or "-"), 12),
                (safe(what), 40),
            ],
            option=True,
        )

    # -- actions ---------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#drill-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if self.report is None:
            if index < len(self.scenarios):
                self._start_chosen(self.scenarios[index])
            return
        if index < len(self.report.injects):
            self._take(self.report.injects[index])

    def _start_chosen(self, item: ScenarioFile) -> None:
        if item.scenario is None:
            _status(self, item.error or "", error=True)
            return
        raw = self.query_one("#drill-speed", Input).value.strip()
        try:
            speed = float(raw)
        except ValueError:
            speed = 0.0
        if not speed > 0:
            _status(self, t("drill.bad_speed", speed=raw or "-"), error=True)
            return
        self._start(item.path, speed)

    @work(thread=True, exclusive=True, group="drill-write", exit_on_error=False)
    def _start(self, path: Path, speed: float) -> None:
        from dutydesk.services.drills import start_run

        ctx = self.context
        try:
            run_id = start_run(
                ctx.db,
                path,
                speed=speed,
                actor=ctx.operator,
                actor_id=ctx.operator_id,
                now=ctx.clock.now(),
            )
        except DutyDeskError as exc:
            self.post_message(self.Started(None, str(exc)))
            return
        self.post_message(self.Started(run_id))

    def on_drill_screen_started(self, message: DrillScreen.Started) -> None:
        """Start the main screen's clock for the new run and show its injects."""
        if message.run_id is None:
            _status(self, message.error or "", error=True)
            return
        _status(self, t("drill.screen.started", id=message.run_id))
        self.main.drill_started(message.run_id)
        self.reload()

    def _take(self, item: InjectState) -> None:
        from dutydesk.tui.screens.intake import IntakeScreen

        if item.kind != "report":
            _status(self, t("drill.screen.not_report"), error=True)
        elif item.state == "due":
            _status(self, t("drill.screen.not_fired"), error=True)
        elif item.serial:
            _status(self, t("drill.screen.taken", serial=item.serial), error=True)
        else:
            screen = IntakeScreen(self.context, prefill=item.values, drill_inject=item.id)
            self.app.push_screen(screen, self._taken)

    def _taken(self, result: IntakeResult | None) -> None:
        if result is not None:
            self.dismiss(result)  # back to the main screen, on the new drill incident

    def action_fire(self) -> None:
        """Fire the injects that are due now (the timer does so too)."""
        if refused(self, self.context):
            return
        if self.run_id is not None:
            self.main.drill_started(self.run_id)

    def action_stop(self) -> None:
        """Stop the running drill and show its report."""
        if refused(self, self.context):
            return
        if self.run_id is not None:
            self._stop(self.run_id)

    @work(thread=True, exclusive=True, group="drill-write", exit_on_error=False)
    def _stop(self, run_id: int) -> None:
        from dutydesk.services.drills import stop_run

        try:
            ctx = self.context
            stopped = stop_run(ctx.request(), run_id=run_id)
        except DutyDeskError as exc:
            self.post_message(self.Stopped(None, str(exc)))
            return
        self.post_message(self.Stopped(stopped))

    def on_drill_screen_stopped(self, message: DrillScreen.Stopped) -> None:
        """Close, and show the report of the stopped run."""
        if message.run_id is None:
            _status(self, message.error or "", error=True)
            return
        self.main.drill_stopped()
        self.app.notify(t("drill.screen.stopped", id=message.run_id), markup=False)
        self.dismiss(None)
        self.main.show_drill_report(message.run_id)

    def action_report(self) -> None:
        """Show the running (or latest) drill's report."""
        if self.run_id is not None:
            self.main.show_drill_report(self.run_id)
        else:
            self._latest()

    @work(thread=True, exclusive=True, group="drill-screen", exit_on_error=False)
    def _latest(self) -> None:
        from dutydesk.services.drills import latest_run_id

        run_id = latest_run_id(self.context.db)
        if run_id is not None:
            self.app.call_from_thread(self.main.show_drill_report, run_id)
        else:
            self.app.call_from_thread(_status, self, t("drill.cli.no_runs"))

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)


class DrillReportScreen(ReportsWorkerErrors, Screen[None], inherit_bindings=False):
    """A run's report: each step against its target, slowest links first."""

    CSS_PATH = "../drill.tcss"
    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("x", "export", "desk.export"),
        key("escape,q", "close", "drill.close"),
    ]

    class Built(Message):
        """A worker measured the run."""

        def __init__(self, report: DrillReport) -> None:
            super().__init__()
            self.report = report

    def __init__(self, context: Context, run_id: int) -> None:
        super().__init__(id="drill-report")
        translate_bindings(self)
        self.context = context
        self.run_id = run_id
        self.report: DrillReport | None = None

    def compose(self) -> ComposeResult:
        """The report in a scrollable pane, a status line, the keys."""
        with VerticalScroll(id="drill-report-pane") as pane:
            pane.border_title = t("drill.screen.title")
            pane.can_focus = True
            yield Static(Content(t("app.loading")), id="drill-report-body")
        yield Static(Content(""), id="drill-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Measure the run."""
        self.query_one("#drill-report-pane").focus()
        self._build()

    @property
    def text(self) -> str:
        """The report on screen as plain text (for tests)."""
        return str(self.query_one("#drill-report-body", Static).content)

    @work(thread=True, exclusive=True, group="drill-report", exit_on_error=False)
    def _build(self) -> None:
        from dutydesk.services.drills import build_report

        report = build_report(self.context.db, self.run_id, now=self.context.clock.now())
        self.post_message(self.Built(report))

    def on_drill_report_screen_built(self, message: DrillReportScreen.Built) -> None:
        """Lay the report out."""
        from dutydesk.reports import drill as render

        report = self.report = message.report
        tz = self.context.tz
        widths = (10, 14, 20, 8, 12, 8, 16)
        lines: list[Content] = [
            Content.styled(render.heading(report), "bold"),
            safe(render.run_line(report, tz)),
            Content(""),
            *(safe_block(line, "italic") for line in render.notes(report)),
            Content(""),
            Content.styled(t("drill.report.steps"), "bold underline"),
            _row(
                [
                    (Content.styled(h, "bold"), w)
                    for h, w in zip(render.step_headers(), widths, strict=True)
                ]
            ),
        ]
        for step in report.steps:
            style = {"missing": "bold $text-error", "late": "bold $text-warning"}.get(
                step.verdict, ""
            )
            cells = render.step_cells(step, report)
            lines.append(
                _row(
                    [
                        (Content.styled(cell, style) if n == 6 else safe(cell), width)
                        for n, (cell, width) in enumerate(zip(cells, widths, strict=True))
                    ]
                )
            )
        if not report.steps:
            lines.append(Content(t("drill.report.none")))
        lines += [Content(""), Content.styled(t("drill.report.injects"), "bold underline")]
        inject_widths = (4, 32, 9, 12, 14)
        lines.append(
            _row(
                [
                    (Content.styled(h, "bold"), w)
                    for h, w in zip(render.inject_headers(), inject_widths, strict=True)
                ]
            )
        )
        for inject in report.injects:
            cells = render.inject_cells(inject, tz, report)
            lines.append(_row([(safe(c), w) for c, w in zip(cells, inject_widths, strict=True)]))
        self.query_one("#drill-report-body", Static).update(Content("\n").join(lines))

    def action_export(self) -> None:
        """Write the report as Markdown and DOCX beside the database."""
        if self.report is not None:
            self._export(self.report)

    @work(thread=True, exclusive=True, group="drill-report", exit_on_error=False)
    def _export(self, report: DrillReport) -> None:
        from dutydesk.config import data_dir
        from dutydesk.reports.drill import render_md
        from dutydesk.reports.drill_docx import render_docx
        from dutydesk.storage.private import write_private

        folder = self.context.db.path.parent if self.context.db.path else data_dir()
        stem = folder / f"drill-{report.run_id}"
        tz = self.context.tz
        try:
            # A server database has no folder of its own: the user data folder may not
            # exist yet on this machine, and only its owner should read drill reports.
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private(Path(f"{stem}.md"), render_md(report, tz).encode("utf-8"))
            write_private(Path(f"{stem}.docx"), render_docx(report, tz))
        except OSError as exc:
            self.app.call_from_thread(_status, self, str(exc), error=True)
            return
        self.app.call_from_thread(_status, self, f"{stem}.md, {stem}.docx")

    def action_close(self) -> None:
        """Back to where the officer was."""
        self.dismiss(None)
