"""A run spec with its names looked up once: the kernel, flavour and configured strategy
it names, checked together (:func:`resolve`), so the layers below take objects, not names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gilbench.compat import unavailable_reason
from gilbench.flavours import Flavour, get_flavour
from gilbench.kernels import Kernel, get_kernel
from gilbench.kernels.base import Implementation
from gilbench.limits import check_chunks, check_workers
from gilbench.strategies import Strategy, get_strategy

if TYPE_CHECKING:
    from gilbench.harness import RunSpec


@dataclass(frozen=True)
class ResolvedRun:
    """A valid :class:`~gilbench.harness.RunSpec` and the registered objects it names."""

    spec: RunSpec
    kernel: Kernel
    flavour: Flavour
    #: The registered strategy, configured with the spec's settings (its start method).
    strategy: Strategy

    @property
    def impl(self) -> Implementation:
        """The kernel's chunk function(s) for the spec's flavour."""
        return self.kernel.implementations[self.spec.flavour]

    @property
    def workers(self) -> int:
        """Workers the session starts: 1 for a serial strategy, whatever the spec says."""
        return 1 if self.strategy.single_worker else self.spec.workers

    @property
    def label(self) -> str:
        """The run's id (see :attr:`RunSpec.label`)."""
        return self.spec.label


def resolve(spec: RunSpec) -> ResolvedRun:
    """Look up the names of ``spec`` and check them together; ValueError/TypeError names
    the first bad field and the valid choices."""
    kernel = get_kernel(spec.kernel)
    flavour = get_flavour(spec.flavour)
    strategy = get_strategy(spec.strategy)
    if spec.start_method is not None:  # ValueError when it does not apply to the strategy
        strategy = strategy.configured(start_method=spec.start_method)
    # Magnitudes (gilbench.limits): the plan refuses the same values with the same words.
    kernel.check_size(spec.size, copies=strategy.memory_copies)
    check_workers(spec.workers)
    check_chunks(kernel, spec.size, spec.chunks)
    if spec.schedule is not None and spec.schedule not in flavour.schedules:
        raise ValueError(f"schedule {spec.schedule!r} is not valid for {flavour.name}; "
                         f"valid choices: {', '.join(flavour.schedules)}")
    reason = unavailable_reason(kernel, flavour, strategy)
    if reason:
        raise ValueError(f"cannot run {spec.label}: {reason}")
    return ResolvedRun(spec, kernel, flavour, strategy)


def as_resolved(run: RunSpec | ResolvedRun) -> ResolvedRun:
    """``run`` itself when resolved already, else :func:`resolve` of it."""
    return run if isinstance(run, ResolvedRun) else resolve(run)


__all__ = ["ResolvedRun", "as_resolved", "resolve"]
