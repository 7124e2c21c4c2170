# cython: freethreading_compatible=True
"""Sum of squares of a float64 range in three GIL regimes: GIL held, GIL released, OpenMP.

The range is cut into blocks of ``BLOCK`` elements aligned to its start; each block is
summed with eight interleaved accumulators and the block sums are added in order. The
prange version sums blocks in parallel into a scratch array and then adds them in the same
order, so all three (and the C and numba flavours) are bit-identical whatever the thread
count or schedule.
"""

from cython.parallel cimport prange
from libc.stdlib cimport free, malloc

from common cimport check_threads, schedule_code, set_schedule

# Must equal GB_REDUCTION_BLOCK in csrc/reduction.c and BLOCK in the numba flavour.
cdef enum:
    _BLOCK = 4096

BLOCK = _BLOCK


cdef inline double block_sum(const double* x, Py_ssize_t n) noexcept nogil:
    # Eight accumulators (the loop stays bandwidth-bound, not add-latency-bound), tail into
    # the first, combined pairwise: the same order in every flavour.
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
    cdef Py_ssize_t i = 0
    while i + 8 <= n:
        s0 += x[i] * x[i]
        s1 += x[i + 1] * x[i + 1]
        s2 += x[i + 2] * x[i + 2]
        s3 += x[i + 3] * x[i + 3]
        s4 += x[i + 4] * x[i + 4]
        s5 += x[i + 5] * x[i + 5]
        s6 += x[i + 6] * x[i + 6]
        s7 += x[i + 7] * x[i + 7]
        i += 8
    while i < n:
        s0 += x[i] * x[i]
        i += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


cdef inline double range_sum(const double* x, Py_ssize_t start,
                             Py_ssize_t stop) noexcept nogil:
    cdef double total = 0.0
    cdef Py_ssize_t b = start
    while b < stop:
        total += block_sum(x + b, min(_BLOCK, stop - b))
        b += _BLOCK
    return total


cdef int check_range(const double[::1] x, Py_ssize_t start, Py_ssize_t stop) except -1:
    if not 0 <= start <= stop <= x.shape[0]:
        raise ValueError(
            f"index range [{start}, {stop}) is outside an array of {x.shape[0]} elements")
    return 0


def sum_squares_gil(const double[::1] x, Py_ssize_t start, Py_ssize_t stop):
    """Sum of x[i]**2 over [start, stop) while holding the GIL."""
    check_range(x, start, stop)
    if stop == start:
        return 0.0
    return range_sum(&x[0], start, stop)


def sum_squares_nogil(const double[::1] x, Py_ssize_t start, Py_ssize_t stop):
    """Sum of x[i]**2 over [start, stop) with the GIL released for the whole loop."""
    check_range(x, start, stop)
    cdef double total = 0.0
    if stop == start:
        return total
    with nogil:
        total = range_sum(&x[0], start, stop)
    return total


def sum_squares_prange(const double[::1] x, Py_ssize_t start, Py_ssize_t stop,
                       int n_threads, str schedule="static"):
    """Sum of x[i]**2 over [start, stop) with an OpenMP team of ``n_threads``, one block
    per iteration."""
    check_range(x, start, stop)
    check_threads(n_threads)
    cdef int sched = schedule_code(schedule)
    cdef double total = 0.0
    if stop == start:
        return total
    cdef Py_ssize_t nblocks = (stop - start + _BLOCK - 1) // _BLOCK
    cdef double* sums = <double*> malloc(nblocks * sizeof(double))
    if sums == NULL:
        raise MemoryError(f"cannot allocate {nblocks} block sums")
    cdef const double* base = &x[0]
    cdef Py_ssize_t k, b
    try:
        with nogil:
            # One block (4096 elements, ~32 KiB) per grab is already coarse.
            set_schedule(sched, 1)
            for k in prange(nblocks, schedule="runtime", num_threads=n_threads):
                b = start + k * _BLOCK
                sums[k] = block_sum(base + b, min(_BLOCK, stop - b))
            for k in range(nblocks):
                total += sums[k]
    finally:
        free(sums)
    return total
