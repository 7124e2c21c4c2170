# cython: freethreading_compatible=True
"""Mandelbrot escape counts in three GIL regimes: GIL held, GIL released, OpenMP prange.

A chunk is a flat range of pixels [start, stop) of the row-major grid, so a task can be as
small as one pixel (the granularity axis needs tasks of ~10 us, less than one row of a
large grid). All three call the same ``noexcept nogil`` helpers, so they are
bit-identical; only who holds the GIL (and how many threads run the loop) differs.
"""

from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t

from common cimport check_threads, schedule_code, set_schedule


cdef inline int32_t escape(double cr, double ci, int32_t max_iter) noexcept nogil:
    # Operation order matches the Python and numpy flavours exactly (bit-identical).
    cdef double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0
    cdef int32_t n = 0
    while n < max_iter and zr2 + zi2 <= 4.0:
        zi = 2.0 * zr * zi + ci
        zr = zr2 - zi2 + cr
        zr2 = zr * zr
        zi2 = zi * zi
        n += 1
    return n


cdef inline int64_t fill_span(int32_t* flat, Py_ssize_t width, Py_ssize_t p, Py_ssize_t q,
                              double x0, double dx, double y0, double dy,
                              int32_t max_iter) noexcept nogil:
    """Pixels [p, q) of the row-major grid; returns their escape iterations (the work).

    Callers ensure p < q (so width > 0): the first division needs it.
    """
    cdef Py_ssize_t y = p // width
    cdef Py_ssize_t x = p - y * width
    # The same expressions as every other flavour: bit-identical.
    cdef double ci = y0 + y * dy
    cdef int64_t iters = 0
    cdef int32_t n
    while p < q:
        n = escape(x0 + x * dx, ci, max_iter)
        flat[p] = n
        iters += n
        p += 1
        x += 1
        if x == width:
            x = 0
            y += 1
            ci = y0 + y * dy
    return iters


cdef int check_pixels(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop,
                      int32_t max_iter) except -1:
    cdef Py_ssize_t pixels = out.shape[0] * out.shape[1]
    if not 0 <= start <= stop <= pixels:
        raise ValueError(
            f"pixel range [{start}, {stop}) is outside an output of {pixels} pixels")
    if max_iter < 0:
        raise ValueError(f"max_iter must be >= 0, got {max_iter}")
    return 0


def pixels_gil(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop, double x0, double dx,
               double y0, double dy, int32_t max_iter):
    """Fill pixels [start, stop) of ``out`` (row-major) while holding the GIL."""
    check_pixels(out, start, stop, max_iter)
    if start < stop:
        fill_span(&out[0, 0], out.shape[1], start, stop, x0, dx, y0, dy, max_iter)


def pixels_nogil(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop, double x0,
                 double dx, double y0, double dy, int32_t max_iter):
    """Fill pixels [start, stop) of ``out`` with the GIL released for the whole loop."""
    check_pixels(out, start, stop, max_iter)
    cdef int32_t* flat
    cdef Py_ssize_t width = out.shape[1]
    if start < stop:
        flat = &out[0, 0]
        with nogil:
            fill_span(flat, width, start, stop, x0, dx, y0, dy, max_iter)


def pixels_prange(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop, double x0,
                  double dx, double y0, double dy, int32_t max_iter, int n_threads,
                  str schedule="static"):
    """Fill pixels [start, stop) of ``out`` with an OpenMP team of ``n_threads``.

    The team shares out the rows the range touches (each clipped to the range): a row is
    thousands of escape iterations, far more than what a grab costs.
    """
    check_pixels(out, start, stop, max_iter)
    check_threads(n_threads)
    cdef int sched = schedule_code(schedule)
    cdef Py_ssize_t y, width = out.shape[1]
    cdef Py_ssize_t first, last
    cdef int32_t* flat
    if stop == start:
        return
    flat = &out[0, 0]
    first = start // width
    last = (stop - 1) // width + 1
    with nogil:
        set_schedule(sched, 1)
        for y in prange(first, last, schedule="runtime", num_threads=n_threads):
            fill_span(flat, width, max(start, y * width), min(stop, (y + 1) * width),
                      x0, dx, y0, dy, max_iter)
