"""primes: known prime counts, every flavour and strategy, schedules, bad input."""

from __future__ import annotations

import pytest

from gilbench.kernels import Workspace, get_kernel
from gilbench.kernels import primes as pr

KERNEL = get_kernel("primes")
FLAVOURS = sorted(KERNEL.implementations)
SIZE = KERNEL.test_size
# pi(x) for the primes below N, from standard tables (OEIS A006880 for powers of ten).
KNOWN = {1: 0, 2: 0, 3: 1, 4: 2, 10: 4, 100: 25, 1000: 168, 10 ** 5: 9592}
SMALL_PRIMES = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
                73, 79, 83, 89, 97}
# Edge ranges: 0, 1 and 2, one odd square (9), a prime square (49), a run of composites.
RANGES = [(0, 1), (0, 2), (1, 2), (2, 3), (0, 3), (3, 4), (4, 5), (8, 10), (9, 10),
          (49, 50), (90, 97), (90, 98), (1000, 1000), (4_000, SIZE)]


def _needs(flavour: str) -> None:
    if flavour.startswith("numba"):
        pytest.importorskip("numba", reason="numba flavours need the [peers] extra")


def _workspace(size: int = SIZE, threads: int = 2, schedule: str = "static") -> Workspace:
    ws = Workspace.local(KERNEL.make_problem(size))
    ws.threads, ws.schedule = threads, schedule
    return ws


def _count_in(start: int, stop: int) -> int:
    return pr.sieve_count(stop) - pr.sieve_count(start)


# -- the reference and the helpers ------------------------------------------------------
@pytest.mark.parametrize(("limit", "expected"), KNOWN.items())
def test_known_prime_counts(limit, expected):
    assert pr.sieve_count(limit) == expected
    assert KERNEL.reference(KERNEL.make_problem(limit)) == expected
    assert pr.count_primes_vectorised(0, limit) == expected
    if limit <= 1000:
        assert sum(pr.is_prime(n) for n in range(limit)) == expected


def test_is_prime_agrees_with_a_list_of_primes():
    assert {n for n in range(100) if pr.is_prime(n)} == SMALL_PRIMES


def test_problem_is_deterministic():
    a, b = KERNEL.make_problem(1000, seed=3), KERNEL.make_problem(1000, seed=3)
    assert a.params == b.params == {"limit": 1000}
    assert a.inputs == {} and a.outputs == {}


def test_bad_size_is_rejected():
    with pytest.raises(ValueError, match="size"):
        KERNEL.make_problem(0)
    with pytest.raises(ValueError, match=f"above its limit of {KERNEL.max_size}"):
        KERNEL.make_problem(KERNEL.max_size + 1)
    assert KERNEL.max_size < pr.MAX_CANDIDATE  # where d*d would overflow int64
    with pytest.raises(TypeError, match="size"):
        KERNEL.make_problem("100")


def test_irregular_kernel_asks_for_more_chunks():
    assert KERNEL.chunks_per_worker >= 4


# -- flavours ---------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_edge_ranges(flavour):
    _needs(flavour)
    fn, ws = KERNEL.implementations[flavour].fn, _workspace()
    for start, stop in RANGES:
        assert fn(ws, (start, stop)) == _count_in(start, stop), (start, stop)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("chunk", [(-1, 5), (5, 3), (0, SIZE + 1)])
def test_out_of_range_chunk_raises(flavour, chunk):
    _needs(flavour)
    with pytest.raises(ValueError, match="candidate range"):
        KERNEL.implementations[flavour].fn(_workspace(), chunk)


@pytest.mark.parametrize("schedule", ["static", "dynamic", "guided"])
@pytest.mark.parametrize("threads", [1, 3])
def test_prange_schedules_agree(schedule, threads):
    ws = _workspace(threads=threads, schedule=schedule)
    assert KERNEL.implementations["cython-prange"].fn(ws, (0, SIZE)) == pr.sieve_count(SIZE)


# -- strategies, through the harness ----------------------------------------------------
def test_processes_pickle_has_nothing_to_ship():
    from gilbench import FLAVOURS, STRATEGIES
    from gilbench.compat import incompatible_reason

    assert not KERNEL.supports_payload and not KERNEL.has_inputs
    assert "no inputs to ship" in incompatible_reason(KERNEL, FLAVOURS["cython-nogil"],
                                                    STRATEGIES["processes-pickle"])


def test_ctypes_wrapper_rejects_bad_input():
    c_count = KERNEL.implementations["c-ctypes"].fn
    for start, stop in [(-1, 5), (6, 5), (0, pr.MAX_CANDIDATE + 1)]:
        with pytest.raises(ValueError, match="candidate range"):
            pr.check_candidates(start, stop)
    with pytest.raises(TypeError):
        c_count(_workspace(), (None, 5))
    assert pr.check_candidates(2, 10) == (2, 10)
    assert c_count(_workspace(), (0, 1000)) == 168


@pytest.mark.parametrize("flavour", ["cython-nogil", "c-ctypes"])
def test_32_bit_division_bypass_is_exact_across_the_boundary(flavour):
    """Compiled flavours divide in 32 bits below 2**32 and in 64 bits above."""
    start, stop = 2**32 - 25, 2**32 + 25
    # A workspace as for a problem beyond max_size (a whole sweep of it would take hours):
    # only the chunk near the boundary runs.
    ws = Workspace({"limit": stop}, {})
    fn = KERNEL.chunk_function(flavour)
    assert fn(ws, (start, stop)) == sum(pr.is_prime(n) for n in range(start, stop))
