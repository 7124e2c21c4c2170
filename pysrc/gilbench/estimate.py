"""A cost model of runs: how long a plan will take before anything runs.

``gilbench run --dry-run`` prints it, and axes that size problems by time (granularity,
payload) read :mod:`gilbench.calibration`. It rests on measurements, in this order:

1. previous results in the output folder: a run already measured there (same id) is
   expected to take its recorded ``elapsed_s`` again;
2. a model per run: serial seconds of the kernel x flavour at the size, a power law
   through two sizes measured on the reference machine (:data:`REFERENCE_SERIAL`), scaled
   by how this machine compared with it on the previous results' serial runs (when there
   are any), divided by the parallelism the strategy's traits allow, plus per-task
   dispatch and pool start-up, times the executions the harness makes (warm-up for at
   least ``warmup_s``, the repeats, the GIL-probe executions for at least ``PROBE_S``);
3. kernels it has no calibration for (user kernels) are counted and left out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gilbench import roles
from gilbench.calibration import REFERENCE_SERIAL, reference_seconds
from gilbench.flavours import get_flavour
from gilbench.harness import MAX_WARMUP, PROBE_S, RunSpec
from gilbench.kernels import KERNELS
from gilbench.limits import usable_cores
from gilbench.strategies import get_strategy

#: Cold start-up of a pool, ``a + b x workers`` seconds, by role (medians on
#: REFERENCE_MACHINE: 13 ms for 1 process, 21 ms for 2; 0.26 and 0.39 ms for threads).
STARTUP_S = {"threads": (0.13e-3, 0.13e-3), "processes": (4.6e-3, 8.4e-3)}
#: Seconds per task a strategy adds besides the work, by role, when the machine facts
#: hold no measurement (empty tasks, 2 workers, on REFERENCE_MACHINE and this one).
DISPATCH_S = {"serial": 0.5e-6, "openmp": 0.5e-6, "threads": 25e-6, "processes": 70e-6}
#: Seconds a run spends outside its executions: problem, session, checks, records (the
#: median over the runs of REFERENCE_MACHINE, 57-73 ms).
RUN_OVERHEAD_S = 0.06
#: A kernel's reference answer costs about this many serial executions of its fastest
#: flavour (mandelbrot's vectorised reference: 3.3x its compiled flavours).
REFERENCE_FACTOR = 3.0
#: Bytes per second a strategy that ships inputs pickles, sends and unpickles (reduction's
#: 134 MB per execution on REFERENCE_MACHINE), applied to ``Kernel.memory_bytes``.
SHIP_BPS = 0.5e9
#: Seconds to JIT-compile a flavour that compiles at run time (numba), paid by the first
#: run of it in a sweep, and by every run on fresh worker processes.
JIT_S = 0.35
#: Seconds a sweep spends besides its runs: start-up and imports, the machine metadata
#: with the copy-bandwidth baseline, and the report (findings, Markdown, HTML).
SWEEP_S = 2.5
#: Seconds per plot of the report (matplotlib, one PNG).
PLOT_S = 0.35
#: Seconds to time empty tasks on one pool (granularity's machine facts; see dispatch).
DISPATCH_FACTS_S = {"serial": 0.01, "openmp": 0.01, "threads": 0.05, "processes": 0.4}


@dataclass(frozen=True)
class StrategyCost:
    """What a strategy costs besides the work: start-up ``a + b x workers`` seconds, and
    seconds per task and per execution."""

    startup_a: float
    startup_b: float
    per_task: float
    per_call: float = 0.0

    def startup(self, workers: int) -> float:
        return self.startup_a + self.startup_b * workers


#: Costs that declared traits add to a strategy's role, most specific first: medians of
#: a 2-worker session on empty tasks (gilbench.dispatch) and of its start-up at 1 and 2
#: workers, on the shared 2-core VM (Python 3.11; subinterpreters on 3.13). A library's
#: scheduler, a Manager's proxies and interpreters with their own GIL cost far more than
#: the standard pools of their role; the components of threading and multiprocessing
#: cost about what their role does.
TRAIT_COSTS: tuple[tuple[Callable[[Any], bool], StrategyCost], ...] = (
    # dask: a LocalCluster of nanny-managed worker processes (~0.5 s, +0.35 s a worker);
    # ~2 ms of scheduling per task.
    (lambda s: s.library == "dask" and s.uses_processes, StrategyCost(0.13, 0.36, 2.0e-3,
                                                                      3.5e-3)),
    (lambda s: s.library == "dask", StrategyCost(0.012, 0.0, 2.0e-3, 1.0e-3)),
    # joblib: loky starts its pool (~0.12 s a worker); ~10 ms per Parallel call.
    (lambda s: s.library == "joblib" and s.uses_processes, StrategyCost(0.0, 0.12, 3e-6,
                                                                        10e-3)),
    (lambda s: s.library == "joblib", StrategyCost(0.0, 0.006, 22e-6, 10e-3)),
    # one isolated interpreter per worker: ~18 ms to create and bootstrap each.
    (lambda s: s.own_gil_per_worker, StrategyCost(2e-3, 18e-3, 22e-6, 40e-6)),
    # a Manager's server process, then a proxy round trip or more per task.
    (lambda s: s.ipc == "proxy", StrategyCost(20e-3, 5e-3, 140e-6, 0.3e-3)),
)


def trait_cost(name: str) -> StrategyCost | None:
    """What strategy ``name``'s traits cost, where :data:`TRAIT_COSTS` knows them."""
    strategy = get_strategy_or_none(name)
    if strategy is not None:
        for applies, cost in TRAIT_COSTS:
            if applies(strategy):
                return cost
    return None


