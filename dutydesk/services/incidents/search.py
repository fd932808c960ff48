"""Search (/): full text over incidents and their timelines, with filters, newest first.

The query is split on whitespace; every part must occur, as a case-insensitive
substring, somewhere in the incident (serial, title, summary, location, reporter name or
unit) or in one of its timeline entries. Every character is literal: quotes, ``*``,
``:``, ``NEAR``, parentheses and ``[/]`` are searched for, never interpreted. A part of one
or two characters made only of punctuation or symbols cannot be looked up in the index
and is reported in :attr:`SearchResult.ignored_terms` instead.

Need-to-know: an incident above the viewer's clearance matches only when every part of
the query occurs in its serial, comes back restricted (serial, received time and
classification only, like the queue), and never passes a status, category, severity or
channel filter, which would reveal its content.

How it is fast, with figures, is in :mod:`dutydesk.storage.search`; this module holds no
SQL dialect of its own.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from dutydesk import vocab
from dutydesk.errors import DutyDeskError
from dutydesk.i18n import field_caption, t
from dutydesk.rules.policy import may_see
from dutydesk.services.incidents.queue import QueueRow, queue_row, registers_of
from dutydesk.services.integrity.reading import audited_read
from dutydesk.storage.engine import Row
from dutydesk.storage.search import SearchAfter as SearchAfter  # callers page with it
from dutydesk.storage.search import SearchSpec, searchable
from dutydesk.vocab import Category, Channel, Classification, Severity, Status

if TYPE_CHECKING:
    from dutydesk.services.request import Request

MAX_LIMIT = 500
MAX_QUERY_CHARS = 200

E = TypeVar("E", bound=StrEnum)


class SearchError(DutyDeskError):
    """A search request that cannot be run as given (a bad filter, a bad page)."""


@dataclass(frozen=True)
class SearchResult:
    """One page of search results.

    Attributes:
        rows: The matching incidents, newest received first; restricted rows carry only
            serial, received time and classification (``row.restricted``).
        has_more: True when at least one more row follows this page.
        elapsed_ms: Time spent in the database, in milliseconds.
        terms: The query parts that were searched for.
        ignored_terms: Query parts too short to look up (1-2 characters of punctuation).
        offset: Where this page starts.
        follows: True when this page was asked for with ``after`` (it continues one).
        next_after: Pass as ``after`` for the next page; ``None`` when none follows.

    """

    rows: list[QueueRow]
    has_more: bool
    elapsed_ms: float
    terms: tuple[str, ...]
    ignored_terms: tuple[str, ...] = ()
    offset: int = 0
    follows: bool = False
    next_after: SearchAfter | None = None

    @property
    def continues(self) -> bool:
        """True when this page goes below rows already shown (offset or ``after``)."""
        return self.offset > 0 or self.follows


def parse_query(query: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split ``query`` into (searchable terms, ignored terms), literally, in order.

    Control, format and private-use characters are dropped: the first two never occur in
    stored text, and the search index marks its filter tokens with a private-use one.
    Duplicates go.

    Raises:
        SearchError: the query is longer than :data:`MAX_QUERY_CHARS`.

    """
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(t("error.search.too_long", length=len(query), most=MAX_QUERY_CHARS))
    kept: list[str] = []
    ignored: list[str] = []
    for part in query.split():
        term = "".join(c for c in part if unicodedata.category(c) not in {"Cc", "Cf", "Co"})
        if not term or term in kept or term in ignored:
            continue
        (kept if searchable(term) else ignored).append(term)
    return tuple(kept), tuple(ignored)


def _codes(kind: type[E], label: str, value: E | str | Iterable[E | str] | None) -> tuple[str, ...]:
    """Validate one enum filter (a value or several) and return its stored codes."""
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else list(value)
    codes: list[str] = []
    for item in values:
        found = vocab.parse(kind, item)
        if found is None:
            raise SearchError(
                t(
                    "error.search.unknown",
                    field=field_caption(label),
                    value=repr(item),
                    allowed=vocab.allowed(kind),
                )
            )
        codes.append(found.value)
    return tuple(dict.fromkeys(codes))


