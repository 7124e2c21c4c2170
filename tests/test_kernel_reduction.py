"""reduction: LLC-based sizes, the reference, payload(), flavours and strategies, bad input."""

from __future__ import annotations

import ctypes
import math
import pickle

import numpy as np
import pytest

from gilbench import FLAVOURS, native
from gilbench.kernels import Workspace, get_kernel
from gilbench.kernels import reduction as rd
from gilbench.machine import last_level_cache_bytes
from gilbench.native import extension

KERNEL = get_kernel("reduction")
FLAVOURS_HERE = sorted(KERNEL.implementations)
PARALLEL = [f for f in FLAVOURS_HERE if FLAVOURS[f].parallel_inside]
#: Flavours that share the block/accumulator order: bit-identical partials.
BLOCKED = [f for f in FLAVOURS_HERE if f != "numpy"]
SIZE = KERNEL.test_size
# Ranges around block (4096) and accumulator (8) boundaries, empty and single elements.
RANGES = [(0, 0), (5, 5), (0, 1), (3, 4), (0, 7), (0, 8), (1, 9), (0, 4095), (0, 4096),
          (0, 4097), (13, 8205), (4096, 8192), (100, SIZE), (0, SIZE)]


def _needs(flavour: str) -> None:
    if flavour.startswith("numba"):
        pytest.importorskip("numba", reason="numba flavours need the [peers] extra")


def _workspace(problem=None, threads: int = 2, schedule: str = "static") -> Workspace:
    ws = Workspace.local(problem or KERNEL.make_problem(SIZE))
    ws.threads, ws.schedule = threads, schedule
    return ws


def _fsum_squares(x: np.ndarray) -> float:
    """Correctly rounded sum of the rounded squares, the slow obvious way."""
    return math.fsum(v * v for v in x.tolist())


# -- sizes, problem, reference ------------------------------------------------------------
def test_sizes_are_multiples_of_the_last_level_cache():
    assert KERNEL.sizes == rd.profile_sizes(last_level_cache_bytes())
    llc = last_level_cache_bytes() or rd.FALLBACK_LLC_BYTES
    assert KERNEL.sizes["quick"] * 8 >= min(4 * llc, rd.PROFILE_CAP_BYTES["quick"])
    assert KERNEL.sizes["quick"] < KERNEL.sizes["standard"] < KERNEL.sizes["full"]


def test_a_huge_cache_caps_the_arrays_at_what_memory_and_time_allow():
    # A 480 MiB L3 (the Xeon of this project's CI): 32x would be 15 GiB of float64.
    sizes = rd.profile_sizes(480 * 1024**2)
    assert {p: n * 8 for p, n in sizes.items()} == rd.PROFILE_CAP_BYTES
    assert rd.profile_sizes(32 * 1024**2)["full"] * 8 == 32 * 32 * 1024**2  # below the caps


@pytest.mark.parametrize("llc", [None, 0, -1])
def test_unknown_cache_size_falls_back(llc):
    assert rd.profile_sizes(llc) == rd.profile_sizes(rd.FALLBACK_LLC_BYTES)
    assert rd.profile_sizes(llc)["quick"] == 16 * 1024**2  # 4 x 32 MiB of float64


def test_sizes_follow_the_cache():
    assert rd.profile_sizes(8 * 1024**2) == {"quick": 4 * 1024**2, "standard": 16 * 1024**2,
                                             "full": 32 * 1024**2}


def test_exact_sum_squares_on_known_values():
    assert rd.exact_sum_squares(np.array([1.0, 2.0, 3.0])) == 14.0
    assert rd.exact_sum_squares(np.array([])) == 0.0
    assert rd.exact_sum_squares(np.full(3 << 20, 0.5)) == 0.25 * (3 << 20)  # several pieces


def test_reference_is_the_correctly_rounded_sum():
    problem = KERNEL.make_problem(SIZE, seed=2)
    assert KERNEL.reference(problem) == pytest.approx(_fsum_squares(problem.inputs["x"]),
                                                      rel=1e-15)


