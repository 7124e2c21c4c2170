"""Which kernel x flavour x strategy combinations can run, and why the others cannot.

The one place that pairs the three registries: strategies know no kernel and kernels know
no strategy, so the rules that need both live here (plans, run specs, tests and the
benchmark suites all ask this module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the rules read declared attributes only: no layer above is imported
    from gilbench.flavours import Flavour
    from gilbench.kernels.base import Kernel
    from gilbench.strategies.base import Strategy


def incompatible_reason(kernel: Kernel, flavour: Flavour, strategy: Strategy) -> str | None:
    """None when ``strategy`` can run ``kernel``'s ``flavour`` at all, else why not.

    Only the pairing rules: whether each part is available on this machine is
    :func:`unavailable_reason`'s question.
    """
    reason = strategy.incompatible_reason(flavour)
    if reason:
        return reason
    if strategy.ships_inputs and kernel.has_inputs and not kernel.supports_payload:
        return (f"strategy {strategy.name!r} ships per-chunk inputs, which kernel "
                f"{kernel.name!r} does not define (Kernel.payload)")
    if strategy.ships_inputs and not strategy.ships_outputs and not kernel.has_inputs:
        return (f"kernel {kernel.name!r} has no inputs to ship: strategy {strategy.name!r} "
                "would measure its shared-memory pool again")
    if strategy.ships_outputs and not kernel.supports_outputs:
        return (f"strategy {strategy.name!r} brings back what each chunk wrote, which kernel "
                f"{kernel.name!r} does not define (Kernel.outputs_of)")
    impl = kernel.implementations.get(flavour.name)
    if strategy.own_gil_per_worker and impl is not None and impl.isolated is None:
        return (f"strategy {strategy.name!r} runs chunks in isolated interpreters, where "
                f"numpy cannot load (numpy issue 24755); {kernel.name} x {flavour.name} "
                "has no numpy-free chunk function (Implementation.isolated)")
    return None


def unavailable_reason(kernel: Kernel, flavour: Flavour, strategy: Strategy) -> str | None:
    """None when the combination runs here; else why not (missing part or bad pairing)."""
    return (strategy.unavailable_reason() or incompatible_reason(kernel, flavour, strategy)
            or kernel.flavour_unavailable_reason(flavour.name))
