"""Monte Carlo pi: pure integer-and-float compute on registers, no data at all.

Each sample hashes its own index with splitmix64 (a counter-based generator keyed by the
problem seed), so there is no generator state to share or split and the count is
bit-identical however the samples are chunked. Nothing is read or written but a count:
the purest test of whether releasing the GIL lets threads scale like processes, and the
case where pure Python (arbitrary-precision ints masked to 64 bits) is furthest behind.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

from gilbench import native
from gilbench.isolated import montecarlo as isolated
from gilbench.isolated.montecarlo import (  # noqa: F401  (re-exported: the kernel's API)
    GOLDEN,
    MASK64,
    MIX1,
    MIX2,
    UNIT,
    check_chunk,
    python_count,
    splitmix64,
)
from gilbench.kernels.base import Implementation, Kernel, Problem, Workspace, even_ranges
from gilbench.kernels.bindings import (
    CFunction,
    ctypes_flavour,
    cython_flavours,
    numba_flavours,
    with_isolated,
)
from gilbench.kernels.gilshare import ONE_KERNEL_SUFFICES

#: Samples per numpy block: bounds temporary memory (a few MiB) whatever the chunk size.
BLOCK = 1 << 16


def estimate_pi(count: int, samples: int) -> float:
    """The Monte Carlo estimate 4 * count / samples (what the verified count stands for)."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1. Got {samples} instead.")
    return 4.0 * count / samples


# The python flavour is the numpy-free code that subinterpreters run too.
_chunk = check_chunk


# numpy scalars, so that array arithmetic stays in uint64 (and wraps) instead of promoting.
GOLDEN_U64, MIX1_U64, MIX2_U64 = np.uint64(GOLDEN), np.uint64(MIX1), np.uint64(MIX2)


def splitmix64_array(x: np.ndarray) -> np.ndarray:
    """splitmix64 of every uint64 counter in ``x`` (uint64 array arithmetic wraps silently)."""
    z = x + GOLDEN_U64
    z = (z ^ (z >> np.uint64(30))) * MIX1_U64
    z = (z ^ (z >> np.uint64(27))) * MIX2_U64
    return z ^ (z >> np.uint64(31))


def _unit_doubles(z: np.ndarray) -> np.ndarray:
    return (z >> np.uint64(11)).astype(np.float64) * UNIT


def numpy_count(ws: Workspace, chunk: tuple[int, int]) -> int:
    """numpy chunk function: the x and y streams of each block as uint64 vectors."""
    key, start, stop = _chunk(ws, chunk)
    base = np.uint64(key)
    count = 0
    for lo in range(start, stop, BLOCK):
        c = base + np.uint64(2) * np.arange(lo, min(lo + BLOCK, stop), dtype=np.uint64)
        x = _unit_doubles(splitmix64_array(c))
        y = _unit_doubles(splitmix64_array(c + np.uint64(1)))
        count += int(np.count_nonzero(x * x + y * y <= 1.0))
    return count


_C_COUNT = CFunction("gb_montecarlo_count", ctypes.c_int64,
                     (ctypes.c_uint64, ctypes.c_int64, ctypes.c_int64))


# One factory per variant: compiling a parallel=True function starts numba's thread pool,
# which the plain numba flavour must not pay for.
@functools.cache
def _numba_count(parallel: bool):
    numba = native.numba()

    # Every operand is uint64: numba turns mixed uint64/int64 arithmetic into float64.
    golden, mix1, mix2 = GOLDEN_U64, MIX1_U64, MIX2_U64
    s11, s27, s30, s31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)
    one, two = np.uint64(1), np.uint64(2)

    @numba.njit("uint64(uint64)", nogil=True)
    def mix(x):
        z = x + golden
        z = (z ^ (z >> s30)) * mix1
        z = (z ^ (z >> s27)) * mix2
        return z ^ (z >> s31)

    @numba.njit("int64(uint64, uint64)", nogil=True)
    def inside(key, i):
        x = np.float64(mix(key + two * i) >> s11) * UNIT
        y = np.float64(mix(key + two * i + one) >> s11) * UNIT
        return 1 if x * x + y * y <= 1.0 else 0

    sig = "int64(uint64, int64, int64)"

    if not parallel:
        @numba.njit(sig, nogil=True)
        def count(key, start, stop):
            n = 0
            for i in range(start, stop):
                n += inside(key, np.uint64(i))
            return n

        return count

    @numba.njit(sig, nogil=True, parallel=True)
    def count_parallel(key, start, stop):
        n = 0
        for i in numba.prange(start, stop):
            n += inside(key, np.uint64(i))
        return n

    return count_parallel


