"""Bulletins (《信息快报》《信息直呈》): the workflow and the drafting, as pure rules.

The workflow: draft -> reviewed -> (signed off) -> issued; a draft or reviewed bulletin
may be discarded, which uses no number. Editing a reviewed bulletin sends it back to
draft, and clears a sign-off: what a leader signed is what is issued.

Drafting writes as an information officer does: 标题 from the incident, 正文 in the
official register ("据……报告，……。经核实，……。目前，……。"). The incident and its
timeline arrive as plain :class:`ItemFacts`; no database here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dutydesk.rules.documents import urgency_prefix
from dutydesk.rules.numbering import chinese_count, chinese_numeral
from dutydesk.vocab import BulletinKind, BulletinStatus, Classification, EntryKind, Role, Urgency

SIGNER_ROLES = frozenset({Role.DUTY_LEADER, Role.LEADER})
"""Who may sign a bulletin off (签发): the duty leader or a leader."""

KIND_NAMES = {BulletinKind.EXPRESS: "信息快报", BulletinKind.DIRECT: "信息直呈"}
"""The products' names as printed in the masthead (cited in text as 《信息快报》)."""

MARKS = {
    Classification.CONFIDENTIAL: "秘密",
    Classification.SECRET: "机密",
    Classification.TOP_SECRET: "绝密",
}
"""The classification mark printed at the top left of a classified document, in Chinese
whatever the interface language: the document is an official one."""


@dataclass(frozen=True)
class EntryFacts:
    """One timeline entry, as much as drafting needs."""

    kind: EntryKind
    occurred_at: datetime
    text: str
    target: str = ""


@dataclass(frozen=True)
class ItemFacts:
    """An incident carried by a bulletin, as much as drafting needs."""

    serial: str
    title: str
    summary: str
    classification: Classification
    reporter_unit: str = ""
    reporter_name: str = ""
    entries: tuple[EntryFacts, ...] = field(default=())
    casualties: str = ""
    """The latest figures, worded (``死亡3人、受伤2人``; ``rules/facts.casualty_line``)."""


def issue_label(year: int, issue_no: int | None) -> str:
    """``2026年第7期``; ``2026年（未编号）`` before issue."""
    return f"{year}年第{issue_no}期" if issue_no is not None else f"{year}年（未编号）"


def reported_in(kind: BulletinKind, year: int, issue_no: int | None) -> str:
    """The timeline's record of a bulletin as the written report (以《信息快报》…书面报告)."""
    return f"以《{KIND_NAMES[kind]}》{issue_label(year, issue_no)}书面报告"


OPEN_SERIES, CLASSIFIED_SERIES = "open", "classified"
"""The two number series of a kind: classified bulletins are numbered apart (issue 13),
so the open series runs without gaps a reader not cleared would have to explain."""


def series_of(level: Classification | str) -> str:
    """The number series a bulletin of ``level`` is issued in."""
    return CLASSIFIED_SERIES if Classification(level).is_classified else OPEN_SERIES


def numbered_name(
    kind: BulletinKind, year: int, issue_no: int | None, level: Classification | str
) -> str:
    """``《信息快报》2026年第7期``; a classified one names its series.

    ``《信息快报》（机密）2026年第1期``: the number is of the classified series.
    """
    series = MARKS.get(Classification(level))
    return (
        f"《{KIND_NAMES[kind]}》"
        + (f"（{series}）" if series else "")
        + issue_label(year, issue_no)
    )


def next_issue_no(highest: int | None) -> int:
    """The number after the highest issued so far in this kind and year (1 for the first)."""
    return (highest or 0) + 1


def highest_classification(levels: Iterable[Classification | str]) -> Classification:
    """The bulletin's 密级: the highest of its items (``internal`` for none)."""
    found = [Classification(level) for level in levels]
    return max(found, key=lambda level: level.level, default=Classification.INTERNAL)


def refusal(action: str, status: BulletinStatus, signed: bool = False) -> str | None:
    """Why ``action`` cannot be done to a bulletin in ``status``, or ``None`` if it can.

    Args:
        action: ``edit``, ``review``, ``sign``, ``issue`` or ``discard``.
        status: the bulletin's status now.
        signed: whether it carries a sign-off.

    Returns:
        A message key suffix for ``bulletin.refused.*`` or ``None``.

    """
    if status is BulletinStatus.ISSUED:
        return "issued"
    if status is BulletinStatus.DISCARDED:
        return "discarded"
    if action == "sign" and status is not BulletinStatus.REVIEWED:
        return "sign_before_review"
    if action == "issue" and not signed:
        return "issue_unsigned"
    return None


_END = "。！？；"
_PREFIXES = re.compile(r"^(续报[一二三四五六七八九十\d]*|终报|首报|核实|情况)[：:]\s*")


def sentence(text: str) -> str:
    """``text`` trimmed, with a Chinese full stop at the end if it has none."""
    value = text.strip()
    if value and value[-1] not in _END:
        value += "。"
    return value


def _bare(text: str) -> str:
    return _PREFIXES.sub("", text.strip())


def lead_paragraph(item: ItemFacts) -> str:
    """The opening 据……报告 sentence: the summary, attributed if it is not already."""
    summary = sentence(item.summary)
    if summary.startswith("据"):
        return summary
    source = item.reporter_unit or item.reporter_name
    return f"据{source}报告，{summary}" if source else summary


