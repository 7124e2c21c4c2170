# cython: freethreading_compatible=True
"""Monte Carlo pi in three GIL regimes: GIL held, GIL released, OpenMP prange.

All three call the same ``noexcept nogil`` helpers (a counter-based splitmix64 generator
keyed by the sample index), so their counts are identical however the samples are split.
"""

from operator import index

from cython.parallel cimport prange
from libc.stdint cimport int64_t, uint64_t

from common cimport check_threads, schedule_code, set_schedule
from montecarlo_core cimport inside


# dynamic/guided hand out at least this many samples at a time: one sample costs a few
# ns, far less than a contended atomic grab of the next iteration.
cdef enum:
    SCHEDULE_CHUNK = 4096


cdef uint64_t as_key(object key) except? 0:
    # A uint64_t argument would silently truncate a float; the key must be an integer.
    return index(key)


cdef int check_samples(Py_ssize_t start, Py_ssize_t stop) except -1:
    if not 0 <= start <= stop:
        raise ValueError(f"sample range [{start}, {stop}) is not a range of indices >= 0")
    return 0


def count_gil(object key, Py_ssize_t start, Py_ssize_t stop):
    """Count samples [start, stop) inside the quarter circle while holding the GIL."""
    cdef uint64_t k = as_key(key)
    check_samples(start, stop)
    cdef Py_ssize_t i
    cdef int64_t count = 0
    for i in range(start, stop):
        count += inside(k, <uint64_t>i)
    return count


def count_nogil(object key, Py_ssize_t start, Py_ssize_t stop):
    """Count samples [start, stop) inside the quarter circle with the GIL released."""
    cdef uint64_t k = as_key(key)
    check_samples(start, stop)
    cdef Py_ssize_t i
    cdef int64_t count = 0
    with nogil:
        for i in range(start, stop):
            count += inside(k, <uint64_t>i)
    return count


def count_prange(object key, Py_ssize_t start, Py_ssize_t stop, int n_threads,
                 str schedule="static"):
    """Count samples [start, stop) inside the quarter circle with an OpenMP team."""
    cdef uint64_t k = as_key(key)
    check_samples(start, stop)
    check_threads(n_threads)
    cdef int sched = schedule_code(schedule)
    cdef Py_ssize_t i
    cdef int64_t count = 0
    if stop == start:
        return 0
    with nogil:
        set_schedule(sched, SCHEDULE_CHUNK)
        for i in prange(start, stop, schedule="runtime", num_threads=n_threads):
            count += inside(k, <uint64_t>i)
    return count
