"""The ``payload`` axis: bytes shipped per task against the compute they feed.

A process pool that copies each task's inputs to its worker (a strategy that
``ships_inputs``, such as ``processes-pickle``) pays for every byte; one over shared
memory and a thread pool read them in place. What decides whether the copying erases the
processes' gain is the ratio of bytes shipped to the compute they feed. The axis needs a
kernel whose compute per byte is tunable: one that ships per-chunk inputs
(``Kernel.payload``) and maps ``"payload"`` in ``Kernel.axis_params`` to a parameter
counting passes over each chunk (``reduction``: ``passes``, see
:class:`gilbench.kernels.RepeatedChunk`). Each point is a pass count; its problem size
keeps one serial execution near a fixed time, so the slice per task shrinks as the passes
grow, and the ratio spans from one streaming pass (gigabytes per second of compute) to
thousands of passes over a cached slice. The ``copy-crossover`` finding reads the runs.
"""

from __future__ import annotations

from gilbench.axes.base import (
    Axis,
    Selection,
    baseline,
    nogil_flavours,
    role_strategies,
    runnable,
)
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel
from gilbench.roles import PROCESS_POOL, SHIPPING, THREAD_POOL

#: Passes over each chunk: one streaming pass to 1024 over a cached slice (6 points).
PASSES = (1, 4, 16, 64, 256, 1024)
#: Seconds one serial execution aims at, per profile (sizes shrink as passes grow).
SERIAL_S = {"quick": 0.03, "standard": 0.1, "full": 0.3}


class PayloadAxis(Axis):
    """Bytes shipped per task per second of compute, copied against shared."""

    name = "payload"
    description = ("bytes shipped per task per second of compute, from one pass over each "
                   "input to 1024: pickled inputs against shared memory against threads")
    condition = "bytes per task"
    finders = ("copy-crossover",)
    plotters = ("payload",)
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
        from gilbench.axes.granularity import fit_size
        from gilbench.calibration import reference_size_for

        base_size = kernel.size_for(selection.profile, flavours[0].name)
        target = SERIAL_S.get(selection.profile, SERIAL_S["standard"])
        specs = []
        for passes in PASSES:
            sizes = list(selection.sizes) or [fit_size(kernel, min(base_size, reference_size_for(
                kernel.name, [f.name for f in flavours], target / passes, base_size)))]
            for size in sizes:
                for flavour in flavours:
                    for strategy in [baseline(), *pools]:
                        if not runnable(kernel, flavour, strategy):
                            continue
                        for n in [1] if strategy.single_worker else workers:
                            for c in chunks:
                                specs.append(RunSpec(kernel.name, flavour.name, strategy.name,
                                                     n, size, min(c, kernel.max_chunks(size)),
                                                     axis=self.name, axis_value=passes))
        return specs
