"""Kernel registry: ``KERNELS`` maps a name to a :class:`Kernel` instance.

Register your own with :func:`register_kernel`; it is then run by every strategy and
listed by ``gilbench list``.
"""

from __future__ import annotations

from gilbench.kernels.base import (
    ArraySpec,
    Chunk,
    ChunkFunction,
    FlatRange,
    Implementation,
    Kernel,
    Problem,
    RepeatedChunk,
    Workspace,
    compare_values,
    even_ranges,
    output_part,
    with_passes,
)
from gilbench.registry import add, lookup

__all__ = [
    "KERNELS", "ArraySpec", "Chunk", "ChunkFunction", "FlatRange", "Implementation", "Kernel",
    "Problem", "RepeatedChunk", "Workspace", "compare_values", "even_ranges", "get_kernel",
    "output_part", "register_kernel", "with_passes",
]

KERNELS: dict[str, Kernel] = {}


def register_kernel(kernel: Kernel | type[Kernel], *, replace: bool = False) -> Kernel:
    """Add ``kernel`` (an instance or a class with a no-argument constructor) to the registry.

    Raises ValueError when the kernel names an unknown flavour or lacks a profile size.
    """
    from gilbench.flavours import FLAVOURS
    from gilbench.profiles import PROFILES

    if isinstance(kernel, type):
        kernel = kernel()
    if not isinstance(kernel, Kernel):
        raise TypeError(f"register_kernel expects a Kernel. Got {type(kernel).__name__} instead.")
    for flavour in [*kernel.implementations, *kernel.not_applicable]:
        if flavour not in FLAVOURS:
            raise ValueError(f"kernel {kernel.name!r} names unknown flavour {flavour!r}; "
                             f"valid choices: {', '.join(sorted(FLAVOURS))}")
    missing = [p for p in PROFILES if p not in kernel.sizes]
    if missing:
        raise ValueError(f"kernel {kernel.name!r} has no size for profile(s) {missing}")
    for flavour, sizes in kernel.flavour_sizes.items():
        if any(p not in sizes for p in PROFILES) or kernel.work_units(1) is None:
            raise ValueError(f"kernel {kernel.name!r}: flavour_sizes[{flavour!r}] needs a "
                             "size per profile and a work_units() to compare by")
    return add(KERNELS, "kernel", kernel.name, kernel, replace=replace)


def get_kernel(name: str) -> Kernel:
    """The registered kernel ``name``; ValueError lists the valid names."""
    return lookup(KERNELS, "kernel", name)


def _register_builtins() -> None:
    from gilbench.kernels.hashing import Hashing, HashingSmall
    from gilbench.kernels.mandelbrot import Mandelbrot
    from gilbench.kernels.montecarlo import MonteCarloPi
    from gilbench.kernels.nbody import NBody
    from gilbench.kernels.primes import Primes
    from gilbench.kernels.pyobjects import PythonObjects
    from gilbench.kernels.reduction import Reduction

    for cls in (Mandelbrot, MonteCarloPi, Primes, NBody, Reduction, Hashing, HashingSmall,
                PythonObjects):
        register_kernel(cls)


_register_builtins()
