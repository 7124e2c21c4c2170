"""gilbench: when does releasing the GIL let threads rival multiprocessing?

Public API: the registries (kernels, flavours, strategies) and their ``register_*``
functions, :func:`measure` for one run, :func:`build_plan` for a sweep, and the results
and report helpers. See README.md.
"""

# On a free-threaded CPython: the rest of gilbench loads as bytecode, so that threads do
# not contend on the constants of its pure-Python flavours (see gilbench.bytecode); and
# an import of an extension that does not declare itself free-threading compatible turns
# the GIL back on: record which (every run reports it).
from gilbench import bytecode, gilwatch  # noqa: E402
from gilbench.version import __version__

bytecode.install()
gilwatch.install()
with gilwatch.watching_imports():
    from gilbench.flavours import FLAVOURS, Flavour, get_flavour, register_flavour  # noqa: E402
    from gilbench.harness import Measurement, RunError, RunSpec, measure  # noqa: E402
    from gilbench.kernels import (  # noqa: E402
        KERNELS,
        ArraySpec,
        Implementation,
        Kernel,
        Problem,
        Workspace,
        get_kernel,
        register_kernel,
    )
    from gilbench.plan import PROFILES, build_plan  # noqa: E402
    from gilbench.strategies import (  # noqa: E402
        STRATEGIES,
        Session,
        Strategy,
        get_strategy,
        register_strategy,
    )

__all__ = [
    "FLAVOURS", "KERNELS", "PROFILES", "STRATEGIES", "ArraySpec", "Flavour",
    "Implementation", "Kernel", "Measurement", "Problem", "RunError", "RunSpec", "Session",
    "Strategy", "Workspace", "__version__", "build_plan", "get_flavour", "get_kernel",
    "get_strategy", "measure", "register_flavour", "register_kernel", "register_strategy",
]
