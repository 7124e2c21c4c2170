# cython: freethreading_compatible=True, subinterpreters_compatible=own_gil
"""Entry points for isolated subinterpreters (each with its own GIL).

A subinterpreter with its own GIL loads only extensions that declare support for it and
keep no module-level C state. Cython's typed memoryviews keep such state (their utility
code is module-global), so the kernel modules cannot load there. This module takes any
buffer through the buffer protocol instead, and runs the very same ``noexcept nogil``
helpers as the kernel modules (``*_core.pxd``): results are bit-identical by construction.
It is built with ``CYTHON_USE_MODULE_STATE`` (see setup.py), declares no C globals, and
holds or releases the GIL per call as the flavour asks.
"""

from operator import index

from cpython.buffer cimport (
    PyBUF_C_CONTIGUOUS,
    PyBUF_FORMAT,
    PyBUF_WRITABLE,
    PyBuffer_Release,
    PyObject_GetBuffer,
)
from libc.stdint cimport int32_t, int64_t, uint64_t

from mandelbrot_core cimport fill_span
from montecarlo_core cimport inside


cdef int check_int32_matrix(Py_buffer* view) except -1:
    cdef bytes fmt = view.format if view.format != NULL else b"B"
    if view.ndim != 2 or view.itemsize != 4 or fmt.lstrip(b"@=<") not in (b"i", b"l"):
        raise ValueError(f"out must be a C-contiguous 2-D buffer of int32, got format "
                         f"{fmt!r}, {view.ndim} dimension(s), itemsize {view.itemsize}")
    return 0


def mandelbrot_pixels(object out, Py_ssize_t start, Py_ssize_t stop, double x0, double dx,
                      double y0, double dy, int32_t max_iter, bint release_gil):
    """Fill pixels [start, stop) of the row-major int32 buffer ``out`` (GIL released if
    asked)."""
    cdef Py_buffer view
    cdef Py_ssize_t pixels, width
    cdef int32_t* flat
    PyObject_GetBuffer(out, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE)
    try:
        check_int32_matrix(&view)
        pixels = view.shape[0] * view.shape[1]
        if not 0 <= start <= stop <= pixels:
            raise ValueError(f"pixel range [{start}, {stop}) is outside an output of "
                             f"{pixels} pixels")
        if max_iter < 0:
            raise ValueError(f"max_iter must be >= 0, got {max_iter}")
        if start < stop:  # fill_span needs a non-empty range (and so a non-zero width)
            width = view.shape[1]
            flat = <int32_t*>view.buf
            if release_gil:
                with nogil:
                    fill_span(flat, width, start, stop, x0, dx, y0, dy, max_iter)
            else:
                fill_span(flat, width, start, stop, x0, dx, y0, dy, max_iter)
    finally:
        PyBuffer_Release(&view)


def montecarlo_count(object key, Py_ssize_t start, Py_ssize_t stop, bint release_gil):
    """Count samples [start, stop) inside the quarter circle (GIL released if asked)."""
    cdef uint64_t k = index(key)
    cdef Py_ssize_t i
    cdef int64_t count = 0
    if not 0 <= start <= stop:
        raise ValueError(f"sample range [{start}, {stop}) is not a range of indices >= 0")
    if release_gil:
        with nogil:
            for i in range(start, stop):
                count += inside(k, <uint64_t>i)
    else:
        for i in range(start, stop):
            count += inside(k, <uint64_t>i)
    return count
