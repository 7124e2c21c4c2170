"""The ``breakeven-calls`` finding: how many calls of the same work a cold pool needs
before it beats running serially, and before it beats a thread pool.

No runs of its own: every run records its pool's start-up (``startup_s``), its first,
cold execution (``first_s``) and its warm median. Calling the work ``n`` times costs a
pool ``startup + first + (n - 1) x median``; serial pays no start-up. The break-even is
the smallest ``n`` at which the pool's total is lower, or never when the pool is no
faster warm. Reads the plain sweep (every sweep has one per kernel); a sweep of axes only
uses, per axis, the point where warm processes did best.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gilbench.analysis.crossings import busy_machine_words
from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row
from gilbench.analysis.verdicts import (
    fastest,
    fmt_ms,
    headline_workers,
    holding_flavours,
    nogil_flavours,
    reference_row,
)
from gilbench.axes.calls import BREAKEVEN
from gilbench.roles import PROCESS_POOL, THREAD_POOL
from gilbench.uncertainty import TIE_BAND


@dataclass(frozen=True)
class ColdCost:
    """What calling one run's work ``n`` times costs: ``upfront + n x warm`` seconds, with
    the first call's excess over a warm one counted up front."""

    row: Row
    startup_s: float
    first_s: float
    warm_s: float

    @classmethod
    def of(cls, row: Row) -> ColdCost:
        first = row.first_s if row.first_s is not None else row.median_s
        return cls(row, row.startup_s or 0.0, first, row.median_s)

    def total(self, calls: int) -> float:
        """Seconds for ``calls`` calls from cold (``calls`` >= 1)."""
        return self.startup_s + self.first_s + (calls - 1) * self.warm_s


def breakeven(pool: ColdCost, other: ColdCost) -> int | None:
    """The fewest calls at which ``pool`` has cost less than ``other`` in total, or None
    when it never does (no faster warm, and behind after the first call)."""
    gap = pool.total(1) - other.total(1)
    if gap < 0:
        return 1
    gain = other.warm_s - pool.warm_s  # what each further call wins back
    if gain <= 0:
        return None
    calls = max(1, math.floor(gap / gain) + 1)
    # The division rounds: settle on the exact first call count where the pool is ahead.
    while pool.total(calls) >= other.total(calls):
        calls += 1
    while calls > 1 and pool.total(calls - 1) < other.total(calls - 1):
        calls -= 1
    return calls


def _choose(view: KernelView, rows: Sequence[Row]) -> tuple[Row, Row | None, Row] | None:
    """(serial, thread pool, process pool) runs of the flavour that speaks for ``rows``:
    the first GIL-free one with a process pool, else the first that holds the GIL; the
    reference pools (ThreadPoolExecutor, ProcessPoolExecutor) at the headline worker
    count, never the fastest of several pools nor an oversubscribed count."""
    t = view.traits
    workers = headline_workers(view, rows)
    if workers is None:
        return None
    for flavour in nogil_flavours(view, rows) + holding_flavours(view, rows):
        serial = fastest(r for r in rows if r.flavour == flavour and t.is_baseline(r.strategy))
        proc = reference_row(view, rows, flavour, PROCESS_POOL, workers)
        if serial is None or proc is None:
            continue
        return serial, reference_row(view, rows, flavour, THREAD_POOL, workers), proc
    return None


def calls_interval(pool: Row, other: Row) -> tuple[str, int | None, int | None, int | None]:
    """``(status, calls, low, high)`` for a cold ``pool`` against ``other``: ``at``
    (``calls``, between ``low`` and ``high`` from the ends of both warm intervals; ``high``
    None: it may never), ``first`` (from the first call), ``equal`` (warm times equal
    within noise: no break-even to speak of) or ``never`` (surely slower warm)."""
    cold, ref = ColdCost.of(pool), ColdCost.of(other)
    calls = breakeven(cold, ref)
    if calls == 1:
        return "first", 1, 1, 1
    verdict = pool.over(other).verdict(TIE_BAND)
    if verdict == "tie":
        return "equal", None, None, None
    if verdict == "lose" or calls is None:
        return "never", None, None, None
    (pool_low, pool_high), (ref_low, ref_high) = pool.interval, other.interval
    fast = breakeven(ColdCost(pool, cold.startup_s, cold.first_s, pool_low),
                     ColdCost(other, ref.startup_s, ref.first_s, ref_high))
    slow = breakeven(ColdCost(pool, cold.startup_s, cold.first_s, pool_high),
                     ColdCost(other, ref.startup_s, ref.first_s, ref_low))
    return "at", calls, fast, slow


