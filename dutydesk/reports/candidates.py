"""A trend candidate in words: what it is about, its counts, its p-value, its serials.

Shared by the trends screens and commands, the weekly summary
(:mod:`dutydesk.reports.trends`) and the handover pack (:mod:`dutydesk.reports.handover`),
so a candidate reads the same everywhere and neither report imports the other. Every
stored string (a place, a phrase) passes through :func:`dutydesk.rules.sanitize.clean`.
"""

from __future__ import annotations

from dutydesk.i18n import label, t
from dutydesk.rules.sanitize import clean
from dutydesk.rules.trends import Candidate


def group_label(candidate: Candidate) -> str:
    """What a candidate is about: ``东湖区 · public request`` or ``“电梯故障”``."""
    if candidate.kind == "place":
        category = label(candidate.category) if candidate.category else ""
        return t("trends.place", place=clean(candidate.location), category=category)
    return t("trends.phrase", phrase=clean(candidate.phrase))


def p_text(value: float) -> str:
    """A p-value in three significant figures (``2.7e-05``)."""
    return f"{value:.2g}"


def expected_text(candidate: Candidate) -> str:
    """The usual count per window, one decimal."""
    return f"{candidate.expected:.1f}"


def candidate_line(candidate: Candidate) -> str:
    """One line: the group, its count, the usual count and the p-value."""
    return t(
        "trends.candidate",
        group=group_label(candidate),
        count=candidate.count,
        expected=expected_text(candidate),
        p=p_text(candidate.p_value),
    )


def serials(candidate: Candidate) -> str:
    """The serials of the incidents behind a candidate, space-separated."""
    return " ".join(item.serial for item in candidate.incidents)


__all__ = ["candidate_line", "expected_text", "group_label", "p_text", "serials"]
