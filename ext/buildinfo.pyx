# cython: freethreading_compatible=True
"""How the native extensions were built: OpenMP or not, compiler flags, bounds checking."""

from cython.parallel cimport prange
from libc.stdlib cimport free, malloc

from common cimport (GB_SCHED_DYNAMIC, GB_SCHED_GUIDED, GB_SCHED_STATIC, check_threads,
                     gb_get_schedule, schedule_code, set_schedule)

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define GB_OPENMP 1
    #define GB_OPENMP_DATE _OPENMP
    static int gb_omp_max_threads(void) { return omp_get_max_threads(); }
    static int gb_omp_team_size(int n) {
        int size = 0;
        #pragma omp parallel num_threads(n)
        {
            #pragma omp single
            size = omp_get_num_threads();
        }
        return size;
    }
    #else
    #define GB_OPENMP 0
    #define GB_OPENMP_DATE 0
    static int gb_omp_max_threads(void) { return 1; }
    static int gb_omp_team_size(int n) { return 1; }
    #endif
    static void gb_spin(long n) {
        volatile long sink = 0;
        for (long i = 0; i < n; i++)
            sink += i;
    }
    #ifndef GILBENCH_CFLAGS
    #define GILBENCH_CFLAGS ""
    #endif
    #ifndef GILBENCH_BOUNDSCHECK
    #define GILBENCH_BOUNDSCHECK 0
    #endif
    """
    int GB_OPENMP
    int GB_OPENMP_DATE
    const char* GILBENCH_CFLAGS
    int GILBENCH_BOUNDSCHECK
    int gb_omp_max_threads() noexcept nogil
    int gb_omp_team_size(int n) noexcept nogil
    void gb_spin(long n) noexcept nogil

#: True when the extensions were compiled with OpenMP (the compiler defined _OPENMP).
OPENMP = bool(GB_OPENMP)
#: The _OPENMP macro (yyyymm of the supported specification), 0 without OpenMP.
OPENMP_SPEC = int(GB_OPENMP_DATE)
#: Extra compiler flags setup.py added (optimisation, FP contraction, OpenMP).
CFLAGS = GILBENCH_CFLAGS.decode()
#: Whether Cython bounds checking was compiled in (GILBENCH_BOUNDSCHECK=1).
BOUNDSCHECK = bool(GILBENCH_BOUNDSCHECK)


def openmp_max_threads():
    """omp_get_max_threads() of the OpenMP runtime, or 1 without OpenMP."""
    return gb_omp_max_threads()


def openmp_team_size(int n_threads):
    """How many threads an OpenMP parallel region asking for ``n_threads`` really got."""
    check_threads(n_threads)
    cdef int size
    with nogil:
        size = gb_omp_team_size(n_threads)
    return size



cdef dict _SCHEDULE_NAMES = {GB_SCHED_STATIC: "static", GB_SCHED_DYNAMIC: "dynamic",
                             GB_SCHED_GUIDED: "guided"}


def openmp_schedule_seen(str schedule, int chunk, int n_threads, long spin=0):
    """The (schedule, chunk) pairs a prange team sees after this thread sets ``schedule``.

    Sets the runtime schedule exactly as the kernels do, busy-waits ``spin`` iterations
    (room for another thread to set its own), then runs a ``prange(schedule="runtime")``
    whose every iteration reads the schedule back. One pair means the whole team ran
    under this thread's setting; the tests call it from several Python threads at once.
    Without OpenMP there is no runtime schedule and the answer is ``{("none", 0)}``.
    """
    cdef int code = schedule_code(schedule)
    check_threads(n_threads)
    if spin < 0:
        raise ValueError(f"spin must be >= 0, got {spin}")
    cdef Py_ssize_t i, iterations = 16 * n_threads
    cdef int* kinds = <int*> malloc(2 * iterations * sizeof(int))
    if kinds == NULL:
        raise MemoryError(f"cannot allocate {iterations} schedule records")
    cdef int* chunks = kinds + iterations
    try:
        with nogil:
            set_schedule(code, chunk)
            gb_spin(spin)
            for i in prange(iterations, schedule="runtime", num_threads=n_threads):
                kinds[i] = gb_get_schedule(&chunks[i])
        return {(_SCHEDULE_NAMES.get(kinds[i], "none"), chunks[i]) for i in range(iterations)}
    finally:
        free(kinds)
