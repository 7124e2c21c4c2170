# The Monte Carlo sample test, shared by ext/montecarlo.pyx and ext/isolated.pyx: every
# compiled flavour, in the main interpreter or a subinterpreter, runs this one code.

from libc.stdint cimport int64_t, uint64_t


cdef inline uint64_t splitmix64(uint64_t x) noexcept nogil:
    cdef uint64_t z = x + 0x9E3779B97F4A7C15ULL
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline int64_t inside(uint64_t key, uint64_t i) noexcept nogil:
    # 1.1102230246251565e-16 == 2**-53 exactly, so (z >> 11) * 2**-53 is exact; x*x + y*y
    # is rounded the same way in every flavour.
    cdef double x = <double>(splitmix64(key + 2 * i) >> 11) * 1.1102230246251565e-16
    cdef double y = <double>(splitmix64(key + 2 * i + 1) >> 11) * 1.1102230246251565e-16
    return 1 if x * x + y * y <= 1.0 else 0
