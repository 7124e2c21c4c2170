"""Compiled flavours from one *args function*: a kernel registers bindings, not wrappers.

A kernel with compiled code writes, per native entry point, an args function
``(workspace, chunk) -> tuple`` that checks what the native code cannot and returns the
call's positional arguments. The helpers turn it into :class:`Implementation` objects:

- :func:`cython_flavours`: ``cython-gil``, ``cython-nogil`` and ``cython-prange`` from an
  extension whose functions are ``<stem>_gil``, ``<stem>_nogil`` and ``<stem>_prange``
  (the last takes ``n_threads, schedule`` after the args);
- :func:`ctypes_flavour`: ``c-ctypes`` from a :class:`CFunction` of the C library;
- :func:`numba_flavours`: ``numba`` and ``numba-parallel`` from a cached factory
  ``factory(parallel: bool) -> compiled function``.

Every chunk function is an instance of a frozen dataclass defined here whose fields are
strings, ctypes types and module-level functions, so it pickles by reference: process
pools started with ``spawn`` send it to workers, which look the native code up again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from gilbench import native
from gilbench.kernels.base import Chunk, ChunkFunction, Implementation, Workspace

__all__ = ["ArgsFunction", "CFunction", "CtypesChunk", "CythonChunk", "NumbaChunk",
           "cython_flavours", "cython_implementation", "ctypes_flavour", "numba_flavours",
           "with_isolated"]

#: ``(workspace, chunk) -> tuple``: the positional arguments of one native call. A
#: module-level function, so that the chunk functions built from it pickle.
ArgsFunction = Callable[[Workspace, Chunk], tuple]


# Imported extensions by name: a chunk call must cost little more than the native call, and
# native.extension() builds the module path and checks its cache on every call.
_EXTENSIONS: dict[str, Any] = {}


@dataclass(frozen=True)
class CythonChunk:
    """Chunk function calling ``gilbench._native.<module>.<function>(*args(ws, chunk))``.

    ``parallel`` appends the workspace's thread count and schedule (prange functions).
    """

    module: str
    function: str
    args: ArgsFunction
    parallel: bool = False

    def __call__(self, ws: Workspace, chunk: Chunk) -> Any:
        extension = _EXTENSIONS.get(self.module)
        if extension is None:
            extension = _EXTENSIONS[self.module] = native.extension(self.module)
        fn = getattr(extension, self.function)
        if self.parallel:
            return fn(*self.args(ws, chunk), ws.threads, ws.schedule)
        return fn(*self.args(ws, chunk))


def cython_implementation(module: str, function: str, args: ArgsFunction, *,
                          parallel: bool = False,
                          figures: Callable[[list[Any]], Any] | None = None) -> Implementation:
    """One Cython flavour's :class:`Implementation` (requires its extension module).

    ``figures`` is for functions whose partials report measurements of their own (see
    :attr:`Implementation.figures`).
    """
    return Implementation(CythonChunk(module, function, args, parallel),
                          requires=(f"gilbench._native.{module}",), figures=figures)


def cython_flavours(module: str, stem: str, args: ArgsFunction) -> dict[str, Implementation]:
    """``cython-gil``, ``cython-nogil`` and ``cython-prange`` of ``<module>.<stem>_*``."""
    return {
        "cython-gil": cython_implementation(module, f"{stem}_gil", args),
        "cython-nogil": cython_implementation(module, f"{stem}_nogil", args),
        "cython-prange": cython_implementation(module, f"{stem}_prange", args, parallel=True),
    }


# Declared functions by symbol: a string key is hashed once, a CFunction on every call.
_DECLARED: dict[str, Any] = {}


@dataclass(frozen=True)
class CFunction:
    """A symbol of the plain-C library and its ctypes signature; calling it calls the C.

    The C trusts its arguments: callers check them first (the args function does). One
    signature per symbol: the library's function object is shared.
    """

    symbol: str
    restype: Any
    argtypes: tuple[Any, ...]

    def __call__(self, *args: Any) -> Any:
        fn = _DECLARED.get(self.symbol)
        if fn is None:
            fn = native.c_function(self.symbol, self.restype, list(self.argtypes))
            _DECLARED[self.symbol] = fn
        return fn(*args)


@dataclass(frozen=True)
class CtypesChunk:
    """Chunk function calling a :class:`CFunction` with ``args(ws, chunk)``."""

    function: CFunction
    args: ArgsFunction

    def __call__(self, ws: Workspace, chunk: Chunk) -> Any:
        return self.function(*self.args(ws, chunk))


def ctypes_flavour(function: CFunction, args: ArgsFunction) -> dict[str, Implementation]:
    """``c-ctypes``: ``args`` must validate everything (types, bounds, contiguity)."""
    return {"c-ctypes": Implementation(CtypesChunk(function, args))}


@dataclass(frozen=True)
class NumbaChunk:
    """Chunk function calling ``factory(parallel)(*args(ws, chunk))``.

    The parallel variant first sets numba's thread count to the workspace's.
    """

    factory: Callable[[bool], Callable[..., Any]]
    args: ArgsFunction
    parallel: bool = False

    def __call__(self, ws: Workspace, chunk: Chunk) -> Any:
        if self.parallel:
            native.numba().set_num_threads(ws.threads)
        return self.factory(self.parallel)(*self.args(ws, chunk))


def numba_flavours(factory: Callable[[bool], Callable[..., Any]],
                   args: ArgsFunction) -> dict[str, Implementation]:
    """``numba`` and ``numba-parallel`` from a cached ``factory(parallel)``.

    The factory compiles with explicit signatures, so ``prepare`` (run once per worker,
    before timing) compiles it. Serial and parallel are compiled separately: compiling a
    ``parallel=True`` function starts numba's thread pool, which the plain numba flavour
    must not pay for.
    """
    return {
        "numba": Implementation(NumbaChunk(factory, args), prepare=partial(factory, False)),
        "numba-parallel": Implementation(NumbaChunk(factory, args, parallel=True),
                                         prepare=partial(factory, True)),
    }


def with_isolated(implementations: dict[str, Implementation],
                  isolated: dict[str, ChunkFunction]) -> dict[str, Implementation]:
    """``implementations`` with ``Implementation.isolated`` set for the flavours named in
    ``isolated`` (numpy-free chunk functions from :mod:`gilbench.isolated`)."""
    return {name: replace(impl, isolated=isolated[name]) if name in isolated else impl
            for name, impl in implementations.items()}
