"""Rendering the handover pack (交接班材料) as plain text and Markdown.

The pack (:class:`dutydesk.rules.handover.HandoverPack`) is first laid out as numbered
sections of lines (:func:`sections`, a :class:`dutydesk.reports.layout.Layout`), in the
interface language; the text, Markdown and
DOCX (:mod:`dutydesk.reports.handover_docx`) renderers all print those same sections.
Every stored string passes through :func:`dutydesk.rules.sanitize.clean` on the way in;
Markdown additionally escapes the characters Markdown would read as markup, so a title
such as ``*urgent* [link](x)`` is printed as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from zoneinfo import ZoneInfo

from dutydesk.i18n import label, t
from dutydesk.reports.candidates import expected_text, group_label, serials
from dutydesk.reports.layout import Layout, Section, Table, md_escape
from dutydesk.reports.marks import first_line, level_text, marked_title
from dutydesk.reports.wording import (
    count_breakdown,
    document_datetime,
    document_day,
    document_time,
    zone_note,
)
from dutydesk.rules.handover import HandoverPack, OpenItem, RosterShift
from dutydesk.rules.leave import is_top_post
from dutydesk.rules.sanitize import clean
from dutydesk.vocab import Classification


def _s(value: object) -> str:
    return clean(value, multiline=True)


def _title(title: str, level: Classification) -> str:
    """A title as the pack prints it: sanitised, with a classified item's own mark."""
    text = _s(title)
    return marked_title(text, level) if level.is_classified else text


