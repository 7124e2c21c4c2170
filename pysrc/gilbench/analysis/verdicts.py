"""The core finders: threads against processes, the GIL, OpenMP, copying, compiled code.

Roles come from declared traits only: a *thread pool* is a strategy that ``uses_threads``
(and not processes), a *process pool* one that ``uses_processes`` over shared memory, the
*baseline* the ``single_worker`` one; a flavour *releases*, *holds* or *partially
releases* the GIL, may *parallelise itself* or be *interpreted*. A strategy or flavour
registered tomorrow with those traits takes part in every finding below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row, reference_run
from gilbench.analysis.runtime import gil_off_words, why_gil_on
from gilbench.axes.workers import THREADS_VS_PROCESSES
from gilbench.roles import NOGIL_TRAITS, PROCESS_POOL, THREAD_POOL
from gilbench.roles import nogil_flavours as nogil_flavour_names
from gilbench.uncertainty import TIE_BAND, Ratio

#: The kinds of finding this module makes.
GIL_SERIALISES = "gil-serialises"
ONE_GIL_PER_PROCESS = "one-gil-per-process"
SELF_PARALLEL = "self-parallel"
SCHEDULE = "schedule"
COMPILED_VS_PYTHON = "compiled-vs-python"
MEMORY_BOUND = "memory-bound"
COPY_COST = "copy-cost"
NOISY = "noisy"

#: Within this relative margin two strategies "tie" (the tie band of the intervals).
TIE_MARGIN = TIE_BAND
#: Below this speedup a parallel run is not worth its trouble.
WORTHWHILE = 1.1
#: One core streaming more than this share of the copy baseline is memory-bound.
MEMORY_BOUND_SHARE = 0.5

#: How the "At a glance" table words each headline verdict.
VERDICT_TEXT = {
    "win": "threads win", "tie": "tie", "lose": "processes win",
    "serial": "serial wins (work too small)", "memory-bound": "neither (memory-bound)",
    "processes only": "processes only (no GIL-free flavour)",
}


# -- small helpers ------------------------------------------------------------------------
def fmt_ms(seconds: float | None) -> str:
    """Milliseconds to three significant figures, so that two times a ratio compares
    show its difference ("13.1 ms against 12.5 ms", never "13 ms against 13 ms")."""
    if seconds is None:
        return "n/a"
    ms = seconds * 1e3
    return f"{ms:.0f} ms" if ms >= 100 else f"{ms:.1f} ms" if ms >= 10 else f"{ms:.2f} ms"


def compare_word(ratio: float) -> str:
    """'win', 'tie' or 'lose' for a time ratio other/this (> 1 means this is faster)."""
    if ratio > 1 + TIE_MARGIN:
        return "win"
    if ratio < 1 - TIE_MARGIN:
        return "lose"
    return "tie"


def fastest(rows: Iterable[Row]) -> Row | None:
    rows = list(rows)
    return min(rows, key=lambda r: r.median_s) if rows else None


def context_of(rows: Sequence[Row], keys: Sequence[str] = ("size", "chunks")) -> tuple:
    """A finding's context: the values of ``keys`` its rows share (those of the first)."""
    first = rows[0]
    return tuple((k, getattr(first, k)) for k in keys)


def parallel_rows(rows: Iterable[Row]) -> list[Row]:
    """The rows of more than one worker that have a speedup."""
    return [r for r in rows if r.workers > 1 and r.speedup]


def at_most_workers(rows: Sequence[Row]) -> list[Row]:
    """The rows at the largest worker count among ``rows``."""
    top = max((r.workers for r in rows), default=0)
    return [r for r in rows if r.workers == top]


def nogil_flavours(view: KernelView, rows: Sequence[Row]) -> list[str]:
    """Flavours present in ``rows`` whose code drops the GIL (fully first, then partly),
    excluding those that parallelise themselves; registry order breaks ties."""
    present = {r.flavour for r in rows}
    t = view.traits
    return nogil_flavour_names((f, t.gil(f)) for f in t.flavour_order(present)
                               if not t.parallel_inside(f))


def holding_flavours(view: KernelView, rows: Sequence[Row]) -> list[str]:
    present = {r.flavour for r in rows}
    t = view.traits
    return [f for f in t.flavour_order(present) if t.gil(f) == "holds"]


