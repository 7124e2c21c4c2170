"""Prime counting by trial division: integer division in a loop, badly unbalanced work.

Each candidate n is divided by 2 and then by odd d while d*d <= n. Primes cost about
sqrt(n)/2 divisions, most composites leave after one or two, and later candidates cost
more than earlier ones, so equal-sized chunks carry unequal work: the kernel that shows
what the chunk count and the OpenMP schedule (static, dynamic, guided) are worth.
"""

from __future__ import annotations

import ctypes
import functools
import math

import numpy as np

from gilbench import native
from gilbench.kernels.base import Implementation, Kernel, Problem, Workspace, even_ranges
from gilbench.kernels.bindings import CFunction, ctypes_flavour, cython_flavours, numba_flavours
from gilbench.kernels.gilshare import ONE_KERNEL_SUFFICES

#: Largest candidate bound: beyond it d*d in the trial-division loop could overflow int64.
MAX_CANDIDATE = 2 ** 62


def _chunk(ws: Workspace, chunk: tuple[int, int]) -> tuple[int, int]:
    start, stop = (int(v) for v in chunk)
    if not 0 <= start <= stop <= ws.params["limit"]:
        raise ValueError(f"candidate range [{start}, {stop}) is outside the problem's "
                         f"[0, {ws.params['limit']})")
    return start, stop


def is_prime(n: int) -> bool:
    """Trial division, exactly as every compiled flavour does it."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def python_count(ws: Workspace, chunk: tuple[int, int]) -> int:
    """Pure-Python chunk function."""
    start, stop = _chunk(ws, chunk)
    return sum(1 for n in range(start, stop) if is_prime(n))


def count_primes_vectorised(start: int, stop: int) -> int:
    """Trial division vectorised over the candidates: one pass per odd divisor.

    Survivors that divide by d (and are not d) are composite; survivors with d*d > n are
    prime and leave the working set, so each pass touches only the undecided candidates.
    """
    count = 1 if start <= 2 < stop else 0
    first_odd = max(start, 3) | 1
    cand = np.arange(first_odd, stop, 2, dtype=np.int64)
    d = 3
    while cand.size:
        # cand stays sorted: those below d*d have no divisor <= sqrt(n) left, so are prime.
        decided = int(np.searchsorted(cand, d * d))
        if decided:
            count += decided
            cand = cand[decided:]
        cand = cand[cand % d != 0]
        d += 2
    return count


def numpy_count(ws: Workspace, chunk: tuple[int, int]) -> int:
    """numpy chunk function: see :func:`count_primes_vectorised`."""
    return count_primes_vectorised(*_chunk(ws, chunk))


def check_candidates(start: int, stop: int) -> tuple[int, int]:
    """Validate a candidate range for C, which trusts it; return it as ints."""
    start, stop = int(start), int(stop)
    if not 0 <= start <= stop <= MAX_CANDIDATE:
        raise ValueError(f"candidate range [{start}, {stop}) is outside [0, 2**62]")
    return start, stop


def _c_args(ws: Workspace, chunk: tuple[int, int]) -> tuple[int, int]:
    """c-ctypes arguments: the range checked against the problem and against int64."""
    return check_candidates(*_chunk(ws, chunk))


_C_COUNT = CFunction("gb_primes_count", ctypes.c_int64, (ctypes.c_int64, ctypes.c_int64))


# One factory per variant: compiling a parallel=True function starts numba's thread pool,
# which the plain numba flavour must not pay for.
@functools.cache
def _numba_count(parallel: bool):
    numba = native.numba()

    @numba.njit("int64(int64)", nogil=True)
    def prime(n):
        if n < 2:
            return 0
        if n % 2 == 0:
            return 1 if n == 2 else 0
        d = 3
        while d * d <= n:
            if n % d == 0:
                return 0
            d += 2
        return 1

    sig = "int64(int64, int64)"

    if not parallel:
        @numba.njit(sig, nogil=True)
        def count(start, stop):
            total = 0
            for n in range(start, stop):
                total += prime(n)
            return total

        return count

    # numba's prange splits statically: one block per thread, so late blocks cost more.
    @numba.njit(sig, nogil=True, parallel=True)
    def count_parallel(start, stop):
        total = 0
        for n in numba.prange(start, stop):
            total += prime(n)
        return total

    return count_parallel


def sieve_count(limit: int) -> int:
    """pi(limit - 1): the primes below ``limit``, by a numpy sieve of Eratosthenes."""
    if limit <= 2:
        return 0
    is_p = np.ones(limit, dtype=bool)
    is_p[:2] = False
    for p in range(2, int(limit ** 0.5) + 1):
        if is_p[p]:
            is_p[p * p::p] = False
    return int(np.count_nonzero(is_p))


class Primes(Kernel):
    """Counts the primes below ``size``; the result is an exact int (tolerance 0)."""

    name = "primes"
    summary = ("integer division with irregular work per candidate: exposes load "
               "imbalance, so chunk count and OpenMP schedule matter")
    size_unit = "candidates (count primes below)"
    # Quick: 400 000 candidates give the compiled flavours ~20 ms a run, so that the
    # pools' per-chunk dispatch (16 chunks) does not decide the verdict; the interpreted
    # flavour, ~25x slower, counts fewer (work_units compares them).
    sizes = {"quick": 400_000, "standard": 500_000, "full": 1_300_000}
    flavour_sizes = {"python": {"quick": 90_000, "standard": 500_000, "full": 1_300_000}}
    test_size = 5_003  # covers 2, squares of primes and gaps; not a round number
    # Equal ranges carry unequal work (later candidates cost more): more, smaller chunks
    # let a pool even out the load.
    chunks_per_worker = 8
    # 2**28 candidates: about 5 minutes for the compiled flavours on one core (trial
    # division grows like n**1.5); far below MAX_CANDIDATE, where int64 would overflow.
    max_size = 2**28

    def work_units(self, size: int) -> float:
        # Trial division of each prime p by the primes up to sqrt(p): about
        # n**1.5 / ln(n) divisions below n (composites stop early and add little).
        return size ** 1.5 / math.log(max(size, 3))

    def memory_bytes(self, size: int) -> int:
        # The reference sieve (1 B a candidate), numpy's int64 candidates of chunks in flight.
        return 8 * size
    implementations = {
        "python": Implementation(python_count),
        **cython_flavours("primes", "count", _chunk),
        **ctypes_flavour(_C_COUNT, _c_args),
        "numpy": Implementation(numpy_count),
        **numba_flavours(_numba_count, _chunk),
    }
    not_applicable = {"cython-mixed": ONE_KERNEL_SUFFICES,
                      "stdlib": "no standard-library routine tests primality "
                                "(math has gcd and isqrt, nothing that counts primes)"}
    # Params alone define a problem and a chunk returns its count: nothing to ship.
    has_inputs = False
    supports_outputs = True

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        size = self.check_size(size)
        if size > MAX_CANDIDATE:
            raise ValueError(f"{self.name} size must be <= 2**62. Got {size} instead.")
        # The seed does not matter: the candidates are 0 .. size-1 whatever it is.
        return Problem(self.name, size, seed, {"limit": size}, combine="sum")

    def split(self, problem: Problem, chunks: int) -> list[tuple[int, int]]:
        return even_ranges(problem.size, chunks)

    def merge(self, problem: Problem, workspace: Workspace, partials: list) -> int:
        return int(sum(partials))

    def reference(self, problem: Problem) -> int:
        return sieve_count(problem.params["limit"])
