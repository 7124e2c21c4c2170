"""Study ``costs``: the tutorial's threads-against-processes table, row by row, measured.

Creation, memory and crash isolation are measured by ``standalone/workers.py`` in a fresh,
minimal interpreter (what a worker costs at least, whatever the parent imported); hand-off
latency (timed by :mod:`.handoff`) and the shared counter run here, with this machine's
default start method.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
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
from gilbench.studies.children import collect, run_script, worker_processes
from gilbench.studies.handoff import (
    ConditionChannel,
    EventChannel,
    QueueChannel,
    process_handoff,
    thread_handoff,
)
from gilbench.studies.timing import distribution, fmt_bytes, fmt_duration, fmt_rate, ratio_text

#: Two measurements within this relative margin tie.
TIE_MARGIN = 0.05
THREAD = "thread"


@dataclass(frozen=True)
class Settings:
    thread_starts: int = 200
    process_starts: int = 10
    memory_workers: int = 8
    round_trips: int = 2000
    warmup_round_trips: int = 50
    counter_workers: int = 2
    counter_s: float = 0.4
    timeout_s: float = 60.0


# -- hand-off: one message to the other side and back (see :mod:`.handoff`) ------------
#: (label, side, measure(settings) -> round-trip times)
HANDOFFS: tuple[tuple[str, str, Callable[[Settings], list[float]]], ...] = (
    ("threading.Event", THREAD, lambda s: thread_handoff(EventChannel, s)),
    ("threading.Condition", THREAD, lambda s: thread_handoff(ConditionChannel, s)),
    ("queue.Queue", THREAD, lambda s: thread_handoff(lambda: QueueChannel(queue.Queue()), s)),
    ("multiprocessing.Pipe", "process", lambda s: process_handoff("pipe", s)),
    ("multiprocessing.Queue", "process", lambda s: process_handoff("queue", s)),
)


# -- data sharing: a counter every worker increments under its lock ----------------------
#: Increments between two looks at the clock (a clock read costs about as much as one).
BATCH = 32


def _count(counter: Any, lock: Any, start: Any, seconds: float, results: Any,
           timeout: float) -> None:
    """Increment ``counter.value`` under ``lock`` for ``seconds`` after everyone is ready;
    report (own increments, elapsed seconds)."""
    start.wait(timeout)
    clock = time.perf_counter
    t0 = clock()
    end = t0 + seconds
    n = 0
    while clock() < end:
        for _ in range(BATCH):
            with lock:
                counter.value += 1
        n += BATCH
    results.put((n, clock() - t0))


def _shared_counter(kind: str, s: Settings) -> dict[str, Any]:
    n = s.counter_workers
    if kind == "threading.Lock":
        # A plain attribute is what threads share (multiprocessing.Value imitates it).
        box, lock = SimpleNamespace(value=0), threading.Lock()
        start, results = threading.Barrier(n), queue.Queue()
        threads = [threading.Thread(target=_count, daemon=True,
                                    args=(box, lock, start, s.counter_s, results, s.timeout_s))
                   for _ in range(n)]
        for t in threads:
            t.start()
        reports = _collect(kind, results, s)
        for t in threads:
            t.join(s.timeout_s)
        return _counter_report(kind, box.value, reports)
    ctx = mp.get_context()
    start, results = ctx.Barrier(n), ctx.Queue()
    if kind == "multiprocessing.Value":
        value = ctx.Value("q", 0)
        return _count_in_processes(ctx, kind, value, value.get_lock(), start, results, s)
    with ctx.Manager() as manager:
        value, lock = manager.Value("q", 0), manager.Lock()
        return _count_in_processes(ctx, kind, value, lock, start, results, s)


def _count_in_processes(ctx, kind, value, lock, start, results, s: Settings) -> dict[str, Any]:
    args = [(value, lock, start, s.counter_s, results, s.timeout_s)] * s.counter_workers
    with worker_processes(ctx, _count, args, timeout=s.timeout_s):
        reports = _collect(kind, results, s)
    return _counter_report(kind, value.value, reports)


def _collect(kind: str, results: Any, s: Settings) -> list[tuple[int, float]]:
    return collect(results, s.counter_workers, s.timeout_s + s.counter_s,
                   f"{kind}: the counting workers")


def _counter_report(kind: str, final: int, reports: list[tuple[int, float]]) -> dict[str, Any]:
    total = sum(n for n, _ in reports)
    if final != total:  # a lost update would mean the lock did not protect the counter
        raise StudyError(f"{kind}: the counter reads {final}, the workers made {total} "
                         "increments")
    elapsed = max(t for _, t in reports)
    return {"mechanism": kind, "workers": len(reports), "increments": total,
            "elapsed_s": elapsed, "rate_per_s": total / elapsed}


COUNTERS = (("threading.Lock", THREAD), ("multiprocessing.Value", "process"),
            ("multiprocessing.Manager", "process"))
CRASHES = ("process-exit", "process-segfault", "thread-segfault")


# -- the study ------------------------------------------------------------------------------
class CostsStudy(Study):
    name = "costs"
    title = "Threads against processes: the costs table"
    claim = ("creating, destroying and switching threads is simple and fast, processes "
             "are complex and slow; processes use more memory; data sharing is simple "
             "between threads and complex between processes; processes do not affect each "
             "other, while one crashing thread takes the whole process down.")
    quote = "创建、销毁、切换: 线程 简单,速度快; 可靠性: 一个线程挂掉将导致整个进程挂掉"
    presets = {
        "default": Settings(),
        "tiny": Settings(thread_starts=20, process_starts=2, memory_workers=2,
                         round_trips=100, warmup_round_trips=10, counter_s=0.05,
                         timeout_s=30.0),
    }

    @staticmethod
    def kinds() -> list[str]:
        """Threads, then every multiprocessing start method this platform has."""
        return [THREAD, *mp.get_all_start_methods()]

    def steps(self, settings: Settings) -> int:
        return 2 * len(self.kinds()) + len(HANDOFFS) + len(COUNTERS) + len(CRASHES)

    def measure(self, settings: Settings, progress: Progress) -> dict[str, Any]:
        s = settings
        creation, memory = {}, {}
        for kind in self.kinds():
            n = s.thread_starts if kind == THREAD else s.process_starts
            report = run_script("workers", "create", kind, n, timeout=s.timeout_s).report()
            creation[kind] = {"cold_s": report["cold_s"], **distribution(report["times_s"])}
            progress(f"costs: create + join, {kind}")
        for kind in self.kinds():
            memory[kind] = run_script("workers", "memory", kind, s.memory_workers,
                                      timeout=s.timeout_s).report()
            progress(f"costs: memory, {kind}")
        handoff = {}
        for label, side, fn in HANDOFFS:
            handoff[label] = {"side": side, **distribution(fn(s))}
            progress(f"costs: hand-off, {label}")
        counter = {}
        for label, side in COUNTERS:
            counter[label] = {"side": side, **_shared_counter(label, s)}
            progress(f"costs: shared counter, {label}")
        crash = {}
        for scenario in CRASHES:
            crash[scenario] = _crash(scenario, s.timeout_s)
            progress(f"costs: crash isolation, {scenario}")
        return {"start_method": mp.get_start_method(), "creation": creation,
                "memory": memory, "handoff": handoff, "counter": counter, "crash": crash}

    # -- reading the numbers ---------------------------------------------------------------
    def findings(self, result: StudyResult) -> list[Finding]:
        d = result.data
        return [_creation_finding(d), _memory_finding(d), _handoff_finding(d),
                _counter_finding(d), _crash_finding(d)]

    def tables(self, result: StudyResult) -> list[Table]:
        d = result.data
        summary = []
        for f in self.findings(result):
            summary.append((ASPECT[f.kind], f.figure("threads_text"),
                            f.figure("processes_text"), f.verdict or "-",
                            f.figure("by_text", "-"), TUTORIAL[f.kind],
                            "yes" if f.figure("agrees") else "no"))
        detail = []
        for kind, c in d["creation"].items():
            detail.append(("create + join", kind, fmt_duration(c["median_s"]),
                           fmt_duration(c["p99_s"]),
                           f"first {fmt_duration(c['cold_s'])}, n={c['n']}"))
        for kind, m in d["memory"].items():
            pss = f"PSS {fmt_bytes(_mean(m['pss_bytes']))}, " if m.get("pss_bytes") else ""
            detail.append(("memory (USS)", kind, fmt_bytes(_mean(m["uss_bytes"])), "-",
                           f"{pss}{m['workers']} idle workers"))
        for label, h in d["handoff"].items():
            detail.append(("round trip", label, fmt_duration(h["median_s"]),
                           fmt_duration(h["p99_s"]), f"n={h['n']}"))
        for label, c in d["counter"].items():
            detail.append(("counter increments", label, fmt_rate(c["rate_per_s"]), "-",
                           f"{c['workers']} workers, {c['increments']} increments, verified"))
        for scenario, c in d["crash"].items():
            detail.append(("crash", scenario, _crash_text(c), "-", ""))
        return [Table(("row of the tutorial's table", "threads", "processes", "winner", "by",
                       "the tutorial says", "agrees"), tuple(summary),
                      "The tutorial's table, measured"),
                Table(("what", "which", "median", "p99", "notes"), tuple(detail),
                      "Every measurement")]

    def plot(self, result: StudyResult, out_dir: Path) -> list[Image]:
        from gilbench.report.plots import pyplot

        d = result.data
        plt = pyplot()
        import matplotlib.ticker

        fig, axes = plt.subplots(2, 2, figsize=(12, 7), constrained_layout=True)
        panels = [
            ("create + join one worker (median)", "seconds",
             {k: c["median_s"] for k, c in d["creation"].items()}, None),
            ("memory per idle worker (USS)", "bytes",
             {k: _mean(m["uss_bytes"]) for k, m in d["memory"].items()}, None),
            ("hand-off round trip (median, p99 whisker)", "seconds",
             {k: h["median_s"] for k, h in d["handoff"].items()},
             {k: h["p99_s"] for k, h in d["handoff"].items()}),
            ("shared counter, increments per second (higher is better)", "per second",
             {k: c["rate_per_s"] for k, c in d["counter"].items()}, None),
        ]
        sides = {**{k: THREAD if k == THREAD else "process" for k in d["creation"]},
                 **{k: h["side"] for k, h in d["handoff"].items()},
                 **{k: c["side"] for k, c in d["counter"].items()}}
        for ax, (title, unit, values, p99) in zip(axes.flat, panels, strict=True):
            labels = list(values)
            colours = ["tab:blue" if sides.get(k) == THREAD else "tab:orange" for k in labels]
            ax.barh(labels, [values[k] for k in labels], color=colours)
            if p99:
                ax.errorbar([values[k] for k in labels], labels, fmt="none", ecolor="0.3",
                            capsize=3, xerr=[[0.0] * len(labels),
                                             [p99[k] - values[k] for k in labels]])
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_xlabel(unit + " (log scale)")
            ax.set_title(title, fontsize=10)
            ax.tick_params(axis="y", labelsize=8)
            ax.grid(True, axis="x", alpha=0.3)
        fig.suptitle("costs: threads (blue) against processes (orange)")
        return self.save_plot(fig, out_dir, "costs: creation, memory, hand-off and shared counter")


def _crash(scenario: str, timeout: float) -> dict[str, Any]:
    run = run_script("workers", "crash", scenario, timeout=timeout)
    lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
    if not lines:
        raise StudyError(f"crash demonstration {scenario} never started "
                         f"(exit code {run.returncode})")
    # A first line says the demonstration started; a second one that its process lived on.
    report = run.report() if len(lines) > 1 else {}
    rc = run.returncode
    return {"scenario": scenario, "returncode": rc,
            "signal": signal.Signals(-rc).name if rc < 0 else None,
            "parent_alive": bool(report.get("parent_alive")),
            "worker_exitcode": report.get("worker_exitcode"),
            "start_method": report.get("start_method")}


def _exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _crash_text(c: dict[str, Any]) -> str:
    if c["scenario"].startswith("thread"):
        return ("whole process " + _exit_text(c["returncode"]) if not c["parent_alive"]
                else "process survived")
    return (f"worker {_exit_text(c['worker_exitcode'])}, parent "
            + ("alive" if c["parent_alive"] else _exit_text(c["returncode"])))


def _mean(values: list[float] | None) -> float | None:
    return sum(values) / len(values) if values else None


#: How each finding's row is named in the summary table, and what the tutorial says.
ASPECT = {"creation-cost": "create, destroy (start + join)", "memory-per-worker": "memory",
          "hand-off-latency": "switching (hand-off round trip)",
          "shared-counter": "data sharing (locked counter)",
          "crash-isolation": "reliability (a worker crashes)"}
TUTORIAL = {"creation-cost": "threads: simple, fast", "memory-per-worker": "threads use less",
            "hand-off-latency": "threads: simple, fast",
            "shared-counter": "threads: sharing is simple",
            "crash-isolation": "processes do not affect each other"}
EXPECTED_WINNER = {"creation-cost": "threads", "memory-per-worker": "threads",
                   "hand-off-latency": "threads", "shared-counter": "threads",
                   "crash-isolation": "processes"}


def _compare(thread_value: float, process_value: float, *,
             lower_is_better: bool) -> tuple[str, float]:
    """(winner, by how much) of two positive measurements."""
    ratio = process_value / thread_value if lower_is_better else thread_value / process_value
    if abs(ratio - 1) <= TIE_MARGIN:
        return "tie", 1.0
    return ("threads", ratio) if ratio > 1 else ("processes", 1 / ratio)


def _finding(kind: str, sentence: str, winner: str, by: float | None, threads_text: str,
             processes_text: str, figures: list[Figure], runs: tuple[str, ...]) -> Finding:
    return Finding(
        kernel="costs", kind=kind, sentence=sentence, runs=runs, verdict=winner, headline=True,
        figures=(*figures, Figure("winner", winner),
                 Figure("by", by, "x"), Figure("by_text", ratio_text(by) if by else "-"),
                 Figure("threads_text", threads_text),
                 Figure("processes_text", processes_text),
                 Figure("agrees", winner == EXPECTED_WINNER[kind])))


def _creation_finding(d: dict[str, Any]) -> Finding:
    c = d["creation"]
    thread = c[THREAD]["median_s"]
    methods = {k: v["median_s"] for k, v in c.items() if k != THREAD}
    best = min(methods, key=methods.get)
    winner, by = _compare(thread, methods[best], lower_is_better=True)
    others = ", ".join(f"{k} {fmt_duration(v)}" for k, v in methods.items() if k != best)
    sentence = (f"Starting and joining a thread took {fmt_duration(thread)}; the cheapest process "
                f"start method, {best}, took {fmt_duration(methods[best])}"
                + (f" ({others})" if others else "") + ": "
                + _winner_words(winner, by) + ".")
    return _finding("creation-cost", sentence, winner, by, fmt_duration(thread),
                    ", ".join(f"{k} {fmt_duration(v)}" for k, v in methods.items()),
                    [Figure("thread_s", thread, "s"),
                     *(Figure(f"{k}_s", v, "s") for k, v in methods.items())],
                    tuple(f"creation/{k}" for k in c))


def _memory_finding(d: dict[str, Any]) -> Finding:
    m = d["memory"]
    thread = _mean(m[THREAD]["uss_bytes"])
    methods = {k: _mean(v["uss_bytes"]) for k, v in m.items() if k != THREAD}
    best = min(methods, key=methods.get)
    pss = _mean(m[best].get("pss_bytes"))
    winner, by = _compare(max(thread, 1.0), methods[best],
                          lower_is_better=True)
    sentence = (f"An idle thread added {fmt_bytes(thread)} to its process; an idle process "
                f"held {fmt_bytes(methods[best])} of its own (USS, {best}"
                + (f"; PSS {fmt_bytes(pss)}" if pss else "") + "), "
                + ", ".join(f"{k} {fmt_bytes(v)}" for k, v in methods.items() if k != best)
                + ": " + _winner_words(winner, by) + ".")
    return _finding("memory-per-worker", sentence, winner, by, fmt_bytes(thread),
                    ", ".join(f"{k} {fmt_bytes(v)}" for k, v in methods.items()),
                    [Figure("thread_bytes", thread, "B"),
                     *(Figure(f"{k}_bytes", v, "B") for k, v in methods.items())],
                    tuple(f"memory/{k}" for k in m))


def _best_of(rows: dict[str, Any], side: str, key: str, lower_is_better: bool) -> str:
    mine = {k: v[key] for k, v in rows.items() if v["side"] == side}
    return (min if lower_is_better else max)(mine, key=mine.get)


def _handoff_finding(d: dict[str, Any]) -> Finding:
    h = d["handoff"]
    t = _best_of(h, THREAD, "median_s", True)
    p = _best_of(h, "process", "median_s", True)
    winner, by = _compare(h[t]["median_s"], h[p]["median_s"],
                          lower_is_better=True)
    sentence = (f"A round trip between two threads took {fmt_duration(h[t]['median_s'])} at best "
                f"({t}; p99 {fmt_duration(h[t]['p99_s'])}), between two processes "
                f"{fmt_duration(h[p]['median_s'])} ({p}; p99 {fmt_duration(h[p]['p99_s'])}): "
                + _winner_words(winner, by) + ".")
    return _finding("hand-off-latency", sentence, winner, by,
                    ", ".join(f"{k} {fmt_duration(v['median_s'])}" for k, v in h.items()
                              if v["side"] == THREAD),
                    ", ".join(f"{k} {fmt_duration(v['median_s'])}" for k, v in h.items()
                              if v["side"] != THREAD),
                    [Figure(f"{k}_median_s", v["median_s"], "s") for k, v in h.items()],
                    tuple(f"handoff/{k}" for k in h))


def _counter_finding(d: dict[str, Any]) -> Finding:
    c = d["counter"]
    t = _best_of(c, THREAD, "rate_per_s", False)
    p = _best_of(c, "process", "rate_per_s", False)
    winner, by = _compare(c[t]["rate_per_s"], c[p]["rate_per_s"],
                          lower_is_better=False)
    slow = [k for k, v in c.items() if v["side"] != THREAD and k != p]
    sentence = (f"{c[t]['workers']} threads incremented a counter under {t} "
                f"{fmt_rate(c[t]['rate_per_s'])}; {c[p]['workers']} processes managed "
                f"{fmt_rate(c[p]['rate_per_s'])} with {p}"
                + "".join(f" and {fmt_rate(c[k]['rate_per_s'])} with {k}" for k in slow)
                + ": " + _winner_words(winner, by) + " (every count verified).")
    return _finding("shared-counter", sentence, winner, by,
                    ", ".join(f"{k} {fmt_rate(v['rate_per_s'])}" for k, v in c.items()
                              if v["side"] == THREAD),
                    ", ".join(f"{k} {fmt_rate(v['rate_per_s'])}" for k, v in c.items()
                              if v["side"] != THREAD),
                    [Figure(f"{k}_per_s", v["rate_per_s"], "1/s") for k, v in c.items()],
                    tuple(f"counter/{k}" for k in c))


def _crash_finding(d: dict[str, Any]) -> Finding:
    c = d["crash"]
    processes = [v for v in c.values() if not v["scenario"].startswith("thread")]
    threads = [v for v in c.values() if v["scenario"].startswith("thread")]
    processes_isolate = all(v["parent_alive"] for v in processes)
    thread_kills = all(not v["parent_alive"] for v in threads)
    if processes_isolate and thread_kills:
        winner = "processes"
    elif processes_isolate == (not thread_kills):
        winner = "tie"
    else:
        winner = "threads"
    sentence = ("; ".join(f"{v['scenario']}: {_crash_text(v)}" for v in c.values()) + ": "
                + {"processes": "processes isolate a crash, a thread does not",
                   "tie": "neither side isolated the crash better",
                   "threads": "threads isolated the crash better"}[winner] + ".")
    return _finding("crash-isolation", sentence, winner, None,
                    "; ".join(_crash_text(v) for v in threads),
                    "; ".join(_crash_text(v) for v in processes),
                    [Figure(f"{k}_returncode", v["returncode"]) for k, v in c.items()]
                    + [Figure(f"{k}_worker_exitcode", v["worker_exitcode"])
                       for k, v in c.items() if v["worker_exitcode"] is not None],
                    tuple(f"crash/{k}" for k in c))


def _winner_words(winner: str, by: float | None) -> str:
    if winner == "tie":
        return "a tie"
    return f"{winner} win by {ratio_text(by)}" if by else f"{winner} win"


STUDY = CostsStudy()
