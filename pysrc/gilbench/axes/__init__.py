"""Axes: each one quantity a sweep varies, each a feature in one package.

An axis lives in one package, ``gilbench/axes/<name>/``, one module per layer:

- ``__init__.py``: its identity, imported by every layer: the :class:`AxisInfo` (name,
  the condition the report's "When" section names, the finding kinds that read its runs)
  and the constants of its finding kinds; nothing else is imported there;
- ``plan.py``: the :class:`~gilbench.axes.base.Axis` that plans its runs (the running
  layer: kernels, strategies, run specs);
- ``findings.py``: its finders (the analysis layer: the results document alone);
- ``plot.py``: its plots and report sections (the report layer).

:data:`BUILTIN` lists the built-in axes in the order of the "When" rows; each layer loads
its own part of every one with :func:`load` (``gilbench.axes.registry`` the plans,
``gilbench.analysis`` the findings, ``gilbench.report`` the plots), so a reader never
imports a plan. Adding an axis is one package and one line in :data:`BUILTIN`; an axis
from elsewhere (a plugin, a test) registers its parts itself (see CONTRIBUTING.md).

This module imports nothing from gilbench: readers and runners both use it.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType

__all__ = ["BUILTIN", "AxisInfo", "condition_infos", "infos", "load", "register_info",
           "unregister_info"]

#: The built-in axes (name: package under gilbench.axes), in the order of the report's
#: "When" rows: task duration, GIL-held fraction, bytes per task, calls (workers, the
#: plain sweep itself, has no row).
BUILTIN: dict[str, str] = {
    "workers": "workers",
    "granularity": "granularity",
    "gil-fraction": "gilfraction",
    "payload": "payload",
    "calls": "calls",
}


@dataclass(frozen=True, kw_only=True)
class AxisInfo:
    """What every layer knows of an axis without its plan.

    ``condition`` is what the "When" section calls the condition it maps ("task
    duration"); ``finders`` are the finding kinds that read its runs, the first stating
    the condition; ``plain_sweep`` is None for an axis that plans runs of its own,
    ``"tag"`` for the one whose runs are the plain sweep (``workers``) and ``"read"`` for
    one that reads the plain sweep (``calls``).
    """

    name: str
    description: str
    condition: str
    finders: tuple[str, ...] = ()
    plain_sweep: str | None = None

    def __post_init__(self) -> None:
        if self.plain_sweep not in (None, "tag", "read"):
            raise ValueError(f"axis {self.name!r}: plain_sweep must be None, 'tag' or "
                             f"'read'. Got {self.plain_sweep!r} instead.")


_INFOS: dict[str, AxisInfo] = {}


def register_info(info: AxisInfo) -> AxisInfo:
    """Record what the layers know of an axis (its plan registers it too); the same
    info again is a no-op, another under the same name replaces it."""
    _INFOS[info.name] = info
    return info


def unregister_info(name: str) -> None:
    """Forget what the layers know of axis ``name`` (a plugin's or a test's)."""
    _INFOS.pop(name, None)


def _package(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{BUILTIN[name]}")


def infos() -> list[AxisInfo]:
    """Every axis known to this process: the built-in ones in :data:`BUILTIN`'s order,
    then those registered by plugins or tests, in registration order."""
    for name in BUILTIN:
        if name not in _INFOS:
            register_info(_package(name).INFO)
    order = list(BUILTIN)
    return sorted(_INFOS.values(),
                  key=lambda i: order.index(i.name) if i.name in order else len(order))


def condition_infos() -> list[AxisInfo]:
    """The axes the report's "When" section has a row for, in order: those that map a
    condition with findings of their own (all but ``workers``, the plain sweep itself)."""
    return [i for i in infos() if i.plain_sweep != "tag" and i.finders]


def load(part: str) -> list[ModuleType]:
    """Import the ``part`` module (``plan``, ``findings`` or ``plot``) of every built-in
    axis that has one, in :data:`BUILTIN`'s order (importing registers what it defines)."""
    modules = []
    for package in BUILTIN.values():
        name = f"{__name__}.{package}.{part}"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return modules
