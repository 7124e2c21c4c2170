"""The gil-fraction curve: threads, processes and Amdahl as the GIL-held share f grows.

Runs of the ``gil-fraction`` axis use flavours that declare a tunable GIL share: each
chunk holds the GIL for a share f of its work, interleaved with released stretches, and
times its own GIL hand-offs (see :mod:`gilbench.kernels.gilshare`). For every f this
module pairs the fastest thread pool with the fastest warm process pool at the same
worker count, puts Amdahl's 1/(f + (1-f)/N) beside them, and accounts for the threads'
time: compute, GIL hand-offs (giving the GIL up, waiting to get it back) and the rest.
The finder, the table and the plot all read these curves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row, reference_run
from gilbench.axes.gilfraction import NAME, THRESHOLD
from gilbench.roles import PROCESS_POOL, THREAD_POOL
from gilbench.uncertainty import Ratio

#: The axis whose runs this module reads.
#: Threads "rival" processes while they reach this share of the processes' speedup.
RIVAL_SHARE = 0.95
#: A run whose chunks spent more than this share off a CPU (not on the GIL) was slowed by
#: other work on the machine: the finding says so.
BUSY_SHARE = 0.05
#: Published points the curve should explain (held share before and after a cut, on 4
#: workers): cutting it from 28.6% to 6.4% gave only 6.4% more throughput.
PUBLISHED_CUT = (0.286, 0.064, 0.064)
#: ...and a contended re-acquire cost about 14 µs with 4 waiters (seconds, waiters).
PUBLISHED_REACQUIRE = (14e-6, 4)


def amdahl(f: float, workers: int) -> float:
    """Amdahl's speedup on ``workers`` when a share ``f`` of the work is serial."""
    return 1.0 / (f + (1.0 - f) / workers)


@dataclass(frozen=True)
class FractionPoint:
    """One f of a curve: the runs and what they measured."""

    f: float
    workers: int
    threads: Row | None
    processes: Row | None
    serial: Row | None

    @property
    def amdahl(self) -> float:
        return amdahl(self.f, self.workers)

    @property
    def held_share(self) -> float | None:
        """The realised held share: held compute / all compute, timed in the serial run
        (no contention there), else in whichever run reported it."""
        for row in (self.serial, self.processes, self.threads):
            if row is not None and row.get("held_share_time") is not None:
                return row.get("held_share_time")
        return None

    @property
    def amdahl_realised(self) -> float | None:
        share = self.held_share
        return None if share is None else amdahl(share, self.workers)

    @property
    def rival_ratio(self) -> float | None:
        """Threads' speedup over processes' (>= RIVAL_SHARE: threads rival them)."""
        if not (self.threads and self.processes and self.threads.speedup
                and self.processes.speedup):
            return None
        return self.threads.speedup / self.processes.speedup

    @property
    def rival_interval(self) -> Ratio | None:
        """Threads' speedup over processes' with the interval of both medians."""
        if self.rival_ratio is None:
            return None
        return self.threads.over(self.processes)

    # -- the threads' time, accounted -----------------------------------------------------
    def threads_figure(self, name: str) -> float | None:
        """A figure the threads run recorded (its chunks measured it), or None."""
        return None if self.threads is None else self.threads.get(name)

    @property
    def reacquires(self) -> float | None:
        """Times per execution a thread took the GIL back after a released stretch."""
        return self.threads_figure("gil_reacquires")

    @property
    def wait_per_reacquire_s(self) -> float | None:
        n, wait = self.reacquires, self.threads_figure("gil_wait_s")
        return wait / n if n and wait is not None else None

    @property
    def release_per_handoff_s(self) -> float | None:
        """Giving the GIL up: near zero, unless a waiter asked for it and the holder must
        wait until the waiter has taken it (CPython's forced switch)."""
        n, release = self.reacquires, self.threads_figure("gil_release_s")
        return release / n if n and release is not None else None

    @property
    def held_stretch_s(self) -> float | None:
        """Mean duration of one held stretch (the threads run)."""
        n, held = self.threads_figure("gil_held_stretches"), self.threads_figure("gil_held_s")
        return held / n if n and held is not None else None

    @property
    def thread_time_s(self) -> float | None:
        """Wall time times workers: what the threads had to spend."""
        return None if self.threads is None else self.threads.median_s * self.workers

    def time_shares(self) -> dict[str, float] | None:
        """Shares of the threads' time (wall x workers): ``compute`` in the chunks,
        ``handoff`` (giving the GIL up and waiting to get it back), ``preempted`` (off a
        CPU inside the chunks for other reasons: the CPU was busy with other work) and
        ``outside`` the chunks (dispatch, load imbalance, Python between chunks)."""
        total = self.thread_time_s
        fig = self.threads_figure
        held, free = fig("gil_held_s"), fig("gil_free_s")
        wait, release = fig("gil_wait_s"), fig("gil_release_s")
        if not total or None in (held, free, wait, release):
            return None
        handoff = wait + release
        wall, cpu = fig("chunk_wall_s"), fig("chunk_cpu_s")
        if wall is None or cpu is None:  # recorded before chunks timed themselves whole
            wall, preempted = held + free + handoff, 0.0
        else:
            preempted = max(0.0, wall - cpu - handoff)
        compute = max(0.0, wall - handoff - preempted)
        return {"compute": compute / total, "handoff": handoff / total,
                "preempted": preempted / total, "outside": max(0.0, total - wall) / total}

    @property
    def speedup_without_handoffs(self) -> float | None:
        """Threads' speedup with the measured hand-off time taken out of each thread's
        share of the wall time: what free GIL hand-offs would have given, at most."""
        if self.threads is None or not self.threads.speedup or self.serial is None:
            return None
        wait, release = self.threads_figure("gil_wait_s"), self.threads_figure("gil_release_s")
        if wait is None or release is None:
            return None
        rest = self.threads.median_s - (wait + release) / self.workers
        return self.serial.median_s / rest if rest > 0 else None


