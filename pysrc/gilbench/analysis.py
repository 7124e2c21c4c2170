"""Analysis of a results document: speedup, efficiency, comparisons and verdicts.

Works from the results JSON alone (no kernel code, no extension), so a report can be
rendered on another machine. Every verdict sentence is computed here from measurements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Within this relative margin two strategies "tie".
TIE_MARGIN = 0.05
#: Flavours that hold the GIL, when a results file does not record flavour traits.
GIL_HOLDING = ("python", "cython-gil")
#: Which GIL-releasing flavour speaks for "nogil threads" in a kernel's verdict, in order.
NOGIL_PREFERENCE = ("cython-nogil", "c-ctypes", "numba", "stdlib", "numpy")


@dataclass(frozen=True)
class Row:
    """One successful run with its derived figures."""

    kernel: str
    flavour: str
    strategy: str
    workers: int
    size: int
    chunks: int
    schedule: str | None
    median_s: float
    min_s: float
    iqr_s: float
    cv: float
    noisy: bool
    cpu_s: float | None
    utilisation: float | None
    gil_availability: float | None
    startup_s: float | None
    first_s: float | None
    speedup: float | None
    efficiency: float | None
    gbs: float | None
    work_units: float | None = None


@dataclass
class KernelAnalysis:
    kernel: str
    summary: str | None
    rows: list[Row] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    #: "win" / "tie" / "lose" of GIL-free threads against warm processes, or None.
    threads_vs_processes: str | None = None

    def find(self, flavour: str, strategy: str, workers: int | None = None) -> list[Row]:
        return [r for r in self.rows if r.flavour == flavour and r.strategy == strategy
                and (workers is None or r.workers == workers)]


@dataclass
class Analysis:
    machine: dict[str, Any]
    kernels: list[KernelAnalysis]
    failures: list[dict[str, Any]]
    max_workers: int


def _baseline_key(run: dict[str, Any]) -> tuple:
    return (run["kernel"], run["flavour"], run["size"], run["chunks"], run.get("schedule"))


def analyse(doc: dict[str, Any]) -> Analysis:
    """Derive rows and verdicts for every kernel in a results document."""
    runs = [r for r in doc["runs"] if r.get("status", "ok") == "ok" and r.get("median_s")]
    failures = [r for r in doc["runs"] if r.get("status", "ok") != "ok"]
    # Speedup is against the same flavour run serially; flavours that parallelise
    # themselves have no serial run, so their own 1-worker run is the baseline.
    serial: dict[tuple, float] = {}
    one_worker: dict[tuple, float] = {}
    for r in runs:
        key = _baseline_key(r)
        if r["strategy"] == "serial":
            serial[key] = r["median_s"]
        elif r["workers"] == 1:
            one_worker[key + (r["strategy"],)] = r["median_s"]
    copy_gbs = doc["machine"].get("copy_bandwidth_gbs")
    summaries = doc.get("settings", {}).get("kernel_summaries", {})
    by_kernel: dict[str, KernelAnalysis] = {}
    for r in runs:
        key = _baseline_key(r)
        base = serial.get(key) or one_worker.get(key + (r["strategy"],))
        speedup = base / r["median_s"] if base else None
        work = r.get("work_bytes")
        ka = by_kernel.setdefault(r["kernel"], KernelAnalysis(r["kernel"],
                                                             summaries.get(r["kernel"])))
        ka.rows.append(Row(
            r["kernel"], r["flavour"], r["strategy"], r["workers"], r["size"], r["chunks"],
            r.get("schedule"), r["median_s"], r.get("min_s") or min(r["wall_s"]),
            r.get("iqr_s") or 0.0, r.get("cv") or 0.0, bool(r.get("noisy")), r.get("cpu_s"),
            r.get("utilisation"), r.get("gil_availability"), r.get("startup_s"),
            r.get("first_s"), speedup, speedup / r["workers"] if speedup else None,
            work / r["median_s"] / 1e9 if work else None, r.get("work_units")))
    max_workers = max((r["workers"] for r in runs), default=1)
    traits = doc.get("settings", {}).get("flavours", {})
    holding = tuple(f for f, t in traits.items() if t.get("gil") == "holds") or GIL_HOLDING
    strategy_traits = doc.get("settings", {}).get("strategies", {})
    shipping = tuple(s for s, t in strategy_traits.items() if t.get("ships_inputs")) or \
        ("processes-pickle",)
    for ka in by_kernel.values():
        ka.rows.sort(key=lambda row: (row.flavour, row.strategy, row.workers, row.size,
                                      row.chunks, row.schedule or ""))
        _verdicts(ka, copy_gbs, holding, shipping)
    return Analysis(doc["machine"], list(by_kernel.values()), failures, max_workers)


def _best(rows: Iterable[Row]) -> Row | None:
    rows = list(rows)
    return min(rows, key=lambda r: r.median_s) if rows else None


def _top(ka: KernelAnalysis, flavour: str, strategy: str) -> Row | None:
    """The fastest run of (flavour, strategy) at its largest worker count (any schedule)."""
    rows = ka.find(flavour, strategy)
    if not rows:
        return None
    most = max(r.workers for r in rows)
    return _best(r for r in rows if r.workers == most)


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1e3:.0f} ms" if seconds >= 0.01 else f"{seconds * 1e3:.1f} ms"


def compare_word(ratio: float) -> str:
    """'win', 'tie' or 'lose' for a time ratio other/this (> 1 means this is faster)."""
    if ratio > 1 + TIE_MARGIN:
        return "win"
    if ratio < 1 - TIE_MARGIN:
        return "lose"
    return "tie"


#: Below this speedup a parallel run is not worth its trouble.
WORTHWHILE = 1.1


def _threads_vs_processes(ka: KernelAnalysis, nogil: str, copy_gbs: float | None) -> None:
    thr, proc = _top(ka, nogil, "threads"), _top(ka, nogil, "processes")
    if not (thr and proc and thr.speedup and proc.speedup):
        return
    ratio = proc.median_s / thr.median_s
    startup = (f"processes paid {_ms(proc.startup_s)} start-up"
               + (f" and {_ms(proc.first_s)} for their first, cold execution"
                  if proc.first_s else ""))
    if max(thr.speedup, proc.speedup) < WORTHWHILE:
        serial = ka.find(nogil, "serial")
        took = _ms(serial[0].median_s) if serial else "too little"
        gbs = serial[0].gbs if serial else None
        if gbs and copy_gbs and gbs > 0.5 * copy_gbs:
            ka.threads_vs_processes = "memory-bound"
            ka.verdicts.append(
                f"Neither pays off: {nogil} + threads {thr.speedup:.2f}x, + processes "
                f"{proc.speedup:.2f}x on {thr.workers} workers, because one core already "
                f"streams {gbs:.1f} GB/s, {gbs / copy_gbs:.0%} of the copy baseline: "
                f"memory bandwidth is the limit ({startup}).")
            return
        ka.threads_vs_processes = "serial"
        ka.verdicts.append(
            f"Neither pays off: {nogil} + threads {thr.speedup:.2f}x, + processes "
            f"{proc.speedup:.2f}x on {thr.workers} workers; serially the work takes only "
            f"{took}, too little to hand out in chunks ({startup}).")
        return
    ka.threads_vs_processes = compare_word(ratio)
    rel = (f"{ratio:.2f}x faster than" if ratio > 1 + TIE_MARGIN else
           f"{1 / ratio:.2f}x slower than" if ratio < 1 - TIE_MARGIN else "on par with")
    same_workers = "" if proc.workers == thr.workers else f" ({proc.workers} workers)"
    ka.verdicts.append(
        f"{nogil} + threads reached {thr.speedup:.2f}x on {thr.workers} workers "
        f"({thr.efficiency:.0%} of ideal), {rel} warm processes{same_workers} "
        f"({proc.speedup:.2f}x); {startup}.")


def _verdicts(ka: KernelAnalysis, copy_gbs: float | None, holding: tuple[str, ...],
              shipping: tuple[str, ...] = ()) -> None:
    flavours = {r.flavour for r in ka.rows}
    nogil = next((f for f in NOGIL_PREFERENCE if f in flavours and ka.find(f, "threads")
                  and ka.find(f, "processes")), None)
    if nogil:
        _threads_vs_processes(ka, nogil, copy_gbs)
    for flavour in holding:
        thr = _top(ka, flavour, "threads")
        if thr and thr.speedup and thr.workers > 1:
            if thr.speedup < WORTHWHILE:
                held = "the GIL serialises it"
            elif thr.speedup < 1.3:
                held = "barely faster than serial"
            else:
                held = "it still scales (the GIL is released somewhere)"
            util = f", CPU/wall {thr.utilisation:.2f}" if thr.utilisation else ""
            ka.verdicts.append(f"{flavour} + threads: {thr.speedup:.2f}x on {thr.workers} "
                               f"workers: {held}{util}.")
    proc_py = _top(ka, "python", "processes")
    if proc_py and proc_py.speedup and proc_py.workers > 1:
        ka.verdicts.append(f"python + processes: {proc_py.speedup:.2f}x on "
                           f"{proc_py.workers} workers: one interpreter (and GIL) per worker.")
        if not nogil:
            # No flavour can drop the GIL here: processes are the only way to scale.
            ka.threads_vs_processes = "processes only"
    omp = _top(ka, "cython-prange", "openmp")
    if omp and omp.speedup:
        ka.verdicts.append(f"cython-prange (OpenMP, {omp.schedule or 'static'} schedule) "
                           f"reached {omp.speedup:.2f}x on {omp.workers} threads "
                           f"({omp.efficiency:.0%} of ideal).")
    schedules = {r.schedule: r for r in ka.find("cython-prange", "openmp")
                 if r.workers == (omp.workers if omp else 0)}
    if "static" in schedules and "dynamic" in schedules:
        gain = schedules["static"].median_s / schedules["dynamic"].median_s
        ka.verdicts.append(f"Dynamic scheduling ran {gain:.2f}x the speed of static "
                           f"({_ms(schedules['dynamic'].median_s)} against "
                           f"{_ms(schedules['static'].median_s)}).")
    serial = {r.flavour: r for r in ka.rows if r.strategy == "serial"}
    if "python" in serial:
        py = serial["python"]
        others = [r for f, r in serial.items() if f != "python"]
        same = [r for r in others if r.size == py.size]
        if same:
            compiled = _best(same)
            ka.verdicts.append(f"Serially, {compiled.flavour} is "
                               f"{py.median_s / compiled.median_s:.0f}x faster than pure "
                               f"Python.")
        elif py.work_units and all(r.work_units for r in others) and others:
            # Python ran a smaller problem: compare time per unit of work.
            compiled = min(others, key=lambda r: r.median_s / r.work_units)
            ratio = (py.median_s / py.work_units) / (compiled.median_s / compiled.work_units)
            ka.verdicts.append(f"Serially, {compiled.flavour} is {ratio:.0f}x faster than "
                               f"pure Python per unit of work (Python ran size {py.size}, "
                               f"{compiled.flavour} size {compiled.size}).")
    bw = [r for r in ka.rows if r.gbs]
    best = max(bw, key=lambda r: r.gbs, default=None)
    if best and copy_gbs and best.gbs > 0.25 * copy_gbs:
        ka.verdicts.append(f"Best effective bandwidth {best.gbs:.1f} GB/s "
                           f"({best.flavour} + {best.strategy}, {best.workers} workers): "
                           f"{best.gbs / copy_gbs:.0%} of this machine's copy baseline "
                           f"({copy_gbs:.1f} GB/s; a copy reads and writes, so a pure "
                           f"read may exceed it): memory bandwidth, not cores, sets the "
                           f"limit.")
    elif best:
        ka.verdicts.append(f"Best throughput {best.gbs:.2f} GB/s ({best.flavour} + "
                           f"{best.strategy}, {best.workers} workers).")
    _copying_verdict(ka, shipping)
    noisy = [r for r in ka.rows if r.noisy]
    if noisy:
        ka.verdicts.append(f"{len(noisy)} run(s) varied by more than 10% between repeats "
                           f"(marked ~); read their figures with care.")



def _copying_verdict(ka: KernelAnalysis, shipping: tuple[str, ...]) -> None:
    """How much pickling each chunk's inputs costs against sharing them."""
    for strategy in shipping:
        for ship in ka.rows:
            if ship.strategy != strategy:
                continue
            shared = [r for r in ka.find(ship.flavour, "processes", ship.workers)
                      if r.size == ship.size]
            if not shared:
                continue
            ratio = ship.median_s / shared[0].median_s
            rate = f" ({ship.gbs:.2f} GB/s)" if ship.gbs else ""
            ka.verdicts.append(
                f"Pickling each chunk's inputs to {ship.workers} worker "
                f"process{'es' if ship.workers > 1 else ''} took "
                f"{_ms(ship.median_s)}{rate}, {ratio:.1f}x the {_ms(shared[0].median_s)} of "
                f"reading them from shared memory ({ship.flavour}).")
