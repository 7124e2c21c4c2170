# The Mandelbrot escape loop, shared by ext/mandelbrot.pyx and ext/isolated.pyx: every
# compiled flavour, in the main interpreter or a subinterpreter, runs this one code.

from libc.stdint cimport int32_t, int64_t


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