def test_problem_is_deterministic_and_seeded():
    a, b = KERNEL.make_problem(1000, seed=3), KERNEL.make_problem(1000, seed=3)
    c = KERNEL.make_problem(1000, seed=4)
    np.testing.assert_array_equal(a.inputs["x"], b.inputs["x"])
    assert not np.array_equal(a.inputs["x"], c.inputs["x"])
    assert a.params == {"n": 1000, "passes": 1} and a.outputs == {}
    assert a.inputs["x"].dtype == np.float64 and 0.0 <= a.inputs["x"].min()
    assert a.inputs["x"].max() < 1.0


@pytest.mark.parametrize("size", [0, -3])
def test_bad_size_is_rejected(size):
    with pytest.raises(ValueError, match="size"):
        KERNEL.make_problem(size)


def test_work_bytes_is_one_read_of_the_array():
    problem = KERNEL.make_problem(SIZE)
    assert KERNEL.work_bytes(problem) == SIZE * 8 == problem.input_bytes


def test_merge_adds_partials_in_chunk_order():
    partials = [1e16, 1.0, -1e16, 1.0]
    assert KERNEL.merge(None, None, partials) == ((1e16 + 1.0) - 1e16) + 1.0


# -- flavours -----------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS_HERE)
def test_each_range_is_summed_within_the_tolerance(flavour):
    _needs(flavour)
    ws = _workspace()
    x = ws.arrays["x"]
    fn = KERNEL.implementations[flavour].fn
    for start, stop in RANGES:
        expected = _fsum_squares(x[start:stop])
        got = fn(ws, (start, stop))
        assert isinstance(got, float)
        assert got == pytest.approx(expected, rel=1e-14, abs=0.0), (start, stop)


@pytest.mark.parametrize("chunks", [1, 3, 7])
def test_blocked_flavours_are_bit_identical(chunks):
    """Cython and C always (no extra needed); numba too where [peers] is installed."""
    problem = KERNEL.make_problem(SIZE)
    results = {}
    flavours = [f for f in BLOCKED
                if not (FLAVOURS[f].requires == ("numba",) and native.unavailable_reason("numba"))]
    assert {"cython-gil", "cython-nogil", "cython-prange", "c-ctypes"} <= set(flavours)
    for flavour in flavours:
        ws = _workspace(problem)
        fn = KERNEL.implementations[flavour].fn
        results[flavour] = KERNEL.merge(problem, ws,
                                        [fn(ws, c) for c in KERNEL.split(problem, chunks)])
    assert len(set(results.values())) == 1, results


def test_payload_is_the_chunk_slice_rebased():
    problem = KERNEL.make_problem(SIZE)
    assert KERNEL.supports_payload
    chunk, inputs = KERNEL.payload(problem, (100, 5000))
    assert chunk == (0, 4900)
    assert set(inputs) == {"x"}
    np.testing.assert_array_equal(inputs["x"], problem.inputs["x"][100:5000])


@pytest.mark.parametrize("flavour", FLAVOURS_HERE)
def test_chunk_function_on_the_payload_gives_the_same_partial(flavour):
    _needs(flavour)
    problem = KERNEL.make_problem(SIZE)
    full = _workspace(problem)
    fn = KERNEL.implementations[flavour].fn
    for chunk in [*KERNEL.split(problem, 3), (13, 8205), (7, 7)]:
        # Pickled as a strategy that ships inputs would: a fresh, writeable copy.
        rebased, inputs = pickle.loads(pickle.dumps(KERNEL.payload(problem, chunk)))
        shipped = Workspace(full.params, {**full.arrays, **inputs}, full.threads,
                            full.schedule)
        assert fn(shipped, rebased) == fn(full, chunk), chunk


@pytest.mark.parametrize("chunk", [(-1, 5), (0, SIZE + 1), (9, 3)])
def test_payload_rejects_chunks_outside_the_array(chunk):
    with pytest.raises(ValueError, match="range"):
        KERNEL.payload(KERNEL.make_problem(SIZE), chunk)


# -- bad input to the native functions ----------------------------------------------------
def _native_calls():
    ext = extension("reduction")
    return {
        "gil": ext.sum_squares_gil,
        "nogil": ext.sum_squares_nogil,
        "prange": lambda x, s, e: ext.sum_squares_prange(x, s, e, 2),
        "ctypes": rd.c_sum_squares,
    }


