"""Roles and GIL traits: the one place that turns declared capabilities into what a
strategy or a flavour *is* for the comparisons gilbench makes.

A strategy's role follows from the capabilities it declares (``Strategy.capabilities()``,
recorded per strategy in a results file's ``settings``), never from its name. The plan,
the axes, the analysis, the cost model and the plots all call :func:`role_of`, so a
strategy registered tomorrow plays the same role in every one of them.

Nothing here imports the rest of gilbench: readers of a results file and the running
layers use it alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Runs everything on one worker: the baseline that speedups are measured against.
SERIAL = "serial"
#: Several threads of one interpreter run the chunks (a GIL, if held, is shared).
THREAD_POOL = "thread-pool"
#: Warm worker processes read a shared workspace: one GIL per worker.
PROCESS_POOL = "process-pool"
#: Worker processes that get each chunk's inputs copied (pickled) with it.
SHIPPING = "shipping"
#: Drives flavours that parallelise themselves (an OpenMP team inside one call).
PARALLEL_INSIDE = "parallel-inside"
#: Each worker is an interpreter with its own GIL inside one process.
INTERPRETERS = "interpreters"
#: Declares none of the above (an unknown or incompletely recorded strategy).
OTHER = "other"

ROLES = (SERIAL, THREAD_POOL, PROCESS_POOL, SHIPPING, PARALLEL_INSIDE, INTERPRETERS, OTHER)

#: The families whose members are compared with each other, by role.
FAMILIES = {THREAD_POOL: "threads", PROCESS_POOL: "processes"}

#: GIL traits of flavours that count as GIL-free, most convincing first: a kernel whose
#: flavours release the GIL only partly (stdlib hashing) still gets its comparisons.
NOGIL_TRAITS = ("releases", "partial")


def role_of(capabilities: Mapping[str, Any]) -> str:
    """The role (one of :data:`ROLES`) of a strategy with these declared capabilities.

    The first matching rule wins: one worker, then self-parallel flavours, then worker
    processes (shipping inputs or reading a shared workspace), then interpreters with a
    GIL each, then threads.
    """
    if capabilities.get("single_worker"):
        return SERIAL
    if capabilities.get("drives_parallel_flavours"):
        return PARALLEL_INSIDE
    if capabilities.get("uses_processes"):
        return SHIPPING if capabilities.get("ships_inputs") else PROCESS_POOL
    if capabilities.get("own_gil_per_worker"):
        return INTERPRETERS
    if capabilities.get("uses_threads"):
        return THREAD_POOL
    return OTHER


def nogil_flavours(gils: Iterable[tuple[str, str | None]], *,
                   best_only: bool = False) -> list[str]:
    """Names of the flavours, given as ``(name, gil trait)`` in their order, whose code
    is GIL-free: those that release the GIL first, then those that release it partly.

    ``best_only`` keeps only the most convincing trait present (an axis measures the
    flavours that release the GIL fully where a kernel has any).
    """
    pairs = list(gils)
    groups = [[name for name, gil in pairs if gil == trait] for trait in NOGIL_TRAITS]
    if best_only:
        return next((group for group in groups if group), [])
    return [name for group in groups for name in group]


__all__ = ["FAMILIES", "INTERPRETERS", "NOGIL_TRAITS", "OTHER", "PARALLEL_INSIDE",
           "PROCESS_POOL", "ROLES", "SERIAL", "SHIPPING", "THREAD_POOL", "nogil_flavours",
           "role_of"]
