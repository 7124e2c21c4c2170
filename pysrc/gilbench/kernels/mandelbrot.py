"""Mandelbrot escape counts: pure compute, irregular per row, tiny output per pixel.

The classic "embarrassingly parallel" CPU-bound loop: each pixel iterates z <- z^2 + c
until it escapes or reaches ``max_iter``. Rows through the set cost far more than rows
outside it, so chunking matters a little. Output is int32, so every flavour must agree
bit for bit (all use the same floating-point operation order, and the build disables FMA
contraction).

A chunk is a flat range of pixels ``(start, stop)`` of the row-major grid, not a range of
rows: the granularity axis needs tasks down to ~10 us, a few dozen pixels, which is less
than one row of a grid large enough for its long tasks. A chunk count that divides the
grid side still cuts whole rows.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

from gilbench import native
from gilbench.isolated import mandelbrot as isolated
from gilbench.isolated.mandelbrot import escape_span, row_spans
from gilbench.kernels.base import (
    ArraySpec,
    FlatRange,
    Implementation,
    Kernel,
    Problem,
    Workspace,
    even_ranges,
)
from gilbench.kernels.bindings import (
    CFunction,
    ctypes_flavour,
    cython_flavours,
    cython_implementation,
    numba_flavours,
    with_isolated,
)
from gilbench.kernels.gilshare import (
    DEFAULT_GIL_FRACTION,
    GIL_BLOCK,
    GIL_FRACTION_PARAM,
    mixed_figures,
)

# The window of the complex plane: x in [X_MIN, X_MIN + SPAN), y in [Y_MIN, Y_MIN + SPAN).
X_MIN, Y_MIN, SPAN = -2.0, -1.3, 2.6
MAX_ITER = 200


def _args(ws: Workspace) -> tuple[float, float, float, float, int]:
    p = ws.params
    return p["x0"], p["dx"], p["y0"], p["dy"], p["max_iter"]


def python_pixels(ws: Workspace, chunk: tuple[int, int]) -> None:
    """Pure-Python chunk function (same operation order as the compiled ones)."""
    start, stop = chunk
    out = ws.arrays["counts"]
    x0, dx, y0, dy, max_iter = _args(ws)
    for y, first, last in row_spans(out.shape[1], start, stop):
        out[y, first:last] = escape_span(y, first, last, x0, dx, y0, dy, max_iter)


def escape_counts(x0: float, dx: float, y0: float, dy: float, width: int, start: int,
                  stop: int, max_iter: int) -> np.ndarray:
    """Vectorised escape counts of pixels [start, stop) of a row-major grid ``width``
    wide, as a flat int32 array (numpy flavour and the reference)."""
    pixel = np.arange(start, stop, dtype=np.int64)
    y = pixel // width if width else pixel
    cr = x0 + (pixel - y * width) * dx
    ci = y0 + y * dy
    counts = np.zeros(cr.size, dtype=np.int32)
    idx = np.arange(cr.size)
    zr = np.zeros(cr.size)
    zi = np.zeros(cr.size)
    zr2 = np.zeros(cr.size)
    zi2 = np.zeros(cr.size)
    for _ in range(max_iter):
        keep = zr2 + zi2 <= 4.0
        if not keep.all():
            idx, cr, ci, zr, zi, zr2, zi2 = (a[keep] for a in (idx, cr, ci, zr, zi, zr2, zi2))
        if idx.size == 0:
            break
        zi = 2.0 * zr * zi + ci
        zr = zr2 - zi2 + cr
        zr2 = zr * zr
        zi2 = zi * zi
        counts[idx] += 1
    return counts


def _check_pixels(out: np.ndarray, chunk: tuple[int, int]) -> tuple[int, int]:
    start, stop = (int(v) for v in chunk)
    if not 0 <= start <= stop <= out.size:
        raise ValueError(f"pixel range [{start}, {stop}) is outside an output of "
                         f"{out.size} pixels")
    return start, stop


def numpy_pixels(ws: Workspace, chunk: tuple[int, int]) -> None:
    """numpy chunk function: the escape loop vectorised over the chunk's pixels."""
    out = ws.arrays["counts"]
    start, stop = _check_pixels(out, chunk)
    x0, dx, y0, dy, max_iter = _args(ws)
    out.reshape(-1)[start:stop] = escape_counts(x0, dx, y0, dy, out.shape[1], start, stop,
                                                max_iter)


def _native_args(ws: Workspace, chunk: tuple[int, int]) -> tuple:
    """(counts, start, stop, x0, dx, y0, dy, max_iter): Cython and numba check the rest."""
    return (ws.arrays["counts"], *chunk, *_args(ws))


def _mixed_args(ws: Workspace, chunk: tuple[int, int]) -> tuple:
    """The native args plus the GIL share f and the block size (``pixels_mixed`` checks)."""
    return (*_native_args(ws, chunk), ws.params[GIL_FRACTION_PARAM], ws.params["gil_block"])


def _c_args(ws: Workspace, chunk: tuple[int, int]) -> tuple:
    """c-ctypes arguments, after checking here what C cannot."""
    out = native.c_array(ws.arrays["counts"], "int32", 2, writeable=True, name="counts")
    start, stop = _check_pixels(out, chunk)
    return (out.ctypes.data, out.shape[1], start, stop, *_args(ws))


