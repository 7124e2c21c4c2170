"""Sum of squares over a float64 array several times the last-level cache: memory-bound.

Each element is read once and costs one multiply-add, so the run streams the array from
main memory and is limited by bandwidth, not by the cores. It shows where scaling stops for
every strategy (two threads or processes may already saturate memory) and, through the
``payload`` hook, what shipping each chunk's slice to a process instead of sharing it costs.

Sizes are computed at import from :func:`gilbench.machine.last_level_cache_bytes`: quick is
4x the LLC (so no level of cache can hold the array), standard 16x, full 32x, each at most
``PROFILE_CAP_BYTES``; where the LLC size is unknown, ``FALLBACK_LLC_BYTES`` (32 MiB)
stands in for it.
"""

from __future__ import annotations

import ctypes
import functools
import math

import numpy as np

from gilbench import native
from gilbench.kernels.base import (
    Implementation,
    Kernel,
    Problem,
    Workspace,
    even_ranges,
    with_passes,
)
from gilbench.kernels.bindings import CFunction, ctypes_flavour, cython_flavours, numba_flavours
from gilbench.kernels.gilshare import ONE_KERNEL_SUFFICES
from gilbench.machine import last_level_cache_bytes

#: Elements per block, as in ext/reduction.pyx and ext/csrc/reduction.c: every compiled
#: flavour sums blocks (eight interleaved accumulators each) and adds block sums in order.
BLOCK = 4096
#: Stand-in for the last-level cache size where sysfs does not tell it.
FALLBACK_LLC_BYTES = 32 * 1024**2
#: Array size in multiples of the LLC, per profile.
LLC_MULTIPLES = {"quick": 4, "standard": 16, "full": 32}
#: Elements per numpy call: keeps the numpy flavour's work in cache-sized pieces.
NUMPY_BLOCK = 1 << 16
_ITEMSIZE = 8

Chunk = tuple[int, int]


#: The most bytes an array of each profile takes, whatever the LLC: server chips now
#: carry hundreds of MiB of L3 (480 MiB on the Xeon CI runs on), and 32x that would
#: need more memory than the machine has, and 4x would take the quick profile minutes
#: (the standard profile's 1 GiB keeps its every-axis sweep within 15 minutes).
PROFILE_CAP_BYTES = {"quick": 512 * 1024**2, "standard": 1024**3, "full": 4 * 1024**3}


def profile_sizes(llc_bytes: int | None) -> dict[str, int]:
    """Element counts per profile for a last-level cache of ``llc_bytes`` (None: unknown):
    a multiple of the LLC, at most the profile's cap."""
    llc = llc_bytes if llc_bytes and llc_bytes > 0 else FALLBACK_LLC_BYTES
    return {profile: min(k * llc, PROFILE_CAP_BYTES[profile]) // _ITEMSIZE
            for profile, k in LLC_MULTIPLES.items()}


def _check_range(x: np.ndarray, start: int, stop: int) -> tuple[int, int]:
    start, stop = int(start), int(stop)
    if not 0 <= start <= stop <= x.shape[0]:
        raise ValueError(f"index range [{start}, {stop}) is outside an array of "
                         f"{x.shape[0]} elements")
    return start, stop


def _native_args(ws: Workspace, chunk: Chunk) -> tuple:
    """(x, start, stop): Cython checks the range itself."""
    return (ws.arrays["x"], *chunk)


def c_sum_squares_args(x: np.ndarray, start: int, stop: int) -> tuple:
    """Check ``x[start:stop]`` for ``gb_reduction_sum_squares`` (the C has no checks)."""
    x = native.c_array(x, "float64", 1, writeable=False, name="x")
    start, stop = _check_range(x, start, stop)
    return (x.ctypes.data, start, stop)


def _c_args(ws: Workspace, chunk: Chunk) -> tuple:
    return c_sum_squares_args(ws.arrays["x"], *chunk)


_C_SUM = CFunction("gb_reduction_sum_squares", ctypes.c_double,
                   (ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64))


def c_sum_squares(x: np.ndarray, start: int, stop: int) -> float:
    """Checked call of ``gb_reduction_sum_squares`` on an explicit array."""
    return _C_SUM(*c_sum_squares_args(x, start, stop))


def numpy_sum(ws: Workspace, chunk: Chunk) -> float:
    """numpy chunk function: ``einsum('i,i->')`` per block, block sums added in order.

    einsum neither allocates the squares nor calls BLAS (whose ``ddot`` would start its own
    threads and oversubscribe the cores); its SIMD accumulators round differently from the
    compiled flavours, hence the kernel's tolerance.
    """
    x = ws.arrays["x"]
    start, stop = _check_range(x, *chunk)
    total = 0.0
    for lo in range(start, stop, NUMPY_BLOCK):
        block = x[lo:min(stop, lo + NUMPY_BLOCK)]
        total += float(np.einsum("i,i->", block, block))
    return total


@functools.cache
def _numba_block_sum():
    numba = native.numba()

    @numba.njit(nogil=True)
    def block_sum(x, lo, hi):
        # Same accumulators, tail and combination order as block_sum in the C and Cython.
        # Indexing a slice from 0 lets LLVM drop numba's negative-index wraparound checks,
        # which otherwise make this loop compute-bound.
        y = x[lo:hi]
        n = y.shape[0]
        n8 = n - n % 8
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
        for i in range(0, n8, 8):
            s0 += y[i] * y[i]
            s1 += y[i + 1] * y[i + 1]
            s2 += y[i + 2] * y[i + 2]
            s3 += y[i + 3] * y[i + 3]
            s4 += y[i + 4] * y[i + 4]
            s5 += y[i + 5] * y[i + 5]
            s6 += y[i + 6] * y[i + 6]
            s7 += y[i + 7] * y[i + 7]
        for i in range(n8, n):
            s0 += y[i] * y[i]
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))

    return block_sum


