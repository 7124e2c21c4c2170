"""Which kernel x flavour x strategy combinations can run, and why the others cannot.

The one place that pairs the three registries: strategies know no kernel and kernels know
no strategy, so the rules that need both live here (plans, run specs, tests and the
benchmark suites all ask this module).
"""

from __future__ import annotations

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
    if strategy.ships_inputs and not kernel.supports_payload:
        return (f"strategy {strategy.name!r} ships per-chunk inputs, which kernel "
                f"{kernel.name!r} does not define (Kernel.payload)")
    return None


def unavailable_reason(kernel: Kernel, flavour: Flavour, strategy: Strategy) -> str | None:
    """None when the combination runs here; else why not (missing part or bad pairing)."""
    return (strategy.unavailable_reason() or incompatible_reason(kernel, flavour, strategy)
            or kernel.flavour_unavailable_reason(flavour.name))
