"""Where a measured curve crosses a threshold for good: the shared arithmetic of the axis
findings (granularity, payload), on a log x axis."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gilbench.analysis.findings import Figure


@dataclass(frozen=True)
class Crossing:
    """Where a condition starts to hold for every larger x of a curve.

    ``status`` is ``"inside"`` (it starts between two measured points; ``x`` is
    interpolated on log x, linearly in y), ``"below"`` (it holds at every measured point:
    ``x`` is the smallest one, the crossing lies at or below it) or ``"never"`` (it fails
    at the largest measured point: ``x`` is None).
    """

    status: str
    x: float | None
    #: The measured x on each side of the crossing (None where there is no such side).
    below_x: float | None = None
    above_x: float | None = None

    def figures(self, name: str, unit: str) -> list[Figure]:
        """The finding's figures for this crossing: ``name`` (x) and ``name_status``."""
        return [Figure(name, self.x, unit), Figure(f"{name}_status", self.status)]


def crossing(points: Sequence[tuple[float, float]], threshold: float,
             holds: Callable[[float, float], bool]) -> Crossing:
    """The smallest x from which ``holds(y, threshold)`` is true at every measured point.

    ``points`` are ``(x, y)`` with x > 0, in any order. A single point that breaks the
    condition above the crossing (noise) moves the crossing above it: the answer is
    where the condition holds *from then on*, never an isolated lucky point.
    """
    pts = sorted(points)
    if not pts:
        return Crossing("never", None)
    ok = [holds(y, threshold) for _, y in pts]
    if not ok[-1]:
        return Crossing("never", None, pts[-1][0], None)
    first = len(pts) - 1
    while first > 0 and ok[first - 1]:
        first -= 1
    if first == 0:
        return Crossing("below", pts[0][0], None, pts[0][0])
    (x0, y0), (x1, y1) = pts[first - 1], pts[first]
    t = 0.5 if y1 == y0 else min(1.0, max(0.0, (threshold - y0) / (y1 - y0)))
    x = math.exp(math.log(x0) + t * (math.log(x1) - math.log(x0)))
    return Crossing("inside", x, x0, x1)


#: A serial run whose CPU/wall is below this got a share of a core, not a core: other
#: programs ran too, and every speedup measured beside it is suspect.
BUSY_CPU_SHARE = 0.8


def busy_machine_words(serial_utilisations: Sequence[float | None]) -> tuple[float | None, str]:
    """(median CPU share of the serial runs, a warning sentence or "") for a curve."""
    shares = sorted(u for u in serial_utilisations if u is not None)
    if not shares:
        return None, ""
    share = shares[len(shares) // 2]
    if share >= BUSY_CPU_SHARE:
        return share, ""
    runs = "serial runs" if len(shares) > 1 else "serial run"
    return share, (f" The {runs} got {share:.0%} of a CPU (CPU/wall): other programs kept "
                   f"this machine busy, so these figures are suspect; measure on a quiet "
                   f"machine.")


def at_least(y: float, threshold: float) -> bool:
    return y >= threshold


def at_most(y: float, threshold: float) -> bool:
    return y <= threshold


def below(y: float, threshold: float) -> bool:
    return y < threshold


def above(y: float, threshold: float) -> bool:
    return y > threshold


def fmt_duration(seconds: float | None) -> str:
    """A task duration in the unit that reads best: 12 µs, 3.4 ms, 1.2 s."""
    if seconds is None:
        return "n/a"
    if seconds >= 1:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2g} ms" if seconds < 1e-2 else f"{seconds * 1e3:.0f} ms"
    return f"{seconds * 1e6:.2g} µs" if seconds < 1e-5 else f"{seconds * 1e6:.0f} µs"


def fmt_span(low: float | None, high: float | None) -> str:
    """An interval of durations: ``38-70 µs``, ``0.9 ms-1.4 s``; open ends in words."""
    if low is None or high is None:
        return "n/a"
    if high == math.inf:
        return f"{fmt_duration(low)} or more"
    if low <= 0:
        return f"up to {fmt_duration(high)}"
    a, b = fmt_duration(low), fmt_duration(high)
    unit_a, unit_b = a.split()[-1], b.split()[-1]
    return f"{a.split()[0]}-{b}" if unit_a == unit_b else f"{a}-{b}"


def fmt_bytes(n: float | None) -> str:
    """Bytes in decimal units: 850 MB, 1.2 GB."""
    if n is None:
        return "n/a"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.2g} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n:.0f} B"