def off_cpu_share(row: Row | None) -> float | None:
    """Share of a run's chunk time spent off a CPU other than handing off the GIL: how
    much other work on the machine slowed the run down (None where not measured)."""
    if row is None:
        return None
    wall, cpu = row.get("chunk_wall_s"), row.get("chunk_cpu_s")
    if not wall or cpu is None:
        return None
    handoff = (row.get("gil_wait_s") or 0.0) + (row.get("gil_release_s") or 0.0)
    return max(0.0, wall - cpu - handoff) / wall


@dataclass(frozen=True)
class FractionCurve:
    """A tunable flavour's points over f, at one size, chunking and worker count."""

    kernel: str
    flavour: str
    size: int
    chunks: int
    workers: int
    points: tuple[FractionPoint, ...]

    def paired(self) -> list[FractionPoint]:
        """Points with both a threads and a processes speedup, in order of f."""
        return [p for p in self.points if p.rival_ratio is not None]

    def threshold(self) -> tuple[FractionPoint | None, FractionPoint | None]:
        """(the last point from f = 0 up where threads still reach RIVAL_SHARE of the
        processes' speedup, the first point where they surely no longer do: its ratio's
        whole interval below RIVAL_SHARE); None where none."""
        last = None
        for point in self.paired():
            if point.rival_interval.high < RIVAL_SHARE:
                return last, point
            last = point
        return last, None

    def threshold_interval(self) -> tuple[float | None, float | None, float | None]:
        """The interpolated f where threads first fall below RIVAL_SHARE of processes'
        speedup: ``(value, low, high)`` on the median ratios and on the pessimistic and
        optimistic ends of each point's ratio interval; None where a curve never does."""
        ends = []
        for side in ("value", "low", "high"):
            pts = [(p.f, getattr(p.rival_interval, side)) for p in self.paired()]
            ends.append(_first_crossing(pts))
        return ends[0], ends[1], ends[2]

    def interpolated_threshold(self) -> float | None:
        """The f where threads/processes first crosses RIVAL_SHARE on the median ratios,
        linear between the points either side (None when the curve does not cross it):
        the finding's value, which the plot marks too."""
        return self.threshold_interval()[0]

    def widest_gap(self) -> FractionPoint | None:
        """The point strictly between f = 0 and 1 where threads fall furthest below Amdahl
        (at the realised share where measured), the one worth explaining; among the points
        whose runs other work did not slow down, where there are any."""
        inner = [p for p in self.points if 0 < p.f < 1 and p.threads and p.threads.speedup
                 and p.time_shares()]
        quiet = [p for p in inner
                 if all((off_cpu_share(r) or 0.0) <= BUSY_SHARE for r in (p.threads, p.serial))]
        return max(quiet or inner,
                   key=lambda p: (p.amdahl_realised or p.amdahl) - p.threads.speedup,
                   default=None)

    def nearest(self, f: float) -> FractionPoint | None:
        """The point whose (realised, else nominal) held share is closest to ``f``."""
        points = [p for p in self.points if p.threads and p.threads.speedup]
        return min(points, key=lambda p: abs((p.held_share if p.held_share is not None
                                              else p.f) - f), default=None)

    def busiest(self) -> tuple[float, Row] | None:
        """The run whose chunks spent the largest share off a CPU (other work took it)."""
        shares = [(off_cpu_share(r), r) for p in self.points
                  for r in (p.serial, p.threads, p.processes)]
        shares = [(s, r) for s, r in shares if s is not None]
        return max(shares, key=lambda sr: sr[0], default=None)

    def runs(self) -> tuple[str, ...]:
        return tuple(r.id for p in self.points for r in (p.threads, p.processes, p.serial)
                     if r is not None)