def gil_off_thread_flavours(view: KernelView, rows: Sequence[Row]) -> list[str]:
    """Flavours whose code holds the GIL but whose thread-pool runs here ran without one
    (a free-threaded build): on threads they can scale, and rival processes."""
    t = view.traits
    return [f for f in holding_flavours(view, rows)
            if any(r.flavour == f and t.is_thread_pool(r.strategy) and r.gil_enabled is False
                   for r in rows)]


# -- threads against processes ------------------------------------------------------------
def headline_workers(view: KernelView, rows: Sequence[Row]) -> int | None:
    """The worker count headlines speak at: the usable cores (every core busy, none
    oversubscribed), else the largest count below them that ran; None when none did."""
    cores = view.usable_cores
    counts = {r.workers for r in rows if r.workers > 1 and (cores is None or r.workers <= cores)}
    return max(counts) if counts else None


def reference_row(view: KernelView, rows: Sequence[Row], flavour: str, role: str,
                  workers: int, gil_off: bool = False) -> Row | None:
    """The run of ``flavour`` on the reference pool of ``role`` at ``workers``, at the
    sweep's default start method (thread runs without a GIL only, with ``gil_off``)."""
    mine = [r for r in rows if r.flavour == flavour and r.workers == workers
            and (not gil_off or r.gil_enabled is False)]
    return reference_run(view.traits, mine, role, view.settings.get("default_start_method"))


def _pair(view: KernelView, rows: Sequence[Row], flavour: str,
          gil_off: bool = False) -> tuple[Row, Row] | None:
    """The reference thread pool's and process pool's runs of ``flavour`` at the
    headline worker count (thread runs without a GIL only, with ``gil_off``), or None."""
    workers = headline_workers(view, rows)
    if workers is None:
        return None
    thr = reference_row(view, rows, flavour, THREAD_POOL, workers, gil_off)
    proc = reference_row(view, rows, flavour, PROCESS_POOL, workers)
    return (thr, proc) if thr and proc else None


def _startup_words(view: KernelView, proc: Row) -> str:
    words = f"{view.traits.display(proc.strategy)} start-up {fmt_ms(proc.startup_s)}"
    if proc.first_s:
        words += f", first call {fmt_ms(proc.first_s)}"
    return words


@register_finder(THREADS_VS_PROCESSES,
                 "whether GIL-free threads rival warm processes, and why not when they don't")
def threads_vs_processes(view: KernelView) -> Iterator[Finding]:
    """Per size and chunking, at the usable cores: the reference thread pool against the
    reference process pool on the first flavour whose code drops the GIL (the headline);
    then, where the interpreter ran without a GIL, every flavour whose code would hold it
    (headline only if no GIL-dropping flavour had a pair)."""
    copy_gbs = view.machine.get("copy_bandwidth_gbs")
    # One headline per kernel: flavours may run problems of their own size (each a
    # context), and the headline is the context of the most convincing GIL-free flavour.
    order = nogil_flavours(view, view.main_rows())
    found = []
    for rows in view.contexts().values():
        for flavour in nogil_flavours(view, rows):
            pair = _pair(view, rows, flavour)
            if pair:
                found.append((order.index(flavour), rows, flavour, pair))
                break
    best = min(range(len(found)), key=lambda i: found[i][0], default=None)
    for i, (_, rows, flavour, pair) in enumerate(found):
        yield _threads_vs_processes(view, rows, flavour, *pair, copy_gbs, headline=i == best)
    headline = best is None
    for rows in view.contexts().values():
        for flavour in gil_off_thread_flavours(view, rows):
            pair = _pair(view, rows, flavour, gil_off=True)
            if pair:
                yield _threads_vs_processes(view, rows, flavour, *pair, copy_gbs,
                                            headline=headline)
                headline = False


def tie_words(ratio: Ratio, rows: Sequence[Row]) -> str:
    """``a tie within noise (±4%)``, with the reason when the noise is large."""
    words = f"a tie within noise (±{ratio.spread:.0%})"
    if ratio.spread > 2 * TIE_BAND:
        words += f": repeats varied up to {max(r.cv for r in rows):.0%}"
    return words


