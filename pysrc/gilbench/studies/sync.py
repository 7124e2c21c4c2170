"""Study ``sync``: what a round trip through each synchronisation primitive costs, in its
``threading`` and its ``multiprocessing`` version, uncontended and contended.

Uncontended, one party loops: acquire + release (Lock, RLock, Semaphore), set + wait +
clear (Event), notify under the lock (Condition), pass a one-party Barrier. Contended, two
parties (two threads, or two processes with this platform's default start method): both
acquire + release the same lock, or they hand a turn back and forth (Event, Condition) or
meet at a two-party Barrier. Every call has a timeout, so nothing can hang.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from gilbench.analysis import Figure, Finding
from gilbench.report.markdown import Image
from gilbench.studies.base import Progress, Study, StudyError, StudyResult, Table
from gilbench.studies.children import collect, worker_processes
from gilbench.studies.timing import fmt_duration, ratio_text

THREADING, MULTIPROCESSING = "threading", "multiprocessing"
#: Operations between two looks at the clock when timing uncontended round trips.
BATCH = 256


@dataclass(frozen=True)
class Settings:
    uncontended_s: float = 0.1
    lock_ops: int = 40_000
    rendezvous: int = 1500
    timeout_s: float = 30.0


class Timeout(StudyError):
    """A primitive did not become available within the timeout."""


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise Timeout(f"{what} timed out")


# -- one party's loop per primitive (module level: processes must be able to import it) ----
def _lock_party(role: int, objs: tuple, n: int, timeout: float) -> None:
    # A plain blocking acquire, as code that takes a lock writes it: with a timeout,
    # threading.Lock takes its timed path (about 3.6x the cost of acquire() uncontended on
    # the reference VM), which would time the timeout, not the lock. Nothing can hang: a
    # lone party's lock is free, and two contending parties run under the study's timeout
    # (threads are daemons, processes are killed when the wait for them gives up).
    acquire, release = objs[0].acquire, objs[0].release
    for _ in range(n):
        acquire()
        release()


def _event_party(role: int, objs: tuple, n: int, timeout: float) -> None:
    ping, pong = objs
    for _ in range(n):
        if role == 0:
            ping.set()
            _check(pong.wait(timeout), "Event.wait")
            pong.clear()
        else:
            _check(ping.wait(timeout), "Event.wait")
            ping.clear()
            pong.set()


def _condition_party(role: int, objs: tuple, n: int, timeout: float) -> None:
    cond, turn = objs
    for _ in range(n):
        with cond:
            _check(cond.wait_for(lambda: turn.value == role, timeout), "Condition.wait_for")
            turn.value = 1 - role
            cond.notify()


def _barrier_party(role: int, objs: tuple, n: int, timeout: float) -> None:
    (barrier,) = objs
    for _ in range(n):
        barrier.wait(timeout)


def _timed_party(party: Callable, role: int, objs: tuple, n: int, start: Any, results: Any,
                 timeout: float) -> None:
    start.wait(timeout)
    # perf_counter is the system-wide monotonic clock on Linux, so the parties' start and
    # end times can be compared across processes.
    t0 = time.perf_counter()
    party(role, objs, n, timeout)
    results.put((t0, time.perf_counter()))


# -- one party alone ------------------------------------------------------------------------
def _lock_alone(objs: tuple, n: int, timeout: float) -> None:
    _lock_party(0, objs, n, timeout)


def _event_alone(objs: tuple, n: int, timeout: float) -> None:
    (event,) = objs
    for _ in range(n):
        event.set()
        _check(event.wait(timeout), "Event.wait")
        event.clear()


def _condition_alone(objs: tuple, n: int, timeout: float) -> None:
    (cond,) = objs
    for _ in range(n):
        with cond:
            cond.notify()


def _barrier_alone(objs: tuple, n: int, timeout: float) -> None:
    _barrier_party(0, objs, n, timeout)


# -- one entry per primitive ----------------------------------------------------------------
@dataclass(frozen=True)
class Primitive:
    """A primitive, built from a module-like factory (``threading`` or a multiprocessing
    context): its objects and loop for one party alone, and for two contending parties."""

    name: str
    contended: str  # what one contended round is, in words
    make_alone: Callable[[Any], tuple]
    alone: Callable[[tuple, int, float], None]
    make_shared: Callable[[Any], tuple]
    party: Callable[[int, tuple, int, float], None]
    is_lock: bool = False


def _turn(mod: Any) -> Any:
    """A shared integer: a plain attribute for threads, shared memory for processes."""
    return SimpleNamespace(value=0) if mod is threading else mod.Value("i", 0, lock=False)


_BY_EITHER = "acquire + release by either of 2 parties"
PRIMITIVES: dict[str, Primitive] = {p.name: p for p in (
    Primitive("Lock", _BY_EITHER, lambda m: (m.Lock(),), _lock_alone,
              lambda m: (m.Lock(),), _lock_party, is_lock=True),
    Primitive("RLock", _BY_EITHER, lambda m: (m.RLock(),), _lock_alone,
              lambda m: (m.RLock(),), _lock_party, is_lock=True),
    Primitive("Semaphore", _BY_EITHER, lambda m: (m.Semaphore(1),), _lock_alone,
              lambda m: (m.Semaphore(1),), _lock_party, is_lock=True),
    Primitive("Event", "ping-pong with two Events (set, wait, clear)",
              lambda m: (m.Event(),), _event_alone,
              lambda m: (m.Event(), m.Event()), _event_party),
    Primitive("Condition", "turn-taking under one Condition (wait_for, notify)",
              lambda m: (m.Condition(),), _condition_alone,
              lambda m: (m.Condition(), _turn(m)), _condition_party),
    Primitive("Barrier", "both parties pass a 2-party Barrier",
              lambda m: (m.Barrier(1),), _barrier_alone,
              lambda m: (m.Barrier(2),), _barrier_party),
)}


def uncontended(prim: Primitive, mod: Any, seconds: float, timeout: float) -> float:
    """Seconds per round trip by a lone party (batches of BATCH, median per round)."""
    objs = prim.make_alone(mod)
    clock = time.perf_counter
    prim.alone(objs, BATCH, timeout)  # warm
    per_round = []
    end = clock() + seconds
    while clock() < end or len(per_round) < 3:
        t0 = clock()
        prim.alone(objs, BATCH, timeout)
        per_round.append((clock() - t0) / BATCH)
    return statistics.median(per_round)


def contended(prim: Primitive, flavour: str, s: Settings) -> dict[str, Any]:
    """Two parties (threads or processes) contending; seconds per round (per acquire +
    release for locks, per round trip otherwise) over the span from the first party's
    start to the last one's end."""
    n = s.lock_ops if prim.is_lock else s.rendezvous
    if flavour == THREADING:
        objs, start, results = prim.make_shared(threading), threading.Barrier(2), queue.Queue()
        threads = [threading.Thread(target=_timed_party, daemon=True,
                                    args=(prim.party, role, objs, n, start, results,
                                          s.timeout_s)) for role in (0, 1)]
        for t in threads:
            t.start()
        span = _collect(results, s.timeout_s)
        for t in threads:
            t.join(s.timeout_s)
    else:
        ctx = mp.get_context()
        objs, start, results = prim.make_shared(ctx), ctx.Barrier(2), ctx.Queue()
        args = [(prim.party, role, objs, n, start, results, s.timeout_s) for role in (0, 1)]
        with worker_processes(ctx, _timed_party, args, timeout=s.timeout_s):
            span = _collect(results, s.timeout_s)
    rounds = 2 * n if prim.is_lock else n
    return {"rounds": rounds, "elapsed_s": span, "per_round_s": span / rounds}


