"""How often a leader's instruction asks to be told: 每小时报告一次 is a 60-minute cadence.

Instructions set the pace of continued reports in their own words ("每小时报告一次进展",
"每半小时续报", "每2小时报告", "每天17时前报告"), and an officer who misses the phrase at 3 a.m.
misses the clock. :func:`cadence_in` reads the phrase; the follow-up service applies it
to the incident when it is stricter than the one it has, and says so on the timeline.

Only a phrase of the form 每 + amount + unit, or the 一报 forms (半小时一报, 两小时一报),
counts: "随时报告" or "及时报告" set no number, so they set no clock.
"""

from __future__ import annotations

import re

_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "八": 8, "十": 10}
_UNITS = {"分钟": 1, "小时": 60, "个小时": 60, "天": 1440, "日": 1440}

_AMOUNT = r"(?P<amount>半|\d{1,3}|[一两二三四五六八十]{1,2})?"
_UNIT = r"(?P<unit>分钟|个小时|小时|天|日)"
# 每小时 / 每半小时 / 每2小时 / 每两个小时 / 每30分钟 / 每天 ... followed by a word of
# reporting within a few characters, so "每天下午开会" sets nothing.
_EVERY = re.compile(rf"每(?:隔)?{_AMOUNT}{_UNIT}[^。；;，,]{{0,8}}?(?:报|续报|报告|汇报|反馈)")
# 半小时一报 / 两小时一报 / 一小时报告一次
_ONCE = re.compile(rf"{_AMOUNT}{_UNIT}(?:一报|报告一次|报一次|续报一次|汇报一次)")


def _amount(word: str | None) -> float | None:
    if not word:
        return 1
    if word == "半":
        return 0.5
    if word.isdigit():
        return int(word)
    if word == "十":
        return 10
    if len(word) == 2 and word[0] == "十":  # 十二
        return 10 + _DIGITS.get(word[1], 0)
    if len(word) == 2 and word[1] == "十":  # 二十
        return _DIGITS.get(word[0], 0) * 10
    return _DIGITS.get(word)


def cadence_in(text: str) -> int | None:
    """The shortest reporting interval ``text`` asks for, in minutes, or ``None``.

    >>> cadence_in("市应急局、东湖区每小时报告一次进展。")
    60
    >>> cadence_in("请每半小时续报。")
    30
    >>> cadence_in("有新情况随时报告。") is None
    True
    """
    found: list[int] = []
    for pattern in (_EVERY, _ONCE):
        for match in pattern.finditer(text):
            amount = _amount(match.group("amount"))
            if amount is None or amount <= 0:
                continue
            minutes = int(amount * _UNITS[match.group("unit")])
            if minutes >= 1:
                found.append(minutes)
    return min(found) if found else None


def set_by(seq: int) -> str:
    """The line a cadence change carries: the record is the office's, in its language."""
    return f"（按第{seq}条领导批示：续报间隔）"


__all__ = ["cadence_in", "set_by"]
