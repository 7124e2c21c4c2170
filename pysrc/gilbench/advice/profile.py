"""The function's profile: how long a task takes, how much of it holds the GIL, what it
costs to pickle, and whether its results repeat.

Two readings of the GIL-held share: the GIL probe (:class:`gilbench.gilprobe.GilProbe`, a
ticker thread that runs only while the GIL is free) during calls on one thread, and the
parallelism two threads reach when each runs copies of the task at once (their CPU time
against the wall time, normalised by the CPU share of one thread alone; wall-clock
throughput for a task that mostly waits). The second is what a thread pool will meet, so
the model uses it where there are two cores to run it on.
"""

from __future__ import annotations

import pickle
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gilbench.advice.target import BadAdviseInput, Target, pickle_problem
from gilbench.gilprobe import GilProbe, _schedstat, gil_enabled
from gilbench.uncertainty import median_interval

#: Items timed for the profile, spread evenly over the list.
SAMPLE_ITEMS = 50
#: Seconds of timed calls the per-task figures rest on (at least one pass of the sample).
TIMED_S = 0.3
#: Seconds the GIL probe and the two-thread reading each run calls.
PROBE_S = 0.15
TWO_THREADS_S = 0.25
#: A task using less CPU than this share of its wall time mostly waits (sleep, I/O): its
#: two-thread reading comes from throughput, not CPU time.
WAITING_CPU_SHARE = 0.2

#: ``Profile.gil_method`` values.
TWO_THREADS, PROBE, NO_GIL = "two threads", "GIL probe", "no GIL"


@dataclass(frozen=True, kw_only=True)
class Profile:
    """What advise measured of one function on its items (seconds, bytes, shares)."""

    items: int
    sample: int
    #: Median seconds of one task, its 90% interval, and the mean (totals use the mean).
    task_s: float
    task_low_s: float
    task_high_s: float
    task_mean_s: float
    #: CPU seconds / wall seconds of a task on one thread.
    cpu_share: float
    #: The share of a task's time that holds the GIL, as the model uses it, and its source.
    gil_held_share: float
    gil_method: str
    gil_probe_share: float | None
    gil_thread_share: float | None
    #: Median pickled bytes of an item and of a result; seconds to pickle and unpickle both.
    bytes_in: int
    bytes_out: int
    pickle_s: float
    #: Why process pools cannot run it (something does not pickle), None when they can.
    pickle_problem: str | None
    #: Why it cannot run in a subinterpreter, None when it can; "not checked" below 3.13.
    subinterpreter_problem: str | None
    #: Two calls on each sampled item gave equal results.
    deterministic: bool

    @property
    def serial_s(self) -> float:
        """Estimated seconds of one serial pass over every item."""
        return self.task_mean_s * self.items


def sample_indices(n: int, k: int = SAMPLE_ITEMS) -> list[int]:
    """``k`` indices spread evenly over ``range(n)`` (all of them when ``n <= k``)."""
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def same(a: Any, b: Any) -> bool:
    """Whether two results are equal: by ``==`` (arrays by every element), else by their
    pickles."""
    try:
        import numpy as np

        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return bool(np.array_equal(a, b))
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an __eq__ that refuses: compare the bytes
        try:
            return pickle.dumps(a) == pickle.dumps(b)
        except Exception:  # noqa: BLE001
            return False


def call_checked(target: Target, index: int) -> Any:
    """``target``'s task on item ``index``; BadAdviseInput naming the item if it raises."""
    try:
        return target.call(target.items[index])
    except Exception as exc:  # noqa: BLE001 - the user's function failed on this item
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise BadAdviseInput(f"{target.name} raised {type(exc).__name__} on item {index}"
                             + (f": {first:.200}" if first else "")) from None


def check_budget(seconds: float, sampled: int, target: Target, budget: float) -> None:
    """BadAdviseInput when one serial pass, extrapolated from ``sampled`` items taking
    ``seconds``, would exceed ``budget``."""
    estimate = seconds / sampled * len(target.items)
    if estimate > budget:
        raise BadAdviseInput(
            f"{target.name} took {seconds / sampled:.3g} s per item on {sampled} sampled "
            f"item(s); all {len(target.items)} items would take about {estimate:.3g} s "
            f"serially (extrapolated), above --budget {budget:g} s: raise --budget or "
            "pass fewer items")


