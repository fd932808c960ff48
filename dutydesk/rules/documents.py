"""The plain data that documents are rendered from: bulletins and the daily summary.

Services fill these in (with classified content already withheld from the uncleared);
``dutydesk.reports`` renders them. They live below both, so that neither layer imports
the other (the import-linter contract in pyproject.toml).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import field
from datetime import date, datetime
from enum import StrEnum
from itertools import repeat
from typing import Any

from dutydesk.records import record
from dutydesk.rules.marking import Marking
from dutydesk.vocab import (
    URGENCY_ZH,
    BulletinKind,
    BulletinStatus,
    Category,
    Channel,
    Classification,
    EntryKind,
    Severity,
    Status,
    Urgency,
)

RESTRICTED = "restricted"
"""The totals key under which incidents the viewer may not see are counted."""


@record
class ItemRef:
    """An incident carried by a bulletin: serial and classification (always shown)."""

    serial: str
    classification: Classification
    title: str | None
    """``None`` when the viewer is not cleared for the item."""
    sms_allowed: bool = False
    """Sign-off said "可发短信/微信" for this 内部 item (a decision, no content)."""


@record
class AwayFacts:
    """A leader away (外出报备) and the acting leader, as a bulletin prints it."""

    leader: str
    leader_title: str
    destination: str
    reason: str
    start_at: datetime
    end_at: datetime
    acting: str
    acting_title: str
    contact_phone: str = ""
    leave_type: str = "official"
    classification: str = "internal"
    """The itinerary's level (issue 13)."""
    restricted: bool = False
    """A classified itinerary left out: a bulletin is a printed product that travels, so
    it says who is away, when and who acts, never where or why."""


@record
class BulletinView:
    """A bulletin as renderers need it. Content fields are empty when ``restricted``."""

    id: int
    kind: BulletinKind
    year: int
    issue_no: int | None
    status: BulletinStatus
    classification: Classification
    restricted: bool
    title: str = ""
    body: str = ""
    short_version: str = ""
    created_at: datetime | None = None
    reviewed_by: str = ""
    reviewed_at: datetime | None = None
    signed_off_by: str = ""
    signed_off_at: datetime | None = None
    issued_at: datetime | None = None
    items: tuple[ItemRef, ...] = ()
    away: tuple[AwayFacts, ...] = field(default=())
    """Leaders away on the bulletin's day (《信息直呈》 only)."""
    presented_to: str = ""
    """The leader a 《信息直呈》 is presented to ("" for a 《信息快报》 or none named)."""
    urgency: Urgency = Urgency.NONE
    """Its 紧急程度 (migration 0022): printed at the top left when set."""


@record
class Distribution:
    """The 版记 of a 简报-type bulletin (GB/T 9704-2012 §7.4), from the settings.

    报 goes to superiors, 送 to the leaders, 发 to the units below; ``copies`` is the
    print run, （共印N份）. Empty lists leave their line out.
    """

    report: tuple[str, ...] = ()
    send: tuple[str, ...] = ()
    issue: tuple[str, ...] = ()
    copies: int = 0


def urgency_mark(urgency: Urgency) -> str:
    """The mark at the top left of the 版头: ``特　急`` (two characters a character apart).

    GB/T 9704-2012 §7.2.3: 3号黑体, 顶格, below the 份号 and 密级; two characters are
    spaced by one, as the standard sets 秘　密. Empty when no urgency is set.
    """
    name = URGENCY_ZH.get(urgency, "")
    return "\u3000".join(name)


def urgency_prefix(urgency: Urgency) -> str:
    """``【特急】`` before a short version's header; empty when no urgency is set."""
    name = URGENCY_ZH.get(urgency, "")
    return f"【{name}】" if name else ""


def prints_signer(kind: BulletinKind, distribution: Distribution) -> bool:
    """Whether a bulletin prints its 签发人 (GB/T 9704-2012 §7.2.6: 上行文 only).

    A 《信息快报》 whose 版记 reports up (a 报： line, to a higher organ) is an upward
    document and names who signed it; one sent only across and down (送/发) is not. A
    《信息直呈》 goes to a leader of this committee, not up: none. The desk's own
    documents (handover pack, daily summary, weekly report) never call this: they print
    none. Only the print follows this rule; the sign-off is recorded (audit, chain)
    whatever it says.
    """
    return kind is BulletinKind.EXPRESS and bool(distribution.report)


@record
class DailyRow:
    """One incident of the daily summary. Content is ``None`` when ``restricted``."""

    serial: str
    received_at: datetime
    status: Status
    classification: Classification
    restricted: bool
    channel: Channel | None = None
    category: Category | None = None
    severity: Severity | None = None
    title: str | None = None
    summary: str | None = None
    location: str | None = None
    reporter_unit: str | None = None
    entries: int | None = None
    phone_report_at: datetime | None = None
    """The first report to the leaders by phone (电话首报)."""
    first_report_at: datetime | None = None
    """The written first report (书面首报); the handover pack's "first report" step."""
    last_entry_at: datetime | None = None
    last_entry_kind: EntryKind | None = None
    last_entry_text: str | None = None


