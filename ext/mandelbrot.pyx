# cython: freethreading_compatible=True
"""Mandelbrot escape counts in four GIL regimes: GIL held, GIL released, OpenMP prange,
and mixed (the GIL held for a tunable share of the work, interleaved through the chunk).

All four call the same ``noexcept nogil`` helpers, so they are bit-identical; only who
holds the GIL (and how many threads run the loop) differs.
"""

from cython.parallel cimport prange
from libc.math cimport floor
from libc.stdint cimport int32_t, int64_t

from common cimport check_threads, gb_now, gb_thread_cpu, schedule_code, set_schedule


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


cdef inline void fill_row(int32_t* row, Py_ssize_t width, Py_ssize_t y, double x0, double dx,
                          double y0, double dy, int32_t max_iter) noexcept nogil:
    cdef double ci = y0 + y * dy
    cdef Py_ssize_t x
    for x in range(width):
        row[x] = escape(x0 + x * dx, ci, max_iter)


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


cdef inline int64_t fill_span(int32_t* flat, Py_ssize_t width, Py_ssize_t p, Py_ssize_t q,
                              double x0, double dx, double y0, double dy,
                              int32_t max_iter) noexcept nogil:
    """Pixels [p, q) of the row-major grid; returns their escape iterations (the work)."""
    cdef Py_ssize_t y = p // width
    cdef Py_ssize_t x = p - y * width
    # The same expressions as fill_row: bit-identical to the other flavours.
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


# 1/golden ratio: the most irrational step, so the sequence below is as even as any.
cdef double WEYL_STEP = 0.6180339887498949


cdef inline bint block_held(Py_ssize_t b, double f) noexcept nogil:
    # Block b is held when frac(b / golden ratio) < f (a Weyl sequence): any run of k blocks
    # holds k * f of them give or take a couple, spread evenly, and being irrational the
    # pattern never locks onto the grid's row period, which would put every held block in
    # the same columns (error diffusion does, at f = 1/4 with 4 blocks per row). The index
    # is the grid's, not the chunk's: which pixels hold the GIL is a property of the
    # problem, whatever the chunking or strategy.
    cdef double u = b * WEYL_STEP
    return u - floor(u) < f


def rows_mixed(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop, double x0, double dx,
               double y0, double dy, int32_t max_iter, double gil_fraction,
               Py_ssize_t block):
    """Fill rows [start, stop) holding the GIL for a share ``gil_fraction`` of the work.

    The grid's pixels, in row-major order, form blocks of ``block`` pixels; a share
    ``gil_fraction`` of the blocks, spread evenly (see block_held), runs holding the GIL and the rest inside
    ``with nogil:``, as an extension that converts arguments and builds result objects
    between stretches of GIL-free compute does. Consecutive blocks of the same kind form
    one stretch (the GIL is not dropped and re-taken in between).

    Returns what the chunk measured about itself, in this order: seconds computing with the
    GIL held, seconds computing without it, seconds spent releasing it (a thread asked to
    drop the GIL waits there for a waiter to take it), seconds waiting to get it back,
    the number of times it was taken back, the number of held stretches, the longest held
    stretch in seconds, held pixels, pixels, escape iterations in held pixels, iterations,
    and the chunk's wall and CPU seconds (wall minus CPU: time off a CPU, blocked on the GIL
    or preempted by other work).
    """
    check_rows(out, start, stop, max_iter)
    if not 0.0 <= gil_fraction <= 1.0:
        raise ValueError(f"gil_fraction must be within [0, 1], got {gil_fraction}")
    if block < 1:
        raise ValueError(f"block must be >= 1 pixel, got {block}")
    cdef Py_ssize_t width = out.shape[1]
    cdef Py_ssize_t p = start * width, end = stop * width, q
    cdef double held_s = 0.0, free_s = 0.0, release_s = 0.0, wait_s = 0.0, longest = 0.0
    cdef double t0, t1, t2, t3
    cdef double wall0 = gb_now(), cpu0 = gb_thread_cpu()
    cdef int64_t reacquired = 0, held_runs = 0, held_pixels = 0, held_iters = 0, iters = 0
    cdef int64_t n
    cdef bint held
    cdef int32_t* flat
    if p < end:
        flat = &out[0, 0]
    while p < end:
        held = block_held(p // block, gil_fraction)
        q = (p // block + 1) * block
        while q < end and block_held(q // block, gil_fraction) == held:
            q += block
        if q > end:
            q = end
        if held:
            t0 = gb_now()
            n = fill_span(flat, width, p, q, x0, dx, y0, dy, max_iter)
            t1 = gb_now()
            held_s += t1 - t0
            longest = max(longest, t1 - t0)
            held_runs += 1
            held_pixels += q - p
            held_iters += n
        else:
            t0 = gb_now()
            with nogil:
                t1 = gb_now()
                n = fill_span(flat, width, p, q, x0, dx, y0, dy, max_iter)
                t2 = gb_now()
            # Leaving `with nogil` re-takes the GIL: t3 - t2 is the wait for it.
            t3 = gb_now()
            release_s += t1 - t0
            free_s += t2 - t1
            wait_s += t3 - t2
            reacquired += 1
        iters += n
        p = q
    return (held_s, free_s, release_s, wait_s, reacquired, held_runs, longest, held_pixels,
            end - start * width, held_iters, iters, gb_now() - wall0, gb_thread_cpu() - cpu0)