def instruction_sentence(entry: EntryFacts) -> str:
    """A leader instruction as a bulletin prints it: ``孙丽同志批示：……。``.

    The leader recorded with it (``target``) goes in front, in the official register;
    text that already starts with that name (``吴海峰副市长批示：……``, as typed from the
    instruction sheet) is printed as it is rather than attributed twice.
    """
    text = entry.text.strip()
    leader = entry.target.strip()
    if not leader or text.startswith(leader):
        return sentence(text)
    return sentence(f"{leader}同志批示：{text}")


def _instructions(item: ItemFacts) -> list[EntryFacts]:
    ordered = sorted(item.entries, key=lambda e: e.occurred_at)
    return [e for e in ordered if e.kind is EntryKind.LEADER_INSTRUCTION and e.text.strip()]


def item_paragraphs(item: ItemFacts) -> list[str]:
    """The 正文 of one item: lead, verification, leaders' instructions, latest progress."""
    paragraphs = [lead_paragraph(item)]
    by_kind: dict[EntryKind, list[EntryFacts]] = {}
    for entry in sorted(item.entries, key=lambda e: e.occurred_at):
        if entry.text.strip():
            by_kind.setdefault(entry.kind, []).append(entry)
    for entry in by_kind.get(EntryKind.VERIFIED, [])[:1]:
        text = _bare(entry.text)
        paragraphs.append(sentence(text if text.startswith("经") else f"经核实，{text}"))
    if item.casualties:  # the latest figures, whatever the summary said at intake
        paragraphs.append(f"截至目前，已造成{item.casualties}。")
    paragraphs += [instruction_sentence(e) for e in by_kind.get(EntryKind.LEADER_INSTRUCTION, [])]
    progress = [
        e
        for kind in (EntryKind.CONTINUED_REPORT, EntryKind.FINAL_REPORT, EntryKind.FEEDBACK)
        for e in by_kind.get(kind, [])
    ]
    if progress:
        latest = _bare(max(progress, key=lambda e: e.occurred_at).text)
        paragraphs.append(sentence(latest if latest.startswith("目前") else f"目前，{latest}"))
    else:
        paragraphs.append("目前，有关情况正在进一步核实中，我办将密切关注并及时续报。")
    return paragraphs


def item_mark(item: ItemFacts) -> str:
    """``【机密】`` before a classified item's heading in a bulletin of several; else "".

    Issue 13: the bulletin carries the highest level at its top left, and each classified
    item inside keeps its own mark (GB/T 9704 marks are Chinese, whatever the interface).
    """
    mark = MARKS.get(item.classification)
    return f"【{mark}】" if mark else ""


def draft_text(items: Sequence[ItemFacts]) -> tuple[str, str]:
    """Title and body of a new bulletin about ``items`` (at least one).

    One item: its title, and its paragraphs. Several: "关于A等N起事项的情况", and each
    item under a numbered heading (一、A), a classified one's with its mark (二、【机密】B).
    """
    if not items:
        raise ValueError("a bulletin needs at least one incident")
    if len(items) == 1:
        return items[0].title.strip(), "\n".join(item_paragraphs(items[0]))
    title = f"关于{items[0].title.strip()}等{chinese_count(len(items))}起事项的情况"
    blocks = [
        "\n".join(
            [
                f"{chinese_numeral(index)}、{item_mark(item)}{item.title.strip()}",
                *item_paragraphs(item),
            ]
        )
        for index, item in enumerate(items, start=1)
    ]
    return title, "\n".join(blocks)


def short_item(item: ItemFacts) -> str:
    """One item of the SMS/WeChat version: first sentence, instruction, progress.

    The title is not put in front: the first sentence says the same (where, what) in
    full, and in 70 characters a message cannot say it twice (issue 14). Of several
    leader instructions only the latest goes in (attributed, like the bulletin's), to
    keep the message short; the SMS split keeps each segment in limits.
    """
    text = re.split(r"(?<=[。！？])", lead_paragraph(item), maxsplit=1)[0]
    instructions = _instructions(item)
    if instructions:
        text += instruction_sentence(instructions[-1])
    paragraphs = item_paragraphs(item)
    latest = paragraphs[-1]
    if len(paragraphs) > 1 and latest.startswith("目前") and "进一步核实" not in latest:
        text += latest
    return text


def short_text(items: Sequence[ItemFacts]) -> str:
    """The editable part of the short version: unclassified ``items``, numbered if several."""
    if len(items) == 1:
        return short_item(items[0])
    return "".join(f"{index}.{short_item(item)}" for index, item in enumerate(items, start=1))


def may_go_by_sms(level: Classification, *, allowed: bool) -> bool:
    """Whether an item of ``level`` goes into a short version (SMS/WeChat).

    公开 goes; 内部 only when sign-off recorded "可发短信/微信" for it (``allowed``):
    工作秘密 and casualty figures before release often sit in 内部 items; 秘密 and above
    never (the cipher channel only).
    """
    if level is Classification.PUBLIC:
        return True
    return level is Classification.INTERNAL and allowed


def sms_decision_refusal(level: Classification) -> str | None:
    """Why a 可发短信/微信 decision cannot be recorded for an item of ``level``, else ``None``.

    Only a 内部 item needs one: a 公开 item goes anyway, a classified one never.
    """
    if level.is_classified:
        return "classified"
    if level is Classification.PUBLIC:
        return "public"
    return None


def short_header(
    kind: BulletinKind, year: int, issue_no: int | None, urgency: Urgency = Urgency.NONE
) -> str:
    """What every short version starts with: 【信息快报2026年第7期】, after 【特急】 where set."""
    return f"{urgency_prefix(urgency)}【{KIND_NAMES[kind]}{issue_label(year, issue_no)}】"