def reference_count(key: int, samples: int, block: int = 1 << 20) -> int:
    """Independent of the flavours' loops: one interleaved stream of 2*samples outputs,
    generated in large blocks and read as (x, y) pairs."""
    count = 0
    for lo in range(0, samples, block):
        hi = min(lo + block, samples)
        counters = np.uint64(key) + np.arange(2 * lo, 2 * hi, dtype=np.uint64)
        xy = _unit_doubles(splitmix64_array(counters)).reshape(hi - lo, 2)
        x, y = xy[:, 0], xy[:, 1]
        count += int(np.count_nonzero(x * x + y * y <= 1.0))
    return count


class MonteCarloPi(Kernel):
    """Counts the samples inside the quarter circle; the estimate is :func:`estimate_pi`.

    The result is an exact integer count (tolerance 0): every flavour draws the same
    doubles and compares ``x*x + y*y <= 1.0`` with the same rounding.
    """

    name = "montecarlo-pi"
    summary = ("pure register compute with no memory traffic and a counter-based RNG: "
               "the cleanest test of GIL release, and pure Python's worst case")
    size_unit = "samples"
    # Compiled code draws a sample in under a nanosecond, Python in about a microsecond:
    # one size cannot suit both, so Python runs a smaller problem and reports compare
    # time per sample (the work is exactly proportional to the sample count).
    sizes = {"quick": 16_000_000, "standard": 32_000_000, "full": 128_000_000}
    # Quick: 16 M samples give the compiled flavours ~18 ms a run, so a worker's wake-up
    # does not decide the verdict; numpy (its temporaries) and interpreted Python run
    # fewer samples (work_units compares them per sample).
    flavour_sizes = {"python": {"quick": 60_000, "standard": 600_000, "full": 1_200_000},
                     "numpy": {"quick": 4_000_000, "standard": 32_000_000,
                               "full": 128_000_000}}
    test_size = 3_001  # not a multiple of the chunk counts the tests use
    # 2**38 samples: about 7 minutes per repeat for the compiled flavours on one core
    # (~1.5 ns a sample), over an hour for numpy; counters stay far inside uint64.
    max_size = 2**38

    def memory_bytes(self, size: int) -> int:
        # Every flavour and the reference draw in fixed-size blocks: no per-sample memory.
        return 128 << 20

    # _chunk checks the range for every compiled flavour (C trusts it).
    implementations = {
        "python": Implementation(python_count, isolated=python_count),
        **with_isolated(cython_flavours("montecarlo", "count", _chunk),
                        {"cython-gil": isolated.cython_gil_count,
                         "cython-nogil": isolated.cython_nogil_count}),
        **ctypes_flavour(_C_COUNT, _chunk),
        "numpy": Implementation(numpy_count),
        **numba_flavours(_numba_count, _chunk),
    }
    not_applicable = {"cython-mixed": ONE_KERNEL_SUFFICES,
                      "stdlib": "random.random() is a stateful Mersenne Twister that holds "
                                "the GIL; no standard-library routine draws keyed samples"}

    # Params alone define a problem and a chunk returns its count: nothing to ship.
    has_inputs = False
    supports_outputs = True

    def work_units(self, size: int) -> float:
        return float(size)

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        size = self.check_size(size)
        # Hashing the seed spreads nearby seeds far apart in counter space.
        key = splitmix64(int(seed) & MASK64)
        return Problem(self.name, size, seed, {"samples": size, "key": key}, combine="sum")

    def split(self, problem: Problem, chunks: int) -> list[tuple[int, int]]:
        return even_ranges(problem.size, chunks)

    def merge(self, problem: Problem, workspace: Workspace, partials: list) -> int:
        return int(sum(partials))

    def reference(self, problem: Problem) -> int:
        return reference_count(problem.params["key"], problem.params["samples"])
