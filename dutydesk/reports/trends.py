"""Trends in words: dimension keys, the span and test lines and the weekly summary (md).

Shared by the command line and the console. One candidate in words is
:mod:`dutydesk.reports.candidates` (the handover pack prints candidates too). Every stored
string (a place, a unit, a phrase, a title) passes through
:func:`dutydesk.rules.sanitize.clean`; Markdown escapes what Markdown would read as markup.
The weekly summary is laid out once as a :class:`dutydesk.reports.layout.Layout`
(:func:`weekly_sections`); the Markdown and DOCX (:mod:`dutydesk.reports.weekly_docx`)
renderers print those same lines.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from dutydesk.i18n import current_language, label, t
from dutydesk.reports.candidates import expected_text, group_label, p_text, serials
from dutydesk.reports.layout import Layout, Section, md_escape
from dutydesk.reports.wording import (
    count_breakdown,
    document_datetime,
    document_time,
    period_text,
    stamp,
)
from dutydesk.rules.numbering import chinese_numeral
from dutydesk.rules.sanitize import clean
from dutydesk.rules.trends import (
    MIN_COUNT,
    RATIO,
    RATIO_FLOOR,
    RATIO_MIN_COUNT,
    RESTRICTED,
    Dimension,
    DimensionTrend,
    TrendReport,
    WeeklySummary,
    YearAgo,
)
from dutydesk.vocab import Category, Channel, Severity

_ENUMS: dict[Dimension, type[Category] | type[Channel] | type[Severity]] = {
    Dimension.CATEGORY: Category,
    Dimension.CHANNEL: Channel,
    Dimension.SEVERITY: Severity,
}


def key_label(dimension: Dimension, key: str) -> str:
    """A dimension's key as a reader sees it: a label, "restricted" or the place as typed."""
    if key == RESTRICTED:
        return t("trends.restricted")
    kind = _ENUMS.get(dimension)
    if kind is not None:
        member = next((m for m in kind if m.value == key), None)
        return label(member) if member is not None else clean(key)
    return clean(key) if key else t("trends.unspecified")


def span_line(report: TrendReport, tz: ZoneInfo) -> str:
    """The window, its dates with their offsets and how much history it is compared with."""
    line = t(
        "trends.span",
        window=t(f"trends.window.{report.window}"),
        start=stamp(report.start, tz),
        end=stamp(report.end, tz),
        windows=report.baseline_windows,
        covered=report.covered_windows,
    )
    if report.include_drills:
        line += f" ({t('trends.drills')})"
    return line


def test_line(report: TrendReport) -> str:
    """How candidates were chosen: groups tested and the rule, or why none could be."""
    if report.covered_windows == 0:
        return t("trends.no_history")
    return t(
        "trends.test",
        tested=report.groups_tested,
        minimum=MIN_COUNT,
        threshold=p_text(report.threshold),
        ratio_minimum=RATIO_MIN_COUNT,
        ratio=f"{RATIO:g}",
        floor=f"{RATIO_FLOOR:g}",
    )


def year_line(report: TrendReport) -> str:
    """同比 of the whole window: ``同比：去年同期2件，同比增长150.0%``, or why there is none."""
    year_ago = report.year_ago if report.year_ago and report.year_ago.covered else None
    if year_ago is None:
        return t("weekly.year_unknown")
    return t("trends.year_line", text=year_text(report.total, year_ago.total))


# -- the weekly summary ----------------------------------------------------------------------


def _percent(count: int, earlier: int) -> str:
    """``增长25.0%``, ``下降50.0%`` or ``持平`` against a non-zero ``earlier``."""
    if count == earlier:
        return t("weekly.change_same")
    pct = f"{abs(count - earlier) / earlier:.1%}"
    return t("weekly.change_up" if count > earlier else "weekly.change_down", pct=pct)


def change_text(count: int, previous: int) -> str:
    """环比 in words: ``增长25.0%``, ``下降50.0%``, ``持平``, or no comparison after a 0."""
    if previous == 0:
        return t("weekly.change_same") if count == 0 else t("weekly.change_none")
    return _percent(count, previous)


def year_change(count: int, then: int) -> str:
    """同比 in a table cell: ``增长150.0%``, or ``去年同期无`` in words when there were none."""
    return t("weekly.year_none") if then == 0 else _percent(count, then)


def year_text(count: int, then: int) -> str:
    """同比 in a sentence: ``去年同期2件，同比增长150.0%``, or ``去年同期无``."""
    if then == 0:
        return t("weekly.year_none")
    return t("weekly.year", then=then, change=_percent(count, then))