def _numba_signature():
    from numba import types

    return types.float64(types.Array(types.float64, 1, "C", readonly=True), types.int64,
                         types.int64)


@functools.cache
def _numba_sum(parallel: bool):
    numba = native.numba()

    block_sum = _numba_block_sum()

    if not parallel:
        @numba.njit(_numba_signature(), nogil=True)
        def range_sum(x, start, stop):
            total = 0.0
            for b in range(start, stop, BLOCK):
                total += block_sum(x, b, min(stop, b + BLOCK))
            return total

        return range_sum

    # Block sums in parallel into a scratch array, then added in order (as in the C).
    @numba.njit(_numba_signature(), nogil=True, parallel=True)
    def range_sum_parallel(x, start, stop):
        nblocks = (stop - start + BLOCK - 1) // BLOCK
        sums = np.empty(nblocks)
        for k in numba.prange(nblocks):
            b = start + k * BLOCK
            sums[k] = block_sum(x, b, min(stop, b + BLOCK))
        total = 0.0
        for k in range(nblocks):
            total += sums[k]
        return total

    return range_sum_parallel


def _numba_args(ws: Workspace, chunk: Chunk) -> tuple[np.ndarray, int, int]:
    x = ws.arrays["x"]
    start, stop = _check_range(x, *chunk)
    if x.flags.writeable:  # the signature takes a read-only array
        x = x.view()
        x.flags.writeable = False
    return x, start, stop


def exact_sum_squares(x: np.ndarray) -> float:
    """Sum of the rounded squares, correctly rounded: numpy squares per piece, fsum adds.

    ``math.fsum`` is exact over the pieces' pairwise sums, so the only error left is that
    of numpy's pairwise summation inside each piece (a few ulps): far below the tolerance.
    """
    piece = 1 << 20
    return math.fsum(float(np.square(x[lo:lo + piece]).sum())
                     for lo in range(0, x.shape[0], piece))


class Reduction(Kernel):
    """Sum of x[i]**2 over a seeded float64 array; chunk = index range, partial = float.

    Tolerance 1e-12 relative, against a nearly exact reference (exact_sum_squares). The
    compiled flavours sum blocks of ``BLOCK`` elements aligned to the chunk start (eight
    accumulators of BLOCK/8 terms, then the block sums in order, then the chunk partials),
    so the chunk count moves the rounding; numpy's einsum rounds differently again. All terms are
    positive, so the worst case (every rounding error of one sign) is about
    (BLOCK/8 + n/BLOCK + chunks) * 2**-53: 5e-13 at 16 Mi elements (4x a 32 MiB LLC), and
    growing with n/BLOCK beyond; independent rounding errors grow only like the square
    root, and the largest difference measured (seed 1, chunks 1, 3, 7, 16, every profile up
    to 128 Mi elements) was 7e-15.
    """

    name = "reduction"
    summary = ("memory-bound float64 sum of squares over 4x+ the last-level cache: shows "
               "where bandwidth, not cores, stops scaling for every strategy")
    size_unit = "float64 elements"
    test_size = 3 * BLOCK + 1_013  # several blocks and a tail that is not a multiple of 8
    sizes = profile_sizes(last_level_cache_bytes())
    tolerance = 1e-12
    # 2**36 float64 elements (512 GiB): memory binds long before time does.
    max_size = 2**36

    def memory_bytes(self, size: int) -> int:
        # The input, plus the reference's and payloads' pieces.
        return 9 * size
    supports_payload = True
    supports_outputs = True  # it writes none: a chunk returns its partial sum
    # Every flavour makes params["passes"] passes over its chunk (1 in the plain sweep): the
    # payload axis raises it, so that the compute per byte shipped runs from one streaming
    # pass to thousands of passes over a cached slice.
    implementations = with_passes({
        **cython_flavours("reduction", "sum_squares", _native_args),
        **ctypes_flavour(_C_SUM, _c_args),
        "numpy": Implementation(numpy_sum),
        **numba_flavours(_numba_sum, _numba_args),
    }, "passes")
    axis_params = {"payload": "passes"}
    not_applicable = {
        "cython-mixed": ONE_KERNEL_SUFFICES,
        "python": ("a Python loop over 16 Mi+ floats takes seconds and measures the "
                   "interpreter, not memory bandwidth"),
        "stdlib": ("no standard-library routine sums a float64 buffer without boxing "
                   "every element (math.sumprod is a Python-float loop)"),
    }

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        n = self.check_size(size)
        x = np.random.default_rng(seed).random(n)
        return Problem(self.name, n, seed, {"n": n, "passes": 1}, inputs={"x": x},
                       combine="sum")

    def split(self, problem: Problem, chunks: int) -> list[Chunk]:
        return even_ranges(problem.size, chunks)

    def merge(self, problem: Problem, workspace: Workspace, partials: list) -> float:
        """Partial sums added in chunk order (not ``sum``: Python 3.12 compensates it)."""
        total = 0.0
        for partial in partials:
            total += partial
        return total

    def reference(self, problem: Problem) -> float:
        return exact_sum_squares(problem.inputs["x"])

    def payload(self, problem: Problem, chunk: Chunk) -> tuple[Chunk, dict[str, np.ndarray]]:
        """The chunk's slice of ``x`` (a view: the strategy decides how it travels)."""
        x = problem.inputs["x"]
        start, stop = _check_range(x, *chunk)
        return (0, stop - start), {"x": x[start:stop]}

    def work_bytes(self, problem: Problem) -> int:
        """Every element is read once per pass."""
        return problem.size * _ITEMSIZE * problem.params.get("passes", 1)