def _calls_words(status: str, calls: int | None, low: int | None, high: int | None,
                 pool: Row, other: Row) -> str:
    if status == "first":
        return "from the first call"
    if status == "never":
        return "never"
    if status == "equal":
        return f"never: warm times equal within ±{pool.over(other).spread:.0%}"
    span = f"{low}-{high}" if high is not None else f"{low} or more"
    return f"after {calls} calls" + ("" if low == high else f" ({span})")


def _contexts(view: KernelView) -> list[list[Row]]:
    main = view.contexts()
    if main:
        return list(main.values())
    # A sweep of axes only: per axis, the point where warm processes did best.
    t = view.traits
    out = []
    for axis in dict.fromkeys(r.axis for r in view.rows):
        points = view.contexts(view.axis_rows(axis), ("axis_value", "size", "chunks"))
        best = max(points.values(), key=lambda rows: max(
            (r.speedup or 0 for r in rows if t.is_process_pool(r.strategy)), default=0))
        out.append(best)
    return out


@register_finder(BREAKEVEN,
                 "how many calls of the work a cold process pool needs to beat serial, and "
                 "to beat a thread pool")
def breakeven_calls(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    for rows in _contexts(view):
        chosen = _choose(view, rows)
        if chosen is None:
            continue
        serial_row, thr_row, proc_row = chosen
        serial, proc = ColdCost.of(serial_row), ColdCost.of(proc_row)
        vs_serial = calls_interval(proc_row, serial_row)
        name = t.display(proc_row.strategy)
        words = (f"{name}, {proc_row.workers} workers, {proc_row.flavour}: "
                 f"{fmt_ms(proc.startup_s)} start-up, {fmt_ms(proc.first_s)} first call, "
                 f"{fmt_ms(proc.warm_s)} warm; beats serial "
                 + _calls_words(*vs_serial, proc_row, serial_row))
        figures = [Figure("calls_to_beat_serial", vs_serial[1]),
                   Figure("calls_to_beat_serial_low", vs_serial[2]),
                   Figure("calls_to_beat_serial_high", vs_serial[3]),
                   Figure("calls_to_beat_serial_status", vs_serial[0]),
                   Figure("process_strategy", proc_row.strategy),
                   Figure("workers", proc_row.workers), Figure("flavour", proc_row.flavour),
                   Figure("processes_startup", proc.startup_s, "s"),
                   Figure("processes_first_call", proc.first_s, "s"),
                   Figure("processes_warm", proc.warm_s, "s"),
                   Figure("serial_first_call", serial.first_s, "s"),
                   Figure("serial_warm", serial.warm_s, "s")]
        runs = [serial_row.id, proc_row.id]
        if thr_row is not None:
            thr = ColdCost.of(thr_row)
            vs_threads = calls_interval(proc_row, thr_row)
            words += (f", beats {t.display(thr_row.strategy)} "
                      + _calls_words(*vs_threads, proc_row, thr_row))
            figures += [Figure("calls_to_beat_threads", vs_threads[1]),
                        Figure("calls_to_beat_threads_low", vs_threads[2]),
                        Figure("calls_to_beat_threads_high", vs_threads[3]),
                        Figure("calls_to_beat_threads_status", vs_threads[0]),
                        Figure("thread_strategy", thr_row.strategy),
                        Figure("threads_startup", thr.startup_s, "s"),
                        Figure("threads_first_call", thr.first_s, "s"),
                        Figure("threads_warm", thr.warm_s, "s")]
            runs.append(thr_row.id)
        share, busy = busy_machine_words([serial_row.utilisation])
        figures.append(Figure("serial_cpu_share", share))
        context = (("size", serial_row.size), ("chunks", serial_row.chunks))
        if serial_row.axis not in (None, "workers"):
            context += (("axis", serial_row.axis), ("axis_value", serial_row.axis_value))
        yield Finding(kernel=view.kernel, kind=BREAKEVEN, sentence=words + "." + busy,
                      runs=tuple(runs), figures=tuple(figures), context=context)


__all__ = ["ColdCost", "breakeven", "breakeven_calls", "calls_interval"]
