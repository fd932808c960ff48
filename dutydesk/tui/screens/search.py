"""Search (``/``): a query, filters, and results drawn like the queue.

Every change of the query or a filter starts an exclusive thread worker that waits
:data:`DEBOUNCE_SECONDS` of quiet before asking :func:`dutydesk.services.incidents.search.search`
(so typing 火灾 runs one search, not two). One Enter, in the query or on a result, closes
the screen with the selected incident's id; the main screen shows its timeline, closed or
not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Select, Static
from textual.worker import get_current_worker

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.services.incidents.search import SearchAfter, SearchResult
from dutydesk.tui.bindings import key, translate_bindings
from dutydesk.tui.context import Context
from dutydesk.tui.text import safe
from dutydesk.tui.widgets.footer import KeysFooter
from dutydesk.tui.widgets.form import SafeInput, choices
from dutydesk.tui.widgets.results import ResultsView
from dutydesk.tui.workers import ReportsWorkerErrors
from dutydesk.vocab import Category, Channel, Severity, Status

DEBOUNCE_SECONDS = 0.25
"""Quiet time after the last key before searching."""
PAGE = 100
"""Results per request; the next page is read when the cursor reaches the end."""

_FILTERS = {"status": Status, "category": Category, "severity": Severity, "channel": Channel}


@dataclass(frozen=True)
class Query:
    """What to search for, as the screen's fields say."""

    text: str
    filters: tuple[tuple[str, str], ...]
    received_from: datetime | None
    received_to: datetime | None
    open_only: bool


class SearchScreen(ReportsWorkerErrors, ModalScreen[int | None]):
    """Find incidents, open or closed, by text and filters."""

    BINDINGS = [  # noqa: RUF012 - Textual reads this class attribute
        key("escape", "close", "close"),
        key("down", "results", "to_results", show=False),
    ]

    class Found(Message):
        """A worker's answer to ``query``."""

        def __init__(self, query: Query, result: SearchResult | None, error: str = "") -> None:
            super().__init__()
            self.query = query
            self.result = result
            self.error = error

    def __init__(self, context: Context) -> None:
        super().__init__(classes="search")
        translate_bindings(self)
        self.context = context
        self._query: Query | None = None
        self._shown: Query | None = None
        """The query whose results are on screen."""
        self._open_first = False
        """Enter came before the results: open the first one when they arrive."""
        self._next: SearchAfter | None = None
        """Where the next page starts (the last result's place); ``None``: no more."""

    def compose(self) -> ComposeResult:
        """Query, filters, results, status, keys."""
        with Vertical(id="search-box") as box:
            box.border_title = t("search.title")
            yield SafeInput(placeholder=t("search.placeholder"), id="search-query", compact=True)
            with Horizontal(id="search-filters"):
                for name, kind in _FILTERS.items():
                    yield Select(
                        choices(kind),
                        prompt=t(f"search.any_{name}"),
                        id=f"filter-{name}",
                        compact=True,
                    )
                yield SafeInput(placeholder=t("search.from"), id="filter-from", compact=True)
                yield SafeInput(placeholder=t("search.to"), id="filter-to", compact=True)
                yield Checkbox(t("search.open_only"), id="filter-open", compact=True)
            yield ResultsView(self.context, id="search-results")
            yield Static(Content(""), id="search-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Type at once."""
        self.results.show([], message=t("search.hint"))
        self.query_one("#search-query").focus()

    @property
    def results(self) -> ResultsView:
        """The results list."""
        return self.query_one(ResultsView)

    @property
    def status_text(self) -> str:
        """The status line's text (for tests)."""
        return str(self.query_one("#search-status", Static).content)

    # -- reading the form ------------------------------------------------------------

    def _date(self, widget_id: str, end: bool) -> datetime | None:
        text = self.query_one(f"#{widget_id}", Input).value.strip()
        if not text:
            return None
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=self.context.tz)
        return day + timedelta(days=1) if end else day

    def current_query(self) -> Query:
        """The query the fields describe.

        Raises:
            ValueError: a date is not ``YYYY-MM-DD``.

        """
        filters = []
        for name in _FILTERS:
            value = self.query_one(f"#filter-{name}", Select).value
            if isinstance(value, str):
                filters.append((name, value))
        return Query(
            text=self.query_one("#search-query", Input).value,
            filters=tuple(filters),
            received_from=self._date("filter-from", end=False),
            received_to=self._date("filter-to", end=True),
            open_only=self.query_one("#filter-open", Checkbox).value,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        try:
            query = self.current_query()
        except ValueError:
            self._say(t("search.bad_date"), error=True)
            return
        self._open_first = False  # a change after Enter: the officer is still typing
        if query == Query("", (), None, None, False):
            self._query = None
            self.results.show([], message=t("search.hint"))
            self._say("")
            return
        self._query = query
        self._say(t("search.searching"))
        self._search(query, None, DEBOUNCE_SECONDS)

    # -- searching -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, query: Query, after: SearchAfter | None, debounce: float) -> None:
        from dutydesk.services.incidents.search import SearchFilter, search

        worker = get_current_worker()
        if debounce and worker.cancelled_event.wait(debounce):
            return
        arguments: dict[str, Any] = dict(query.filters)
        narrow = SearchFilter(
            received_from=query.received_from,
            received_to=query.received_to,
            open_only=query.open_only,
            **arguments,
        )
        try:
            result = search(self.context.request(), query.text, narrow, limit=PAGE, after=after)
        except DutyDeskError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Found(query, None, str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Found(query, result))

    def on_search_screen_found(self, message: SearchScreen.Found) -> None:
        """Show the results of the latest query (older answers are dropped)."""
        if message.query != self._query:
            return
        self._shown = message.query
        result = message.result
        open_first, self._open_first = self._open_first, False
        if result is None:
            self.results.show([], message="")
            self._say(message.error, error=True)
            return
        if open_first and result.rows:
            self.dismiss(result.rows[0].id)
            return
        self._next = result.next_after
        append = result.continues
        self.results.show(result.rows, append=append, message=t("search.nothing"))
        count = len(self.results.rows)
        more = "+" if result.has_more else ""
        # No timing on screen: the officer needs the count, and a changing figure would
        # make the screen differ between two identical searches.
        line = t("search.count", count=f"{count}{more}")
        if result.ignored_terms:
            line += "  " + t("search.ignored", terms=" ".join(result.ignored_terms))
        self._say(line)

    def on_results_view_near_end(self, _message: ResultsView.NearEnd) -> None:
        """Read the next page when the cursor reaches the last row."""
        if self._next is not None and self._query is not None:
            after, self._next = self._next, None
            self._search(self._query, after, 0)

    def on_results_view_chosen(self, message: ResultsView.Chosen) -> None:
        """Enter on a result: show it on the main screen."""
        self.dismiss(message.incident_id)

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#search-status", Static)
        status.set_class(error, "-error")
        status.update(safe(text, "bold" if error else "dim"))

    # -- keys ----------------------------------------------------------------------------

    def action_results(self) -> None:
        """Down from the query: into the results."""
        if self.results.rows and not self.results.has_focus:
            self.results.focus()

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)

    @on(Input.Submitted, "#search-query")
    def _submitted(self) -> None:
        """Enter in the query: open the selected result, at once.

        Typed faster than the search's quiet time, Enter searches now and opens the first
        result when it arrives; with nothing found the screen stays, saying so.
        """
        if self._query is None:
            return
        if self._shown == self._query:
            row = self.results.selected
            if row is not None:
                self.dismiss(row.id)
            return
        self._open_first = True
        self._search(self._query, None, 0)
