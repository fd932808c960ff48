"""The trends screen (趋势分析, key ``a``): counts by dimension and emerging issues.

The report is read by :func:`dutydesk.services.trends.trend_report` in a thread worker
whenever the window changes (``d`` day, ``w`` week, ``m`` month). The left pane draws
one block per dimension: each group's bar for this window (block characters, eighths
of a cell) and a sparkline of the earlier windows, oldest first. The right pane lists
the emerging candidates; ``enter`` on one lists the incidents behind it, ``enter`` on an
incident closes the screen with its id and the main screen selects it in the queue.

Every stored string (places, units, phrases, titles) is drawn through
:func:`dutydesk.tui.text.safe`, never as markup.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from dutydesk.i18n import t
from dutydesk.reports.candidates import candidate_line, group_label
from dutydesk.reports.trends import key_label, span_line, test_line, year_line
from dutydesk.rules.trends import Candidate, DimensionTrend, TrendReport, bar, sparkline
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.text import fit, safe
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.workers import ReportsWorkerErrors

ROWS_PER_DIMENSION = 6
"""Groups drawn per dimension (the busiest); the CLI lists every one."""
LABEL_CELLS = 20
BAR_CELLS = 24


def chart(trend: DimensionTrend) -> Content:
    """One dimension as a heading and a bar per group, with its sparkline."""
    rows = trend.rows[:ROWS_PER_DIMENSION]
    top = max((row.count for row in rows), default=0)
    lines = [Content.styled(t(f"trends.dimension.{trend.dimension.value}"), "bold")]
    for row in rows:
        lines.append(
            Content.assemble(
                fit(safe(key_label(trend.dimension, row.key)), LABEL_CELLS),
                " ",
                Content.styled(f"{row.count:>3} ", "bold"),
                fit(Content.styled(bar(row.count, top, BAR_CELLS), "$accent"), BAR_CELLS),
                " ",
                Content.styled(sparkline(row.series), "$text-muted"),
            )
        )
    if not rows:
        lines.append(Content(t("handover.none")))
    return Content("\n").join(lines)


class TrendsScreen(ReportsWorkerErrors, Screen[int | None], inherit_bindings=False):
    """Counts by dimension on the left, emerging candidates on the right."""

    CSS_PATH = "../trends.tcss"
    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("d", "window('day')", "trends.day"),
        key("w", "window('week')", "trends.week"),
        key("m", "window('month')", "trends.month"),
        key("escape,q", "close", "trends.close"),
    ]

    class Read(Message):
        """A worker read the report for ``window``."""

        def __init__(self, window: str, report: TrendReport) -> None:
            super().__init__()
            self.window = window
            self.report = report

    def __init__(self, context: Context, window: str = "day") -> None:
        super().__init__(id="trends")
        translate_bindings(self)
        self.context = context
        self.window = window
        self.report: TrendReport | None = None
        self.candidate: Candidate | None = None
        """The candidate whose incidents are listed (``None``: the candidates are)."""

    def compose(self) -> ComposeResult:
        """Heading, charts left, candidates (or their incidents) right, a hint, the keys."""
        yield Static(Content(t("app.loading")), id="trends-head")
        with Horizontal(id="trends-body"):
            with VerticalScroll(id="trends-charts") as charts:
                charts.border_title = t("trends.title")
                yield Static(Content(""), id="trends-chart")
            with Vertical(id="trends-side") as side:
                side.border_title = t("trends.emerging")
                yield Static(Content(""), id="trends-test")
                yield OptionList(id="trends-candidates")
                yield OptionList(id="trends-incidents")
        yield Static(Content(t("trends.hint")), id="trends-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Read the report for the first window."""
        self.query_one("#trends-incidents").display = False
        self.query_one("#trends-candidates").focus()
        self._read(self.window)

    # -- reading ---------------------------------------------------------------------------

    def action_window(self, window: str) -> None:
        """Show another window (day, week or month)."""
        self.window = window
        self._read(window)

    @work(thread=True, exclusive=True, group="trends", exit_on_error=False)
    def _read(self, window: str) -> None:
        from dutydesk.services.trends import trend_report, window_length, year_ago_window

        req = self.context.request()
        length = window_length(window)
        year_ago = year_ago_window(req.now - length, req.now, window, self.context.tz)
        report = trend_report(req, end=req.now, length=length, window=window, year_ago=year_ago)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Read(window, report))

    def on_trends_screen_read(self, message: TrendsScreen.Read) -> None:
        """Draw the report (answers for a window no longer chosen are dropped)."""
        if message.window != self.window:
            return
        report = self.report = message.report
        tz = self.context.tz
        head = [
            safe(span_line(report, tz)),
            # The count and its 同比 on one line: the chart below keeps every row it had.
            safe(
                t(
                    "trends.total_and_year",
                    total=t("trends.total", total=report.total, restricted=report.restricted),
                    year=year_line(report),
                ),
                "dim",
            ),
        ]
        self.query_one("#trends-head", Static).update(Content("\n").join(head))
        blocks = [chart(trend) for trend in report.dimensions]
        self.query_one("#trends-chart", Static).update(Content("\n\n").join(blocks))
        self.query_one("#trends-test", Static).update(safe(test_line(report), "dim"))
        options = self.query_one("#trends-candidates", OptionList)
        options.clear_options()
        options.add_options(
            [Option(safe(candidate_line(c)), id=str(i)) for i, c in enumerate(report.candidates)]
        )
        if report.covered_windows and not report.candidates:
            options.add_option(Option(safe(t("trends.nothing"), "dim"), disabled=True))
        if report.candidates:
            options.highlighted = 0
        self._show_candidates()

    # -- candidates and their incidents ------------------------------------------------

    @property
    def candidates(self) -> OptionList:
        """The list of emerging candidates."""
        return self.query_one("#trends-candidates", OptionList)

    @property
    def incidents(self) -> OptionList:
        """The list of the chosen candidate's incidents."""
        return self.query_one("#trends-incidents", OptionList)

    def _show_candidates(self) -> None:
        self.candidate = None
        self.incidents.display = False
        self.candidates.display = True
        self.query_one("#trends-side").border_title = t("trends.emerging")
        self.query_one("#trends-status", Static).update(Content(t("trends.hint")))
        self.candidates.focus()

    @on(OptionList.OptionSelected, "#trends-candidates")
    def _candidate_chosen(self, event: OptionList.OptionSelected) -> None:
        if self.report is None or event.option.id is None:
            return
        candidate = self.report.candidates[int(event.option.id)]
        self.candidate = candidate
        tz = self.context.tz
        self.incidents.clear_options()
        self.incidents.add_options(
            [
                Option(
                    safe(
                        t(
                            "trends.incident_line",
                            serial=item.serial,
                            time=item.received_at.astimezone(tz).strftime("%m-%d %H:%M"),
                            title=item.title,
                        )
                    ),
                    id=str(item.id),
                )
                for item in candidate.incidents
            ]
        )
        self.candidates.display = False
        self.incidents.display = True
        side = self.query_one("#trends-side")
        side.border_title = safe(t("trends.incidents", group=group_label(candidate)))
        self.query_one("#trends-status", Static).update(Content(t("trends.back")))
        self.incidents.highlighted = 0
        self.incidents.focus()

    @on(OptionList.OptionSelected, "#trends-incidents")
    def _incident_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_close(self) -> None:
        """Back from the incidents to the candidates; from the candidates, close."""
        if self.candidate is not None:
            self._show_candidates()
            return
        self.dismiss(None)