def _collect(results: Any, timeout: float) -> float:
    """From the first party's start to the last party's end, in seconds."""
    spans = collect(results, 2, timeout, "the two parties")
    return max(end for _, end in spans) - min(start for start, _ in spans)


class SyncStudy(Study):
    name = "sync"
    title = "Synchronisation primitives: threading against multiprocessing"
    claim = ("multiprocessing copies threading's interface: Lock, RLock, Semaphore, Event "
             "and Condition work the same across processes (synchronisation is simple for "
             "processes, complex for threads).")
    quote = "它完整的复制了一套threading所提供的接口; 多进程 数据共享复杂,同步简单"
    presets = {"default": Settings(),
               "tiny": Settings(uncontended_s=0.01, lock_ops=2000, rendezvous=60,
                                timeout_s=20.0)}

    def steps(self, settings: Settings) -> int:
        return 2 * len(PRIMITIVES)

    def measure(self, settings: Settings, progress: Progress) -> dict[str, Any]:
        s = settings
        rows: dict[str, dict[str, Any]] = {}
        ctx = mp.get_context()
        for prim in PRIMITIVES.values():
            rows[prim.name] = {"contended_round": prim.contended}
            for flavour, mod in ((THREADING, threading), (MULTIPROCESSING, ctx)):
                rows[prim.name][flavour] = {
                    "uncontended_s": uncontended(prim, mod, s.uncontended_s, s.timeout_s),
                    "contended": contended(prim, flavour, s)}
                progress(f"sync: {flavour}.{prim.name}")
        return {"start_method": mp.get_start_method(), "primitives": rows}

    # -- reading the numbers ---------------------------------------------------------------
    def findings(self, result: StudyResult) -> list[Finding]:
        rows = result.data["primitives"]
        out = []
        for mode, key in (("uncontended", _alone), ("contended", _together)):
            t = {name: key(r[THREADING]) for name, r in rows.items()}
            m = {name: key(r[MULTIPROCESSING]) for name, r in rows.items()}
            ratios = {name: m[name] / t[name] for name in rows}
            lo, hi = min(ratios, key=ratios.get), max(ratios, key=ratios.get)
            cheapest_t, cheapest_m = min(t, key=t.get), min(m, key=m.get)
            dearest_t, dearest_m = max(t, key=t.get), max(m, key=m.get)
            parties = ("by one party" if mode == "uncontended" else
                       "between two threads / two processes")
            out.append(Finding(
                kernel="sync", kind=f"sync-{mode}",
                sentence=(f"{mode.capitalize()} ({parties}), a threading round trip cost "
                          f"{fmt_duration(t[cheapest_t])} ({cheapest_t}) to "
                          f"{fmt_duration(t[dearest_t])} "
                          f"({dearest_t}); a multiprocessing one {fmt_duration(m[cheapest_m])} "
                          f"({cheapest_m}) to {fmt_duration(m[dearest_m])} ({dearest_m}); the "
                          f"multiprocessing version cost {ratio_text(ratios[lo])} ({lo}) to "
                          f"{ratio_text(ratios[hi])} ({hi}) the threading one."),
                runs=tuple(f"{f}.{n}/{mode}" for n in rows for f in (THREADING,
                                                                     MULTIPROCESSING)),
                context=(("mode", mode),), headline=True,
                verdict="multiprocessing dearer" if ratios[lo] > 1 else "mixed",
                figures=(*(Figure(f"threading_{n}_s", v, "s") for n, v in t.items()),
                         *(Figure(f"multiprocessing_{n}_s", v, "s") for n, v in m.items()),
                         Figure("min_ratio", ratios[lo], "x"),
                         Figure("max_ratio", ratios[hi], "x"))))
        return out

    def tables(self, result: StudyResult) -> list[Table]:
        rows = []
        for name, r in result.data["primitives"].items():
            t, m = r[THREADING], r[MULTIPROCESSING]
            rows.append((name, fmt_duration(_alone(t)), fmt_duration(_together(t)),
                         fmt_duration(_alone(m)), fmt_duration(_together(m)),
                         ratio_text(_alone(m) / _alone(t)),
                         ratio_text(_together(m) / _together(t))))
        notes = tuple(f"{name}, contended: {r['contended_round']}."
                      for name, r in result.data["primitives"].items())
        return [Table(("primitive", "threading alone", "threading contended",
                       "multiprocessing alone", "multiprocessing contended",
                       "mp / threading alone", "mp / threading contended"), tuple(rows),
                      f"Seconds per round trip (contended: 2 threads, or 2 processes "
                      f"started with {result.data['start_method']})", notes)]

    def plot(self, result: StudyResult, out_dir: Path) -> list[Image]:
        from gilbench.report.plotstyle import legend_below, pyplot

        rows = result.data["primitives"]
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(11, 4.9), constrained_layout=True)
        series = [("threading, alone", THREADING, _alone, "tab:blue", None),
                  ("threading, contended", THREADING, _together, "tab:blue", "//"),
                  ("multiprocessing, alone", MULTIPROCESSING, _alone, "tab:orange", None),
                  ("multiprocessing, contended", MULTIPROCESSING, _together, "tab:orange",
                   "//")]
        names = list(rows)
        width = 0.2
        for i, (label, flavour, key, colour, hatch) in enumerate(series):
            ax.bar([j + (i - 1.5) * width for j in range(len(names))],
                   [key(rows[n][flavour]) for n in names], width, label=label, color=colour,
                   hatch=hatch, edgecolor="white" if hatch else None)
        ax.set_xticks(range(len(names)), names)
        ax.set_yscale("log")
        ax.set_ylabel("seconds per round trip (log scale)")
        ax.set_title("sync: a round trip through each primitive")
        legend_below(ax)
        ax.grid(True, axis="y", alpha=0.3)
        return self.save_plot(fig, out_dir, "sync: round-trip cost per primitive")


def _alone(r: dict[str, Any]) -> float:
    return r["uncontended_s"]


def _together(r: dict[str, Any]) -> float:
    return r["contended"]["per_round_s"]



STUDY = SyncStudy()
