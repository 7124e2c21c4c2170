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
    counts = mb.escape_counts(-1.0, 1.0, 0.0, 1.0, 3, range(1), 50)  # c = -1, 0, 1 (y=0)
    assert counts.tolist() == [[50, 50, 3]]  # -1 and 0 stay bounded; 1 escapes: 0,1,2,5


def test_reference_grid_is_symmetric_about_the_real_axis():
    # y0 = -1.3 and dy = 2.6/size: rows i and size-i mirror each other.
    grid = KERNEL.reference(KERNEL.make_problem(40))
    assert np.array_equal(grid[1:], grid[1:][::-1])


def _rows_mixed_half(*args):
    return _native.rows_mixed(*args, 0.5, 2)


@pytest.mark.parametrize("fn", [_native.rows_gil, _native.rows_nogil, _rows_mixed_half],
                         ids=["gil", "nogil", "mixed"])
def test_native_rows_reject_bad_input(fn):
    out = np.zeros((4, 5), dtype=np.int32)
    with pytest.raises(ValueError, match="dtype mismatch"):
        fn(np.zeros((4, 5), dtype=np.int64), 0, 1, *ARGS)
    with pytest.raises(ValueError):
        fn(np.zeros((4, 10), dtype=np.int32)[:, ::2], 0, 1, *ARGS)  # not C-contiguous
    readonly = out.copy()
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fn(readonly, 0, 1, *ARGS)
    for start, stop in [(-1, 2), (3, 2), (0, 5)]:
        with pytest.raises(ValueError, match="row range"):
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
        _native.rows_prange(out, 0, 4, *ARGS, 0, "static")
    with pytest.raises(ValueError, match="unknown schedule"):
        _native.rows_prange(out, 0, 4, *ARGS, 2, "sometimes")


def test_ctypes_wrapper_rejects_bad_input():
    c_rows = KERNEL.implementations["c-ctypes"].fn
    problem = KERNEL.make_problem(8)
    ws = Workspace.local(problem)
    with pytest.raises(ValueError, match="row range"):
        c_rows(ws, (0, 9))
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
