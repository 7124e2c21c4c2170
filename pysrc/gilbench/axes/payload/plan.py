"""The payload axis's plan: the runs that map it (see the package docstring)."""

from __future__ import annotations

from gilbench.axes.base import (
    Axis,
    Selection,
    nogil_flavours,
    pool_runs,
    role_strategies,
)
from gilbench.axes.payload import INFO
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel
from gilbench.roles import PROCESS_POOL, SHIPPING, THREAD_POOL

#: Passes over each chunk: one streaming pass to 1024 over a cached slice (6 points).
PASSES = (1, 4, 16, 64, 256, 1024)
#: Seconds one serial execution aims at, per profile (sizes shrink as passes grow).
SERIAL_S = {"quick": 0.03, "standard": 0.1, "full": 0.3}


class PayloadAxis(Axis):
    """Bytes shipped per task per second of compute, copied against shared."""

    info = INFO
    default_in = {"standard": ("reduction",)}

    def unavailable_reason(self, kernel: Kernel) -> str | None:
        if not kernel.supports_payload or "payload" not in kernel.axis_params:
            return ("needs a kernel that ships per-chunk inputs (Kernel.payload) and maps "
                    "'payload' in Kernel.axis_params to its passes per chunk")
        return None

    def cost_factor(self, kernel: Kernel, spec: RunSpec) -> float:
        return float(spec.axis_value or 1)

    def plan(self, kernel: Kernel, selection: Selection) -> list[RunSpec]:
        # Copying costs the same whatever the flavour: one speaks for the kernel unless
        # flavours were named.
        flavours = nogil_flavours(kernel, selection, first_only=not selection.flavours)
        if not flavours or self.unavailable_reason(kernel):
            return []
        workers = sorted(set(selection.workers)) or [selection.top_workers()]
        chunks = list(selection.chunks) or [kernel.chunks_per_worker * max(workers)]
        pools = role_strategies(selection, THREAD_POOL, PROCESS_POOL, SHIPPING)
        from gilbench.axes.granularity.plan import fit_size
        from gilbench.calibration import reference_size_for

        base_size = kernel.size_for(selection.profile, flavours[0].name)
        target = SERIAL_S.get(selection.profile, SERIAL_S["standard"])
        specs = []
        for passes in PASSES:
            sizes = list(selection.sizes) or [fit_size(kernel, min(base_size, reference_size_for(
                kernel.name, [f.name for f in flavours], target / passes, base_size)))]
            specs += [RunSpec(kernel.name, flavour.name, strategy.name, n, size,
                              min(c, kernel.max_chunks(size)), axis=self.name,
                              axis_value=passes)
                      for size in sizes
                      for flavour, strategy, n in pool_runs(kernel, flavours, pools, workers)
                      for c in chunks]
        return specs


#: The instance gilbench.axes.registry registers.
AXIS = PayloadAxis()
