"""Finders for the ways beyond the standard pools: subinterpreters and library executors.

Roles by declared traits, as everywhere in analysis: an *own-GIL* strategy runs each
worker as an interpreter of its own inside one process (``own_gil_per_worker``); a
*library executor* is one whose chunks a third-party scheduler hands out (``library``,
e.g. dask or joblib). Each is set against the standard thread and process pools.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row
from gilbench.analysis.verdicts import (
    NOGIL_TRAITS,
    WORTHWHILE,
    at_most_workers,
    context_of,
    fastest,
    fmt_ms,
    parallel_rows,
)

#: The kinds of finding this module makes.
SUBINTERPRETERS = "subinterpreters"
DISTRIBUTED_OVERHEAD = "distributed-overhead"


def _speedup(row: Row | None) -> str:
    return f"{row.speedup:.2f}x" if row and row.speedup else "n/a"


# -- subinterpreters ----------------------------------------------------------------------
@register_finder(SUBINTERPRETERS,
                 "one GIL per interpreter inside one process, set against threads and "
                 "processes")
def subinterpreters(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    for rows in view.contexts().values():
        own = at_most_workers(parallel_rows(r for r in rows if t.own_gil(r.strategy)))
        # Where they matter most first: code that holds the GIL; else one that drops it.
        flavours = [f for f in t.flavour_order({r.flavour for r in own})
                    if t.gil(f) == "holds"]
        if not flavours:
            flavours = [f for f in t.flavour_order({r.flavour for r in own})
                        if t.gil(f) in NOGIL_TRAITS][:1]
        for flavour in flavours:
            sub = fastest(r for r in own if r.flavour == flavour)
            yield _subinterpreter_finding(view, rows, sub)


def _subinterpreter_finding(view: KernelView, rows: Sequence[Row], sub: Row) -> Finding:
    t = view.traits

    def best(role) -> Row | None:
        return fastest(r for r in rows if r.flavour == sub.flavour and r.workers == sub.workers
                       and role(r.strategy))

    thr, proc = best(t.is_thread_pool), best(t.is_process_pool)
    holds = t.gil(sub.flavour) == "holds"
    verdict = "scales" if sub.speedup >= WORTHWHILE else "serialised"
    if holds and verdict == "scales":
        why = ("one GIL per interpreter lets code that holds the GIL run in parallel "
               "inside one process")
    elif holds:
        why = "even with a GIL per interpreter the work did not spread"
    else:
        why = "the code drops the GIL anyway, so an interpreter per worker adds only its cost"
    against = []
    if thr:
        against.append(f"{thr.strategy} {_speedup(thr)}")
    if proc:
        against.append(f"{proc.strategy} {_speedup(proc)}")
    vs = f" (against {', '.join(against)})" if against else ""
    startup = f"; start-up {fmt_ms(sub.startup_s)}"
    if proc and proc.startup_s is not None:
        startup += f" against {fmt_ms(proc.startup_s)} for {proc.strategy}"
    sentence = (f"{sub.flavour} + {sub.strategy}: {sub.speedup:.2f}x on {sub.workers} "
                f"workers{vs}: {why}{startup}.")
    figures = (Figure("workers", sub.workers), Figure("speedup", sub.speedup, "x"),
               Figure("threads_speedup", thr.speedup if thr else None, "x"),
               Figure("processes_speedup", proc.speedup if proc else None, "x"),
               Figure("startup", sub.startup_s, "s"),
               Figure("processes_startup", proc.startup_s if proc else None, "s"))
    runs = tuple(r.id for r in (sub, thr, proc) if r)
    return Finding(kernel=view.kernel, kind=SUBINTERPRETERS, sentence=sentence, runs=runs,
                   figures=figures, verdict=verdict, context=context_of(rows))


# -- library executors ---------------------------------------------------------------------
def _tasks(row: Row) -> int:
    """Chunk calls per execution (recorded by the harness; chunks in older files)."""
    return int(row.get("tasks") or row.chunks)


@register_finder(DISTRIBUTED_OVERHEAD,
                 "what a library's scheduler (dask, joblib) costs per task against the "
                 "standard pool of the same kind")
def distributed_overhead(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    for rows in view.contexts().values():
        for lib in at_most_workers([r for r in rows if t.library(r.strategy)]):
            processes = bool(t.strategies.get(lib.strategy, {}).get("uses_processes"))
            role = t.is_process_pool if processes else t.is_thread_pool
            ref = fastest(r for r in rows if r.flavour == lib.flavour and r.workers ==
                          lib.workers and role(r.strategy) and not t.library(r.strategy))
            if ref:
                yield _overhead_finding(view, rows, lib, ref)


def _overhead_finding(view: KernelView, rows: Sequence[Row], lib: Row, ref: Row) -> Finding:
    tasks = _tasks(lib)
    per_task = lib.median_s / tasks
    ref_per_task = ref.median_s / _tasks(ref)
    extra = per_task - ref_per_task
    library = view.traits.library(lib.strategy)
    more = (f"{fmt_us(extra)} more per task" if extra > 0
            else f"{fmt_us(-extra)} less per task")
    startup = ""
    if lib.startup_s is not None and ref.startup_s is not None:
        startup = f"; start-up {fmt_ms(lib.startup_s)} against {fmt_ms(ref.startup_s)}"
    sentence = (f"{lib.strategy} ({library}): {fmt_us(per_task)} per task ({tasks} tasks of "
                f"{lib.flavour} on {lib.workers} workers), against {fmt_us(ref_per_task)} "
                f"for {ref.strategy}: {more}{startup}.")
    figures = (Figure("library", library), Figure("per_task", per_task, "s"),
               Figure("reference_per_task", ref_per_task, "s"),
               Figure("overhead_per_task", extra, "s"), Figure("tasks", tasks),
               Figure("workers", lib.workers), Figure("reference", ref.strategy),
               Figure("startup", lib.startup_s, "s"),
               Figure("reference_startup", ref.startup_s, "s"))
    verdict = "costlier" if extra > 0 else "cheaper"
    return Finding(kernel=view.kernel, kind=DISTRIBUTED_OVERHEAD, sentence=sentence,
                   runs=(lib.id, ref.id), figures=figures, verdict=verdict,
                   context=context_of(rows))


def fmt_us(seconds: float) -> str:
    """Microseconds below a millisecond, milliseconds above."""
    if abs(seconds) < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1e3:.2f} ms"
