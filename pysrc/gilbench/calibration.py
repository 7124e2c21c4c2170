"""The reference calibration: serial seconds of each kernel x flavour at two sizes, measured
on one reference machine, and the power law through them.

Axes that size problems by time (granularity, payload) and the cost model of
``gilbench run --dry-run`` read it; planning sizes from this fixed table, not from the
machine's earlier results, keeps consecutive plans identical, so their findings compare.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from gilbench.flavours import FLAVOURS

#: Where REFERENCE_SERIAL was measured.
REFERENCE_MACHINE = ("2-core AMD EPYC VM, Python 3.11: serial runs of docs/results/"
                     "2cpu-epyc-quick and 2cpu-epyc-standard")

#: Serial medians ``(size, seconds)`` per kernel and flavour at two sizes (the quick and
#: standard ones), from REFERENCE_MACHINE. tests/test_estimate.py re-derives them from
#: those results files, so the table cannot silently drift from them.
REFERENCE_SERIAL: dict[str, dict[str, tuple[tuple[int, float], ...]]] = {
    "mandelbrot": {
        "python": ((256, 0.3297), (640, 2.382)),
        "cython-gil": ((256, 0.00867), (640, 0.05411)),
        "cython-nogil": ((256, 0.008725), (640, 0.05559)),
        "c-ctypes": ((256, 0.008726), (640, 0.05461)),
        "numpy": ((256, 0.0285), (640, 0.2142)),
        "numba": ((256, 0.009036), (640, 0.05829)),
    },
    "montecarlo-pi": {
        "python": ((300000, 0.2687), (600000, 0.5931)),
        "cython-gil": ((4000000, 0.002925), (32000000, 0.02379)),
        "cython-nogil": ((4000000, 0.002954), (32000000, 0.02348)),
        "c-ctypes": ((4000000, 0.002925), (32000000, 0.02462)),
        "numpy": ((4000000, 0.0293), (32000000, 0.2774)),
        "numba": ((4000000, 0.002365), (32000000, 0.01904)),
    },
    "primes": {
        "python": ((150000, 0.1111), (500000, 0.6278)),
        "cython-gil": ((150000, 0.004118), (500000, 0.02176)),
        "cython-nogil": ((150000, 0.004124), (500000, 0.0226)),
        "c-ctypes": ((150000, 0.004128), (500000, 0.02331)),
        "numpy": ((150000, 0.01343), (500000, 0.07306)),
        "numba": ((150000, 0.004273), (500000, 0.02261)),
    },
    "nbody": {
        "python": ((384, 0.1364), (896, 0.7756)),
        "cython-gil": ((384, 0.002287), (896, 0.01281)),
        "cython-nogil": ((384, 0.002286), (896, 0.01452)),
        "c-ctypes": ((384, 0.002448), (896, 0.01273)),
        "numpy": ((384, 0.004135), (896, 0.02099)),
        "numba": ((384, 0.002326), (896, 0.01251)),
    },
    "reduction": {
        "cython-gil": ((16777216, 0.00399), (67108864, 0.01707)),
        "cython-nogil": ((16777216, 0.004076), (67108864, 0.01856)),
        "c-ctypes": ((16777216, 0.00399), (67108864, 0.01781)),
        "numpy": ((16777216, 0.007782), (67108864, 0.0313)),
        "numba": ((16777216, 0.003927), (67108864, 0.01759)),
    },
    "hashing": {
        "stdlib": ((128, 0.02664), (768, 0.1604)),
    },
    "hashing-small": {
        "stdlib": ((48000, 0.03934), (288000, 0.2528)),
    },
    "python-objects": {
        "python": ((800000, 0.1059), (2400000, 0.3264)),
        "cython-gil": ((800000, 0.06883), (2400000, 0.2123)),
    },
}

def power_law(points: Sequence[tuple[int, float]], size: float) -> float:
    """Seconds at ``size`` on the power law through the two outermost ``points`` (one
    point: linear in size)."""
    (s1, t1), (s2, t2) = points[0], points[-1]
    exponent = math.log(t2 / t1) / math.log(s2 / s1) if s2 != s1 else 1.0
    return t1 * (size / s1) ** exponent


def reference_seconds(kernel: str, flavour: str, size: int) -> float | None:
    """Serial seconds of one execution on REFERENCE_MACHINE (None: not calibrated).

    A flavour never run serially there (one that parallelises itself) counts as the
    median of the kernel's compiled flavours, whose loop it runs.
    """
    by_flavour = REFERENCE_SERIAL.get(kernel, {})
    points = by_flavour.get(flavour)
    if points:
        return power_law(points, size)
    compiled = sorted(power_law(p, size) for f, p in by_flavour.items()
                      if f in FLAVOURS and not FLAVOURS[f].interpreted)
    return compiled[len(compiled) // 2] if compiled else None


def reference_size_for(kernel: str, flavours: Sequence[str], seconds: float,
                       fallback: int) -> int:
    """The size whose serial execution takes about ``seconds`` on REFERENCE_MACHINE for
    the median of ``flavours`` (``fallback`` when none is calibrated).

    Planning sizes from the fixed reference, not from this machine's earlier results,
    keeps consecutive plans identical, so their findings compare.
    """
    sizes = []
    for flavour in flavours:
        points = REFERENCE_SERIAL.get(kernel, {}).get(flavour)
        if not points:
            continue
        (s1, t1), (s2, t2) = points[0], points[-1]
        exponent = math.log(t2 / t1) / math.log(s2 / s1)
        sizes.append(s1 * (seconds / t1) ** (1 / exponent))
    return max(1, round(statistics.median(sizes))) if sizes else fallback
