"""gilbench: when does releasing the GIL let threads rival multiprocessing?

Public API: the registries (kernels, flavours, strategies) and their ``register_*``
functions, :func:`measure` for one run, :func:`build_plan` for a sweep, and the results
and report helpers. See README.md.

Importing gilbench changes nothing in the process: the names below load on first use, and
the hooks a measurement relies on are installed by what measures (the ``gilbench``
command, :func:`measure`, the sweep). On a free-threaded build (3.13t), call
``gilbench.bytecode.install()`` before using anything else here, so that gilbench's
modules load as bytecode (see :mod:`gilbench.bytecode`); the command does it itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gilbench.version import __version__

#: Public name -> the module that defines it; each loads on first use (PEP 562).
_EXPORTS = {
    "advise": "gilbench.advice.api",
    "Advice": "gilbench.advice.document",
    **dict.fromkeys(("FLAVOURS", "Flavour", "get_flavour", "register_flavour"),
                    "gilbench.flavours"),
    **dict.fromkeys(("Measurement", "RunError", "RunSpec", "measure"), "gilbench.harness"),
    **dict.fromkeys(("KERNELS", "ArraySpec", "Implementation", "Kernel", "Problem",
                     "Workspace", "get_kernel", "register_kernel"), "gilbench.kernels"),
    "PROFILES": "gilbench.profiles",
    "build_plan": "gilbench.plan",
    **dict.fromkeys(("STRATEGIES", "Session", "Strategy", "get_strategy",
                     "register_strategy"), "gilbench.strategies"),
}

if TYPE_CHECKING:
    from gilbench.advice.api import advise
    from gilbench.advice.document import Advice
    from gilbench.flavours import FLAVOURS, Flavour, get_flavour, register_flavour
    from gilbench.harness import Measurement, RunError, RunSpec, measure
    from gilbench.kernels import (
        KERNELS,
        ArraySpec,
        Implementation,
        Kernel,
        Problem,
        Workspace,
        get_kernel,
        register_kernel,
    )
    from gilbench.plan import build_plan
    from gilbench.profiles import PROFILES
    from gilbench.strategies import (
        STRATEGIES,
        Session,
        Strategy,
        get_strategy,
        register_strategy,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gilbench' has no attribute {name!r}")
    from gilbench import gilwatch

    # An extension that does not declare itself free-threading compatible turns the GIL
    # back on when it loads: record which (every run reports it).
    with gilwatch.watching_imports():
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "Advice", "advise", "FLAVOURS", "KERNELS", "PROFILES", "STRATEGIES", "ArraySpec", "Flavour",
    "Implementation", "Kernel", "Measurement", "Problem", "RunError", "RunSpec", "Session",
    "Strategy", "Workspace", "__version__", "build_plan", "get_flavour", "get_kernel",
    "get_strategy", "measure", "register_flavour", "register_kernel", "register_strategy",
]