CALLS = ["gil", "nogil", "prange", "ctypes"]


@pytest.mark.parametrize("call", CALLS)
def test_wrong_dtype_is_rejected(call):
    with pytest.raises((ValueError, TypeError)):
        _native_calls()[call](np.ones(10, dtype=np.float32), 0, 10)


@pytest.mark.parametrize("call", CALLS)
def test_non_contiguous_and_2d_arrays_are_rejected(call):
    with pytest.raises(ValueError):
        _native_calls()[call](np.ones(20)[::2], 0, 10)
    with pytest.raises(ValueError):
        _native_calls()[call](np.ones((2, 5)), 0, 5)


@pytest.mark.parametrize("call", CALLS)
def test_lists_are_rejected(call):
    with pytest.raises(TypeError):
        _native_calls()[call]([1.0, 2.0], 0, 2)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(("start", "stop"), [(-1, 2), (0, 11), (5, 4), (11, 11)])
def test_out_of_range_chunks_are_rejected(call, start, stop):
    with pytest.raises(ValueError, match="range"):
        _native_calls()[call](np.ones(10), start, stop)


@pytest.mark.parametrize("call", CALLS)
def test_empty_arrays_and_ranges_sum_to_zero(call):
    assert _native_calls()[call](np.ones(0), 0, 0) == 0.0
    assert _native_calls()[call](np.ones(10), 4, 4) == 0.0


@pytest.mark.parametrize("call", CALLS)
def test_read_only_input_is_accepted(call):
    x = np.arange(10, dtype=np.float64)
    x.flags.writeable = False
    assert _native_calls()[call](x, 0, 10) == 285.0


def test_prange_rejects_bad_threads_and_schedule():
    ext = extension("reduction")
    with pytest.raises(ValueError, match="n_threads"):
        ext.sum_squares_prange(np.ones(10), 0, 10, 0)
    with pytest.raises(ValueError, match="schedule"):
        ext.sum_squares_prange(np.ones(10), 0, 10, 2, "auto")


def test_block_size_agrees_with_the_native_code():
    assert extension("reduction").BLOCK == rd.BLOCK
    block = native.c_function("gb_reduction_block", ctypes.c_int64, [])
    assert block() == rd.BLOCK


@pytest.mark.parametrize("flavour", ["numpy", "numba", "numba-parallel"])
def test_python_side_flavours_reject_out_of_range_chunks(flavour):
    _needs(flavour)
    with pytest.raises(ValueError, match="range"):
        KERNEL.implementations[flavour].fn(_workspace(), (0, SIZE + 1))


def test_a_run_records_the_bytes_it_streams():
    from gilbench.harness import RunSpec, measure

    m = measure(RunSpec("reduction", "cython-nogil", "threads", 2, SIZE, 5), repeats=1,
                warmup=0, warmup_s=0, probe=False)
    assert m.verified and m.work_bytes == SIZE * 8


def test_passes_repeat_the_work_without_changing_the_answer_or_the_payload():
    """The payload axis raises the passes per chunk: more compute per byte shipped, the same
    partial (so verification is unchanged) and the same slice shipped."""
    calls = []

    def counting(ws, chunk):
        calls.append(chunk)
        return KERNEL.implementations["c-ctypes"].fn.fn(ws, chunk)

    from gilbench.kernels import RepeatedChunk

    problem = KERNEL.at_axis_point(KERNEL.make_problem(SIZE, seed=5), "payload", 7)
    assert problem.params["passes"] == 7
    ws = Workspace.local(problem)
    chunk = KERNEL.split(problem, 3)[1]
    once = KERNEL.implementations["c-ctypes"].fn.fn(ws, chunk)
    assert RepeatedChunk(counting, "passes")(ws, chunk) == once
    assert calls == [chunk] * 7
    assert KERNEL.work_bytes(problem) == 7 * KERNEL.work_bytes(KERNEL.make_problem(SIZE, 5))
    assert KERNEL.payload(problem, chunk)[1]["x"].nbytes == (chunk[1] - chunk[0]) * 8
