# Shared declarations for kernel extensions.

# prange's schedule must be a compile-time constant, so kernels branch on this code.
cdef enum Schedule:
    SCHEDULE_STATIC = 0
    SCHEDULE_DYNAMIC = 1
    SCHEDULE_GUIDED = 2

cdef inline Schedule schedule_code(str name) except *:
    if name == "static":
        return SCHEDULE_STATIC
    if name == "dynamic":
        return SCHEDULE_DYNAMIC
    if name == "guided":
        return SCHEDULE_GUIDED
    raise ValueError(f"unknown schedule {name!r}; valid choices: dynamic, guided, static")

cdef inline int check_threads(int n_threads) except -1:
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    return 0
