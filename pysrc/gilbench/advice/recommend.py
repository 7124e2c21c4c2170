"""The recommendation: which candidate to use, why, the code to paste, what releasing
the GIL would change, and the model's predictions against the measurements, row by row."""

from __future__ import annotations

import ctypes
import types
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from gilbench.advice.costs import StrategyCosts
from gilbench.advice.model import Prediction
from gilbench.advice.profile import Profile
from gilbench.advice.verify import Measured
from gilbench.uncertainty import Ratio

#: A prediction further than this from the measured speedup is flagged.
MISS = 0.25
#: A GIL-held share above this is what keeps threads from scaling (the README's rule of
#: thumb: threads keep 95% of processes' speedup up to f = 0.15 on the reference machine).
GIL_MATTERS = 0.15
#: Simpler first: on a tie the simpler candidate is recommended.
SIMPLICITY = ("serial", "threads", "processes", "pool-map", "subinterpreters")
SCHEMA = "gilbench-advice/1"


@dataclass(frozen=True, kw_only=True)
class Row:
    """One candidate: predicted and (where it was run) measured speedup over serial."""

    strategy: str
    display: str
    workers: int
    chunksize: int
    predicted_speedup: float
    parts: dict[str, float]
    measured_speedup: float | None = None
    measured_low: float | None = None
    measured_high: float | None = None
    startup_s: float | None = None
    start_method: str | None = None
    #: Why the prediction missed by more than MISS (the model's part that was wrong).
    miss: str | None = None
    #: With --check: "same results" or which item differed; None when not compared.
    check: str | None = None


def speedup(serial: Measured, m: Measured) -> Ratio:
    """Serial's time per call over ``m``'s, with the interval their intervals allow."""
    return Ratio.of(serial.per_call(), serial.per_call_interval, m.per_call(),
                    m.per_call_interval)


def _miss(p: Prediction, m: Measured, profile: Profile, measured_speedup: float) -> str | None:
    """Which part of the model was wrong, when the prediction missed by more than MISS."""
    if measured_speedup <= 0 or abs(p.speedup / measured_speedup - 1) <= MISS:
        return None
    gap = m.per_call() - p.seconds
    startup_gap = m.penalty_s / m.calls - p.parts.get("startup", 0.0)
    if abs(startup_gap) >= 0.5 * abs(gap):
        return (f"start-up and first call: predicted {_ms(p.parts.get('startup', 0.0))}, "
                f"measured {_ms(m.penalty_s / m.calls)} per call")
    if p.strategy == "threads":
        return (f"the GIL-held share ({profile.gil_held_share:.0%}, {profile.gil_method}): "
                f"threads ran {measured_speedup:.2f}x, Amdahl said {p.speedup:.2f}x")
    overhead = p.parts.get("dispatch", 0.0) + p.parts.get("pickling", 0.0)
    if overhead > 0.2 * p.seconds or profile.bytes_in + profile.bytes_out > 64 * 1024:
        return (f"per-task dispatch and pickling: predicted {_ms(overhead)} per call, "
                f"{profile.bytes_in + profile.bytes_out} bytes a task")
    return ("the work term: uneven items, or cores busy with other work "
            f"(predicted {_ms(p.parts.get('work', 0.0))} of work per call)")