def _threads_vs_processes(view: KernelView, rows: Sequence[Row], flavour: str, thr: Row,
                          proc: Row, copy_gbs: float | None,
                          headline: bool = True) -> Finding:
    t = view.traits
    ratio = thr.over(proc)
    code_gil = t.gil(flavour)
    thr_name, proc_name = t.display(thr.strategy), t.display(proc.strategy)
    figures = [Figure("workers", thr.workers), Figure("usable_cores", view.usable_cores),
               Figure("threads_speedup", thr.speedup, "x"),
               Figure("threads_speedup_low", thr.speedup_low, "x"),
               Figure("threads_speedup_high", thr.speedup_high, "x"),
               Figure("processes_speedup", proc.speedup, "x"),
               Figure("processes_speedup_low", proc.speedup_low, "x"),
               Figure("processes_speedup_high", proc.speedup_high, "x"),
               Figure("threads_over_processes", ratio.value, "x"),
               Figure("threads_over_processes_low", ratio.low, "x"),
               Figure("threads_over_processes_high", ratio.high, "x"),
               Figure("processes_startup", proc.startup_s, "s"),
               Figure("processes_first_call", proc.first_s, "s"),
               Figure("thread_strategy", thr.strategy), Figure("process_strategy", proc.strategy),
               Figure("gil_enabled", thr.gil_enabled), Figure("code_gil", code_gil)]
    # The flavour's trait says what its code does; the run says whether there was a GIL.
    runtime = (f" ({gil_off_words(code_gil)})" if thr.gil_enabled is False
               and code_gil == "holds" else " (no GIL in this interpreter)"
               if thr.gil_enabled is False else "")
    runs = [thr.id, proc.id]
    speeds = (f"{thr_name} {thr.speedup:.2f}x, {proc_name} {proc.speedup:.2f}x on "
              f"{thr.workers} workers")
    # "Neither pays off" only where both speedups are surely below the worthwhile mark
    # (their whole intervals): a pool that may reach it is compared with the other, so a
    # speedup that hovers about the mark from one sweep to the next flips no verdict.
    # A kernel whose serial run already streams most of the copy bandwidth is
    # memory-bound, a property of the kernel: it speaks where neither pool's median pays.
    reach = [r.speedup_high if r.speedup_high is not None else r.speedup for r in (thr, proc)]
    serial = fastest(r for r in rows if r.flavour == flavour and t.is_baseline(r.strategy))
    bound = bool(serial and serial.gbs and copy_gbs
                 and serial.gbs > MEMORY_BOUND_SHARE * copy_gbs)
    if max(reach) < WORTHWHILE or (bound and max(thr.speedup, proc.speedup) < WORTHWHILE):
        if serial:
            runs.append(serial.id)
        if bound:
            verdict = "memory-bound"
            figures += [Figure("serial_bandwidth", serial.gbs, "GB/s"),
                        Figure("copy_bandwidth", copy_gbs, "GB/s")]
            sentence = (f"Neither pays off ({speeds}): one core already streams "
                        f"{serial.gbs:.1f} GB/s, {serial.gbs / copy_gbs:.0%} of the copy "
                        f"baseline, so memory bandwidth is the limit.")
        else:
            verdict = "serial"
            took = fmt_ms(serial.median_s) if serial else "too little"
            sentence = (f"Neither pays off ({speeds}): serially the work takes only {took}, "
                        f"too little to hand out in chunks.")
    else:
        verdict = ratio.verdict(TIE_BAND)
        rel = (f"{ratio.value:.2f}x faster than" if verdict == "win" else
               f"{1 / ratio.value:.2f}x slower than" if verdict == "lose" else "level with")
        noise = (f"; {tie_words(ratio, (thr, proc))}" if verdict == "tie" else
                 f" (interval {ratio.low:.2f}-{ratio.high:.2f}x)")
        sentence = (f"{flavour} on {thr_name}: {thr.speedup:.2f}x on {thr.workers} workers"
                    f"{runtime}, {rel} warm {proc_name} ({proc.speedup:.2f}x){noise}; "
                    f"{_startup_words(view, proc)}.")
    return Finding(kernel=view.kernel, kind=THREADS_VS_PROCESSES, sentence=sentence,
                   runs=tuple(runs), figures=tuple(figures), verdict=verdict,
                   context=context_of(rows), headline=headline)


