"""The ``granularity-crossover`` finding: from what work per task threads, then processes,
pay, and above what work per task processes catch up with threads.

Reads the ``granularity`` axis's runs: one problem, cut into ever more tasks. A point's
task duration is the serial median at that chunking divided by its tasks (the chunks of
every phase), so it is measured, not planned. Roles come from traits: the baseline
(``single_worker``), thread pools and process pools; at each point the fastest of each
role speaks for it. The empty-task costs measured before the runs
(``machine["granularity"]["dispatch"]``) come with the finding: they explain the curve.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gilbench.analysis.crossings import (
    at_least,
    at_most,
    busy_machine_words,
    crossing,
    fmt_duration,
)
from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row
from gilbench.analysis.verdicts import WORTHWHILE
from gilbench.axes.granularity import CROSSOVER, NAME

#: Processes "match" threads when they take at most this much longer.
MATCH_MARGIN = 0.05


@dataclass(frozen=True)
class GranularityPoint:
    """One chunking of the problem: its task duration and the role runs measured there."""

    tasks: int
    task_s: float
    serial: Row
    threads: Row | None
    processes: Row | None


def tasks_of(row: Row) -> int:
    """Tasks one execution handed out (recorded; the chunk count for older files)."""
    return int(row.get("tasks") or row.chunks)


def granularity_points(view: KernelView, rows: Sequence[Row]) -> list[GranularityPoint]:
    """The points of one curve (one flavour, size and worker count), by task duration."""
    t = view.traits
    by_chunks: dict[int, list[Row]] = {}
    for r in rows:
        by_chunks.setdefault(r.chunks, []).append(r)
    points = []
    for group in by_chunks.values():
        serial = next((r for r in group if t.is_baseline(r.strategy)), None)
        if serial is None:
            continue
        threads = [r for r in group if t.is_thread_pool(r.strategy) and r.speedup]
        procs = [r for r in group if t.is_process_pool(r.strategy) and r.speedup]
        tasks = tasks_of(serial)
        points.append(GranularityPoint(
            tasks, serial.median_s / tasks, serial,
            min(threads, key=lambda r: r.median_s) if threads else None,
            min(procs, key=lambda r: r.median_s) if procs else None))
    return sorted(points, key=lambda p: p.task_s)


def curves(view: KernelView) -> dict[tuple, list[Row]]:
    """The granularity runs grouped by (flavour, size, pool workers), in flavour order."""
    rows = view.axis_rows(NAME)
    pool_workers = sorted({r.workers for r in rows if not view.traits.is_baseline(r.strategy)})
    groups: dict[tuple, list[Row]] = {}
    for flavour in view.traits.flavour_order({r.flavour for r in rows}):
        for size in sorted({r.size for r in rows if r.flavour == flavour}):
            for workers in pool_workers:
                members = [r for r in rows if r.flavour == flavour and r.size == size
                           and (r.workers == workers or view.traits.is_baseline(r.strategy))]
                if any(r.workers == workers for r in members):
                    groups[(flavour, size, workers)] = members
    return groups


def dispatch_costs(machine: Mapping[str, Any], workers: int) -> dict[str, float]:
    """Per-task seconds of each strategy measured with empty tasks (at ``workers``)."""
    out = {}
    for strategy, by_workers in machine.get(NAME, {}).get("dispatch", {}).items():
        cost = by_workers.get(str(workers)) or next(iter(by_workers.values()), None)
        if cost and cost.get("per_task_s") is not None:
            out[strategy] = cost["per_task_s"]
    return out


def _where(c, what: str, lo: float, hi: float) -> str:
    if c.status == "inside":
        return f"{what} from {fmt_duration(c.x)} per task"
    if c.status == "below":
        return f"{what} at every measured duration, down to {fmt_duration(lo)}"
    return f"{what} at no measured duration, up to {fmt_duration(hi)}"


@register_finder(CROSSOVER,
                 "the work per task from which threads, then processes, beat serial, and "
                 "above which processes come within 5% of threads")
def granularity_crossover(view: KernelView) -> Iterator[Finding]:
    for (flavour, size, workers), rows in curves(view).items():
        points = granularity_points(view, rows)
        thr = [(p.task_s, p.threads.speedup) for p in points if p.threads]
        proc = [(p.task_s, p.processes.speedup) for p in points if p.processes]
        if len(points) < 2 or not (thr or proc):
            continue
        lo, hi = points[0].task_s, points[-1].task_s
        threads_from = crossing(thr, WORTHWHILE, at_least) if thr else None
        procs_from = crossing(proc, WORTHWHILE, at_least) if proc else None
        ratio = [(p.task_s, p.processes.median_s / p.threads.median_s)
                 for p in points if p.threads and p.processes]
        match = crossing(ratio, 1 + MATCH_MARGIN, at_most) if ratio else None
        thr_name = next((p.threads.strategy for p in points if p.threads), None)
        proc_name = next((p.processes.strategy for p in points if p.processes), None)
        parts = []
        if threads_from:
            parts.append(_where(threads_from, f"{thr_name} beat serial by {WORTHWHILE}x",
                                lo, hi))
        if procs_from:
            parts.append(_where(procs_from, f"warm {proc_name}", lo, hi))
        sentence = (f"{flavour} on {workers} workers, the same work cut into "
                    f"{points[-1].tasks} to {points[0].tasks} tasks "
                    f"({fmt_duration(hi)} down to {fmt_duration(lo)} each): "
                    + ", ".join(parts) + ".")
        if match:
            if match.status == "inside":
                sentence += (f" Warm {proc_name} come within {MATCH_MARGIN:.0%} of "
                             f"{thr_name} only above {fmt_duration(match.x)} per task: "
                             f"below that, GIL-free threads beat them.")
            elif match.status == "below":
                sentence += (f" Warm {proc_name} stay within {MATCH_MARGIN:.0%} of "
                             f"{thr_name} at every measured duration.")
            else:
                sentence += (f" Warm {proc_name} stay more than {MATCH_MARGIN:.0%} behind "
                             f"{thr_name} at every measured duration.")
        costs = dispatch_costs(view.machine, workers)
        shown = [s for s in (thr_name, proc_name) if s in costs]
        if shown:
            sentence += " An empty task costs " + ", ".join(
                f"{fmt_duration(costs[s])} on {s}" for s in shown) + "."
        share, busy = busy_machine_words([p.serial.utilisation for p in points])
        sentence += busy
        figures = [Figure("workers", workers), Figure("flavour", flavour),
                   Figure("serial_cpu_share", share),
                   Figure("shortest_task", lo, "s"), Figure("longest_task", hi, "s"),
                   Figure("thread_strategy", thr_name), Figure("process_strategy", proc_name)]
        for name, c in (("threads_beat_serial_from", threads_from),
                        ("processes_beat_serial_from", procs_from),
                        ("processes_match_threads_above", match)):
            if c is not None:
                figures += c.figures(name, "s")
        figures += [Figure(f"empty_task_{s}", costs[s], "s") for s in shown]
        runs = tuple(r.id for p in points for r in (p.serial, p.threads, p.processes) if r)
        yield Finding(kernel=view.kernel, kind=CROSSOVER, sentence=sentence,
                      runs=runs, figures=tuple(figures),
                      context=(("size", size), ("workers", workers), ("flavour", flavour)))
