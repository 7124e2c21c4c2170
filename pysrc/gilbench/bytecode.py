"""gilbench's own modules load as bytecode on free-threaded builds, whether or not a .pyc
exists: so that threads running a pure-Python flavour do not contend on its constants.

CPython 3.13t makes the constants of code loaded from bytecode (marshal: a ``.pyc``)
immortal, but not those of code compiled from source in the running process (the first
import of a module, or any import under PYTHONDONTWRITEBYTECODE). Every thread running a
loop with a literal such as ``4.0`` then increments and decrements one shared reference
count per use: on 2 threads the mandelbrot ``python`` flavour spent 1.6-1.8x the CPU per
chunk compiled from source, 1.0x loaded from bytecode. Installed packages run from their
``.pyc``; so that gilbench measures that steady state on every run (first or not, with
or without PYTHONDONTWRITEBYTECODE), its modules are compiled and then loaded through
marshal, in memory (nothing is written).

Importing gilbench does not install the finder: the ``gilbench`` command does, before it
imports the rest of gilbench. A program that measures through the API on a free-threaded
build calls :func:`install` first, before it touches anything else of gilbench (the
modules imported before it stay as they were loaded).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import marshal
import sys
import sysconfig
import threading
import types
from typing import Any

__all__ = ["PACKAGE", "constants_immortal", "install", "installed"]

#: The package whose modules load as bytecode.
PACKAGE = "gilbench"
#: CPython's reference count of an immortal object (3.12+) is at least this.
_IMMORTAL_REFCNT = 2**30

_lock = threading.Lock()
_finder: _BytecodeFinder | None = None


class _BytecodeLoader(importlib.machinery.SourceFileLoader):
    """A source loader whose freshly compiled code goes through marshal, as a .pyc would."""

    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> types.CodeType:
        code = super().source_to_code(data, path, _optimize=_optimize)
        return marshal.loads(marshal.dumps(code))


class _BytecodeFinder(importlib.abc.MetaPathFinder):
    """Finds ``gilbench.*`` modules as the path finder does, with :class:`_BytecodeLoader`."""

    def find_spec(self, name: str, path: Any, target: Any = None):
        if not name.startswith(PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _BytecodeLoader(spec.loader.name, spec.loader.path)
        return spec


def install() -> bool:
    """On a free-threaded build, load gilbench's modules imported from now on as bytecode
    (idempotent); True when installed. Elsewhere it changes nothing: constants are only
    shared between threads that run at once where there is no GIL.

    Call it first, before anything else of gilbench is used (``import gilbench`` alone
    loads nothing else); the ``gilbench`` command does so itself::

        import gilbench.bytecode
        gilbench.bytecode.install()
        from gilbench import RunSpec, measure
    """
    global _finder
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        return False
    with _lock:
        if _finder is None:
            _finder = _BytecodeFinder()
            sys.meta_path.insert(0, _finder)
    return True


def installed() -> bool:
    """Whether :func:`install` has put the bytecode finder in place in this process."""
    return _finder is not None and _finder in sys.meta_path


def constants_immortal(fn: Any) -> bool | None:
    """Whether the numeric constants of a Python function's code (and of the code objects
    nested in it) are immortal; None where that cannot be told (not a Python function,
    no numeric constant, or a build that does not share objects between running threads).
    """
    code = getattr(fn, "__code__", None)
    if code is None or not sysconfig.get_config_var("Py_GIL_DISABLED"):
        return None
    numbers = list(_numeric_constants(code))
    if not numbers:
        return None
    is_immortal = getattr(sys, "_is_immortal", None)  # 3.14+
    if is_immortal is not None:
        return all(is_immortal(c) for c in numbers)
    # getrefcount's own argument adds one; immortal objects report a huge fixed count.
    return all(sys.getrefcount(c) >= _IMMORTAL_REFCNT for c in numbers)


def _numeric_constants(code: types.CodeType):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _numeric_constants(const)
        elif isinstance(const, (int, float, complex)) and not isinstance(const, bool):
            yield const
