"""Trends and emerging issues (苗头性、倾向性问题): bucketing and the test. Pure, no I/O.

**Windows.** A trend compares the *recent window* ``[end - L, end)`` with the ``N``
equal windows before it (the *baseline*, default ``N = 8``): a day, a week (7 days), a
month (30 days) or any custom length ``L``. Windows are rolling, not calendar-aligned,
so that every window has the same length (the test needs that). Baseline windows that
begin before the desk's first record are *not covered* and left out: before the first
record the count is unknown, not zero; with no covered window nothing is tested.

**Emerging issues** are groups (a place x category, a town and its district each, or a
key phrase of the summaries of the public's calls, letters, visits and messages, of
基层报送 and of 网络舆情) whose recent count is unusually
high against their own history. The rule is :mod:`dutydesk.rules.significance`: at
least 3 in the window, and either the one-sided conditional binomial test gives
``p < 0.01 / m`` (Bonferroni), or at least 5 and 4 times the usual count per window (the
usual taken as at least 1); candidates are ranked by that ratio. The keys and phrases
are :mod:`dutydesk.rules.phrases` (character n-grams, not word segmentation). Both
families are tested together, so ``m`` and the error rate are the whole report's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dutydesk.rules.phrases import (
    UNSPECIFIED,
    location_key,
    merge_phrases,
    phrases,
    place_keys,
    unit_key,
)
from dutydesk.rules.significance import (
    ALPHA,
    MIN_COUNT,
    RATIO,
    RATIO_FLOOR,
    RATIO_MIN_COUNT,
    Flag,
    detect,
    tail_p,
)
from dutydesk.vocab import Category, Channel, Severity, Status

BASELINE_WINDOWS = 8
"""Equal windows before the recent one that make its history."""
RESTRICTED = "restricted"
"""The key under which incidents the reader may not see are counted, in every dimension."""
WINDOW_DAYS = {"day": 1, "week": 7, "month": 30}
"""Lengths of the named windows, in days."""
PUBLIC_CHANNELS = frozenset(
    {Channel.PHONE, Channel.LETTER, Channel.WALK_IN, Channel.SMS_WECHAT},
)
"""Channels the public reaches the desk by (来电、来信、来访、短信微信)."""
PHRASE_CHANNELS = PUBLIC_CHANNELS | {Channel.GRASSROOTS, Channel.ONLINE_OPINION}
"""Key phrases come from these: the public's own words, 基层报送 and 网络舆情 (what the
towns and the internet are saying is where an issue shows first)."""
_CATEGORIES = {member.value: member for member in Category}
SPARK = "▁▂▃▄▅▆▇█"
"""Block characters of a sparkline, lowest to highest."""


class Dimension(StrEnum):
    """What the counts are broken down by."""

    CATEGORY = "category"
    CHANNEL = "channel"
    SEVERITY = "severity"
    LOCATION = "location"
    UNIT = "unit"


@dataclass(frozen=True)
class TrendFact:
    """One incident as the trends see it: keys per dimension, nothing else.

    ``restricted`` facts carry :data:`RESTRICTED` in every key, no title and no phrases.
    """

    id: int
    serial: str
    received_at: datetime
    restricted: bool
    keys: Mapping[Dimension, str]
    title: str = ""
    status: Status | None = None
    phrases: frozenset[str] = frozenset()
    text: str = ""
    """The normalised summary phrases were cut from (to check merged phrases); else empty."""
    places: tuple[str, ...] = ()
    """Every place it counts under, widest first (district, then town): see
    :func:`dutydesk.rules.phrases.place_keys`; empty when ``keys[LOCATION]`` is all."""


@dataclass(frozen=True)
class TrendRow:
    """One key of a dimension: its count per window, oldest first, the recent one last."""

    key: str
    series: tuple[int, ...]
    baseline: float
    """Mean count per covered baseline window."""

    @property
    def count(self) -> int:
        """Incidents in the recent window."""
        return self.series[-1]

    @property
    def previous(self) -> int:
        """Incidents in the window just before the recent one."""
        return self.series[-2] if len(self.series) > 1 else 0


@dataclass(frozen=True)
class DimensionTrend:
    """Every key of one dimension seen in the recent window or its history, busiest first."""

    dimension: Dimension
    rows: tuple[TrendRow, ...]


@dataclass(frozen=True)
class CandidateIncident:
    """An incident behind a candidate (always one the reader may see)."""

    id: int
    serial: str
    received_at: datetime
    title: str


@dataclass(frozen=True)
class Candidate:
    """An emerging issue: a group unusually frequent in the recent window.

    ``kind`` is ``"place"`` (``location`` x ``category``) or ``"phrase"`` (``phrase``).
    """

    kind: str
    count: int
    history: int
    windows: int
    p_value: float
    incidents: tuple[CandidateIncident, ...]
    location: str = ""
    category: Category | None = None
    phrase: str = ""
    ratio: float = 0.0
    """The count over the usual count per window (at least 1): candidates' rank."""

    @property
    def expected(self) -> float:
        """Mean count per baseline window (what the recent window would hold as usual)."""
        return self.history / self.windows if self.windows else 0.0