def _timed_calls(target: Target, indices: Sequence[int], budget: float
                 ) -> tuple[list[float], list[float], dict[int, Any], dict[int, Any], float]:
    """Per-call wall and CPU seconds over passes of ``indices``, the first two passes'
    results (the second empty when only one pass fits), and the seconds spent waiting for
    a CPU meanwhile."""
    wall: list[float] = []
    cpu: list[float] = []
    first: dict[int, Any] = {}
    second: dict[int, Any] = {}
    spent = 0.0
    passes = 0
    s0 = starved_s()
    while passes < 2 or (spent < TIMED_S and passes < 20):
        for index in indices:
            c0, t0 = time.thread_time(), time.perf_counter()
            result = call_checked(target, index)
            t1, c1 = time.perf_counter(), time.thread_time()
            wall.append(t1 - t0)
            cpu.append(c1 - c0)
            spent += t1 - t0
            (first if passes == 0 else second).setdefault(index, result)
            if passes == 0 and len(first) == 1:
                check_budget(t1 - t0, 1, target, budget)
        passes += 1
        if passes == 1:
            check_budget(spent, len(indices), target, budget)
            if spent > TIMED_S * 4:  # long tasks: one pass is all the sample gets
                break
    return wall, cpu, first, second, starved_s() - s0


def starved_s() -> float:
    """Seconds this thread has been runnable but waiting for a CPU (Linux schedstat; 0
    elsewhere). Waiting for the GIL is not runnable: it does not count."""
    stat = _schedstat(threading.get_native_id())
    return stat[1] / 1e9 if stat else 0.0


def _cycle(target: Target, indices: Sequence[int], until: float, offset: int = 0
           ) -> tuple[int, float, float]:
    """Call the task on ``indices`` in turn until ``until`` (at least once); (calls, CPU
    seconds, seconds the thread could run: its wall time less its wait for a CPU)."""
    calls, c0, t0, s0 = 0, time.thread_time(), time.perf_counter(), starved_s()
    while True:
        call_checked(target, indices[(offset + calls) % len(indices)])
        calls += 1
        now = time.perf_counter()
        if now >= until:
            return calls, time.thread_time() - c0, max(1e-9, now - t0 - (starved_s() - s0))


def probe_share(target: Target, indices: Sequence[int]) -> float | None:
    """1 - the GIL probe's availability while the task runs (None: nothing to read)."""
    with GilProbe() as probe:
        _cycle(target, indices, time.perf_counter() + PROBE_S)
    return None if probe.availability is None else 1.0 - probe.availability