class _Times:
    """The pack's times as a document writes them (``25日10时41分``; English ``11-25 10:41``).

    Times in the pack's lines name their month only when it is not the period's.
    """

    def __init__(self, tz: ZoneInfo, reference: datetime) -> None:
        self.tz = tz
        self.reference = reference

    def full(self, moment: datetime | None) -> str:
        return document_datetime(moment, self.tz) if moment else t("app.none")

    def short(self, moment: datetime | None) -> str:
        return document_time(moment, self.tz, self.reference) if moment else t("app.none")

    def day(self, day: date) -> str:
        """A 值班日 as a document writes a date (``11月25日``; English ``11-25``)."""
        return document_day(day)

    def clock(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime("%H:%M")


def _labeller() -> Callable[[Enum], str]:
    """:func:`label`, each member worked out once: a big night labels 30,000 (issue 16).

    Keyed by type too: members of two enums with the same code are equal strings.
    """
    known: dict[tuple[type, Enum], str] = {}

    def name(member: Enum) -> str:
        key = (type(member), member)
        found = known.get(key)
        if found is None:
            found = known[key] = label(member)
        return found

    return name


def _or_none(lines: list[str]) -> tuple[str, ...]:
    return tuple(lines) if lines else (t("handover.none"),)


def _received(pack: HandoverPack, when: _Times) -> Section:
    if pack.received_total == 0:
        lines = [t("handover.nothing_received")]
    else:
        sep = t("handover.sep")
        parts = [(label(c), n) for c, n in pack.by_category]
        # Classified matters count in the total, under their mark only (section 8 lists them).
        parts.append((t("wording.classified"), pack.classified_received))
        # A pack showing classified items says they are marked where they stand.
        key = "marking.received_total" if pack.marking else "handover.received_total"
        lines = [t(key, counts=count_breakdown(pack.received_total, parts))]
        if pack.by_severity:
            items = sep.join(
                t("handover.count", label=label(s), count=n) for s, n in pack.by_severity
            )
            lines.append(t("handover.by_severity", counts=items))
        name = _labeller()
        cells = [
            (
                i.serial,
                when.short(i.received_at),
                name(i.category),
                name(i.severity),
                _title(i.title, i.classification),
                name(i.status),
            )
            for i in pack.received
        ]
        lines += [
            t(
                "handover.received_line", serial=serial, time=time, category=category,
                severity=severity, title=title, status=status,
            )
            for serial, time, category, severity, title, status in cells
        ]  # fmt: skip
        if cells:
            columns = ("serial", "time", "category", "severity", "summary", "status")
            headers = tuple(t(f"handover.column.{name}") for name in columns)
            table = Table(headers, tuple(cells))
            return Section(t("handover.section.received"), tuple(lines), table)
    return Section(t("handover.section.received"), tuple(lines))


def _with_casualties(item: OpenItem) -> str:
    """The title, and the latest casualty figures after it when there are any."""
    text = f"{item.title}（{item.casualties}）" if item.casualties else item.title
    return _title(text, item.classification)


def _open(pack: HandoverPack, when: _Times) -> Section:
    lines = [
        t(
            "handover.open_line",
            serial=i.serial,
            title=_with_casualties(i),
            step=t(f"step.{i.due_step}"),
            due=when.short(i.due_at),
        )
        if i.due_step and i.due_at
        else t(
            "handover.open_nothing_due", serial=i.serial, title=_title(i.title, i.classification)
        )
        for i in pack.open
    ]
    if not lines:
        return Section(t("handover.section.open"), _or_none(lines))
    nothing = t("handover.column.nothing_due")
    rows = tuple(
        (
            i.serial,
            _with_casualties(i) if i.due_step and i.due_at else _title(i.title, i.classification),
            t(f"step.{i.due_step}") if i.due_step and i.due_at else nothing,
            when.short(i.due_at) if i.due_step and i.due_at else "",
        )
        for i in pack.open
    )
    columns = ("serial", "summary", "next_step", "due")
    table = Table(tuple(t(f"handover.column.{c}") for c in columns), rows)
    return Section(t("handover.section.open"), tuple(lines), table)


def _overdue_and_instructions(pack: HandoverPack, when: _Times) -> tuple[Section, Section]:
    overdue = [
        t(
            "handover.overdue_line",
            serial=o.serial,
            title=_title(o.title, o.classification),
            step=t(f"step.{o.step}"),
            due=when.short(o.due_at),
        )
        for o in pack.overdue
    ]
    pending = [
        t(
            "handover.instruction_line",
            serial=i.serial,
            title=_title(i.title, i.classification),
            leader=_s(i.leader) or t("app.none"),
            given=when.short(i.given_at),
            text=_s(i.text),
            due=when.short(i.due_at),
        )
        for i in pack.instructions
    ]
    return (
        Section(t("handover.section.overdue"), _or_none(overdue)),
        Section(t("handover.section.instructions"), _or_none(pending)),
    )


def _bulletins(pack: HandoverPack, when: _Times) -> Section:
    lines = [
        t(
            "handover.bulletin_line",
            name=t(f"handover.bulletin.{b.kind}"),
            year=b.year,
            number=b.issue_no if b.issue_no is not None else t("app.none"),
            title=_title(b.title, b.classification)
            if b.title is not None
            else t("handover.restricted", classification=label(b.classification)),
            at=when.short(b.issued_at),
        )
        for b in pack.bulletins
    ]
    return Section(t("handover.section.bulletins"), _or_none(lines))


def _away(pack: HandoverPack, when: _Times) -> Section:
    # A classified itinerary: marked with its level for a reader who may open it, its
    # destination withheld for the rest (who still learn who is away and who acts).
    lines = [
        t(
            "handover.away_withheld" if a.restricted else "handover.away_line",
            leader=_s(a.leader),
            title=_s(a.leader_title),
            destination=marked_title(_s(a.destination), a.classification),
            withheld=t("leave.withheld", level=level_text(a.classification)),
            start=when.short(a.start_at),
            end=when.short(a.end_at),
            in_charge=t(
                "handover.in_charge_top"
                if is_top_post(a.leader_title)
                else "handover.in_charge_deputy",
                acting=_s(a.acting),
                acting_title=_s(a.acting_title),
            ),
        )
        for a in pack.away
    ]
    return Section(t("handover.section.away"), _or_none(lines))


def _shift(shift: RosterShift, when: _Times) -> str:
    seats = []
    for seat in shift.seats:
        name = _s(seat.name)
        if seat.start_at and seat.end_at:
            name = t(
                "handover.partial",
                name=name,
                start=when.clock(seat.start_at),
                end=when.clock(seat.end_at),
            )
        seats.append(t("handover.seat", position=label(seat.position), name=name))
    text = t("handover.sep").join(seats) if shift.planned else t("handover.not_rostered")
    line = t(
        "handover.shift_line",
        date=shift.shift_date.isoformat(),
        kind=t(f"handover.kind.{shift.kind.value}"),
        start=when.clock(shift.start_at),
        end=when.clock(shift.end_at),
        seats=text or t("handover.not_rostered"),
    )
    if shift.special_period:
        line += t("handover.special", note=_s(shift.special_note))
    return line


def _daily_reports(pack: HandoverPack, when: _Times) -> list[str]:
    """零报告: whether each special 值班日's report was made, late or still to come."""
    lines = []
    for report in pack.daily_reports:
        day, due = when.day(report.day), when.short(report.due_at)
        if report.made_at is not None:
            key = "daily_report.pack_zero" if report.zero else "daily_report.pack_made"
            at = when.short(report.made_at)
            lines.append(t(key, day=day, due=due, name=_s(report.made_by), at=at))
        elif report.late(pack.period_end):
            lines.append(t("daily_report.pack_late", day=day, due=due))
        else:
            lines.append(t("daily_report.pack_pending", day=day, due=due))
    return lines


def _emerging(pack: HandoverPack) -> Section:
    lines = [
        t(
            "handover.trends.line",
            group=group_label(c),
            count=c.count,
            expected=expected_text(c),
            serials=serials(c),
        )
        for c in pack.emerging
    ]
    return Section(t("handover.trends.section"), _or_none(lines))


def sections(pack: HandoverPack, tz: ZoneInfo) -> Layout:
    """Lay the pack out in the interface language, every stored string sanitised."""
    when = _Times(tz, pack.period_end)
    preamble = [
        # English times carry their offsets; a Chinese pack names its zone here, once.
        t("handover.period", start=when.full(pack.period_start), end=when.full(pack.period_end))
        + zone_note(tz, pack.period_start, pack.period_end),
        t("handover.generated", at=when.full(pack.generated_at), clearance=label(pack.clearance)),
    ]
    if pack.generated_at < pack.period_start or pack.generated_at > pack.period_end:
        # A pack for a period that is over (or not begun) must say so, or a reader takes
        # an old "zero report" for tonight's.
        preamble.append(t("handover.past_period", at=when.full(pack.generated_at)))
    elif pack.generated_at < pack.period_end:
        preamble.append(
            t("handover.ahead", at=when.full(pack.generated_at), end=when.full(pack.period_end))
        )
    if pack.handover_id is not None:
        preamble.insert(0, t("handover.pack_no", id=pack.handover_id))
    if pack.zero_report:
        preamble.append(t("handover.zero_report"))
    overdue, instructions = _overdue_and_instructions(pack, when)
    classified = [
        t("handover.classified_line", serial=c.serial, classification=label(c.classification))
        for c in pack.classified
    ]
    if classified:
        classified.append(t("handover.classified_note"))
    closing = [t("handover.sign")]
    if pack.chain_head:
        closing.insert(0, t("handover.chain", head=pack.chain_head))
    return Layout(
        title=t("handover.title"),
        preamble=tuple(preamble),
        sections=(
            _received(pack, when),
            _open(pack, when),
            overdue,
            instructions,
            _bulletins(pack, when),
            _away(pack, when),
            Section(
                t("handover.section.roster"),
                _or_none([_shift(s, when) for s in pack.roster] + _daily_reports(pack, when)),
            ),
            Section(t("handover.section.classified"), _or_none(classified)),
            _emerging(pack),
        ),
        closing=tuple(closing),
        marking=pack.marking,
    )


def render_text(pack: HandoverPack, tz: ZoneInfo) -> str:
    """The pack as plain text (UTF-8), for a terminal or a printer."""
    layout = sections(pack, tz)
    out = [first_line(layout.marking)] if layout.marking else []
    out += [layout.title, "=" * 40, *layout.preamble]
    for section in layout.sections:
        out += ["", section.heading, *(f"  {line}" for line in section.lines)]
    out += ["", *layout.closing]
    return "\n".join(out) + "\n"


def render_markdown(pack: HandoverPack, tz: ZoneInfo) -> str:
    """The pack as Markdown: a title, the preamble, one ``##`` heading per section."""
    layout = sections(pack, tz)
    out = [md_escape(first_line(layout.marking)), ""] if layout.marking else []
    out += [f"# {md_escape(layout.title)}", ""]
    out += [f"{md_escape(p)}  " for p in layout.preamble]
    for section in layout.sections:
        out += ["", f"## {md_escape(section.heading, line_start=False)}", ""]
        out += [f"- {md_escape(line)}" for line in section.lines]
    out += ["", *(f"{md_escape(c)}  " for c in layout.closing)]
    return "\n".join(out) + "\n"


__all__ = [
    "render_markdown",
    "render_text",
    "sections",
]
