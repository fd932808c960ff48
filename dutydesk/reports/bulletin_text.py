"""Bulletins as plain text and Markdown, in the same order as the printed layout.

Classification mark (涉密 only) top left, masthead name, 2026年第N期, issuing unit and
date, a rule, the title, the body, and for 《信息直呈》 the leaders away. Every stored
string passes through :func:`dutydesk.rules.sanitize.clean`; Markdown also escapes the
characters that would turn text into markup or HTML.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from dutydesk.i18n import label, t
from dutydesk.reports.wording import month_day_time
from dutydesk.rules.bulletins import KIND_NAMES, MARKS, issue_label
from dutydesk.rules.documents import (
    AwayFacts,
    BulletinView,
    Distribution,
    prints_signer,
    urgency_mark,
)
from dutydesk.rules.leave import LEAVE_TYPE_ZH, in_charge
from dutydesk.rules.marking import Marking
from dutydesk.rules.sanitize import clean
from dutydesk.vocab import CLASSIFICATION_ZH, Classification, LeaveType

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~!])")


def md_escape(text: str) -> str:
    """``text`` safe inside Markdown: sanitised, markup characters backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", clean(text, multiline=True))


def chinese_date(moment: datetime, tz: ZoneInfo) -> str:
    """``2026年11月26日`` in the office's zone."""
    local = moment.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日"


def away_lines(away: tuple[AwayFacts, ...], tz: ZoneInfo) -> list[str]:
    """One sentence per leader away, as both products print them (外出报备).

    ``刘志远（市委副书记）12月3日08:00至12月6日20:00公务赴北京参加会议，联系电话…。
    外出期间，其分管工作由陈国华同志负责。`` Only the top post's colleague 主持工作
    (``rules/leave.py``); "代理" is never written.
    """
    lines = []
    for a in away:
        kind = LEAVE_TYPE_ZH.get(LeaveType(a.leave_type), "") if a.leave_type else ""
        phone = f"，联系电话{a.contact_phone}" if a.contact_phone else ""
        # A classified itinerary (issue 13): who, when and who acts; never where or why.
        level = CLASSIFICATION_ZH[Classification(a.classification)]
        where = (
            f"外出（【{level}】行程涉密）"
            if a.restricted
            else f"赴{a.destination}{a.reason}{phone}"
        )
        lines.append(
            clean(
                f"{a.leader}（{a.leader_title}）{month_day_time(a.start_at, tz)}至"
                f"{month_day_time(a.end_at, tz)}{kind}{where}。"
                f"{in_charge(a.leader_title, a.acting)}"
            )
        )
    return lines


def copy_mark(marking: Marking) -> str:
    """``份号：000001　机密★1年``: a printed copy's first line (Chinese: an official document)."""
    mark = MARKS[marking.level] + (f"★{clean(marking.term)}" if marking.term else "")
    return f"份号：{marking.copy_text}　{mark}" if marking.copy_no is not None else mark


def header_fields(
    view: BulletinView,
    *,
    tz: ZoneInfo,
    now: datetime,
    marking: Marking | None = None,
    distribution: Distribution | None = None,
) -> dict[str, str]:
    """Masthead values: mark (and a copy's 份号), urgency, name, number, date, signer.

    A classified bulletin's number is of the classified series, and says so: ``（机密）``.
    ``签发人：…`` only where the bulletin reports up (:func:`prints_signer`: a
    《信息快报》 whose ``distribution`` has a 报 line); empty otherwise.
    """
    when = view.issued_at or now
    mark = MARKS.get(view.classification, "")
    upward = prints_signer(view.kind, distribution or Distribution())
    return {
        "mark": copy_mark(marking) if marking is not None else mark,
        "urgency": urgency_mark(view.urgency),
        "name": KIND_NAMES[view.kind],
        "number": (f"（{mark}）" if mark else "") + issue_label(view.year, view.issue_no),
        "date": chinese_date(when, tz),
        "signer": f"签发人：{clean(view.signed_off_by)}" if upward and view.signed_off_by else "",
    }


def render_txt(
    view: BulletinView,
    *,
    unit: str,
    tz: ZoneInfo,
    now: datetime,
    marking: Marking | None = None,
    distribution: Distribution | None = None,
) -> str:
    """The bulletin as plain text (for the terminal, e-mail, the duty log).

    ``marking``: a registered classified copy's 份号 and 密级, its first line; then the
    urgency where set. ``distribution`` decides whether the 签发人 is printed.
    """
    head = header_fields(view, tz=tz, now=now, marking=marking, distribution=distribution)
    lines = [head[key] for key in ("mark", "urgency") if head[key]]
    lines += [head["name"], head["number"], f"{clean(unit)}    {head['date']}"]
    if head["signer"]:
        lines.append(head["signer"])
    lines.append("─" * 32)
    if view.restricted:
        lines.append(t("bulletin.restricted", what=f"#{view.id}", level=label(view.classification)))
        lines += [f"{item.serial} [{label(item.classification)}]" for item in view.items]
        return "\n".join(lines) + "\n"
    lines += [clean(view.title), ""]
    lines += [clean(line) for line in view.body.splitlines()]
    if view.away:
        lines += ["", "领导干部外出报备", *away_lines(view.away, tz)]
    return "\n".join(lines) + "\n"


def render_md(
    view: BulletinView,
    *,
    unit: str,
    tz: ZoneInfo,
    now: datetime,
    marking: Marking | None = None,
    distribution: Distribution | None = None,
) -> str:
    """The bulletin as Markdown (the same head as :func:`render_txt`)."""
    head = header_fields(view, tz=tz, now=now, marking=marking, distribution=distribution)
    lines = [part for key in ("mark", "urgency") if head[key] for part in (f"**{head[key]}**", "")]
    lines += [f"# {head['name']}", "", head["number"], ""]
    meta = " · ".join(part for part in (md_escape(unit), head["date"], head["signer"]) if part)
    lines += [meta, "", "---", ""]
    if view.restricted:
        what = t("bulletin.restricted", what=f"#{view.id}", level=label(view.classification))
        lines += [md_escape(what), ""]
        lines += [f"- {item.serial} \\[{label(item.classification)}\\]" for item in view.items]
        return "\n".join(lines) + "\n"
    lines += [f"## {md_escape(view.title)}", ""]
    for line in view.body.splitlines():
        if line.strip():
            lines += [md_escape(line), ""]
    if view.away:
        lines += ["## 领导干部外出报备", ""]
        lines += [f"- {md_escape(line)}" for line in away_lines(view.away, tz)]
    return "\n".join(lines).rstrip("\n") + "\n"
