"""The test of an emerging issue: a group's recent count against its own history.

For a group with ``k`` incidents in the recent window and ``h`` in the ``n`` windows
before it, "the rate did not change" makes ``k``, given the total ``T = k + h``, binomial
with ``T`` trials and probability ``1 / (n + 1)``: the conditional test of two Poisson
rates, exact, needing no estimated rate (a group never seen before is not given a rate
of zero) and honest about a short history. Its one-sided tail ``P(X >= k)`` is the
group's p-value (:func:`tail_p`).

**The rule** (:func:`detect`). A group is a candidate when it has ``k >= 3`` incidents in
the recent window and either

1. **its p-value is below** ``0.01 / m``, ``m`` the groups that could reach significance
   at all (Bonferroni with Tarone's refinement, :func:`testable`): a change no run of
   chance explains, however busy the group (20 a week going to 40); or
2. **it has clearly grown against its usual count**: ``k >= 5`` and
   ``k >= 4 x max(usual, 1)``, the usual count being the mean per baseline window and
   ``1`` its floor (so that a group seldom or never seen needs 5 at least, not 3).

Rule 1 alone missed what an office must report: five wage-arrears visits in a week
against about one a week before give ``p = 0.010``, nowhere near ``0.01 / 31``; no test
of one group among 31 calls that significant, while an office calls it 明显增多. Rule 2
is that office's rule. Controlling the false discovery rate instead (Benjamini–Hochberg
at 5%) was tried and left out: it does not reach ``p = 0.010`` either when that group is
the only change, and when one strong issue is present it lowers every other group's bar
enough to list each phrase seen three times and never before (现场, 附近 on the demo
night, a desk whose volume just jumped). Candidates are ranked by the ratio
``k / max(usual, 1)``, then by p-value. What rule 2 costs in false alarms is measured on
synthetic histories in ``tests/test_trends.py`` and given in README "Trends". Pure, no
I/O; :mod:`dutydesk.rules.trends` applies it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ALPHA = 0.01
"""Family-wise error rate of rule 1 (before Bonferroni)."""
MIN_COUNT = 3
"""Fewest incidents in the recent window for a group to be flagged: two are no pattern."""
RATIO = 4.0
"""Rule 2: how many times its usual count a group must reach."""
RATIO_FLOOR = 1.0
"""Rule 2: the usual count is taken as at least this many per window."""
RATIO_MIN_COUNT = 5
"""Rule 2: fewest incidents in the recent window."""


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


def ratio_to_usual(count: int, history: int, windows: int) -> float:
    """``count`` over the usual count per window, floored at :data:`RATIO_FLOOR`."""
    usual = history / windows if windows > 0 else 0.0
    return count / max(usual, RATIO_FLOOR)


@dataclass(frozen=True)
class Flag:
    """A group whose recent count passed the rule."""

    key: str
    count: int
    history: int
    p_value: float
    ratio: float = 0.0
    """The recent count over the usual one (floored): what candidates are ranked by."""


def testable(totals: Sequence[int], windows: int, alpha: float = ALPHA) -> int:  # noqa: PT028 - a significance test, not a pytest test
    """Tarone's ``m``: how many groups could reach significance, so the test shares by it.

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
        alpha: the family-wise error rate of rule 1, shared out over the groups tested.
        min_count: fewest recent incidents for a group to be flagged.

    Returns:
        The flagged groups, highest ratio to the usual count first, then lowest p, and
        ``m`` (:func:`testable`): rule 1 flags a p-value below ``alpha / m``.

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
        ratio = ratio_to_usual(count, history, covered_windows)
        significant = p_value < threshold
        grown = count >= RATIO_MIN_COUNT and ratio >= RATIO
        if significant or grown:
            flagged.append(Flag(key, count, history, p_value, ratio))
    flagged.sort(key=lambda f: (-f.ratio, f.p_value, f.key))
    return flagged, tested


__all__ = [
    "ALPHA",
    "MIN_COUNT",
    "RATIO",
    "RATIO_FLOOR",
    "RATIO_MIN_COUNT",
    "Flag",
    "detect",
    "ratio_to_usual",
    "tail_p",
    "testable",
]
