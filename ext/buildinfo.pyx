# cython: freethreading_compatible=True
"""How the native extensions were built: OpenMP or not, compiler flags, bounds checking."""

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
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    cdef int size
    with nogil:
        size = gb_omp_team_size(n_threads)
    return size