def two_thread_share(target: Target, indices: Sequence[int], task_mean_s: float,
                     cpu_share: float) -> float:
    """The GIL-held share from two threads running copies at once: Amdahl on 2 workers,
    ``speedup = 1 / (f + (1 - f) / 2)``, solved for ``f`` from the parallelism they got.

    The parallelism is the two threads' CPU time over the wall time, relative to one
    thread alone (``cpu_share``). Other programs busy on the cores read as a held GIL
    here; the probe's reading does not (it discounts the ticker's wait for a CPU), which
    is why the model prefers the probe."""
    out: list[tuple[int, float, float]] = [(0, 0.0, 1.0), (0, 0.0, 1.0)]
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run(slot: int) -> None:
        try:
            start.wait()
            out[slot] = _cycle(target, indices, time.perf_counter() + TWO_THREADS_S,
                               offset=slot * (len(indices) // 2))
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    if cpu_share >= WAITING_CPU_SHARE:
        parallelism = sum(c for _, c, _ in out) / (wall * cpu_share)
    else:
        parallelism = sum(n for n, _, _ in out) * task_mean_s / wall
    return min(1.0, max(0.0, 2.0 / max(parallelism, 1e-9) - 1.0))


def subinterpreter_problem(target: Target) -> str | None:
    """Why the task cannot run in an isolated subinterpreter (None: it ran there)."""
    from gilbench.strategies.interpreters import _new_interpreter, unavailable_reason

    reason = unavailable_reason()
    if reason:
        return reason
    fn = target.fn
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        return "the function is not importable by name (defined in __main__ or locally)"
    code = ("import sys, pickle, importlib\n"
            f"sys.path[:0] = {[p for p in sys.path if p]!r}\n"
            f"_f = importlib.import_module({module!r})\n"
            f"for _p in {qualname!r}.split('.'):\n    _f = getattr(_f, _p)\n"
            "_item = pickle.loads(_gilbench_item)\n"
            + ("_f(*_item)\n" if target.star else "_f(_item)\n"))
    try:
        item = pickle.dumps(target.items[0])
    except Exception:  # noqa: BLE001
        return "its items cannot be pickled into another interpreter"
    try:
        interp = _new_interpreter()
    except Exception as exc:  # noqa: BLE001
        return f"no interpreter could be created ({exc})"
    try:
        interp.exec(code, _gilbench_item=item)
    except Exception as exc:  # noqa: BLE001 - an import (numpy) or the call failed there
        return f"it fails in an isolated interpreter ({str(exc)[:160]})"
    finally:
        interp.close()
    return None


def measure_profile(target: Target, *, budget: float, cores: int,
                    step: Callable[[str], None] = lambda _: None) -> Profile:
    """The :class:`Profile` of ``target`` (BadAdviseInput when a call raises or the
    batch would not fit ``budget`` seconds)."""
    indices = sample_indices(len(target.items))
    step("timing a sample of items")
    wall, cpu, first, second, starved = _timed_calls(target, indices, budget)
    low, high, _ = median_interval(wall)
    task_s = sorted(wall)[len(wall) // 2]
    mean = sum(wall) / len(wall)
    could_run = sum(wall) - starved
    cpu_share = min(1.0, sum(cpu) / could_run) if could_run > 0 else 1.0
    if not second:  # one pass was all the budget allowed: call one item again
        second = {indices[0]: call_checked(target, indices[0])}
    deterministic = all(same(first[i], second[i]) for i in second)
    step("reading the GIL")
    probe = probe_share(target, indices) if gil_enabled() else None
    thread = (two_thread_share(target, indices, mean, cpu_share)
              if gil_enabled() and cores >= 2 else None)
    if not gil_enabled():
        share, method = 0.0, NO_GIL
    elif probe is not None:
        share, method = probe, PROBE
    elif thread is not None:
        share, method = thread, TWO_THREADS
    else:  # no CPU for the ticker at all: assume the worst for threads
        share, method = 1.0, "assumed (no reading)"
    step("pickling items and results")
    problem = pickle_problem(target, list(first.values())[:3])
    bytes_in, bytes_out, pickle_s = _pickled(target, indices, first, problem)
    subinterp = (subinterpreter_problem(target) if sys.version_info >= (3, 13)
                 else "needs Python 3.13+ (interpreters with their own GIL)")
    return Profile(items=len(target.items), sample=len(indices), task_s=task_s,
                   task_low_s=low, task_high_s=high, task_mean_s=mean, cpu_share=cpu_share,
                   gil_held_share=share, gil_method=method, gil_probe_share=probe,
                   gil_thread_share=thread, bytes_in=bytes_in, bytes_out=bytes_out,
                   pickle_s=pickle_s, pickle_problem=problem,
                   subinterpreter_problem=subinterp, deterministic=deterministic)


def _pickled(target: Target, indices: Sequence[int], results: dict[int, Any],
             problem: str | None) -> tuple[int, int, float]:
    """Median pickled bytes in and out, and median seconds to pickle and unpickle both."""
    if problem is not None:
        return 0, 0, 0.0
    sizes_in, sizes_out, seconds = [], [], []
    for index in indices[:20]:
        t0 = time.perf_counter()
        blob_in = pickle.dumps(target.items[index], pickle.HIGHEST_PROTOCOL)
        blob_out = pickle.dumps(results[index], pickle.HIGHEST_PROTOCOL)
        pickle.loads(blob_in)
        pickle.loads(blob_out)
        seconds.append(time.perf_counter() - t0)
        sizes_in.append(len(blob_in))
        sizes_out.append(len(blob_out))
    mid = len(seconds) // 2
    return sorted(sizes_in)[mid], sorted(sizes_out)[mid], sorted(seconds)[mid]


__all__ = ["NO_GIL", "PROBE", "TWO_THREADS", "Profile", "call_checked", "check_budget",
           "measure_profile", "probe_share", "same", "sample_indices", "subinterpreter_problem",
           "two_thread_share"]
