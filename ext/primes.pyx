# cython: freethreading_compatible=True
"""Prime counting by trial division in three GIL regimes: GIL held, GIL released, prange.

All three call the same ``noexcept nogil`` helper. Work per candidate is irregular (large
primes cost about sqrt(n)/2 divisions, most composites exit early), so the prange schedule
is selectable: static, dynamic or guided.
"""

from cython.parallel cimport prange
from libc.stdint cimport UINT32_MAX, int64_t, uint32_t, uint64_t

from common cimport check_threads, schedule_code, set_schedule

# Above this, d*d in the trial-division loop could overflow int64.
cdef int64_t MAX_CANDIDATE = 2 ** 62


# dynamic/guided hand out at least this many candidates at a time: one candidate costs
# ~50 ns on average, about what a contended atomic grab of the next iteration costs.
cdef enum:
    SCHEDULE_CHUNK = 256


cdef inline int64_t is_prime32(uint32_t n) noexcept nogil:
    # 32-bit division is several times cheaper than 64-bit on most x86 cores; LLVM
    # (numba) emits this bypass by itself, gcc does not, so it is written out here.
    cdef uint32_t d = 3
    while <uint64_t>d * d <= n:
        if n % d == 0:
            return 0
        d += 2
    return 1


cdef inline int64_t is_prime(int64_t n) noexcept nogil:
    if n < 2:
        return 0
    if n % 2 == 0:
        return 1 if n == 2 else 0
    if n <= UINT32_MAX:
        return is_prime32(<uint32_t>n)
    cdef int64_t d = 3
    while d * d <= n:
        if n % d == 0:
            return 0
        d += 2
    return 1


cdef int check_candidates(Py_ssize_t start, Py_ssize_t stop) except -1:
    if not 0 <= start <= stop <= MAX_CANDIDATE:
        raise ValueError(f"candidate range [{start}, {stop}) is outside [0, 2**62]")
    return 0


def count_gil(Py_ssize_t start, Py_ssize_t stop):
    """Count the primes in [start, stop) while holding the GIL."""
    check_candidates(start, stop)
    cdef Py_ssize_t n
    cdef int64_t count = 0
    for n in range(start, stop):
        count += is_prime(n)
    return count


def count_nogil(Py_ssize_t start, Py_ssize_t stop):
    """Count the primes in [start, stop) with the GIL released."""
    check_candidates(start, stop)
    cdef Py_ssize_t n
    cdef int64_t count = 0
    with nogil:
        for n in range(start, stop):
            count += is_prime(n)
    return count


def count_prange(Py_ssize_t start, Py_ssize_t stop, int n_threads, str schedule="static"):
    """Count the primes in [start, stop) with an OpenMP team of ``n_threads``."""
    check_candidates(start, stop)
    check_threads(n_threads)
    cdef int sched = schedule_code(schedule)
    cdef Py_ssize_t n
    cdef int64_t count = 0
    if stop == start:
        return 0
    with nogil:
        set_schedule(sched, SCHEDULE_CHUNK)
        for n in prange(start, stop, schedule="runtime", num_threads=n_threads):
            count += is_prime(n)
    return count
