"""User kernels, flavours and strategies from outside gilbench: installed packages that
declare a ``gilbench.kernels`` entry point, and modules named with ``--import``.

An entry point names a :class:`~gilbench.kernels.Kernel` subclass or instance (registered
here), or a module that registers what it defines when imported::

    [project.entry-points."gilbench.kernels"]
    sum-of-squares = "mypackage.kernels:SumOfSquares"

Every module imported here is remembered, and process workers import the same modules
before they run a chunk (:func:`worker_imports`), so user code works under the ``spawn``
and ``forkserver`` start methods too, where workers start from a fresh interpreter.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

#: The entry-point group a package declares its kernels in.
ENTRY_POINT_GROUP = "gilbench.kernels"

# Modules imported for the user, in order; process workers import the same.
_IMPORTED: list[str] = []
_ENTRY_POINTS_LOADED = False


class PluginError(ValueError):
    """A module named by ``--import`` cannot be imported: bad input, exit code 2."""


class PluginWarning(UserWarning):
    """An installed entry point is broken; gilbench goes on without it."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def import_modules(names: Iterable[str]) -> list[str]:
    """Import each module (``--import``), which registers kernels, flavours or strategies.

    The current folder is searched first, as ``python -m`` does, so ``--import mykernels``
    finds ``./mykernels.py``. PluginError names the module and the error.
    """
    done = []
    for name in names:
        name = name.strip()
        if not name:
            raise PluginError("--import needs a module name, e.g. --import mypackage.kernels")
        cwd = os.getcwd()
        if cwd not in sys.path and "" not in sys.path:
            sys.path.insert(0, cwd)
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - whatever the user's module raises
            raise PluginError(f"cannot import module {name!r} (--import): "
                              f"{_first_line(exc)}") from None
        if name not in _IMPORTED:
            _IMPORTED.append(name)
        done.append(name)
    return done


def load_entry_points() -> list[str]:
    """Load every ``gilbench.kernels`` entry point once; return the kernel names added.

    A broken entry point (it fails to import, or names something that is not a kernel)
    warns with one line naming the package and the error, and the rest goes on: one
    broken package must not stop gilbench from running the others.
    """
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return []
    _ENTRY_POINTS_LOADED = True
    added = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            added.extend(_load(ep))
        except Exception as exc:  # noqa: BLE001 - a third-party package's failure
            where = f" (from {ep.dist.name})" if getattr(ep, "dist", None) else ""
            warnings.warn(f"gilbench: entry point {ep.name!r} = {ep.value!r}{where} is "
                          f"unusable and was skipped: {_first_line(exc)}", PluginWarning,
                          stacklevel=2)
    return added


def _load(ep: EntryPoint) -> list[str]:
    from types import ModuleType

    from gilbench.kernels import KERNELS, Kernel, register_kernel

    obj = ep.load()
    if ep.module not in _IMPORTED:
        _IMPORTED.append(ep.module)
    if isinstance(obj, ModuleType):  # the module registered what it defines
        return []
    if isinstance(obj, Kernel) or (isinstance(obj, type) and issubclass(obj, Kernel)):
        name = obj.name
        if name in KERNELS and (KERNELS[name] is obj or type(KERNELS[name]) is obj):
            return []  # the module registered it itself on import
        return [register_kernel(obj).name]
    raise TypeError(f"expected a Kernel subclass, instance or module. Got {obj!r} instead.")


@dataclass(frozen=True)
class WorkerImports:
    """What a process worker loads before its first chunk, as the parent did."""

    entry_points: bool
    modules: tuple[str, ...]


def worker_imports() -> WorkerImports:
    """The entry points and modules loaded for the user so far (pass to workers)."""
    return WorkerImports(_ENTRY_POINTS_LOADED, tuple(_IMPORTED))


def import_in_worker(imports: WorkerImports | None) -> None:
    """In a worker process: load what the parent loaded, so that registrations and module
    state exist there too. A forked worker has them already (importing again is a no-op);
    a ``spawn`` or ``forkserver`` worker starts from a fresh interpreter."""
    if imports is None:
        return
    if imports.entry_points:
        with warnings.catch_warnings():  # the parent has said so already
            warnings.simplefilter("ignore", PluginWarning)
            load_entry_points()
    for name in imports.modules:
        importlib.import_module(name)


__all__ = ["ENTRY_POINT_GROUP", "PluginError", "PluginWarning", "WorkerImports",
           "import_in_worker", "import_modules", "load_entry_points", "worker_imports"]