def _f(row: Row) -> float | None:
    try:
        return float(row.axis_value)
    except (TypeError, ValueError):
        return None


def _first_crossing(points: Sequence[tuple[float, float]]) -> float | None:
    """The f, interpolated, where ``(f, ratio)`` first falls below RIVAL_SHARE (None:
    it never does; 0 where it starts below)."""
    last = None
    for f, ratio in points:
        if ratio < RIVAL_SHARE:
            if last is None:
                return 0.0
            f0, r0 = last
            return f0 + (r0 - RIVAL_SHARE) / (r0 - ratio) * (f - f0)
        last = (f, ratio)
    return None


def _f_words(f: float | None, side: str, curve: FractionCurve) -> str:
    """One end of the threshold's interval: where that end's curve never crosses, the
    last f measured (read as "or more")."""
    if f is not None:
        return f"{f:.2f}"
    return f"{max(p.f for p in curve.paired()):g}+" if side == "high" else "0"


def _fastest(rows: Sequence[Row]) -> Row | None:
    return min(rows, key=lambda r: r.median_s, default=None)


def fraction_curves(view: KernelView) -> list[FractionCurve]:
    """The kernel's gil-fraction curves: one per tunable flavour, size and chunking, at
    the largest worker count where both a thread pool and a process pool ran."""
    t = view.traits
    default = view.settings.get("default_start_method")
    rows = [r for r in view.axis_rows(NAME)
            if t.tunable_gil_share(r.flavour) and _f(r) is not None]
    curves = []
    for (flavour, size, chunks), group in view.contexts(
            rows, ("flavour", "size", "chunks")).items():
        thr = [r for r in group if t.is_thread_pool(r.strategy) and r.workers > 1]
        proc = [r for r in group if t.is_process_pool(r.strategy) and r.workers > 1]
        common = {r.workers for r in thr} & {r.workers for r in proc}
        workers = max(common) if common else max((r.workers for r in thr + proc), default=0)
        if not workers:
            continue
        points = []
        for f in sorted({_f(r) for r in group}):
            at_f = [r for r in group if _f(r) == f]
            points.append(FractionPoint(
                f, workers,
                reference_run(t, [r for r in thr if r.workers == workers and _f(r) == f],
                              THREAD_POOL, default),
                reference_run(t, [r for r in proc if r.workers == workers and _f(r) == f],
                              PROCESS_POOL, default),
                _fastest([r for r in at_f if t.is_baseline(r.strategy)])))
        curves.append(FractionCurve(view.kernel, flavour, size, chunks, workers,
                                    tuple(points)))
    return curves


def _us(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1e6:.1f} µs"


def _explanation(curve: FractionCurve, switch_s: float | None) -> tuple[str, list[Figure]]:
    """Why threads fall short of Amdahl, from the point where they fall furthest."""
    point = curve.widest_gap()
    if point is None:
        return "", []
    shares = point.time_shares()
    model = point.amdahl_realised or point.amdahl
    share_words = (f"held share {point.held_share:.1%} measured"
                   if point.held_share is not None else "held share not measured")
    words = (f" At f = {point.f:g} ({share_words}) threads reached "
             f"{point.threads.speedup:.2f}x against Amdahl's {model:.2f}x: GIL hand-offs "
             f"took {shares['handoff']:.0%} of the threads' time ({point.reacquires:.0f} "
             f"re-acquires per run, {_us(point.wait_per_reacquire_s)} waiting for each and "
             f"{_us(point.release_per_handoff_s)} giving it up, against held stretches of "
             f"{_us(point.held_stretch_s)}), compute {shares['compute']:.0%}, preempted by "
             f"other work {shares['preempted']:.0%}, outside the chunks "
             f"{shares['outside']:.0%}")
    free = point.speedup_without_handoffs
    if free:
        words += f"; without the hand-off time they would have reached {free:.2f}x"
    longest = point.threads_figure("gil_longest_held_s")
    if switch_s and longest is not None:
        relation = "under" if longest < switch_s else "beyond"
        words += (f". The longest held stretch ({_us(longest)}) is {relation} the "
                  f"{switch_s * 1e3:g} ms switch interval")
        if longest < switch_s:
            words += (", so no switch is forced mid-stretch: every hand-off happens when a "
                      "holder leaves a held stretch")
    figures = [Figure("explained_f", point.f), Figure("explained_amdahl", model, "x"),
               Figure("explained_threads_speedup", point.threads.speedup, "x"),
               Figure("handoff_share", shares["handoff"]),
               Figure("compute_share", shares["compute"]),
               Figure("preempted_share", shares["preempted"]),
               Figure("outside_share", shares["outside"]),
               Figure("reacquires", point.reacquires),
               Figure("wait_per_reacquire", point.wait_per_reacquire_s, "s"),
               Figure("release_per_handoff", point.release_per_handoff_s, "s"),
               Figure("held_stretch", point.held_stretch_s, "s"),
               Figure("longest_held_stretch", longest, "s"),
               Figure("switch_interval", switch_s, "s"),
               Figure("speedup_without_handoffs", free, "x")]
    return words + ".", figures