def strategy_cost(name: str, role_name: str) -> StrategyCost:
    """The cost of strategy ``name`` (whose role is ``role_name``): from its traits
    (:func:`trait_cost`), else its role's :data:`STARTUP_S` and :data:`DISPATCH_S`."""
    a, b = STARTUP_S.get(role_name, (0.0, 0.0))
    return trait_cost(name) or StrategyCost(a, b, DISPATCH_S[role_name])


#: The cost model's four kinds of strategy, by role: interpreters and library threads
#: cost what threads do (their own costs come from TRAIT_COSTS), shipping what processes do.
COST_KINDS = {roles.SERIAL: "serial", roles.PARALLEL_INSIDE: "openmp",
              roles.PROCESS_POOL: "processes", roles.SHIPPING: "processes"}


def role(spec: RunSpec) -> str | None:
    """``serial``, ``openmp``, ``threads`` or ``processes``: the cost model's kind of the
    strategy's role (None: a strategy this gilbench does not know)."""
    s = get_strategy_or_none(spec.strategy)
    if s is None:
        return None
    return COST_KINDS.get(s.role, "threads")


@dataclass
class Estimate:
    """A plan's expected duration, and what each part of it rests on."""

    total_s: float = 0.0
    per_spec: list[float | None] = field(default_factory=list)
    #: Runs whose time comes from a run with the same id in earlier results.
    measured: int = 0
    #: Runs modelled from the calibration.
    modelled: int = 0
    #: Runs with no calibration at all (left out of ``total_s``).
    unknown: int = 0
    #: How this machine compared with REFERENCE_MACHINE on earlier serial runs (1: none).
    machine_scale: float = 1.0
    source: str = "the reference calibration"
    #: Seconds of the sweep outside its runs (included in ``total_s``).
    fixed_s: float = 0.0


def _no_axis_factor(spec: RunSpec) -> float:
    return 1.0


def _plain_settings(spec: RunSpec, repeats: int, *, explicit: bool,
                    probe: bool) -> tuple[int, bool]:
    return repeats, probe


