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
from dataclasses import dataclass, replace
from typing import Any

from gilbench.analysis.crossings import (
    busy_machine_words,
    fmt_duration,
    fmt_span,
)
from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row, reference_run
from gilbench.analysis.verdicts import WORTHWHILE
from gilbench.axes.granularity import CROSSOVER, NAME
from gilbench.axes.granularity.fit import Crossover, TaskModel, fit, within
from gilbench.roles import PROCESS_POOL, THREAD_POOL
from gilbench.uncertainty import TIE_BAND

#: Processes "match" threads when they take at most this much longer: the tie band.
MATCH_MARGIN = TIE_BAND


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
    default = view.settings.get("default_start_method")
    by_chunks: dict[int, list[Row]] = {}
    for r in rows:
        by_chunks.setdefault(r.chunks, []).append(r)
    points = []
    for group in by_chunks.values():
        serial = next((r for r in group if t.is_baseline(r.strategy)), None)
        if serial is None:
            continue
        tasks = tasks_of(serial)
        points.append(GranularityPoint(tasks, serial.median_s / tasks, serial,
                                       reference_run(t, group, THREAD_POOL, default),
                                       reference_run(t, group, PROCESS_POOL, default)))
    return sorted(points, key=lambda p: p.task_s)


def models(points: Sequence[GranularityPoint]) -> dict[str, TaskModel]:
    """The fitted time-against-tasks model of the serial run and of each pool role that
    has at least three points (``serial``, ``threads``, ``processes``)."""
    out = {}
    for role in ("serial", "threads", "processes"):
        pts = [(p.tasks, getattr(p, role).median_s) for p in points if getattr(p, role)]
        model = fit([n for n, _ in pts], [s for _, s in pts])
        if model is not None:
            out[role] = model
    return out


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


def _where(c: Crossover, what: str) -> str:
    """``ThreadPoolExecutor from 52 µs (38-70 µs)``: a fitted crossover in words."""
    if c.status == "always":
        return f"{what} at any task duration"
    if c.status == "never":
        return f"{what} at no task duration"
    return f"{what} from {fmt_duration(c.seconds)}{_span_words(c)}"


def _span_words(c: Crossover) -> str:
    """`` (38-70 µs)``: a crossover's interval, empty where it rounds to one value."""
    if fmt_duration(c.low) == fmt_duration(c.high):
        return ""
    return f" ({fmt_span(c.low, c.high)})"


def crossover_figures(name: str, c: Crossover) -> list[Figure]:
    """``name`` (seconds), its interval and status, for findings.json."""
    return [Figure(name, c.seconds, "s"), Figure(f"{name}_low", c.low, "s"),
            Figure(f"{name}_high", c.high, "s"), Figure(f"{name}_status", c.status)]


@register_finder(CROSSOVER,
                 "the work per task from which threads, then processes, beat serial, and "
                 "above which processes come within 5% of threads")
def granularity_crossover(view: KernelView) -> Iterator[Finding]:
    """Per curve: the fitted models of serial, the reference thread pool and the
    reference process pool, and the crossovers that follow from them."""
    t = view.traits
    for (flavour, size, workers), rows in curves(view).items():
        points = granularity_points(view, rows)
        fitted = models(points)
        if "serial" not in fitted or not {"threads", "processes"} & set(fitted):
            continue
        serial = fitted["serial"]
        work = serial.fixed_s  # the serial time of the whole work, less per-task costs
        names = {role: next((getattr(p, role).strategy for p in points if getattr(p, role)),
                            None) for role in ("threads", "processes")}
        words = {role: t.display(name) for role, name in names.items() if name}
        found: dict[str, Crossover] = {}
        for role in ("threads", "processes"):
            if role in fitted:
                found[f"{role}_beat_serial_from"] = within(fitted[role], serial,
                                                           1 / WORTHWHILE, work)
        if {"threads", "processes"} <= set(fitted):
            # By their per-task costs alone (the processes' fixed part taken as the
            # threads'): their fixed parts differ by a few percent, and a 10% margin over
            # a difference that small would move the crossing by 2x between identical
            # sweeps; what a pool adds per task is what task duration decides.
            found["processes_match_threads_above"] = within(
                replace(fitted["processes"], fixed_s=fitted["threads"].fixed_s),
                fitted["threads"], 1 + MATCH_MARGIN, work)
        parts = [_where(found[f"{role}_beat_serial_from"], words[role])
                 for role in ("threads", "processes") if f"{role}_beat_serial_from" in found]
        sentence = (f"{flavour}, {workers} workers: beating serial by {WORTHWHILE}x, "
                    + ", ".join(parts) + ".")
        match = found.get("processes_match_threads_above")
        if match is not None:
            sentence += " " + _match_words(match, words)
        share, busy = busy_machine_words([p.serial.utilisation for p in points])
        sentence += busy
        lo, hi = points[0].task_s, points[-1].task_s
        figures = [Figure("workers", workers), Figure("flavour", flavour),
                   Figure("serial_cpu_share", share),
                   Figure("shortest_task", lo, "s"), Figure("longest_task", hi, "s"),
                   Figure("thread_strategy", names["threads"]),
                   Figure("process_strategy", names["processes"])]
        for name, c in found.items():
            figures += crossover_figures(name, c)
        for role, model in fitted.items():
            figures += [Figure(f"per_task_{role}", model.per_task_s, "s"),
                        Figure(f"per_task_{role}_low", model.per_task_low, "s"),
                        Figure(f"per_task_{role}_high", model.per_task_high, "s"),
                        Figure(f"fixed_{role}", model.fixed_s, "s"),
                        Figure(f"fit_worst_residual_{role}", model.worst_residual)]
        costs = dispatch_costs(view.machine, workers)
        figures += [Figure(f"empty_task_{s}", costs[s], "s") for s in names.values()
                    if s in costs]
        runs = tuple(r.id for p in points for r in (p.serial, p.threads, p.processes) if r)
        yield Finding(kernel=view.kernel, kind=CROSSOVER, sentence=sentence,
                      runs=runs, figures=tuple(figures),
                      context=(("size", size), ("workers", workers), ("flavour", flavour)))


def _match_words(match: Crossover, words: dict[str, str]) -> str:
    proc, thr = words.get("processes", "processes"), words.get("threads", "threads")
    if match.status == "always":
        return f"{proc} stays within {MATCH_MARGIN:.0%} of {thr} at any task duration."
    if match.status == "never":
        return f"{proc} stays more than {MATCH_MARGIN:.0%} behind {thr} at any task duration."
    return (f"{proc} comes within {MATCH_MARGIN:.0%} of {thr} above "
            f"{fmt_duration(match.seconds)}{_span_words(match)}.")
