"""Loading the compiled parts: Cython extensions and the plain-C ctypes library.

Everything here degrades to a reason string instead of raising at import time, so that
gilbench (its report, its list of what is unavailable) works without a build.
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import importlib.util
from types import ModuleType

import numpy as np

CLIB_MODULE = "gilbench._native.libgilbench"


class NativeUnavailable(ImportError):
    """A compiled component (or optional dependency) is missing; the message says why."""


@functools.cache
def _import(module: str) -> ModuleType | str:
    if module == "numba":
        _configure_numba()
    try:
        return importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - any import failure is a reason to report
        return f"{module} cannot be imported ({type(exc).__name__}: {exc})"


def module(name: str) -> ModuleType:
    """Import ``name`` (cached) or raise NativeUnavailable with the reason."""
    mod = _import(name)
    if isinstance(mod, str):
        raise NativeUnavailable(mod)
    return mod


def extension(name: str) -> ModuleType:
    """The Cython extension ``gilbench._native.<name>``."""
    return module(f"gilbench._native.{name}")


@functools.cache
def _clib() -> ctypes.CDLL | str:
    spec = importlib.util.find_spec(CLIB_MODULE)
    if spec is None or not spec.origin:
        return f"the C library {CLIB_MODULE} was not built (run pip install -e .)"
    try:
        return ctypes.CDLL(spec.origin)
    except OSError as exc:
        return f"the C library {spec.origin} cannot be loaded ({exc})"


def clib() -> ctypes.CDLL:
    """The plain-C shared library shipped in the package; ctypes drops the GIL per call."""
    lib = _clib()
    if isinstance(lib, str):
        raise NativeUnavailable(lib)
    return lib


def unavailable_reason(requirement: str) -> str | None:
    """None when ``requirement`` (a module name, or ``"clib"``) is usable, else why not."""
    if requirement == "clib":
        lib = _clib()
        return lib if isinstance(lib, str) else None
    mod = _import(requirement)
    return mod if isinstance(mod, str) else None


def c_function(name: str, restype, argtypes) -> ctypes._CFuncPtr:
    """Look up ``name`` in the C library and declare its signature."""
    fn = getattr(clib(), name)
    fn.restype = restype
    fn.argtypes = argtypes
    return fn


def c_array(arr: object, dtype: str, ndim: int, *, writeable: bool, name: str) -> np.ndarray:
    """Check that ``arr`` can be handed to C as a pointer; raise TypeError/ValueError if not.

    C has no memoryview checks, so the ctypes wrappers validate here what Cython checks for
    free: type, dtype, dimensions, C contiguity and (for outputs) writeability.
    """
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray. Got {type(arr).__name__} instead.")
    if arr.dtype != np.dtype(dtype):
        raise ValueError(f"{name} must have dtype {dtype}. Got {arr.dtype} instead.")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s). Got {arr.ndim} instead.")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if writeable and not arr.flags.writeable:
        raise ValueError(f"{name} is read-only but is written to")
    return arr


def numba() -> ModuleType:
    """numba for the peer flavours, configured for fair measurements (see below)."""
    return module("numba")


def _configure_numba() -> None:
    """Environment defaults numba reads once, at import.

    Unless the user chose otherwise, numba's parallel layer is ``workqueue``: its 'omp'
    layer shares libgomp with cython-prange, and two spinning OpenMP teams in one process
    slow each other down (seen: prange 3.4 ms -> 10 ms after a numba parallel compile).
    Its thread cap is raised to twice the usable cores so oversubscription points can run.
    """
    import os
    import sys

    if "numba" not in sys.modules:
        os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 1
        os.environ.setdefault("NUMBA_NUM_THREADS", str(2 * cores))


def build_info() -> dict[str, object]:
    """How the extensions were built, or why that is unknown."""
    try:
        info = extension("buildinfo")
    except NativeUnavailable as exc:
        return {"built": False, "reason": str(exc), "openmp": False}
    return {
        "built": True,
        "openmp": info.OPENMP,
        "openmp_spec": info.OPENMP_SPEC,
        "openmp_max_threads": info.openmp_max_threads(),
        "cflags": info.CFLAGS,
        "boundscheck": info.BOUNDSCHECK,
        "clib": unavailable_reason("clib") or "loaded",
    }


def openmp_enabled() -> bool:
    """True when the extensions were compiled with OpenMP."""
    return bool(build_info().get("openmp"))
