"""Flavours: the ways one kernel's chunk function is implemented, as a registry of specs.

A flavour says how its chunk function treats the GIL (which the GIL probe checks) and
whether it parallelises itself inside one call (then only the ``openmp`` strategy runs it).
"""

from __future__ import annotations

from dataclasses import dataclass

from gilbench import native
from gilbench.registry import add, lookup

#: The GIL is held for the whole chunk call (Python bytecode, or compiled code that keeps it).
HOLDS = "holds"
#: The GIL is released around the compute loop.
RELEASES = "releases"
#: Released for some inputs only (stdlib hashing of large buffers, numpy ufuncs on big arrays).
PARTIAL = "partial"

SCHEDULES = ("static", "dynamic", "guided")


@dataclass(frozen=True)
class Flavour:
    """A flavour's declared behaviour; kernels supply the actual chunk functions."""

    name: str
    description: str
    gil: str
    #: Parallel inside one call (OpenMP prange, numba parallel=True): ``workers`` is its
    #: thread count and only the ``openmp`` strategy drives it.
    parallel_inside: bool = False
    #: Loop schedules the flavour accepts (only meaningful when parallel_inside).
    schedules: tuple[str, ...] = ("static",)
    #: Modules (or "clib") that must be importable for the flavour to exist at all.
    requires: tuple[str, ...] = ()
    #: Parallel only when the extensions were compiled with OpenMP.
    needs_openmp: bool = False
    #: Runs as interpreted bytecode (the baseline compiled flavours are compared with).
    interpreted: bool = False
    #: Holds the GIL for a share of its work set by the problem (the ``gil-fraction``
    #: axis): an instrument, so plain sweeps leave it out unless it is named.
    tunable_gil_share: bool = False

    def traits(self) -> dict[str, object]:
        """The declared behaviour analysis reads from results.json (never the name)."""
        return {"gil": self.gil, "parallel_inside": self.parallel_inside,
                "schedules": list(self.schedules), "interpreted": self.interpreted,
                "tunable_gil_share": self.tunable_gil_share}

    def unavailable_reason(self) -> str | None:
        """None when usable on this machine, else a one-line reason."""
        for req in self.requires:
            reason = native.unavailable_reason(req)
            if reason:
                return reason
        if self.needs_openmp and not native.openmp_enabled():
            return f"{self.name} needs OpenMP, and the extensions were built without it"
        return None


FLAVOURS: dict[str, Flavour] = {}


def register_flavour(flavour: Flavour, *, replace: bool = False) -> Flavour:
    """Add ``flavour`` to the registry (a user may add their own, e.g. ``mypyc``)."""
    if flavour.gil not in (HOLDS, RELEASES, PARTIAL):
        raise ValueError(f"flavour gil must be one of {HOLDS}, {RELEASES}, {PARTIAL}. "
                         f"Got {flavour.gil!r} instead.")
    return add(FLAVOURS, "flavour", flavour.name, flavour, replace=replace)


def get_flavour(name: str) -> Flavour:
    """The registered flavour ``name``; ValueError lists the valid names."""
    return lookup(FLAVOURS, "flavour", name)


_EXT = ("gilbench._native.buildinfo",)
for _f in (
    Flavour("python", "pure Python; the interpreter holds the GIL", HOLDS, interpreted=True),
    Flavour("cython-gil", "compiled Cython loop that keeps holding the GIL", HOLDS,
            requires=_EXT),
    Flavour("cython-nogil", "compiled Cython loop inside `with nogil:`", RELEASES,
            requires=_EXT),
    Flavour("cython-prange", "Cython prange (OpenMP) team inside one call", RELEASES,
            parallel_inside=True, schedules=SCHEDULES, requires=_EXT, needs_openmp=True),
    Flavour("cython-mixed", "compiled Cython loop that holds the GIL for a tunable share f "
            "of each chunk's work, interleaved with `with nogil:` stretches", PARTIAL,
            requires=_EXT, tunable_gil_share=True),
    Flavour("c-ctypes", "plain C called through ctypes, which drops the GIL per call",
            RELEASES, requires=("clib",)),
    Flavour("numpy", "vectorised numpy; ufunc loops release the GIL on large arrays",
            PARTIAL, requires=("numpy",)),
    Flavour("numba", "numba @njit(nogil=True)", RELEASES, requires=("numba",)),
    Flavour("numba-parallel", "numba @njit(parallel=True) with prange", RELEASES,
            parallel_inside=True, requires=("numba",)),
    Flavour("stdlib", "standard library C code (hashlib, zlib) that drops the GIL itself",
            PARTIAL),
):
    register_flavour(_f)
del _f