@dataclass(frozen=True)
class YearAgo:
    """The same period one year earlier (去年同期), for 同比: counts by dimension and key.

    ``covered`` is False when the desk's records begin after ``start``: the count then is
    unknown, not zero, and no comparison is made.
    """

    start: datetime
    end: datetime
    covered: bool
    total: int = 0
    counts: Mapping[Dimension, Mapping[str, int]] = field(default_factory=dict)

    def count(self, dimension: Dimension, key: str) -> int:
        """Incidents under ``key`` of ``dimension`` that year-earlier period."""
        return self.counts.get(dimension, {}).get(key, 0)


def year_ago_counts(
    facts: Iterable[TrendFact], *, start: datetime, end: datetime, history_start: datetime | None
) -> YearAgo:
    """Counts of ``facts`` received in ``[start, end)``, keyed as the report's rows are.

    Places count at every level, as in :func:`dimension_trend`.
    """
    chosen = [f for f in facts if start <= f.received_at < end]
    counts: dict[Dimension, dict[str, int]] = {d: defaultdict(int) for d in Dimension}
    for fact in chosen:
        for dimension in Dimension:
            keys: Iterable[str] = (fact.keys[dimension],)
            if dimension is Dimension.LOCATION and fact.places:
                keys = fact.places
            for key in keys:
                counts[dimension][key] += 1
    return YearAgo(
        start=start,
        end=end,
        covered=history_start is not None and history_start <= start,
        total=len(chosen),
        counts={d: dict(c) for d, c in counts.items()},
    )