_C_PIXELS = CFunction(
    "gb_mandelbrot_pixels", ctypes.c_int,
    (ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
     ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_int32))

_NUMBA_SIG = "void(int32[:, ::1], int64, int64, float64, float64, float64, float64, int64)"


@functools.cache
def _numba_escape():
    numba = native.numba()

    @numba.njit(nogil=True)
    def escape(cr, ci, max_iter):
        zr = zi = zr2 = zi2 = 0.0
        n = 0
        while n < max_iter and zr2 + zi2 <= 4.0:
            zi = 2.0 * zr * zi + ci
            zr = zr2 - zi2 + cr
            zr2 = zr * zr
            zi2 = zi * zi
            n += 1
        return n

    return escape


@functools.cache
def _numba_pixels(parallel: bool):
    numba = native.numba()
    escape = _numba_escape()

    @numba.njit(_NUMBA_SIG, nogil=True, parallel=parallel)
    def pixels(out, start, stop, x0, dx, y0, dy, max_iter):
        width = out.shape[1]
        if not 0 <= start <= stop <= out.shape[0] * width:
            raise ValueError("pixel range is outside the output")
        if stop == start:
            return
        # Rows the range touches, each clipped to it; numba.prange is a plain range unless
        # parallel=True.
        for y in numba.prange(start // width, (stop - 1) // width + 1):
            ci = y0 + y * dy
            for x in range(max(start, y * width) - y * width,
                           min(stop, (y + 1) * width) - y * width):
                out[y, x] = escape(x0 + x * dx, ci, max_iter)

    return pixels


class Mandelbrot(Kernel):
    name = "mandelbrot"
    summary = ("compute-bound, irregular rows, int32 output: the textbook case where "
               "releasing the GIL should let threads match processes")
    size_unit = "grid side (pixels)"
    # Quick: 512 pixels give the compiled flavours ~30 ms a run (~8 ms a chunk), long
    # enough that a worker's wake-up on a virtual machine does not decide the verdict;
    # the interpreted and numpy flavours, ~35x and ~6x slower a pixel, run smaller grids
    # (work_units compares them per pixel), and the GIL-fraction flavour a medium one.
    sizes = {"quick": 512, "standard": 640, "full": 1280}
    flavour_sizes = {"python": {"quick": 112, "standard": 640, "full": 1280},
                     # whole-grid temporaries: ~6x the compiled flavours' time a pixel
                     "numpy": {"quick": 256, "standard": 640, "full": 1280},
                     "cython-mixed": {"quick": 384, "standard": 640, "full": 1280}}
    test_size = 48
    # About 4 minutes per repeat for the fastest flavour on one core (~0.2 us a pixel).
    max_size = 32_768

    def work_units(self, size: int) -> float:
        # Pixels: at one resolution of the same region, the mean escape time per pixel
        # hardly changes with the grid side.
        return float(size * size)

    def memory_bytes(self, size: int) -> int:
        # The vectorised reference holds ~15 float64/int64 temporaries per pixel.
        return 128 * size * size
    implementations = {
        "python": Implementation(python_pixels, isolated=isolated.python_pixels),
        **with_isolated(cython_flavours("mandelbrot", "pixels", _native_args),
                        {"cython-gil": isolated.cython_gil_pixels,
                         "cython-nogil": isolated.cython_nogil_pixels}),
        "cython-mixed": cython_implementation("mandelbrot", "pixels_mixed", _mixed_args,
                                              figures=mixed_figures),
        **ctypes_flavour(_C_PIXELS, _c_args),
        "numpy": Implementation(numpy_pixels),
        **numba_flavours(_numba_pixels, _native_args),
    }
    not_applicable = {"stdlib": "no standard-library routine computes escape counts"}
    #: The gil-fraction axis sets the share of each chunk that cython-mixed runs holding
    #: the GIL (the other flavours ignore it).
    axis_params = {"gil-fraction": GIL_FRACTION_PARAM}
    has_inputs = False
    supports_outputs = True

    def outputs_of(self, problem: Problem, chunk: tuple[int, int]) -> dict[str, FlatRange]:
        """A chunk fills pixels [start, stop) of ``counts``, in row-major order: a flat
        range, which may begin and end inside a row."""
        start, stop = chunk
        return {"counts": FlatRange(start, stop)}

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        size = self.check_size(size)
        step = SPAN / size
        params = {"x0": X_MIN, "dx": step, "y0": Y_MIN, "dy": step, "max_iter": MAX_ITER,
                  GIL_FRACTION_PARAM: DEFAULT_GIL_FRACTION, "gil_block": GIL_BLOCK}
        return Problem(self.name, size, seed, params,
                       outputs={"counts": ArraySpec((size, size), "int32")})

    def split(self, problem: Problem, chunks: int) -> list[tuple[int, int]]:
        return even_ranges(problem.size * problem.size, chunks)

    def max_chunks(self, size: int) -> int:
        """One pixel per chunk at most."""
        return size * size

    def merge(self, problem: Problem, workspace: Workspace, partials: list) -> np.ndarray:
        return workspace.arrays["counts"]

    def reference(self, problem: Problem) -> np.ndarray:
        p = problem.params
        n = problem.size
        return escape_counts(p["x0"], p["dx"], p["y0"], p["dy"], n, 0, n * n,
                             p["max_iter"]).reshape(n, n)
