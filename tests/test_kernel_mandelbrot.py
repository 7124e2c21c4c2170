"""mandelbrot: known escape counts, and bad input to the native chunk functions."""

from __future__ import annotations

import numpy as np
import pytest

from gilbench.kernels import Workspace, get_kernel
from gilbench.kernels import mandelbrot as mb

KERNEL = get_kernel("mandelbrot")
_native = pytest.importorskip("gilbench._native.mandelbrot",
                              reason="the extension must be built (pip install -e .)")
ARGS = (-2.0, 0.1, -1.3, 0.1, 50)


def test_points_inside_the_set_reach_max_iter_and_outside_escape():
    counts = mb.escape_counts(-1.0, 1.0, 0.0, 1.0, 3, 0, 3, 50)  # c = -1, 0, 1 (y=0)
    assert counts.tolist() == [50, 50, 3]  # -1 and 0 stay bounded; 1 escapes: 0,1,2,5
    # A range starting mid-row: pixels 2..4 are c = 1 (escapes at 3), -1+i (at 3: z = -1+i,
    # -1-i, -1+3i) and i (bounded: i, -1+i, -i, -1+i, ...).
    assert mb.escape_counts(-1.0, 1.0, 0.0, 1.0, 3, 2, 5, 50).tolist() == [3, 3, 50]


def test_chunks_are_flat_pixel_ranges_down_to_one_pixel():
    problem = KERNEL.make_problem(5)
    assert KERNEL.max_chunks(5) == 25
    assert KERNEL.split(problem, 25) == [(p, p + 1) for p in range(25)]
    assert KERNEL.split(problem, 5) == [(5 * r, 5 * r + 5) for r in range(5)]  # whole rows


@pytest.mark.parametrize("flavour", sorted(KERNEL.implementations))
def test_every_flavour_fills_chunks_that_start_and_end_mid_row(flavour):
    if KERNEL.flavour_unavailable_reason(flavour):
        pytest.skip(KERNEL.flavour_unavailable_reason(flavour))
    problem = KERNEL.make_problem(13)
    expected = KERNEL.reference(problem)
    ws = Workspace.local(problem)
    ws.threads = 2
    fn = KERNEL.implementations[flavour].fn
    for chunk in KERNEL.split(problem, 7):  # 169 pixels in 7 ranges: none aligned to rows
        fn(ws, chunk)
    assert np.array_equal(ws.arrays["counts"], expected), flavour


def test_reference_grid_is_symmetric_about_the_real_axis():
    # y0 = -1.3 and dy = 2.6/size: rows i and size-i mirror each other.
    grid = KERNEL.reference(KERNEL.make_problem(40))
    assert np.array_equal(grid[1:], grid[1:][::-1])


def _pixels_mixed_half(*args):
    return _native.pixels_mixed(*args, 0.5, 2)


@pytest.mark.parametrize("fn", [_native.pixels_gil, _native.pixels_nogil, _pixels_mixed_half],
                         ids=["gil", "nogil", "mixed"])
def test_native_pixels_reject_bad_input(fn):
    out = np.zeros((4, 5), dtype=np.int32)
    with pytest.raises(ValueError, match="dtype mismatch"):
        fn(np.zeros((4, 5), dtype=np.int64), 0, 1, *ARGS)
    with pytest.raises(ValueError):
        fn(np.zeros((4, 10), dtype=np.int32)[:, ::2], 0, 1, *ARGS)  # not C-contiguous
    readonly = out.copy()
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fn(readonly, 0, 1, *ARGS)
    for start, stop in [(-1, 2), (3, 2), (0, 21)]:
        with pytest.raises(ValueError, match="pixel range"):
            fn(out, start, stop, *ARGS)
    with pytest.raises(ValueError, match="max_iter"):
        fn(out, 0, 1, -2.0, 0.1, -1.3, 0.1, -1)
    with pytest.raises(TypeError):
        fn([[0] * 5] * 4, 0, 1, *ARGS)
    fn(out, 2, 2, *ARGS)  # an empty range is fine and writes nothing
    assert not out.any()
    empty = np.zeros((0, 0), dtype=np.int32)
    fn(empty, 0, 0, *ARGS)


def test_prange_rejects_bad_threads_and_schedules():
    out = np.zeros((4, 5), dtype=np.int32)
    with pytest.raises(ValueError, match="n_threads"):
        _native.pixels_prange(out, 0, 4, *ARGS, 0, "static")
    with pytest.raises(ValueError, match="unknown schedule"):
        _native.pixels_prange(out, 0, 4, *ARGS, 2, "sometimes")


def test_ctypes_wrapper_rejects_bad_input():
    c_rows = KERNEL.implementations["c-ctypes"].fn
    problem = KERNEL.make_problem(8)
    ws = Workspace.local(problem)
    with pytest.raises(ValueError, match="pixel range"):
        c_rows(ws, (0, 65))
    bad = Workspace(ws.params, {"counts": np.zeros((8, 8), dtype=np.float64)})
    with pytest.raises(ValueError, match="dtype int32"):
        c_rows(bad, (0, 8))
    strided = Workspace(ws.params, {"counts": np.zeros((8, 16), dtype=np.int32)[:, ::2]})
    with pytest.raises(ValueError, match="C-contiguous"):
        c_rows(strided, (0, 8))
    readonly = np.zeros((8, 8), dtype=np.int32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        c_rows(Workspace(ws.params, {"counts": readonly}), (0, 8))
    with pytest.raises(TypeError):
        c_rows(Workspace(ws.params, {"counts": [[0] * 8] * 8}), (0, 8))


@pytest.mark.parametrize("flavour", ["python", "cython-gil", "cython-nogil"])
def test_numpy_free_chunk_functions_fill_pixel_ranges_over_memoryviews(flavour):
    # The subinterpreters' chunk functions take the same flat pixel ranges, over the
    # memoryviews they get there; they load in this interpreter too, so this runs anywhere.
    from gilbench.isolated.workspace import IsolatedWorkspace, as_array

    pytest.importorskip("gilbench._native.isolated")
    problem = KERNEL.make_problem(13)
    counts = np.zeros((13, 13), dtype=np.int32)
    ws = IsolatedWorkspace(dict(problem.params), {
        "counts": as_array(memoryview(counts), "i", (13, 13), readonly=False)})
    fn = KERNEL.implementations[flavour].isolated
    for chunk in KERNEL.split(problem, 7):  # none aligned to rows
        fn(ws, chunk)
    assert np.array_equal(counts, KERNEL.reference(problem))
    with pytest.raises(ValueError, match=r"pixel range \[160, 170\) is outside an output "
                                         "of 169 pixels"):
        fn(ws, (160, 170))
