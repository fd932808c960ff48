"""Roster problems said in the interface language (``rotation.<key>`` in the catalogue).

:class:`dutydesk.rules.rotation.Problem` carries its English words and its parts; every
service and front end that shows one passes it through :func:`problem_text`, so a
Chinese desk reads "韩冬刚值完12月2日夜班", not the rule's English.
"""

from __future__ import annotations

from datetime import date

from dutydesk.i18n import current_language, label, t
from dutydesk.rules.rotation import POSITION_WORDS, Problem, short_date
from dutydesk.vocab import Position, ShiftKind

# Dates the rules write as 12-02 in a sentence (the others are a shift's full date).
_SHORT_DATES = frozenset(
    {"worked_night", "other_shift", "two_nights", "day_after_night", "day_and_night"}
)


def _value(value: object, *, short: bool) -> str:
    chinese = current_language() == "zh_CN"
    if isinstance(value, Problem):
        return problem_text(value)
    if isinstance(value, tuple):
        return ("；" if chinese else "; ").join(_value(item, short=short) for item in value)
    if isinstance(value, date):
        if chinese:
            return f"{value.month}月{value.day}日"
        return short_date(value) if short else value.isoformat()
    if isinstance(value, Position):
        return label(value) if chinese else POSITION_WORDS[value]
    if isinstance(value, ShiftKind):  # the same words as the handover pack's shifts
        return t(f"handover.kind.{value.value}") if chinese else value.value
    return str(value)


def problem_text(problem: str) -> str:
    """``problem`` in the interface language (a plain string is said as it is)."""
    if not isinstance(problem, Problem):
        return problem
    short = problem.key in _SHORT_DATES
    values = {name: _value(value, short=short) for name, value in problem.values.items()}
    return t(f"rotation.{problem.key}", **values)


__all__ = ["problem_text"]