# -- the GIL ------------------------------------------------------------------------------
@register_finder(GIL_SERIALISES,
                 "what threads do for code that holds the GIL (or for any code, GIL off)")
def gil_serialises(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    for rows in view.contexts().values():
        for flavour in holding_flavours(view, rows):
            thr = fastest(at_most_workers(parallel_rows(
                r for r in rows if r.flavour == flavour and t.is_thread_pool(r.strategy))))
            if thr:
                yield _gil_finding(view, rows, thr)


def _gil_finding(view: KernelView, rows: Sequence[Row], thr: Row) -> Finding:
    util = thr.utilisation
    util_words = f", CPU/wall {util:.2f}" if util else ""
    ran_together = bool(util and util >= 0.65 * thr.workers)
    if thr.gil_enabled is False:
        # No GIL to blame or to credit: say what CPU/wall shows instead.
        if thr.speedup >= WORTHWHILE:
            verdict = "gil-off"
            why = f"it runs in parallel because {gil_off_words('holds')}{util_words}"
        elif ran_together:
            verdict = "gil-off-contended"
            why = (f"the GIL is off and the threads ran at the same time (CPU/wall "
                   f"{util:.2f}), yet gained nothing: they contend for something else "
                   f"(shared objects' reference counts, memory)")
        else:
            verdict = "gil-off-serialised"
            why = (f"the GIL is off, yet the threads did not run at the same time"
                   f"{util_words}: something else serialised them, or no core was free")
    elif thr.speedup < WORTHWHILE and ran_together:
        # CPU/wall says the threads ran at once: what stopped them was not the GIL.
        verdict = "contended"
        why = (f"the threads ran at the same time (CPU/wall {util:.2f}) yet gained nothing: "
               f"they contend for something other than the GIL")
    elif thr.speedup < WORTHWHILE:
        verdict = "serialised"
        on = why_gil_on(thr, view.machine)
        why = f"the GIL serialises it{util_words}" + (
            f" (this free-threaded build had a GIL: {on})" if on else "")
    elif thr.speedup < 1.3:
        verdict = "barely"
        why = f"barely faster than serial{util_words}"
    else:
        verdict = "scales"
        free = (f", GIL free {thr.gil_availability:.2f}"
                if thr.gil_availability is not None else "")
        why = f"it scales all the same: the GIL must be released inside{util_words}{free}"
    sentence = (f"{thr.flavour} + {thr.strategy}: {thr.speedup:.2f}x on {thr.workers} "
                f"workers: {why}.")
    figures = (Figure("workers", thr.workers), Figure("speedup", thr.speedup, "x"),
               Figure("cpu_per_wall", util), Figure("gil_free", thr.gil_availability),
               Figure("gil_enabled", thr.gil_enabled))
    return Finding(kernel=view.kernel, kind=GIL_SERIALISES, sentence=sentence, runs=(thr.id,),
                   figures=figures, verdict=verdict, context=context_of(rows))


@register_finder(ONE_GIL_PER_PROCESS,
                 "what processes do for code that holds the GIL: one interpreter each")
def one_gil_per_process(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    main = view.main_rows()
    # Threads that need no GIL: code that drops it, or any code where there is none.
    has_nogil_threads = any(
        t.is_thread_pool(r.strategy) and not t.parallel_inside(r.flavour)
        and (t.gil(r.flavour) in NOGIL_TRAITS or r.gil_enabled is False) for r in main)
    headline_given = False
    for rows in view.contexts().values():
        # The reference process pool at the usable cores: no best-of-N pick among the
        # components, no oversubscribed count (their own findings rank and show them).
        workers = headline_workers(view, rows)
        for flavour in holding_flavours(view, rows):
            proc = reference_row(view, rows, flavour, PROCESS_POOL, workers) if workers else None
            if not proc or not proc.speedup:
                continue
            # No flavour here can drop the GIL: processes are the only way to scale.
            headline = not has_nogil_threads and not headline_given
            headline_given |= headline
            yield Finding(
                kernel=view.kernel, kind=ONE_GIL_PER_PROCESS,
                sentence=(f"{flavour} + {proc.strategy}: {proc.speedup:.2f}x on {proc.workers} "
                          f"workers: one interpreter (and GIL) per worker."),
                runs=(proc.id,),
                figures=(Figure("workers", proc.workers), Figure("speedup", proc.speedup, "x"),
                         Figure("startup", proc.startup_s, "s")),
                verdict="processes only" if headline else "scales", context=context_of(rows),
                headline=headline)


# -- flavours that parallelise themselves --------------------------------------------------
def _self_parallel_rows(view: KernelView) -> list[Row]:
    t = view.traits
    return [r for r in view.main_rows()
            if t.parallel_inside(r.flavour) and t.drives_parallel(r.strategy)]


@register_finder(SELF_PARALLEL, "how far a flavour that parallelises itself (OpenMP) scales")
def self_parallel(view: KernelView) -> Iterator[Finding]:
    groups = view.contexts(_self_parallel_rows(view), ("flavour", "size"))
    for (flavour, _size), rows in groups.items():
        best = fastest(at_most_workers(parallel_rows(rows)))
        if best:
            yield Finding(
                kernel=view.kernel, kind=SELF_PARALLEL,
                sentence=(f"{flavour} ({best.strategy}, {best.schedule or 'default'} schedule) "
                          f"reached {best.speedup:.2f}x on {best.workers} threads "
                          f"({best.efficiency:.0%} of ideal)."),
                runs=(best.id,),
                figures=(Figure("workers", best.workers), Figure("speedup", best.speedup, "x"),
                         Figure("schedule", best.schedule)),
                context=context_of(rows, ("size",)))


@register_finder(SCHEDULE, "which loop schedule suits the kernel's load balance")
def schedule(view: KernelView) -> Iterator[Finding]:
    groups = view.contexts(_self_parallel_rows(view), ("flavour", "size"))
    for (flavour, _size), rows in groups.items():
        top = at_most_workers(rows)
        by_schedule = {}
        for r in top:
            if r.schedule and (r.schedule not in by_schedule
                               or r.median_s < by_schedule[r.schedule].median_s):
                by_schedule[r.schedule] = r
        if len(by_schedule) < 2:
            continue
        fast = min(by_schedule.values(), key=lambda r: r.median_s)
        slow = max(by_schedule.values(), key=lambda r: r.median_s)
        gain = slow.median_s / fast.median_s
        others = ", ".join(s for s in by_schedule if s not in (fast.schedule, slow.schedule))
        rest = f"; {others} in between" if others else ""
        yield Finding(
            kernel=view.kernel, kind=SCHEDULE,
            sentence=(f"{flavour}: {fast.schedule.capitalize()} scheduling ran {gain:.2f}x the "
                      f"speed of {slow.schedule} on {fast.workers} threads "
                      f"({fmt_ms(fast.median_s)} against {fmt_ms(slow.median_s)}{rest})."),
            runs=tuple(r.id for r in by_schedule.values()),
            figures=(Figure("fastest", fast.schedule), Figure("slowest", slow.schedule),
                     Figure("gain", gain, "x"), Figure("workers", fast.workers)),
            verdict=compare_word(gain), context=context_of(rows, ("size",)))


# -- compiled against interpreted ---------------------------------------------------------
@register_finder(COMPILED_VS_PYTHON, "how much faster compiled flavours run one core")
def compiled_vs_python(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    serial = [r for r in view.main_rows() if t.is_baseline(r.strategy)]
    for interp in [r for r in serial if t.interpreted(r.flavour)]:
        others = [r for r in serial if not t.interpreted(r.flavour)]
        same = [r for r in others if r.size == interp.size and r.chunks == interp.chunks]
        if same:
            compiled = fastest(same)
            ratio = interp.median_s / compiled.median_s
            sentence = (f"Serially, {compiled.flavour} is {ratio:.0f}x faster than "
                        f"{interp.flavour} (interpreted).")
        elif interp.work_units and others and all(r.work_units for r in others):
            # The interpreted flavour ran a smaller problem: compare time per unit of work.
            compiled = min(others, key=lambda r: r.median_s / r.work_units)
            ratio = ((interp.median_s / interp.work_units)
                     / (compiled.median_s / compiled.work_units))
            sentence = (f"Serially, {compiled.flavour} is {ratio:.0f}x faster than "
                        f"{interp.flavour} (interpreted) per unit of work ({interp.flavour} "
                        f"ran size {interp.size}, {compiled.flavour} size {compiled.size}).")
        else:
            continue
        yield Finding(kernel=view.kernel, kind=COMPILED_VS_PYTHON, sentence=sentence,
                      runs=(interp.id, compiled.id),
                      figures=(Figure("ratio", ratio, "x"), Figure("compiled", compiled.flavour)),
                      context=(("size", interp.size),))


# -- memory ------------------------------------------------------------------------------
@register_finder(MEMORY_BOUND, "the best effective bandwidth against the copy baseline")
def memory_bound(view: KernelView) -> Iterator[Finding]:
    copy_gbs = view.machine.get("copy_bandwidth_gbs")
    best = max((r for r in view.main_rows() if r.gbs), key=lambda r: r.gbs, default=None)
    if not best:
        return
    figures = (Figure("best_bandwidth", best.gbs, "GB/s"), Figure("copy_bandwidth", copy_gbs,
                                                                   "GB/s"))
    where = f"{best.flavour} + {best.strategy}, {best.workers} workers"
    if copy_gbs and best.gbs > 0.25 * copy_gbs:
        yield Finding(
            kernel=view.kernel, kind=MEMORY_BOUND,
            sentence=(f"Best effective bandwidth {best.gbs:.1f} GB/s ({where}): "
                      f"{best.gbs / copy_gbs:.0%} of this machine's copy baseline "
                      f"({copy_gbs:.1f} GB/s; a copy reads and writes, so a pure read may "
                      f"exceed it): memory bandwidth, not cores, sets the limit."),
            runs=(best.id,), figures=figures, verdict="memory-bound",
            context=(("size", best.size),))
    else:
        yield Finding(kernel=view.kernel, kind=MEMORY_BOUND,
                      sentence=f"Best throughput {best.gbs:.2f} GB/s ({where}).",
                      runs=(best.id,), figures=figures, verdict="compute-bound",
                      context=(("size", best.size),))


@register_finder(COPY_COST, "what shipping each chunk's inputs costs against sharing them")
def copy_cost(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    main = view.main_rows()
    for ship in main:
        # A library's executor pays its scheduler too: distributed-overhead reports it.
        if not t.ships_inputs(ship.strategy) or t.library(ship.strategy):
            continue
        shared = fastest(r for r in main if t.is_process_pool(r.strategy)
                         and r.flavour == ship.flavour and r.workers == ship.workers
                         and r.size == ship.size and r.chunks == ship.chunks)
        if not shared:
            continue
        ratio = ship.median_s / shared.median_s
        rate = f" ({ship.gbs:.2f} GB/s)" if ship.gbs else ""
        yield Finding(
            kernel=view.kernel, kind=COPY_COST,
            sentence=(f"Shipping each chunk's inputs to {ship.workers} worker "
                      f"process{'es' if ship.workers > 1 else ''} ({ship.strategy}) took "
                      f"{fmt_ms(ship.median_s)}{rate}, {ratio:.1f}x the "
                      f"{fmt_ms(shared.median_s)} of reading them from shared memory "
                      f"({shared.strategy}, {ship.flavour})."),
            runs=(ship.id, shared.id),
            figures=(Figure("ratio", ratio, "x"), Figure("workers", ship.workers)),
            verdict=compare_word(1 / ratio), context=context_of([ship]))


# -- measurement quality ------------------------------------------------------------------
@register_finder(NOISY, "runs whose repeats varied by more than 10%")
def noisy(view: KernelView) -> Iterator[Finding]:
    rows = [r for r in view.rows if r.noisy]
    if rows:
        yield Finding(kernel=view.kernel, kind=NOISY,
                      sentence=(f"{len(rows)} run(s) varied by more than 10% between repeats "
                                f"(marked ~); read their figures with care."),
                      runs=tuple(r.id for r in rows), figures=(Figure("count", len(rows)),),
                      verdict="noisy")