DAILY_RECORD_KEYS = (
    "serial", "received_at", "channel", "category", "severity", "classification", "status",
    "title", "location", "reporter_unit", "entries", "phone_report_at", "first_report_at",
    "last_entry_at", "last_entry_kind", "last_entry_text", "summary", "restricted",
)  # fmt: skip
"""The fields of an incident's record (csv, json, ndjson), in order: its exact values."""


def daily_record(row: DailyRow, iso: Callable[[datetime | None], str | None]) -> list[Any]:
    """``row``'s record: values in :data:`DAILY_RECORD_KEYS` order, codes, ``iso`` times.

    ``iso``: a moment as its local ISO 8601 text (``None`` stays ``None``). Field by
    field, no introspection: it runs 10^5 times.
    """
    channel, category, severity = row.channel, row.category, row.severity
    kind = row.last_entry_kind
    return [
        row.serial,
        iso(row.received_at),
        None if channel is None else channel._value_,
        None if category is None else category._value_,
        None if severity is None else severity._value_,
        row.classification._value_,
        row.status._value_,
        row.title,
        row.location,
        row.reporter_unit,
        row.entries,
        iso(row.phone_report_at),
        iso(row.first_report_at),
        iso(row.last_entry_at),
        None if kind is None else kind._value_,
        row.last_entry_text,
        row.summary,
        row.restricted,
    ]


@record
class DailySummary:
    """Every incident received in one day's window, with totals.

    The window is the 值班日 (``duty_day``: from ``day``'s change of shift to the next
    day's, as offices count) or the calendar day (midnight to midnight).
    """

    day: date
    generated_at: datetime
    timezone: str
    rows: tuple[DailyRow, ...]
    by_category: dict[str, int]
    by_severity: dict[str, int]
    by_channel: dict[str, int]
    start: datetime
    """The window's start (aware): ``day`` at the change of shift, or at midnight."""
    end: datetime
    """The window's end (aware, excluded): the same hour of the day after."""
    duty_day: bool = True
    """The 值班日 (True) or the calendar day (False)."""
    chain_head: str = ""
    """The record's hash-chain head when it was made (``#57 3f9a1c2b…``): a later copy
    of the database that lost records since shows an older head (``dutydesk verify``)."""
    marking: Marking | None = None
    """The highest level of the content shown and the copy's 份号; ``None``: unmarked."""
    count: int | None = None
    """How many incidents, when the rows are streamed apart from the summary (``rows``
    then empty: :func:`dutydesk.services.incidents.daily.daily_export`); ``None``: all
    the rows are in ``rows``."""

    @property
    def size(self) -> int:
        """The number of incidents listed, whether held in ``rows`` or streamed."""
        return len(self.rows) if self.count is None else self.count

    @property
    def restricted(self) -> int:
        """How many of them the reader may not see (counted in every totals table)."""
        return self.by_category.get(RESTRICTED, 0)


Tally = tuple[bool, str | None, str | None, str | None]
"""What the totals count of one incident: restricted?, category, severity, channel codes."""


def totals(rows: Iterable[DailyRow]) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Counts by category, severity and channel; every member listed, zeros included.

    Restricted rows are counted under :data:`RESTRICTED` only: their category would say
    something about classified content.
    """
    return tally(
        (
            row.restricted,
            row.category and row.category.value,
            row.severity and row.severity.value,
            row.channel and row.channel.value,
        )
        for row in rows
    )


def tally(items: Iterable[Tally]) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """:func:`totals` from codes: what a streamed export counts before its rows come."""
    return tally_groups(zip(items, repeat(1)))


def tally_groups(
    groups: Iterable[tuple[Tally, int]],
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """:func:`tally` of items grouped by the database: each with how many it stands for.

    A day of 10^5 incidents is a few hundred groups of (level, category, severity,
    channel): counted here in a blink, where a Python loop over the rows took seconds.
    """
    counters: tuple[Counter[str], Counter[str], Counter[str]] = (Counter(), Counter(), Counter())
    for (restricted, *values), weight in groups:
        for counter, value in zip(counters, values, strict=True):
            counter[RESTRICTED if restricted or value is None else value] += weight

    def table(members: Iterable[StrEnum], counter: Counter[str]) -> dict[str, int]:
        result = {member.value: counter.get(member.value, 0) for member in members}
        if counter.get(RESTRICTED):
            result[RESTRICTED] = counter[RESTRICTED]
        return result

    return (
        table(Category, counters[0]),
        table(Severity, counters[1]),
        table(Channel, counters[2]),
    )