def week_breakdown(report: TrendReport) -> str:
    """``共接报值班事项22件，其中自然灾害3件、……、涉密2件``: the week by category.

    Categories in their standing order (自然灾害, 事故灾难, 公共卫生, 社会安全, …), as a
    document lists them; what the reader may not see is counted as 涉密, last.
    """
    counts = {row.key: row.count for row in report.dimension(Dimension.CATEGORY).rows}
    parts = [(label(member), counts.get(member.value, 0)) for member in Category]
    parts.append((t("wording.classified"), counts.get(RESTRICTED, 0)))
    return count_breakdown(report.total, parts)


def _count_lines(trend: DimensionTrend, year_ago: YearAgo | None) -> list[str]:
    """One line per group of ``trend`` seen this week or last, with 同比 where known."""
    lines = []
    for row in trend.rows:
        if not (row.count or row.previous):
            continue
        line = t(
            "weekly.count_line",
            label=key_label(trend.dimension, row.key),
            count=row.count,
            previous=row.previous,
            change=change_text(row.count, row.previous),
        )
        if year_ago is not None:  # unknown a year back: said once, in the overview
            then = year_ago.count(trend.dimension, row.key)
            line += t("weekly.year_sep") + year_text(row.count, then)
        lines.append(line)
    return lines


def weekly_sections(summary: WeeklySummary, tz: ZoneInfo) -> Layout:
    """The weekly summary in the interface language, every stored string sanitised.

    Counts and times are written as documents write them: "共接报值班事项22件，其中……",
    "25日10时41分" (English keeps ``11-25 10:41``).
    """
    report = summary.report
    previous = sum(row.previous for row in report.dimension(Dimension.CATEGORY).rows)
    year_ago = report.year_ago if report.year_ago and report.year_ago.covered else None
    overview = [
        t(
            "weekly.overview",
            counts=week_breakdown(report),
            previous=previous,
            change=change_text(report.total, previous),
            year=year_text(report.total, year_ago.total) if year_ago else t("weekly.year_unknown"),
        )
    ]
    counts: list[str] = []
    for number, trend in enumerate(report.dimensions, start=1):
        # A second-level heading, （一）按类别, as a 公文 numbers the parts of a part; a
        # heading with nothing under it says so.
        dimension = t(f"trends.dimension.{trend.dimension.value}")
        counts.append(t("weekly.subheading", number=sub_number(number), label=dimension))
        counts += _count_lines(trend, year_ago) or [t("weekly.none")]
    # Leaders read the weekly report: the rule and its p-values stay in the analyst's
    # view (`dutydesk trends emerging`, the console's trends screen).
    emerging = [] if report.covered_windows else [t("trends.no_history")]
    emerging += [
        t(
            "weekly.candidate_line",
            group=group_label(c),
            count=c.count,
            expected=expected_text(c),
            serials=serials(c),
        )  # leaders read this: "明显增多", no p-value (the analyst's is `trends emerging`)
        for c in report.candidates
    ]
    if report.covered_windows and not report.candidates:
        emerging.append(t("trends.nothing"))
    notable = [
        t(
            "weekly.notable_line",
            serial=item.serial,
            time=document_time(item.received_at, tz, report.end),
            category=label(item.category),
            severity=label(item.severity),
            title=clean(item.title),
            status=label(item.status),
        )
        for item in summary.notable
    ]
    return Layout(
        title=t("weekly.title"),
        preamble=(
            t("weekly.period", period=period_text(report.start, report.end, tz)),
            t("weekly.generated", at=document_datetime(report.generated_at, tz)),
        ),
        sections=(
            Section(t("weekly.section_overview"), tuple(overview)),
            Section(t("weekly.section_counts"), tuple(counts)),
            Section(t("weekly.section_emerging"), tuple(emerging)),
            Section(t("weekly.section_notable"), tuple(notable) or (t("weekly.none"),)),
        ),
        closing=(),
    )


def sub_number(number: int) -> str:
    """A second-level heading's number as the language writes it: 一 (zh), 1 (en)."""
    return chinese_numeral(number) if current_language() == "zh_CN" else str(number)


def render_weekly_md(summary: WeeklySummary, tz: ZoneInfo) -> str:
    """The weekly summary as Markdown: a title, the period, one ``##`` per section."""
    layout = weekly_sections(summary, tz)
    out = [f"# {md_escape(layout.title)}", "", *(f"{md_escape(p)}  " for p in layout.preamble)]
    for section in layout.sections:
        out += ["", f"## {md_escape(section.heading, line_start=False)}", ""]
        out += [f"- {md_escape(line)}" for line in section.lines]
    return "\n".join(out) + "\n"


__all__ = [
    "change_text",
    "key_label",
    "render_weekly_md",
    "span_line",
    "test_line",
    "week_breakdown",
    "weekly_sections",
    "year_change",
    "year_text",
]
