"""The test of an emerging issue: a group's recent count against its own history.

For a group with ``k`` incidents in the recent window and ``h`` in the ``n`` windows
before it, "the rate did not change" makes ``k``, given the total ``T = k + h``, binomial
with ``T`` trials and probability ``1 / (n + 1)``: the conditional test of two Poisson
rates, exact, needing no estimated rate (a group never seen before is not given a rate
of zero) and honest about a short history. A group is flagged when ``k >= 3`` and its
one-sided tail ``P(X >= k)`` is below ``alpha / m``, ``alpha = 0.01`` and ``m`` the groups
that could reach significance at all (Bonferroni with Tarone's refinement,
:func:`testable`). Pure, no I/O; :mod:`dutydesk.rules.trends` applies it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ALPHA = 0.01
"""Family-wise error rate of one report's emerging candidates (before Bonferroni)."""
MIN_COUNT = 3
"""Fewest incidents in the recent window for a group to be flagged: two are no pattern."""


def tail_p(count: int, history: int, windows: int) -> float:
    """``P(X >= count)`` for ``X ~ Binomial(count + history, 1 / (windows + 1))``.

    The conditional test of "the recent window has the same rate as each of the
    ``windows`` baseline windows", summed in log space so large totals do not overflow.
    """
    if count <= 0:
        return 1.0
    if windows <= 0:
        return 1.0
    total = count + history
    p = 1.0 / (windows + 1)
    log_p, log_q = math.log(p), math.log1p(-p)
    log_total = math.lgamma(total + 1)
    mode = (total + 1) * p
    terms: list[float] = []
    top = -math.inf
    for i in range(count, total + 1):
        term = (
            log_total
            - math.lgamma(i + 1)
            - math.lgamma(total - i + 1)
            + i * log_p
            + (total - i) * log_q
        )
        terms.append(term)
        top = max(top, term)
        # Past the mode the terms only fall: stop once they can no longer change the sum.
        if i > mode and term < top - 50:
            break
    return min(1.0, math.exp(top) * sum(math.exp(term - top) for term in terms))


@dataclass(frozen=True)
class Flag:
    """A group whose recent count passed the test."""

    key: str
    count: int
    history: int
    p_value: float


def testable(totals: Sequence[int], windows: int, alpha: float = ALPHA) -> int:  # noqa: PT028 - a significance test, not a pytest test
    """Tarone's ``m``: how many groups could reach significance, so Bonferroni shares by it.

    Given its total ``T``, a group's smallest possible p-value is ``(1 / (windows + 1)) ** T``
    (every incident in the recent window). A group that cannot get below ``alpha / m``
    whatever happens is no test at all and need not share ``alpha``: ``m`` is the
    smallest ``K`` with at most ``K`` groups able to get below ``alpha / K``. This keeps
    the family-wise error at ``alpha`` (the total is fixed under the conditional test)
    while thousands of one-off phrases do not drown a real issue.
    """
    floor = sorted(-total * math.log(windows + 1) for total in totals if total > 0)
    for k in range(1, len(floor) + 1):
        if bisect.bisect_left(floor, math.log(alpha / k)) <= k:
            return k
    return max(len(floor), 1)


def detect(
    series: Mapping[str, Sequence[int]],
    covered_windows: int,
    *,
    alpha: float = ALPHA,
    min_count: int = MIN_COUNT,
) -> tuple[list[Flag], int]:
    """Groups unusually frequent in the recent window, and ``m``, the groups tested.

    Args:
        series: counts per group per window, oldest first, the recent window last.
        covered_windows: how many baseline windows (the latest ones) are history.
        alpha: the family-wise error rate, shared out over the groups tested.
        min_count: fewest recent incidents for a group to be flagged.

    Returns:
        The flagged groups (lowest p first) and ``m`` (:func:`testable`): a group is
        flagged when its p-value is below ``alpha / m``.

    """
    if covered_windows <= 0:
        return [], 0
    totals = {
        key: counts[-1] + sum(counts[-1 - covered_windows : -1]) for key, counts in series.items()
    }
    tested = testable(list(totals.values()), covered_windows, alpha)
    threshold = alpha / tested
    flagged: list[Flag] = []
    for key, counts in series.items():
        count = counts[-1]
        if count < min_count:
            continue
        history = totals[key] - count
        p_value = tail_p(count, history, covered_windows)
        if p_value < threshold:
            flagged.append(Flag(key, count, history, p_value))
    flagged.sort(key=lambda f: (f.p_value, f.key))
    return flagged, tested


__all__ = ["ALPHA", "MIN_COUNT", "Flag", "detect", "tail_p", "testable"]