@dataclass(frozen=True)
class TrendReport:
    """Counts by dimension and emerging candidates for one recent window."""

    window: str
    """``day``, ``week``, ``month`` or ``custom``."""
    start: datetime
    end: datetime
    generated_at: datetime
    baseline_windows: int
    covered_windows: int
    total: int
    restricted: int
    include_drills: bool
    dimensions: tuple[DimensionTrend, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    groups_tested: int = 0
    alpha: float = ALPHA
    year_ago: YearAgo | None = None
    """The same period a year earlier (同比), when asked for."""

    @property
    def threshold(self) -> float:
        """The p-value a group may fall below instead: ``alpha / m`` (``alpha`` if none)."""
        return self.alpha / max(self.groups_tested, 1)

    def dimension(self, which: Dimension) -> DimensionTrend:
        """The breakdown by ``which``."""
        return next(d for d in self.dimensions if d.dimension is which)


@dataclass(frozen=True)
class NotableItem:
    """A serious incident (grade I or II) of the week, for the weekly summary."""

    serial: str
    received_at: datetime
    category: Category
    severity: Severity
    title: str
    status: Status


@dataclass(frozen=True)
class WeeklySummary:
    """The weekly summary: this week's trends (the previous week is each series' ``[-2]``)."""

    report: TrendReport
    notable: tuple[NotableItem, ...] = field(default=())


# -- windows -------------------------------------------------------------------------------


def window_index(moment: datetime, end: datetime, length: timedelta, windows: int) -> int | None:
    """Which window ``moment`` falls in: 0 recent, 1 the one before, ... ``None`` outside."""
    if moment >= end:
        return None
    whole, rest = divmod(end - moment, length)
    index = whole if rest else whole - 1  # each window holds its start, not its end
    return index if 0 <= index <= windows else None


def covered(history_start: datetime | None, end: datetime, length: timedelta, windows: int) -> int:
    """How many of the ``windows`` baseline windows begin at or after the first record."""
    if history_start is None:
        return 0
    count = 0
    for index in range(1, windows + 1):
        if end - (index + 1) * length >= history_start:
            count += 1
        else:
            break
    return count


# -- counting ------------------------------------------------------------------------------


def series_by(
    facts: Iterable[TrendFact],
    key_of: Mapping[int, Iterable[str]] | None,
    dimension: Dimension | None,
    indices: Mapping[int, int],
    windows: int,
) -> dict[str, list[int]]:
    """Counts per key per window (index 0 the oldest, ``windows`` the recent one).

    Keys come from ``fact.keys[dimension]``, or from ``key_of[fact.id]`` when given (several
    keys per incident, each counted once). ``indices`` holds each fact's
    :func:`window_index` by id, worked out once (facts outside every window are absent).
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * (windows + 1))
    for fact in facts:
        index = indices.get(fact.id)
        if index is None:
            continue
        keys: Iterable[str]
        if key_of is not None:
            keys = key_of.get(fact.id, ())
        else:
            assert dimension is not None
            keys = (fact.keys[dimension],)
        for key in keys:
            counts[key][windows - index] += 1
    return dict(counts)


def dimension_trend(
    facts: Sequence[TrendFact],
    dimension: Dimension,
    indices: Mapping[int, int],
    windows: int,
    covered_windows: int,
) -> DimensionTrend:
    """Counts of one dimension, busiest in the recent window first, then by key.

    Places count at every level (an incident in 白石县高坪镇 under 白石县 and under
    白石县高坪镇), each town right after its district.
    """
    key_of = None
    if dimension is Dimension.LOCATION:
        key_of = {f.id: f.places or (f.keys[dimension],) for f in facts}
    rows = [
        TrendRow(key, tuple(counts), baseline_mean(counts, covered_windows))
        for key, counts in series_by(facts, key_of, dimension, indices, windows).items()
    ]
    rows.sort(key=lambda row: (-row.count, -row.baseline, row.key == RESTRICTED, row.key))
    if dimension is Dimension.LOCATION:
        rows = _towns_under_districts(rows)
    return DimensionTrend(dimension, tuple(rows))


def _towns_under_districts(rows: list[TrendRow]) -> list[TrendRow]:
    """``rows`` in order, each town (a key extending another row's key) after its district."""
    keys = {row.key for row in rows}
    parent = {
        row.key: next((k for k in keys if k and k != row.key and row.key.startswith(k)), None)
        for row in rows
    }
    children: dict[str, list[TrendRow]] = defaultdict(list)
    for row in rows:
        if parent[row.key] is not None:
            children[str(parent[row.key])].append(row)
    out: list[TrendRow] = []
    for row in rows:
        if parent[row.key] is None:
            out.append(row)
            out += children.get(row.key, [])
    return out


def baseline_mean(series: Sequence[int], covered_windows: int) -> float:
    """Mean of the last ``covered_windows`` counts before the recent one."""
    if covered_windows <= 0:
        return 0.0
    history = series[-1 - covered_windows : -1]
    return sum(history) / covered_windows


# -- candidates ------------------------------------------------------------------------------


def _incidents(facts: Mapping[int, TrendFact], ids: Iterable[int]) -> tuple[CandidateIncident, ...]:
    chosen = sorted((facts[i] for i in ids), key=lambda f: (f.received_at, f.serial))
    return tuple(CandidateIncident(f.id, f.serial, f.received_at, f.title) for f in chosen)


def _town_says_it(flag: Flag, flags: Sequence[Flag], recent: Mapping[str, set[int]]) -> bool:
    """A district flagged with the very incidents of one of its flagged towns says no more."""
    place, category = flag.key.split("\x1e", 1)[1].split("\x1f", 1)
    for other in flags:
        if not other.key.startswith("p\x1e") or other.key == flag.key:
            continue
        town, town_category = other.key.split("\x1e", 1)[1].split("\x1f", 1)
        same = town_category == category and town != place and town.startswith(place)
        if same and recent[other.key] == recent[flag.key]:
            return True
    return False


def emerging(
    facts: Sequence[TrendFact],
    indices: Mapping[int, int],
    windows: int,
    covered_windows: int,
    *,
    alpha: float = ALPHA,
) -> tuple[tuple[Candidate, ...], int]:
    """Emerging candidates (places x categories, then phrases) and the groups tested.

    Restricted facts never take part. Both families are tested together: ``m`` counts
    the place groups and the phrase groups, so the whole report keeps ``alpha``.
    """
    visible = [f for f in facts if not f.restricted]
    by_id = {f.id: f for f in visible}
    places: dict[int, list[str]] = {}
    grams: dict[int, list[str]] = {}
    for fact in visible:
        levels = fact.places or (
            (fact.keys[Dimension.LOCATION],) if fact.keys[Dimension.LOCATION] else ()
        )
        category = fact.keys[Dimension.CATEGORY]
        if levels:
            places[fact.id] = [f"{place}\x1f{category}" for place in levels]
        if fact.phrases:
            grams[fact.id] = sorted(fact.phrases)
    place_series = series_by(visible, places, None, indices, windows)
    phrase_series = series_by(visible, grams, None, indices, windows)
    joint = {f"p\x1e{k}": v for k, v in place_series.items()}
    joint.update({f"g\x1e{k}": v for k, v in phrase_series.items()})
    flags, tested = detect(joint, covered_windows, alpha=alpha)
    recent: dict[str, set[int]] = defaultdict(set)
    for fact in visible:
        if indices.get(fact.id) == 0:
            for key in places.get(fact.id, ()):
                recent[f"p\x1e{key}"].add(fact.id)
            for key in grams.get(fact.id, ()):
                recent[f"g\x1e{key}"].add(fact.id)
    out: list[Candidate] = []
    for flag in flags:
        family, key = flag.key.split("\x1e", 1)
        if family != "p" or _town_says_it(flag, flags, recent):
            continue
        place, category = key.split("\x1f", 1)
        out.append(
            Candidate(
                kind="place",
                count=flag.count,
                history=flag.history,
                windows=covered_windows,
                p_value=flag.p_value,
                incidents=_incidents(by_id, recent[flag.key]),
                location=place,
                category=_CATEGORIES.get(category),
                phrase="",
                ratio=flag.ratio,
            )
        )
    phrase_flags = sorted(
        (
            Flag(f.key.split("\x1e", 1)[1], f.count, f.history, f.p_value, f.ratio)
            for f in flags
            if f.key.startswith("g\x1e")
        ),
        key=lambda f: (f.p_value, f.key),  # merge_phrases takes the strongest first
    )
    recent_grams = {
        k.split("\x1e", 1)[1]: frozenset(v) for k, v in recent.items() if k.startswith("g\x1e")
    }
    texts = {f.id: f.text for f in visible}
    for label, best, ids in merge_phrases(phrase_flags, recent_grams, texts):
        out.append(
            Candidate(
                kind="phrase",
                count=best.count,
                history=best.history,
                windows=covered_windows,
                p_value=best.p_value,
                incidents=_incidents(by_id, ids),
                phrase=label,
                ratio=best.ratio,
            )
        )
    out.sort(key=lambda c: (-c.ratio, c.p_value, -c.count, c.kind, c.location, c.phrase))
    return tuple(out), tested


def _indices(
    facts: Sequence[TrendFact], end: datetime, length: timedelta, windows: int
) -> dict[int, int]:
    """Each fact's window (0: the recent one), for the facts inside the windows."""
    return {
        f.id: index
        for f in facts
        if (index := window_index(f.received_at, end, length, windows)) is not None
    }


def emerging_candidates(
    facts: Sequence[TrendFact],
    *,
    end: datetime,
    length: timedelta,
    history_start: datetime | None,
    windows: int = BASELINE_WINDOWS,
    alpha: float = ALPHA,
) -> tuple[Candidate, ...]:
    """The candidates :func:`build_report` finds in ``facts``, without its counts.

    The handover pack shows only these (issue 16): the counts of every dimension were
    computed there and thrown away.
    """
    cover = covered(history_start, end, length, windows)
    indices = _indices(facts, end, length, windows)
    return emerging(facts, indices, windows, cover, alpha=alpha)[0]


def build_report(
    facts: Sequence[TrendFact],
    *,
    window: str,
    end: datetime,
    length: timedelta,
    generated_at: datetime,
    history_start: datetime | None,
    include_drills: bool,
    windows: int = BASELINE_WINDOWS,
    alpha: float = ALPHA,
) -> TrendReport:
    """Counts per dimension and emerging candidates of ``facts`` for ``[end - length, end)``.

    Args:
        facts: incidents received in ``[end - (windows + 1) * length, end)``.
        window: the window's name, as shown (``day``, ``week``, ``month``, ``custom``).
        end: the recent window's end.
        length: the length of every window.
        generated_at: when the report is made.
        history_start: when the desk's first record was received (``None``: no records).
        include_drills: whether drill incidents were counted (printed on the report).
        windows: baseline windows asked for.
        alpha: the report's family-wise error rate (rule 1).

    """
    cover = covered(history_start, end, length, windows)
    indices = _indices(facts, end, length, windows)
    recent = [f for f in facts if indices.get(f.id) == 0]
    candidates, tested = emerging(facts, indices, windows, cover, alpha=alpha)
    return TrendReport(
        window=window,
        start=end - length,
        end=end,
        generated_at=generated_at,
        baseline_windows=windows,
        covered_windows=cover,
        total=len(recent),
        restricted=sum(1 for f in recent if f.restricted),
        include_drills=include_drills,
        dimensions=tuple(dimension_trend(facts, d, indices, windows, cover) for d in Dimension),
        candidates=candidates,
        groups_tested=tested,
        alpha=alpha,
    )


def sparkline(values: Sequence[int]) -> str:
    """``values`` as block characters scaled to the largest (all zero: the lowest block)."""
    top = max(values, default=0)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, round(v / top * (len(SPARK) - 1)))] for v in values)


def bar(value: int, top: int, width: int) -> str:
    """A horizontal bar of ``width`` cells at most for ``value`` of ``top`` (eighths)."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


__all__ = [
    "ALPHA",
    "BASELINE_WINDOWS",
    "MIN_COUNT",
    "PHRASE_CHANNELS",
    "PUBLIC_CHANNELS",
    "RATIO",
    "RATIO_FLOOR",
    "RATIO_MIN_COUNT",
    "RESTRICTED",
    "UNSPECIFIED",
    "WINDOW_DAYS",
    "Candidate",
    "CandidateIncident",
    "Dimension",
    "DimensionTrend",
    "NotableItem",
    "TrendFact",
    "TrendReport",
    "TrendRow",
    "WeeklySummary",
    "bar",
    "build_report",
    "covered",
    "detect",
    "emerging",
    "location_key",
    "merge_phrases",
    "phrases",
    "place_keys",
    "sparkline",
    "tail_p",
    "unit_key",
    "window_index",
]
