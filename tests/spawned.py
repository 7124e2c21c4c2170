"""Run in a spawned worker: a kernel's chunk function and prepare hook, received pickled."""

from __future__ import annotations


def run_chunks(kernel_name: str, fn, prepare, size: int) -> str | None:
    """Compute ``kernel_name``'s problem of ``size`` serially with ``fn`` (3 chunks per
    phase); None when it matches the reference, else what differs."""
    from gilbench import KERNELS
    from gilbench.kernels import Workspace

    kernel = KERNELS[kernel_name]
    problem = kernel.make_problem(size, 0)
    if prepare is not None:
        prepare()
    ws = Workspace.local(problem)
    partials = [fn(ws, chunk) for phase in kernel.phases(problem, 3) for chunk in phase]
    return kernel.compare(kernel.merge(problem, ws, partials), kernel.reference(problem))
