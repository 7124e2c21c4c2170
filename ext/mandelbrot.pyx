# cython: freethreading_compatible=True
"""Mandelbrot escape counts in four GIL regimes: GIL held, GIL released, OpenMP prange,
and mixed (the GIL held for a tunable share of the work, interleaved through the chunk).

A chunk is a flat range of pixels [start, stop) of the row-major grid, so a task can be as
small as one pixel (the granularity axis needs tasks of ~10 us, less than one row of a
large grid). All four call the same ``noexcept nogil`` helpers, so they are
bit-identical; only who holds the GIL (and how many threads run the loop) differs.
"""

from cython.parallel cimport prange
from libc.math cimport floor
from libc.stdint cimport int32_t, int64_t

from common cimport check_threads, gb_now, gb_thread_cpu, schedule_code, set_schedule
from mandelbrot_core cimport fill_span


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


def pixels_mixed(int32_t[:, ::1] out, Py_ssize_t start, Py_ssize_t stop, double x0,
                 double dx, double y0, double dy, int32_t max_iter, double gil_fraction,
                 Py_ssize_t block):
    """Fill pixels [start, stop) holding the GIL for a share ``gil_fraction`` of the work.

    The grid's pixels, in row-major order, form blocks of ``block`` pixels; a share
    ``gil_fraction`` of the blocks, spread evenly (see block_held), runs holding the GIL
    and the rest inside ``with nogil:``, as an extension that converts arguments and builds result objects
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
    check_pixels(out, start, stop, max_iter)
    if not 0.0 <= gil_fraction <= 1.0:
        raise ValueError(f"gil_fraction must be within [0, 1], got {gil_fraction}")
    if block < 1:
        raise ValueError(f"block must be >= 1 pixel, got {block}")
    cdef Py_ssize_t width = out.shape[1]
    cdef Py_ssize_t p = start, end = stop, q
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
            end - start, held_iters, iters, gb_now() - wall0, gb_thread_cpu() - cpu0)
