"""Mandelbrot pixels without numpy: the escape loop in Python, and the compiled entry points
for memoryview workspaces. The kernel's python flavour runs :func:`escape_span` too.

A chunk is a flat range of pixels ``(start, stop)`` of the row-major grid (see
:mod:`gilbench.kernels.mandelbrot`).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any


def row_spans(width: int, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
    """``(y, first column, stop column)`` for each row that pixels [start, stop) touch."""
    p = start
    while p < stop:
        y, x = divmod(p, width)
        end = min(stop, (y + 1) * width)
        yield y, x, x + end - p
        p = end


def escape_span(y: int, first: int, last: int, x0: float, dx: float, y0: float, dy: float,
                max_iter: int) -> list[int]:
    """Escape counts of columns [first, last) of row ``y``, in the same operation order as
    every other flavour."""
    ci = y0 + y * dy
    row = [0] * (last - first)
    for x in range(first, last):
        cr = x0 + x * dx
        zr = zi = zr2 = zi2 = 0.0
        n = 0
        while n < max_iter and zr2 + zi2 <= 4.0:
            zi = 2.0 * zr * zi + ci
            zr = zr2 - zi2 + cr
            zr2 = zr * zr
            zi2 = zi * zi
            n += 1
        row[x - first] = n
    return row


def _args(ws: Any) -> tuple[float, float, float, float, int]:
    p = ws.params
    return p["x0"], p["dx"], p["y0"], p["dy"], p["max_iter"]


def python_pixels(ws: Any, chunk: tuple[int, int]) -> None:
    """python flavour over a memoryview ``counts`` (int32, rows x width)."""
    start, stop = chunk
    out = ws.arrays["counts"]
    height, width = out.shape
    if not 0 <= start <= stop <= height * width:
        raise ValueError(f"pixel range [{start}, {stop}) is outside an output of "
                         f"{height * width} pixels")
    flat = out.cast("B").cast("i")  # memoryviews assign slices in one dimension only
    args = _args(ws)
    for y, first, last in row_spans(width, start, stop):
        flat[y * width + first:y * width + last] = array("i", escape_span(y, first, last,
                                                                          *args))


def _pixels(ws: Any, chunk: tuple[int, int], release_gil: bool) -> None:
    from gilbench._native.isolated import mandelbrot_pixels

    mandelbrot_pixels(ws.arrays["counts"], *chunk, *_args(ws), release_gil)


def cython_gil_pixels(ws: Any, chunk: tuple[int, int]) -> None:
    """cython-gil flavour: the compiled loop, holding this interpreter's GIL."""
    _pixels(ws, chunk, False)


def cython_nogil_pixels(ws: Any, chunk: tuple[int, int]) -> None:
    """cython-nogil flavour: the compiled loop with this interpreter's GIL released."""
    _pixels(ws, chunk, True)
