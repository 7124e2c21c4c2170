"""The gilfraction axis's plan: the runs that map it (see the package docstring)."""

from __future__ import annotations

from gilbench.axes.base import (
    Axis,
    Selection,
    pool_runs,
    role_strategies,
)
from gilbench.axes.gilfraction import INFO
from gilbench.flavours import FLAVOURS, Flavour
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel
from gilbench.kernels.gilshare import GIL_FRACTIONS
from gilbench.roles import PROCESS_POOL, THREAD_POOL

#: The coarse grid of a profile's default run: all released, a little, a quarter, all held.
COARSE_FRACTIONS = (0.0, 0.05, 0.25, 1.0)


def tunable_flavours(kernel: Kernel, selection: Selection) -> list[Flavour]:
    """The kernel's available flavours whose GIL share the axis can set (the named ones
    among them, when flavours were named), in registry order."""
    return [f for f in FLAVOURS.values()
            if f.tunable_gil_share and f.name in kernel.implementations
            and not kernel.flavour_unavailable_reason(f.name)
            and (not selection.flavours or f.name in selection.flavours)]


class GilFractionAxis(Axis):
    """The GIL-held share of each chunk, from 0 to 1."""

    info = INFO
    default_in = {"quick": ("mandelbrot",), "standard": ("mandelbrot",)}

    def unavailable_reason(self, kernel: Kernel) -> str | None:
        if self.name not in kernel.axis_params:
            return "the kernel has no problem parameter for the GIL-held share"
        if not tunable_flavours(kernel, Selection.of()):
            return "no available flavour of this kernel has a tunable GIL share"
        return None

    def fractions(self, selection: Selection) -> tuple[float, ...]:
        """The f grid: coarse in the quick profile's default run, else the full one."""
        coarse = selection.as_default and selection.profile == "quick"
        return COARSE_FRACTIONS if coarse else GIL_FRACTIONS

    def plan(self, kernel: Kernel, selection: Selection) -> list[RunSpec]:
        flavours = tunable_flavours(kernel, selection)
        workers = sorted(set(selection.workers)) or [selection.top_workers()]
        chunks = list(selection.chunks) or [kernel.chunks_per_worker * max(workers)]
        pools = role_strategies(selection, THREAD_POOL, PROCESS_POOL)
        specs = []
        for flavour, strategy, n in pool_runs(kernel, flavours, pools, workers):
            sizes = list(selection.sizes) or [kernel.size_for(selection.profile, flavour.name)]
            specs += [RunSpec(kernel.name, flavour.name, strategy.name, n, size,
                              min(c, kernel.max_chunks(size)), axis=self.name, axis_value=f)
                      for size in sizes for c in chunks for f in self.fractions(selection)]
        return specs


__all__ = ["COARSE_FRACTIONS", "GilFractionAxis", "tunable_flavours"]


#: The instance gilbench.axes.registry registers.
AXIS = GilFractionAxis()
