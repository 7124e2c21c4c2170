"""Summaries the studies share: per-event times (latencies, round trips, start-ups), CPU
use, and how figures are written."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def distribution(samples: Sequence[float]) -> dict[str, float | int]:
    """n, median, p99, min, max and inter-quartile range of ``samples`` (seconds).

    With fewer than 100 samples p99 is close to the maximum; ``n`` says how many there were.
    """
    if not samples:
        raise ValueError("no samples to summarise")
    arr = np.asarray(samples, dtype=float)
    q1, q2, q3, p99 = np.percentile(arr, [25, 50, 75, 99])
    return {"n": int(arr.size), "median_s": float(q2), "p99_s": float(p99),
            "min_s": float(arr.min()), "max_s": float(arr.max()), "iqr_s": float(q3 - q1)}


#: Threads using more CPU seconds per wall second than this ran in parallel. CPU use
#: tells parallel from serialised threads even where other programs share the cores and
#: blur the times: a GIL lets one thread run at a time (about 1.0, whatever the count).
PARALLEL_AT = 1.3


def ran_in_parallel(cpu_per_wall: float) -> bool:
    """Whether threads that used ``cpu_per_wall`` CPU seconds per second overlapped."""
    return cpu_per_wall > PARALLEL_AT


def ratio_text(ratio: float) -> str:
    """A ratio > 0 as a reader takes it in: '0.08x', '1.3x', '28x', '1200x'."""
    if ratio >= 10:
        return f"{ratio:.0f}x"
    return f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2f}x"


def fmt_duration(seconds: float | None) -> str:
    """Seconds with three significant digits, from nanoseconds to seconds: study figures
    span that whole range (a lock round trip, a process start), unlike a run's median."""
    if seconds is None:
        return "-"
    for unit, size in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_bytes(n: float | None) -> str:
    """Bytes in KiB/MiB/GiB (binary units, as the kernel reports memory)."""
    if n is None:
        return "-"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def fmt_rate(per_s: float | None) -> str:
    """Events per second with an SI prefix: '4.2 M/s', '310 k/s', '9.1 k/s'."""
    if per_s is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_s >= size:
            return f"{per_s / size:.3g} {unit}/s"
    return f"{per_s:.3g} /s"
