"""Uncertainty: the confidence interval of a run's median, and comparisons decided on the
interval of a ratio, so that a verdict holds from one run of a sweep to the next.

A run's median gets a distribution-free interval from the order statistics of its
repeats (the interval between the j-th smallest and the j-th largest repeat contains
the true median with a probability that follows from the binomial law alone; no
assumption about the shape of the timing distribution). Two runs compare by the ratio of
their medians, with the interval that the two intervals allow; a comparison claims a
winner only where that interval lies wholly outside the tie band around 1.

Nothing here imports the rest of gilbench: the harness records the interval of each run
(and times more repeats while it is wide, :func:`adaptive_more`), and the analysis reads
it back (or computes it from the recorded repeats).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The confidence sought for a median's interval: the narrowest order-statistic interval
#: whose coverage is at least this (with 5 repeats only [min, max] reaches it: 94%).
LEVEL = 0.90
#: Two times whose ratio's interval reaches into 1 ± this band are a tie. 10%: on the
#: 2-core VMs of the reference results, warm process pools moved by up to ~15% from one
#: sweep to the next where thread pools moved by ~3%, so a 5% band made "threads win"
#: and "tie" alternate between identical sweeps; a user acts on no smaller difference.
TIE_BAND = 0.10
#: Adaptive repeats: while the median's interval is wider than this share of the median
#: either side, time more repeats, up to ADAPTIVE_FACTOR x the asked-for ones (a first
#: repeat still settling, or one preempted, then no longer spans the whole interval).
ADAPTIVE_SPREAD = 0.03
ADAPTIVE_FACTOR = 4
#: ... but only while the timed repeats so far took less than this many seconds (the
#: default; a profile sets its own): a run of a second a repeat keeps its asked-for
#: repeats (its interval is then reported as it is), so that extra repeats cannot blow
#: a profile's time budget.
ADAPTIVE_BUDGET_S = 2.0


def coverage(n: int, j: int) -> float:
    """Probability that the j-th smallest and the j-th largest of ``n`` samples bracket
    the true median: ``1 - 2 P(Binomial(n, 1/2) < j)``."""
    below = sum(math.comb(n, i) for i in range(j)) / 2**n
    return max(0.0, 1 - 2 * below)


def median_interval(samples: Sequence[float],
                    level: float = LEVEL) -> tuple[float, float, float]:
    """``(low, high, coverage)`` of the median of ``samples``: the narrowest symmetric
    order-statistic interval whose coverage reaches ``level``; with too few samples to
    reach it, the widest one ([min, max]) and the coverage it has."""
    xs = sorted(samples)
    n = len(xs)
    if n == 0:
        raise ValueError("a median interval needs at least one sample")
    j = 1
    while j + 1 <= n // 2 and coverage(n, j + 1) >= level:
        j += 1
    return xs[j - 1], xs[n - j], coverage(n, j)


def summarise(wall: list[float]) -> dict[str, Any]:
    """Median with its confidence interval, inter-quartile range, minimum and coefficient
    of variation of wall times."""
    arr = np.asarray(wall, dtype=float)
    q1, q3 = np.percentile(arr, [25, 75])
    mean = float(arr.mean())
    cv = float(arr.std(ddof=1) / mean) if arr.size > 1 and mean > 0 else 0.0
    low, high, level = median_interval(wall)
    return {"median_s": float(np.median(arr)), "iqr_s": float(q3 - q1),
            "min_s": float(arr.min()), "cv": cv, "median_ci_s": (float(low), float(high)),
            "median_ci_level": level}


def adaptive_more(wall: Sequence[float], repeats: int,
                  budget_s: float = ADAPTIVE_BUDGET_S) -> bool:
    """Whether to time one more repeat after ``wall``: the median's interval is wider
    than ±ADAPTIVE_SPREAD, fewer than ADAPTIVE_FACTOR x ``repeats`` were timed, and they
    took less than ``budget_s``."""
    if (len(wall) >= ADAPTIVE_FACTOR * repeats or len(wall) < 3
            or sum(wall) >= budget_s):
        return False
    low, high, _ = median_interval(wall)
    middle = statistics.median(wall)
    return middle > 0 and (high - low) / 2 / middle > ADAPTIVE_SPREAD


@dataclass(frozen=True, kw_only=True)
class Ratio:
    """``value`` = numerator / denominator, and the interval ``[low, high]`` that their
    medians' intervals allow (each end the extreme of one over the other)."""

    value: float
    low: float
    high: float

    @classmethod
    def of(cls, num: float, num_interval: tuple[float, float], den: float,
           den_interval: tuple[float, float]) -> Ratio:
        """The ratio ``num / den`` of two medians, each with its interval."""
        return cls(value=num / den, low=num_interval[0] / den_interval[1],
                   high=num_interval[1] / den_interval[0])

    @property
    def spread(self) -> float:
        """Half the interval's width relative to the value: the ``±x%`` of a tie."""
        return (self.high - self.low) / 2 / self.value

    def above(self, threshold: float) -> bool:
        """The whole interval is above ``threshold``."""
        return self.low > threshold

    def below(self, threshold: float) -> bool:
        """The whole interval is below ``threshold``."""
        return self.high < threshold

    def verdict(self, band: float = TIE_BAND) -> str:
        """``win`` (the interval lies above 1 + band), ``lose`` (below 1 - band) or
        ``tie`` (it reaches into the band: the difference is within noise)."""
        if self.above(1 + band):
            return "win"
        if self.below(1 - band):
            return "lose"
        return "tie"

    def words(self, digits: int = 2) -> str:
        """``1.23x (1.10-1.35x)``: the value and its interval."""
        return (f"{self.value:.{digits}f}x ({self.low:.{digits}f}-"
                f"{self.high:.{digits}f}x)")


__all__ = ["ADAPTIVE_FACTOR", "ADAPTIVE_SPREAD", "LEVEL", "TIE_BAND", "Ratio",
           "adaptive_more", "coverage", "median_interval", "summarise"]
