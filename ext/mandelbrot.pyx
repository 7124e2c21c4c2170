# cython: freethreading_compatible=True
"""Mandelbrot escape counts in three GIL regimes: GIL held, GIL released, OpenMP prange.

All three call the same ``noexcept nogil`` helpers, so they are bit-identical; only who
holds the GIL (and how many threads run the loop) differs.
"""

from cython.parallel cimport prange
from libc.stdint cimport int32_t

from common cimport check_threads, schedule_code, set_schedule
from mandelbrot_core cimport fill_row


cdef int check_rows(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop,
                    int32_t max_iter) except -1:
    if not 0 <= start <= stop <= out.shape[0]:
        raise ValueError(
            f"row range [{start}, {stop}) is outside an output of {out.shape[0]} rows")
    if max_iter < 0:
        raise ValueError(f"max_iter must be >= 0, got {max_iter}")
    return 0


def rows_gil(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop, double x0, double dx,
             double y0, double dy, int32_t max_iter):
    """Fill rows [start, stop) of ``out`` while holding the GIL."""
    check_rows(out, start, stop, max_iter)
    cdef Py_ssize_t y, width = out.shape[1]
    for y in range(start, stop):
        fill_row(&out[y, 0], width, y, x0, dx, y0, dy, max_iter)


def rows_nogil(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop, double x0, double dx,
               double y0, double dy, int32_t max_iter):
    """Fill rows [start, stop) of ``out`` with the GIL released for the whole loop."""
    check_rows(out, start, stop, max_iter)
    cdef Py_ssize_t y, width = out.shape[1]
    with nogil:
        for y in range(start, stop):
            fill_row(&out[y, 0], width, y, x0, dx, y0, dy, max_iter)


def rows_prange(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop, double x0, double dx,
                double y0, double dy, int32_t max_iter, int n_threads, str schedule="static"):
    """Fill rows [start, stop) of ``out`` with an OpenMP team of ``n_threads``."""
    check_rows(out, start, stop, max_iter)
    check_threads(n_threads)
    cdef int sched = schedule_code(schedule)
    cdef Py_ssize_t y, width = out.shape[1]
    if width == 0 or stop == start:
        return
    with nogil:
        # One row per grab: a row is thousands of escape iterations, far more than a grab.
        set_schedule(sched, 1)
        for y in prange(start, stop, schedule="runtime", num_threads=n_threads):
            fill_row(&out[y, 0], width, y, x0, dx, y0, dy, max_iter)