def _moment(label: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise SearchError(f"{label} must be a date and time, not {value!r}")
    if value.tzinfo is None:
        raise SearchError(f"{label} has no time zone: give an aware date and time")
    return value


@dataclass(frozen=True)
class SearchFilter:
    """What a search is narrowed to, besides its text; every filter given must hold.

    Each enumeration filter takes one value or several (any of them), as members or as
    their stored codes; ``None`` for any. Unknown codes are refused when searching.
    """

    status: Status | str | Iterable[Status | str] | None = None
    category: Category | str | Iterable[Category | str] | None = None
    severity: Severity | str | Iterable[Severity | str] | None = None
    channel: Channel | str | Iterable[Channel | str] | None = None
    received_from: datetime | None = None
    """Received at or after this aware moment."""
    received_to: datetime | None = None
    """Received before this aware moment."""
    open_only: bool = False
    """Only incidents that are not closed."""


def search(
    req: Request,
    query: str = "",
    filters: SearchFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    after: SearchAfter | None = None,
) -> SearchResult:
    """Find incidents by text and filters, newest received first, one page at a time.

    Args:
        req: The reader: its ``clearance`` (content above it is neither shown nor
            matched), its key ring for classified titles shown to a cleared viewer, and
            ``viewer``/``now`` for the audit event a page showing classified titles is.
            Classified incidents are found by serial only, whoever searches: their
            content is encrypted and kept out of the index.
        query: Free text; empty (or only ignored parts) with filters lists by filter.
        filters: What else must hold; ``None`` for nothing.
        limit: Rows per page, 1 to :data:`MAX_LIMIT`.
        offset: Rows to skip.
        after: The previous page's :attr:`SearchResult.next_after`: this page starts
            after its last row, through the index's order (a deep page costs what the
            first does, where an offset walks every row above it).

    Returns:
        The page, whether more follows, and the time it took.

    Raises:
        SearchError: a filter value is unknown, a moment has no time zone, the range is
            empty, the clearance is unknown, or the page is out of bounds.

    """
    db, clearance = req.db, req.clearance
    narrow = SearchFilter() if filters is None else filters
    try:
        reader = Classification(clearance)
    except ValueError:
        raise SearchError(f"unknown clearance {clearance!r}") from None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"page size must be between 1 and {MAX_LIMIT}, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise SearchError(f"page offset must be 0 or more, not {offset!r}")
    if after is not None and not isinstance(after, SearchAfter):
        raise SearchError(f"a next page starts after a result, not {after!r}")
    if after is not None:
        _moment("after", after.received_at)
    start, end = _moment("from", narrow.received_from), _moment("to", narrow.received_to)
    if start is not None and end is not None and start >= end:
        raise SearchError(t("error.search.empty_range"))
    terms, ignored = parse_query(query or "")
    spec = SearchSpec(
        terms=terms,
        statuses=_codes(Status, "status", narrow.status),
        categories=_codes(Category, "category", narrow.category),
        severities=_codes(Severity, "severity", narrow.severity),
        channels=_codes(Channel, "channel", narrow.channel),
        received_from=start,
        received_to=end,
        open_only=bool(narrow.open_only),
        visible=tuple(c.value for c in Classification if may_see(reader, c)),
        limit=limit + 1,  # one extra row says whether another page follows
        offset=offset,
        after=after,
    )
    began = time.perf_counter()
    if ignored and not terms:
        found: list[Row] = []  # only unsearchable parts: nothing can match
    else:
        found = db.search_index.find(spec)
    elapsed = (time.perf_counter() - began) * 1000
    page = found[:limit]
    registers = registers_of(db, page)
    with audited_read(
        db, reader, object_type="search", keys=req.keys, viewer=req.viewer, now=req.now
    ) as read:
        rows = [queue_row(values, read, registers) for values in page]
    return SearchResult(
        rows=rows,
        has_more=len(found) > limit,
        elapsed_ms=round(elapsed, 3),
        terms=terms,
        ignored_terms=ignored,
        offset=offset,
        follows=after is not None,
        next_after=SearchAfter(rows[-1].received_at, rows[-1].id)
        if rows and len(found) > limit
        else None,
    )
