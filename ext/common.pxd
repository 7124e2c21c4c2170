# Shared declarations for kernel extensions.

# Every prange loop is written once with schedule="runtime"; the schedule itself is an
# OpenMP ICV set by omp_set_schedule() in the calling thread just before the loop. The ICV
# belongs to that thread (libgomp keeps it in the thread's implicit task), so Python
# threads that run pranges with different schedules do not see each other's setting.
# The C lives here, guarded by _OPENMP, because kernels must not `cimport openmp` (that
# needs omp.h, which builds without OpenMP lack); without OpenMP prange runs serially and
# setting the schedule does nothing. The codes are omp_sched_t's values.
cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #endif
    #define GB_SCHED_STATIC 1
    #define GB_SCHED_DYNAMIC 2
    #define GB_SCHED_GUIDED 3
    static void gb_set_schedule(int kind, int chunk) {
    #ifdef _OPENMP
        omp_set_schedule((omp_sched_t)kind, chunk);
    #else
        (void)kind;
        (void)chunk;
    #endif
    }
    static int gb_get_schedule(int *chunk) {
    #ifdef _OPENMP
        omp_sched_t kind;
        omp_get_schedule(&kind, chunk);
        return (int)kind & 0xff;  /* drop the monotonic modifier bit */
    #else
        *chunk = 0;
        return 0;
    #endif
    }
    """
    int GB_SCHED_STATIC
    int GB_SCHED_DYNAMIC
    int GB_SCHED_GUIDED
    void gb_set_schedule(int kind, int chunk) noexcept nogil
    int gb_get_schedule(int* chunk) noexcept nogil


cdef inline int schedule_code(str name) except -1:
    """The omp_sched_t code of a schedule name; ValueError lists the valid names."""
    if name == "static":
        return GB_SCHED_STATIC
    if name == "dynamic":
        return GB_SCHED_DYNAMIC
    if name == "guided":
        return GB_SCHED_GUIDED
    raise ValueError(f"unknown schedule {name!r}; valid choices: dynamic, guided, static")


cdef inline void set_schedule(int code, int chunk) noexcept nogil:
    """Make ``code`` the schedule of this thread's next ``prange(schedule="runtime")``.

    Call it right before the loop, in the thread that runs it. ``chunk`` is the least
    number of iterations dynamic and guided hand out at a time (below 1: one, OpenMP's
    default); static always cuts one contiguous block per thread, as schedule(static) does.
    """
    gb_set_schedule(code, chunk if code != GB_SCHED_STATIC else 0)


cdef inline int check_threads(int n_threads) except -1:
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    return 0


# Clocks callable without the GIL, for code that times its own parts (how long a thread
# waited to get the GIL back, say). gb_now: monotonic wall seconds (clock_gettime is a vDSO
# call on Linux, ~20 ns). gb_thread_cpu: CPU seconds of the calling thread (a system call,
# ~0.3 us: call it per chunk, not per block); wall minus CPU is the time the thread was
# off a CPU, blocked (on the GIL, say) or preempted. Windows has QueryPerformanceCounter
# and GetThreadTimes instead.
cdef extern from *:
    """
    #ifdef _WIN32
    #include <windows.h>
    static double gb_now(void) {
        LARGE_INTEGER count, freq;
        QueryPerformanceCounter(&count);
        QueryPerformanceFrequency(&freq);
        return (double)count.QuadPart / (double)freq.QuadPart;
    }
    static double gb_thread_cpu(void) {
        FILETIME created, exited, kernel, user;
        if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user))
            return 0.0;
        return 1e-7 * ((double)(((unsigned long long)kernel.dwHighDateTime << 32)
                                | kernel.dwLowDateTime)
                       + (double)(((unsigned long long)user.dwHighDateTime << 32)
                                  | user.dwLowDateTime));
    }
    #else
    #include <time.h>
    static double gb_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    static double gb_thread_cpu(void) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    #endif
    """
    double gb_now() noexcept nogil
    double gb_thread_cpu() noexcept nogil
