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
import pickle

import numpy as np

from gilbench import native
from gilbench.kernels.base import Implementation, Kernel, Problem, Workspace, even_ranges
from gilbench.kernels.bindings import CFunction, ctypes_flavour, cython_flavours, numba_flavours

MASK64 = 0xFFFFFFFFFFFFFFFF
# splitmix64 constants (Steele, Lea and Flood 2014; Vigna's reference C code).
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
#: (z >> 11) * UNIT maps a 64-bit output exactly onto a double in [0, 1).
UNIT = 2.0 ** -53
#: Samples per numpy block: bounds temporary memory (a few MiB) whatever the chunk size.
BLOCK = 1 << 16


def splitmix64(x: int, golden: int = GOLDEN, mix1: int = MIX1, mix2: int = MIX2,
               mask: int = MASK64) -> int:
    """The splitmix64 output for counter value ``x`` (Python ints masked to 64 bits).

    The constants are parameters so that a hot loop can pass its own copies (see
    :func:`python_count`); their values are always the module's.
    """
    z = (x + golden) & mask
    z = ((z ^ (z >> 30)) * mix1) & mask
    z = ((z ^ (z >> 27)) * mix2) & mask
    return z ^ (z >> 31)


#: The module constants the pure-Python loop uses, to be unpickled into objects of its own.
_LOOP_CONSTANTS = pickle.dumps((GOLDEN, MIX1, MIX2, MASK64, UNIT))


def estimate_pi(count: int, samples: int) -> float:
    """The Monte Carlo estimate 4 * count / samples (what the verified count stands for)."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1. Got {samples} instead.")
    return 4.0 * count / samples


def _chunk(ws: Workspace, chunk: tuple[int, int]) -> tuple[int, int, int]:
    start, stop = (int(v) for v in chunk)
    if not 0 <= start <= stop <= ws.params["samples"]:
        raise ValueError(f"sample range [{start}, {stop}) is outside the problem's "
                         f"{ws.params['samples']} samples")
    return ws.params["key"], start, stop


def python_count(ws: Workspace, chunk: tuple[int, int]) -> int:
    """Pure-Python chunk function: two splitmix64 outputs per sample, masked to 64 bits."""
    key, start, stop = _chunk(ws, chunk)
    # This call's own copies of the module's big ints and float: on a free-threaded build,
    # threads that looked up the same objects per sample would contend on their reference
    # counts (2.1x the CPU per chunk on 2 threads of 3.13t), which is not the loop's cost.
    golden, mix1, mix2, mask, unit = pickle.loads(_LOOP_CONSTANTS)
    count = 0
    for i in range(start, stop):
        c = (key + 2 * i) & mask
        x = (splitmix64(c, golden, mix1, mix2, mask) >> 11) * unit
        y = (splitmix64((c + 1) & mask, golden, mix1, mix2, mask) >> 11) * unit
        if x * x + y * y <= 1.0:
            count += 1
    return count


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
    sizes = {"quick": 4_000_000, "standard": 32_000_000, "full": 128_000_000}
    flavour_sizes = {"python": {"quick": 300_000, "standard": 600_000, "full": 1_200_000}}
    test_size = 3_001  # not a multiple of the chunk counts the tests use
    # 2**38 samples: about 7 minutes per repeat for the compiled flavours on one core
    # (~1.5 ns a sample), over an hour for numpy; counters stay far inside uint64.
    max_size = 2**38

    def memory_bytes(self, size: int) -> int:
        # Every flavour and the reference draw in fixed-size blocks: no per-sample memory.
        return 128 << 20

    # _chunk checks the range for every compiled flavour (C trusts it).
    implementations = {
        "python": Implementation(python_count),
        **cython_flavours("montecarlo", "count", _chunk),
        **ctypes_flavour(_C_COUNT, _chunk),
        "numpy": Implementation(numpy_count),
        **numba_flavours(_numba_count, _chunk),
    }
    not_applicable = {"stdlib": "random.random() is a stateful Mersenne Twister that holds "
                                "the GIL; no standard-library routine draws keyed samples"}

    def work_units(self, size: int) -> float:
        return float(size)

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        size = self.check_size(size)
        # Hashing the seed spreads nearby seeds far apart in counter space.
        key = splitmix64(int(seed) & MASK64)
        return Problem(self.name, size, seed, {"samples": size, "key": key})

    def split(self, problem: Problem, chunks: int) -> list[tuple[int, int]]:
        return even_ranges(problem.size, chunks)

    def merge(self, problem: Problem, workspace: Workspace, partials: list) -> int:
        return int(sum(partials))

    def reference(self, problem: Problem) -> int:
        return reference_count(problem.params["key"], problem.params["samples"])