@register_finder(THRESHOLD,
                 "the largest GIL-held share at which threads still rival warm processes")
def gil_fraction_threshold(view: KernelView) -> Iterator[Finding]:
    switch_s = view.machine.get("gil", {}).get("switch_interval_s")
    for curve in fraction_curves(view):
        if not curve.paired():
            continue
        last, first_out = curve.threshold()
        crossing, low, high = curve.threshold_interval()
        head = f"{curve.flavour}, {curve.workers} workers:"
        top = curve.paired()[-1]
        if crossing is None:
            verdict = "always"
            sentence = (f"{head} threads keep {RIVAL_SHARE:.0%} of warm processes' speedup "
                        f"at every f measured, up to {top.f:g} ({top.threads.speedup:.2f}x "
                        f"against {top.processes.speedup:.2f}x).")
        elif high == 0:
            verdict = "never"
            first = curve.paired()[0]
            sentence = (f"{head} threads stay below {RIVAL_SHARE:.0%} of warm processes' "
                        f"speedup even at f = {first.f:g} ({first.threads.speedup:.2f}x "
                        f"against {first.processes.speedup:.2f}x).")
        else:
            verdict = "threshold"
            span = f"{_f_words(low, 'low', curve)}-{_f_words(high, 'high', curve)}"
            sentence = (f"{head} threads keep {RIVAL_SHARE:.0%} of warm processes' speedup "
                        f"while the GIL is held for up to f = {crossing:.2f} ({span}) of the "
                        f"work; at f = {top.f:g}: {top.threads.speedup:.2f}x against "
                        f"{top.processes.speedup:.2f}x.")
        why, why_figures = _explanation(curve, switch_s)
        if any(p.threads and p.threads.gil_enabled is False for p in curve.points):
            why += (" The GIL was off in this interpreter (a free-threaded build): held "
                    "stretches did not exclude each other, so f measures only the cost of "
                    "attaching and detaching.")
            why_figures.append(Figure("gil_enabled", False))
        busiest = curve.busiest()
        if busiest is not None and busiest[0] > BUSY_SHARE:
            why += (f" Caution: other work took the CPU for {busiest[0]:.0%} of the chunk "
                    f"time of the {busiest[1].strategy} run at f = {_f(busiest[1]):g} (size "
                    f"{busiest[1].size}); this machine was busy, so read these "
                    f"speedups with care.")
            why_figures.append(Figure("busiest_off_cpu_share", busiest[0]))
        figures = [Figure("workers", curve.workers),
                   Figure("threshold_f", None if last is None else last.f),
                   Figure("interpolated_f", crossing),
                   Figure("interpolated_f_low", low), Figure("interpolated_f_high", high),
                   Figure("first_below_f", None if first_out is None else first_out.f),
                   Figure("rival_share", RIVAL_SHARE), *why_figures]
        yield Finding(kernel=view.kernel, kind=THRESHOLD, sentence=sentence,
                      detail=why.strip(), runs=curve.runs(), figures=tuple(figures),
                      verdict=verdict,
                      context=(("size", curve.size), ("chunks", curve.chunks),
                               ("axis", NAME)))


def slowest_reacquire(curve: FractionCurve) -> FractionPoint | None:
    """The point whose threads waited longest, on average, to take the GIL back."""
    return max((p for p in curve.points if p.wait_per_reacquire_s is not None),
               key=lambda p: p.wait_per_reacquire_s, default=None)


def published_cut(curve: FractionCurve) -> dict[str, float] | None:
    """The published cut (28.6% -> 6.4% held) replayed on this curve's nearest points:
    measured and Amdahl throughput gain, or None without two distinct points."""
    before, after, _ = PUBLISHED_CUT
    a, b = curve.nearest(before), curve.nearest(after)
    if a is None or b is None or a is b:
        return None
    return {"from_f": a.f, "to_f": b.f, "measured_gain": b.threads.speedup / a.threads.speedup
            - 1, "amdahl_gain": b.amdahl / a.amdahl - 1}


__all__ = ["BUSY_SHARE", "PUBLISHED_CUT", "PUBLISHED_REACQUIRE", "RIVAL_SHARE",
           "FractionCurve", "FractionPoint", "amdahl", "fraction_curves", "gil_fraction_threshold",
           "off_cpu_share", "published_cut", "slowest_reacquire"]
