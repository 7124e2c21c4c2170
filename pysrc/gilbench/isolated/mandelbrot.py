"""Mandelbrot rows without numpy: the escape loop in Python, and the compiled entry points
for memoryview workspaces. The kernel's python flavour runs :func:`escape_row` too."""

from __future__ import annotations

from array import array
from typing import Any


def escape_row(y: int, width: int, x0: float, dx: float, y0: float, dy: float,
               max_iter: int) -> list[int]:
    """Escape counts of row ``y``, in the same operation order as every other flavour."""
    ci = y0 + y * dy
    row = [0] * width
    for x in range(width):
        cr = x0 + x * dx
        zr = zi = zr2 = zi2 = 0.0
        n = 0
        while n < max_iter and zr2 + zi2 <= 4.0:
            zi = 2.0 * zr * zi + ci
            zr = zr2 - zi2 + cr
            zr2 = zr * zr
            zi2 = zi * zi
            n += 1
        row[x] = n
    return row


def _args(ws: Any) -> tuple[float, float, float, float, int]:
    p = ws.params
    return p["x0"], p["dx"], p["y0"], p["dy"], p["max_iter"]


def python_rows(ws: Any, chunk: tuple[int, int]) -> None:
    """python flavour over a memoryview ``counts`` (int32, rows x width)."""
    start, stop = chunk
    out = ws.arrays["counts"]
    height, width = out.shape
    if not 0 <= start <= stop <= height:
        raise ValueError(f"row range [{start}, {stop}) is outside an output of {height} rows")
    flat = out.cast("B").cast("i")  # rows are written as 1-D slices
    for y in range(start, stop):
        flat[y * width:(y + 1) * width] = array("i", escape_row(y, width, *_args(ws)))


def _rows(ws: Any, chunk: tuple[int, int], release_gil: bool) -> None:
    from gilbench._native.isolated import mandelbrot_rows

    mandelbrot_rows(ws.arrays["counts"], *chunk, *_args(ws), release_gil)


def cython_gil_rows(ws: Any, chunk: tuple[int, int]) -> None:
    """cython-gil flavour: the compiled loop, holding this interpreter's GIL."""
    _rows(ws, chunk, False)


def cython_nogil_rows(ws: Any, chunk: tuple[int, int]) -> None:
    """cython-nogil flavour: the compiled loop with this interpreter's GIL released."""
    _rows(ws, chunk, True)
