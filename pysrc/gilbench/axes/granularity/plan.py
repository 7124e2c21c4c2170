"""The granularity axis's plan: the runs that map it (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gilbench.axes.base import (
    Axis,
    Selection,
    chunk_counts,
    log_grid,
    nogil_flavours,
    pool_runs,
    role_strategies,
)
from gilbench.axes.granularity import INFO
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel
from gilbench.roles import PROCESS_POOL, THREAD_POOL
from gilbench.strategies import get_strategy

#: Work per task the grid aims at: 10 us to 100 ms, 8 points 0.57 decades apart (the
#: issue asks for at least 8; a ninth would cost a standard run with every axis 30 s).
DURATIONS_S = tuple(log_grid(1e-5, 1e-1, 8))
#: The coarse grid of a profile's default run: 30 us to 10 ms, 4 points, one flavour.
COARSE_DURATIONS_S = tuple(log_grid(3e-5, 1e-2, 4))


#: Copies of the problem an axis size must leave room for: a process pool holds the
#: problem twice, and the sweep the reference result and the previous run's problem until
#: they are collected. Sizing for exactly two copies once let a memory-bound kernel's
#: 100 ms tasks ask for 16.7 GiB, and the next run no longer fitted.
AXIS_MEMORY_COPIES = 4


def fit_size(kernel: Kernel, size: int) -> int:
    """``size`` within the kernel's limit and halved until :data:`AXIS_MEMORY_COPIES`
    copies fit in memory (an axis whose longest tasks would need more runs shorter ones)."""
    size = max(1, min(size, kernel.max_size))
    while size > 1:
        try:
            kernel.check_size(size, copies=AXIS_MEMORY_COPIES)
            return size
        except ValueError:
            size //= 2
    return size


class GranularityAxis(Axis):
    """Work per task, from 10 us to 100 ms, at fixed total work."""

    info = INFO
    default_in = {"quick": ("mandelbrot",), "standard": ("mandelbrot",)}
    #: A crossover rests on 8 points of 3 strategies, not on one run: 3 timed repeats a
    #: point (their median) keep a standard run with every axis near 15 minutes, where 5
    #: made the granularity axis alone 7.5 of them (the finest process points take seconds).
    max_repeats = 3

    def unavailable_reason(self, kernel: Kernel) -> str | None:
        if not any(f.gil != "holds" for f in nogil_flavours(kernel, Selection.of())):
            return "no flavour of this kernel releases the GIL, so threads cannot gain"
        return None

    def durations(self, selection: Selection) -> tuple[float, ...]:
        """The task durations the grid aims at."""
        coarse = selection.as_default and selection.profile == "quick"
        return COARSE_DURATIONS_S if coarse else DURATIONS_S

    def plan(self, kernel: Kernel, selection: Selection) -> list[RunSpec]:
        # Every GIL-free flavour on the kernels the profile maps by default (mandelbrot:
        # the curves side by side show what a flavour's call costs, ctypes' conversions
        # say); elsewhere the first one speaks for the kernel unless flavours are named, as
        # the per-task cost belongs to the strategy (and a standard run with every axis
        # must stay within 15 minutes). A profile's own default run is coarse: one flavour.
        mapped = kernel.name in self.default_in.get(selection.profile, ())
        first_only = selection.as_default or (not mapped and not selection.flavours)
        flavours = nogil_flavours(kernel, selection, first_only=first_only)
        if not flavours:
            return []
        durations = self.durations(selection)
        workers = sorted(set(selection.workers)) or [selection.top_workers()]
        total_s = max(durations) * max(workers)
        from gilbench.calibration import reference_seconds, reference_size_for

        names = [f.name for f in flavours]
        fallback = kernel.size_for(selection.profile, names[0])
        sizes = list(selection.sizes) or [fit_size(kernel, reference_size_for(
            kernel.name, names, total_s, fallback))]
        pools = role_strategies(selection, THREAD_POOL, PROCESS_POOL)
        specs = []
        for size in sizes:
            # Aim at the durations with the work the reference machine does at this size.
            work = [t for f in names if (t := reference_seconds(kernel.name, f, size))]
            seconds = sorted(work)[len(work) // 2] if work else total_s
            spans = durations
            longest = seconds / max(workers)
            if min(durations) < longest < max(durations):
                # Memory capped the problem: the grid keeps its points over the task
                # durations this size allows (a memory-bound kernel's longest task is
                # shorter than 100 ms), rather than losing the points it cannot reach.
                spans = log_grid(min(durations), longest, len(durations))
            grid = chunk_counts(kernel, size, [seconds / d for d in spans])
            grid = list(selection.chunks) or [c for c in grid if c >= max(workers)] or grid
            specs += [RunSpec(kernel.name, flavour.name, strategy.name, n, size, chunks,
                              axis=self.name, axis_value=chunks)
                      for flavour, strategy, n in pool_runs(kernel, flavours, pools, workers)
                      for chunks in grid]
        return specs

    def machine_facts(self, specs: Sequence[RunSpec], timeout: float) -> dict[str, Any]:
        """Per-task and per-call cost of every strategy the runs use, with empty tasks."""
        from gilbench.dispatch import measure_dispatch

        dispatch: dict[str, dict[str, Any]] = {}
        for strategy, workers in sorted({(s.strategy, s.workers) for s in specs}):
            cost = measure_dispatch(get_strategy(strategy), workers, timeout=timeout)
            dispatch.setdefault(strategy, {})[str(cost.workers)] = cost.to_dict()
        return {"dispatch": dispatch}


#: The instance gilbench.axes.registry registers.
AXIS = GranularityAxis()