@dataclass
class CostModel:
    """Seconds per run of a plan; see the module docstring for what it rests on.

    ``work_factor(spec)`` scales a run's work at its axis point and ``run_settings`` gives
    the repeats and GIL probe each run gets; the dry run passes the axes' own
    (:func:`gilbench.axes.registry.cost_factor` and ``measure_settings``), which
    this module, below the axes, does not import.
    """

    previous: Mapping[str, float] = field(default_factory=dict)
    machine_scale: float = 1.0
    dispatch_s: Mapping[str, float] = field(default_factory=dict)
    cores: int = field(default_factory=usable_cores)
    source: str = "the reference calibration"
    work_factor: Callable[[RunSpec], float] = _no_axis_factor
    run_settings: Callable[..., tuple[int, bool]] = _plain_settings

    @classmethod
    def from_results(cls, doc: Mapping[str, Any] | None, source: str = "",
                     **hooks: Callable) -> CostModel:
        """A model that knows the runs of ``doc`` (earlier results of this machine);
        ``hooks`` are ``work_factor`` and ``run_settings``."""
        if not doc:
            return cls(**hooks)
        from gilbench.results import run_id

        runs = [r for r in doc.get("runs", []) if r.get("status", "ok") == "ok"]
        previous = {run_id(r): r["elapsed_s"] for r in runs if r.get("elapsed_s")}
        ratios = []
        for r in runs:
            if r.get("median_s") and get_strategy_or_none(r["strategy"]) is not None \
                    and get_strategy(r["strategy"]).single_worker and not r.get("axis"):
                ref = reference_seconds(r["kernel"], r["flavour"], r["size"])
                if ref:
                    ratios.append(r["median_s"] / ref)
        dispatch = {}
        for strategy, by_workers in doc.get("machine", {}).get("granularity", {}).get(
                "dispatch", {}).items():
            for cost in by_workers.values():
                dispatch[strategy] = cost["per_task_s"]
        return cls(previous, statistics.median(ratios) if ratios else 1.0, dispatch,
                   source=source or "earlier results", **hooks)

    @classmethod
    def for_folder(cls, out_dir: str | Path, **hooks: Callable) -> CostModel:
        """A model that knows the results already in ``out_dir`` (if any)."""
        from gilbench.results import load_results, resolve

        path = resolve(out_dir)
        try:
            doc = load_results(path)
        except ValueError:
            return cls(**hooks)
        return cls.from_results(doc, str(path), **hooks)

    def serial_s(self, spec: RunSpec) -> float | None:
        """Seconds of one serial execution of ``spec``'s work on this machine."""
        seconds = reference_seconds(spec.kernel, spec.flavour, spec.size)
        if seconds is None:
            return None
        return seconds * self.work_factor(spec) * self.machine_scale

    def execution_s(self, spec: RunSpec) -> float | None:
        """Seconds of one execution of ``spec`` (work / parallelism + dispatch)."""
        serial = self.serial_s(spec)
        kind = role(spec)
        if serial is None or kind is None:
            return None
        strategy = get_strategy(spec.strategy)
        parallel = 1
        if kind == "openmp":
            parallel = min(spec.workers, self.cores)
        elif kind != "serial":
            # Threads of one interpreter share its GIL; an interpreter of its own per
            # worker does not.
            holds = (kind == "threads" and not strategy.own_gil_per_worker
                     and get_flavour(spec.flavour).gil == "holds")
            parallel = 1 if holds else min(spec.workers, self.cores, spec.chunks)
        cost = strategy_cost(spec.strategy, kind)
        dispatch = self.dispatch_s.get(spec.strategy, cost.per_task)
        shipping = 0.0
        kernel = KERNELS.get(spec.kernel)
        if strategy.ships_inputs and kernel is not None and kernel.has_inputs:
            # Kernels without inputs ship chunk descriptors and small outputs only.
            shipping = (kernel.memory_bytes(spec.size) or 0) / SHIP_BPS
        return (serial / parallel + spec.chunks * dispatch + cost.per_call
                + shipping * self.machine_scale)

    def run_s(self, spec: RunSpec, *, repeats: int, warmup: int, warmup_s: float,
              probe: bool = True) -> float | None:
        """Seconds of the whole run, as the harness makes it (see :func:`measure`)."""
        if spec.label in self.previous:
            return self.previous[spec.label]
        t = self.execution_s(spec)
        if t is None:
            return None
        warm = max(warmup * t, min(warmup_s + t / 2, MAX_WARMUP * t))
        probing = max(1, math.ceil(PROBE_S / t)) * t if probe else 0.0
        startup = strategy_cost(spec.strategy, role(spec)).startup(spec.workers) \
            * self.machine_scale
        return startup + warm + repeats * t + probing + RUN_OVERHEAD_S

    def reference_s(self, spec: RunSpec) -> float:
        """Seconds to compute the reference answer of ``spec``'s problem (once a sweep)."""
        kernel = KERNELS.get(spec.kernel)
        if kernel is None:
            return 0.0
        times = [t for f in REFERENCE_SERIAL.get(spec.kernel, {})
                 if (t := reference_seconds(spec.kernel, f, spec.size)) is not None]
        return REFERENCE_FACTOR * min(times) * self.machine_scale if times else 0.0

    def estimate(self, specs: Sequence[RunSpec], *, repeats: int, warmup: int,
                 warmup_s: float, explicit_repeats: bool = False) -> Estimate:
        """The expected duration of ``specs`` run in order by one sweep (with the repeats
        and GIL probe ``run_settings`` gives each run)."""
        out = Estimate(machine_scale=self.machine_scale, source=self.source)
        references: set[tuple] = set()
        compiled: set[tuple] = set()
        for spec in specs:
            n, probe = self.run_settings(spec, repeats, explicit=explicit_repeats, probe=True)
            seconds = self.run_s(spec, repeats=n, warmup=warmup, warmup_s=warmup_s,
                                 probe=probe)
            if seconds is None:
                out.unknown += 1
                out.per_spec.append(None)
                continue
            if spec.label in self.previous:
                out.measured += 1
            else:
                out.modelled += 1
                kernel = KERNELS.get(spec.kernel)
                point = (spec.axis, spec.axis_value) if kernel is not None and \
                    spec.axis in kernel.axis_params else ()
                key = (spec.kernel, spec.size, *point)
                if key not in references:
                    references.add(key)
                    seconds += self.reference_s(spec)
                if "numba" in get_flavour(spec.flavour).requires:
                    fresh = role(spec) == "processes"  # new workers compile again
                    if fresh or (spec.kernel, spec.flavour) not in compiled:
                        compiled.add((spec.kernel, spec.flavour))
                        seconds += JIT_S * self.machine_scale
            out.per_spec.append(seconds)
            out.total_s += seconds
        out.fixed_s = self.sweep_s(specs)
        out.total_s += out.fixed_s
        return out

    def sweep_s(self, specs: Sequence[RunSpec], plots: bool = True) -> float:
        """Seconds of the sweep besides its runs: set-up, the axes' machine facts (empty
        tasks per pool) and the report with a plot per kernel and plotted axis."""
        pools = {(s.strategy, s.workers) for s in specs if s.axis == "granularity"}
        facts = 0.0
        for name, workers in pools:
            kind = role(RunSpec("", "", name, workers, 1, 1))
            if kind is None:
                continue
            facts += DISPATCH_FACTS_S[kind]
            extra = trait_cost(name)
            if extra is not None:  # its own start-up, then 12 maps of 8 and 512 tasks
                facts += extra.startup(workers) + 6 * (520 * extra.per_task
                                                       + 2 * extra.per_call)
        plotted = {(s.kernel, s.axis) for s in specs if s.axis != "workers"}
        kernels = {s.kernel for s in specs}
        # Every kernel gets its scaling plot, each axis with runs one more, the sweep one
        # calls plot.
        n_plots = len(kernels) + len({p for p in plotted if p[1] is not None}) + 1
        return SWEEP_S + facts + (PLOT_S * n_plots if plots else 0.0)


def get_strategy_or_none(name: str):
    """The registered strategy ``name``, or None for one this gilbench does not know."""
    from gilbench.strategies import STRATEGIES

    return STRATEGIES.get(name)


__all__ = ["DISPATCH_S", "STARTUP_S", "TRAIT_COSTS", "CostModel", "Estimate", "StrategyCost",
           "role", "strategy_cost", "trait_cost"]
