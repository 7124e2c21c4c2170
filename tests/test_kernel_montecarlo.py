"""montecarlo-pi: the generator, the reference, every flavour and strategy, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gilbench.kernels import Workspace, get_kernel
from gilbench.kernels import montecarlo as mc

KERNEL = get_kernel("montecarlo-pi")
FLAVOURS = sorted(KERNEL.implementations)
SERIAL_FLAVOURS = [f for f in FLAVOURS if f not in ("cython-prange", "numba-parallel")]
SIZE = KERNEL.test_size


def _needs(flavour: str) -> None:
    if flavour.startswith("numba"):
        pytest.importorskip("numba", reason="numba flavours need the [peers] extra")


def _workspace(size: int = SIZE, seed: int = 0, threads: int = 2,
               schedule: str = "static") -> Workspace:
    ws = Workspace.local(KERNEL.make_problem(size, seed))
    ws.threads, ws.schedule = threads, schedule
    return ws


def _direct_count(key: int, samples: int) -> int:
    """The definition, written out once more in the plainest way."""
    count = 0
    for i in range(samples):
        x = (mc.splitmix64(key + 2 * i) >> 11) / 2.0 ** 53
        y = (mc.splitmix64(key + 2 * i + 1) >> 11) / 2.0 ** 53
        count += x * x + y * y <= 1.0
    return count


# -- the generator and the reference ----------------------------------------------------
def test_splitmix64_matches_published_sequence():
    # Vigna's splitmix64.c seeded with 1234567 (also Java's SplittableRandom test values).
    state, got = 1234567, []
    for _ in range(5):
        got.append(mc.splitmix64(state))
        state = (state + mc.GOLDEN) & mc.MASK64
    assert got == [6457827717110365317, 3203168211198807973, 9817491932198370423,
                   4593380528125082431, 16408922859458223821]


def test_splitmix64_array_matches_scalar():
    xs = [0, 1, 2 ** 63, mc.MASK64, mc.MASK64 - mc.GOLDEN, 1234567]
    got = mc.splitmix64_array(np.array(xs, dtype=np.uint64))
    assert got.dtype == np.uint64
    assert got.tolist() == [mc.splitmix64(x) for x in xs]


@pytest.mark.parametrize("samples", [1, 2, 7, 1000])
def test_reference_matches_definition(samples):
    problem = KERNEL.make_problem(samples, seed=5)
    assert KERNEL.reference(problem) == _direct_count(problem.params["key"], samples)


def test_reference_is_independent_of_block_size():
    key = KERNEL.make_problem(1).params["key"]
    assert mc.reference_count(key, 10_000, block=1 << 20) == \
        mc.reference_count(key, 10_000, block=333)


def test_key_near_the_top_wraps_like_the_definition():
    # Counters key + 2i overflow 64 bits here: every flavour must wrap, not error or widen.
    ws = _workspace(50)
    ws.params["key"] = mc.MASK64 - 40
    expected = _direct_count(mc.MASK64 - 40, 50)
    for flavour in SERIAL_FLAVOURS:
        _needs(flavour)
        assert KERNEL.implementations[flavour].fn(ws, (0, 50)) == expected, flavour


def test_estimate_is_close_to_pi():
    problem = KERNEL.make_problem(200_000)
    count = KERNEL.reference(problem)
    # Standard error of 4 * p_hat is 4 * sqrt(p (1 - p) / n), about 0.0037 here.
    assert abs(mc.estimate_pi(count, problem.size) - math.pi) < 0.02
    with pytest.raises(ValueError, match="samples"):
        mc.estimate_pi(0, 0)


def test_problem_is_deterministic_and_seeded():
    a, b = KERNEL.make_problem(1000, seed=3), KERNEL.make_problem(1000, seed=3)
    assert a.params == b.params
    assert KERNEL.reference(a) == KERNEL.reference(b)
    assert KERNEL.make_problem(1000, seed=4).params["key"] != a.params["key"]
    assert a.inputs == {} and a.outputs == {}


def test_bad_size_is_rejected():
    with pytest.raises(ValueError, match="size"):
        KERNEL.make_problem(0)
    with pytest.raises(TypeError, match="size"):
        KERNEL.make_problem(1.5)


# -- flavours ---------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_empty_chunk_counts_nothing(flavour):
    _needs(flavour)
    assert KERNEL.implementations[flavour].fn(_workspace(), (17, 17)) == 0


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("chunk", [(-1, 5), (5, 3), (0, SIZE + 1)])
def test_out_of_range_chunk_raises(flavour, chunk):
    _needs(flavour)
    with pytest.raises(ValueError, match="sample range"):
        KERNEL.implementations[flavour].fn(_workspace(), chunk)


@pytest.mark.parametrize("schedule", ["static", "dynamic", "guided"])
@pytest.mark.parametrize("threads", [1, 3])
def test_prange_schedules_agree(schedule, threads):
    ws = _workspace(threads=threads, schedule=schedule)
    expected = KERNEL.reference(KERNEL.make_problem(SIZE))
    assert KERNEL.implementations["cython-prange"].fn(ws, (0, SIZE)) == expected


# -- strategies, through the harness ----------------------------------------------------
def test_processes_pickle_has_nothing_to_ship():
    from gilbench import FLAVOURS, STRATEGIES
    from gilbench.compat import incompatible_reason

    assert not KERNEL.supports_payload and not KERNEL.has_inputs
    assert "no inputs to ship" in incompatible_reason(KERNEL, FLAVOURS["cython-nogil"],
                                                    STRATEGIES["processes-pickle"])


def test_ctypes_wrapper_rejects_bad_input():
    c_count = KERNEL.implementations["c-ctypes"].fn
    ws = _workspace()
    with pytest.raises(ValueError, match="sample range"):
        c_count(ws, (-3, 5))
    with pytest.raises(TypeError):
        c_count(ws, (None, 5))
    assert c_count(ws, (0, 1000)) == KERNEL.implementations["cython-nogil"].fn(ws, (0, 1000))