def _ms(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def rows(predictions: list[Prediction], measured: list[Measured], profile: Profile
         ) -> list[Row]:
    """One :class:`Row` per prediction, with its measurement where there is one."""
    by_key = {(m.strategy, m.chunksize): m for m in measured}
    serial = by_key[("serial", 1)]
    out = []
    for p in predictions:
        m = by_key.get(p.key)
        row = Row(strategy=p.strategy, display=p.display, workers=p.workers,
                  chunksize=p.chunksize, predicted_speedup=p.speedup, parts=dict(p.parts))
        if m is not None:
            r = speedup(serial, m)
            check = None
            if m.checked:
                check = ("same results as serial" if m.mismatch is None
                         else f"item {m.mismatch} differs from serial")
            row = Row(**{**row.__dict__, "measured_speedup": r.value, "measured_low": r.low,
                         "measured_high": r.high, "startup_s": m.startup_s,
                         "start_method": m.start_method,
                         "miss": _miss(p, m, profile, r.value), "check": check})
        out.append(row)
    return out


def choose(table: list[Row], measured: list[Measured]) -> Row:
    """The recommended row: the fastest measured one that beats serial beyond the tie
    band, or a simpler one that ties with it; serial when none beats it."""
    by_key = {(m.strategy, m.chunksize): m for m in measured}
    serial = next(r for r in table if r.strategy == "serial")
    tried = [r for r in table if r.measured_speedup is not None and r.strategy != "serial"
             and (r.check is None or r.check.startswith("same"))]
    if not tried:
        return serial
    best = max(tried, key=lambda r: r.measured_speedup or 0.0)
    if best.measured_low is None or best.measured_low <= 1.05:
        return serial
    best_m = by_key[(best.strategy, best.chunksize)]

    def simpler(r: Row) -> tuple[int, int]:
        return (r.chunksize > 1, SIMPLICITY.index(r.strategy))

    for r in sorted(tried, key=simpler):
        m = by_key[(r.strategy, r.chunksize)]
        ratio = Ratio.of(m.per_call(), m.per_call_interval, best_m.per_call(),
                         best_m.per_call_interval)
        if r is best or ratio.verdict() == "tie":
            return r
    return best


def thread_cap(share: float, workers: int) -> float:
    """Amdahl's ceiling for threads: ``1 / (f + (1 - f) / workers)``."""
    return 1.0 / (share + (1 - share) / workers)


def why(rec: Row, table: list[Row], profile: Profile, costs: dict[str, StrategyCosts],
        workers: int, calls: int) -> str:
    """One sentence naming the condition that decided the recommendation."""
    f = profile.gil_held_share
    cap = thread_cap(f, workers)
    gil = f"holds the GIL {f:.0%} of its time"
    if rec.strategy == "threads":
        procs = costs.get("processes")
        cost = (f"the {_ms(procs.startup_s)} start-up and the pickling of a process pool"
                if procs else "a process pool's start-up and pickling")
        batch = (f" in batches of {rec.chunksize} items (a task of {_ms(profile.task_s)} is "
                 "below the pool's per-task crossover)" if rec.chunksize > 1 else "")
        return (f"It {gil} (threads can reach {cap:.1f}x on {workers} cores): "
                f"{workers} threads{batch} run it in parallel at "
                f"{rec.measured_speedup:.2f}x, without {cost}.")
    if rec.strategy in ("processes", "pool-map", "subinterpreters"):
        batch = (f", {rec.chunksize} items to a task so each one outweighs the per-task cost"
                 if rec.chunksize > 1 else "")
        return (f"It {gil}: threads cannot beat {cap:.1f}x on {workers} cores; "
                f"{rec.display} runs one interpreter, and GIL, per worker{batch}: "
                f"{rec.measured_speedup:.2f}x.")
    tried = [r for r in table if r.measured_speedup is not None and r.strategy != "serial"]
    best = max(tried, key=lambda r: r.measured_speedup or 0.0, default=None)
    if best is not None and (best.measured_speedup or 0.0) > 1.05:
        return (f"The best pool, {best.display}, measured {best.measured_speedup:.2f}x "
                f"(predicted {best.predicted_speedup:.2f}x), but its interval "
                f"({best.measured_low:.2f}-{best.measured_high:.2f}x) reaches down to "
                "serial: the timings were too noisy to claim a gain (other programs busy on "
                "the cores?); run advise again on a quiet machine.")
    best_words = (f"; the best pool, {best.display}, measured {best.measured_speedup:.2f}x"
                  if best else "")
    thread_cost = costs.get("threads")
    if thread_cost and profile.task_s < thread_cost.per_task_s / 0.1:
        return (f"Each task takes {_ms(profile.task_s)}, too short for a pool to pay: a "
                f"thread pool adds {_ms(thread_cost.per_task_s)} a task and a process pool "
                f"more, and batching does not win back the start-up over {calls} "
                f"call(s){best_words}.")
    procs = costs.get("processes")
    predicted = max((r.predicted_speedup for r in table if r.strategy != "serial"),
                    default=1.0)
    if f > GIL_MATTERS and procs and predicted < 1.05:
        return (f"It {gil}, so threads cannot beat {cap:.1f}x on {workers} cores, and a "
                f"process pool's start-up ({_ms(procs.startup_s)}) and pickling cost more "
                f"than the {_ms(profile.serial_s)} of work per call can save over {calls} "
                f"call(s){best_words}.")
    return f"No pool beat serial by more than 5% on {workers} cores{best_words}."


def released_sentence(fn: Any, name: str, released_speedup: float, now: float,
                      workers: int) -> str:
    """What releasing the GIL would change, in the words of the function's kind of code."""
    if isinstance(fn, ctypes._CFuncPtr):
        how = ("it is a ctypes function: ctypes.CDLL drops the GIL for each call, "
               "ctypes.PyDLL holds it; load the library with CDLL (fine while the C code "
               "calls no Python API)")
    elif isinstance(fn, (types.FunctionType, types.MethodType)):
        how = ("its time is spent in Python code, or in code it calls that keeps the GIL: "
               "move the loop into compiled code that releases it (Cython `with nogil:` "
               "over typed memoryviews, a C function loaded with ctypes.CDLL rather than "
               "PyDLL, numba `@njit(nogil=True)`), or run it on a free-threaded CPython")
    else:
        how = ("it is compiled code: release the GIL around its loop (`with nogil:` in "
               "Cython, Py_BEGIN_ALLOW_THREADS in C) where it touches no Python object")
    return (f"If {name} released the GIL, threads would reach about {released_speedup:.1f}x "
            f"on {workers} cores (predicted at a GIL-held share of 0; {now:.1f}x now), with "
            f"no start-up or pickling: {how}.")


def _import_line(name: str) -> tuple[str, str]:
    """``(import line or "", the name to call)`` for ``module:qualname`` (a .py path's
    stem is its module; a function of __main__ or a lambda is just ``f``)."""
    module, _, qual = name.partition(":")
    if module.endswith(".py"):
        module = PurePath(module).stem
    parts = qual.split(".")
    if not all(p.isidentifier() for p in parts):
        return "", "f"
    if module == "__main__" or not all(p.isidentifier() for p in module.split(".")):
        return "", parts[-1]
    head = f"from {module} import {parts[0]}\n"
    if len(parts) > 1:
        head += f"{parts[-1]} = {qual}\n"
    return head, parts[-1]


def snippet(rec: Row, name: str, star: bool) -> str:
    """Code to paste that runs the items the recommended way."""
    head, fname = _import_line(name)
    w, c = rec.workers, rec.chunksize
    chunk = f", chunksize={c}" if c > 1 else ""
    method = rec.start_method or "fork"
    if rec.strategy == "serial":
        body = (f"results = [{fname}(*item) for item in items]" if star
                else f"results = [{fname}(item) for item in items]")
    elif rec.strategy == "threads":
        head = "from concurrent.futures import ThreadPoolExecutor\n" + head
        if c > 1:
            call = f"{fname}(*x)" if star else f"{fname}(x)"
            body = (f"batches = [items[i:i + {c}] for i in range(0, len(items), {c})]\n"
                    f"with ThreadPoolExecutor({w}) as ex:\n"
                    f"    done = ex.map(lambda batch: [{call} for x in batch], batches)\n"
                    "    results = [r for batch in done for r in batch]")
        else:
            args = "*zip(*items)" if star else "items"
            body = (f"with ThreadPoolExecutor({w}) as ex:\n"
                    f"    results = list(ex.map({fname}, {args}))")
    elif rec.strategy == "processes":
        head = ("import multiprocessing as mp\n"
                "from concurrent.futures import ProcessPoolExecutor\n" + head)
        args = "*zip(*items)" if star else "items"
        body = (f"if __name__ == \"__main__\":  # needed with spawn and forkserver\n"
                f"    with ProcessPoolExecutor({w}, mp_context=mp.get_context({method!r})) "
                "as ex:\n"
                f"        results = list(ex.map({fname}, {args}{chunk}))")
    elif rec.strategy == "subinterpreters":
        head = "from concurrent.futures import InterpreterPoolExecutor  # Python 3.14+\n" + head
        args = "*zip(*items)" if star else "items"
        body = ("# On 3.13 only the private _interpreters module runs subinterpreters: see\n"
                "# gilbench/strategies/interpreters.py. The function must import without\n"
                "# numpy or any extension that refuses isolated interpreters.\n"
                f"with InterpreterPoolExecutor({w}) as ex:\n"
                f"    results = list(ex.map({fname}, {args}{chunk}))")
    else:  # pool-map
        head = "import multiprocessing as mp\n" + head
        fn = "starmap" if star else "map"
        body = (f"if __name__ == \"__main__\":  # needed with spawn and forkserver\n"
                f"    with mp.get_context({method!r}).Pool({w}) as pool:\n"
                f"        results = pool.{fn}({fname}, items{chunk})")
    return head + body


__all__ = ["GIL_MATTERS", "MISS", "SCHEMA", "Row", "choose", "released_sentence",
           "rows", "snippet", "speedup", "thread_cap", "why"]
