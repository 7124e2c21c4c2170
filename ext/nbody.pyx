# cython: freethreading_compatible=True
"""N-body time step (O(n^2) softened gravity) in three GIL regimes: GIL held, GIL released,
OpenMP prange.

All three call the same ``noexcept nogil`` helper, so they are bit-identical with each other
and with the C, numba and Python flavours; only who holds the GIL (and how many threads run
the loop) differs.
"""

from cython.parallel cimport prange
from libc.math cimport sqrt

from common cimport check_threads, schedule_code, set_schedule


cdef inline void body_step(const double* pos, const double* vel, const double* mass,
                           double* pos_out, double* vel_out, Py_ssize_t n, Py_ssize_t i,
                           double dt, double eps2) noexcept nogil:
    # Semi-implicit Euler for body i; j runs 0..n-1 skipping i, in the order every flavour
    # uses (the build disables FMA contraction, so the sums round identically).
    cdef double xi = pos[3 * i], yi = pos[3 * i + 1], zi = pos[3 * i + 2]
    cdef double ax = 0.0, ay = 0.0, az = 0.0
    cdef double dx, dy, dz, r2, s, vx, vy, vz
    cdef Py_ssize_t j
    for j in range(n):
        if j == i:
            continue
        dx = pos[3 * j] - xi
        dy = pos[3 * j + 1] - yi
        dz = pos[3 * j + 2] - zi
        r2 = dx * dx + dy * dy + dz * dz + eps2
        s = mass[j] / (r2 * sqrt(r2))
        ax += s * dx
        ay += s * dy
        az += s * dz
    vx = vel[3 * i] + dt * ax
    vy = vel[3 * i + 1] + dt * ay
    vz = vel[3 * i + 2] + dt * az
    vel_out[3 * i] = vx
    vel_out[3 * i + 1] = vy
    vel_out[3 * i + 2] = vz
    pos_out[3 * i] = xi + dt * vx
    pos_out[3 * i + 1] = yi + dt * vy
    pos_out[3 * i + 2] = zi + dt * vz


cdef int check_shape(str name, Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t n) except -1:
    if rows != n or cols != 3:
        raise ValueError(f"{name} must have shape ({n}, 3) to match mass. "
                         f"Got ({rows}, {cols}) instead.")
    return 0


cdef int check_step(const double[:, ::1] pos, const double[:, ::1] vel,
                    const double[::1] mass, double[:, ::1] pos_out, double[:, ::1] vel_out,
                    Py_ssize_t start, Py_ssize_t stop, double eps2) except -1:
    cdef Py_ssize_t n = mass.shape[0]
    check_shape("pos", pos.shape[0], pos.shape[1], n)
    check_shape("vel", vel.shape[0], vel.shape[1], n)
    check_shape("pos_out", pos_out.shape[0], pos_out.shape[1], n)
    check_shape("vel_out", vel_out.shape[0], vel_out.shape[1], n)
    if not 0 <= start <= stop <= n:
        raise ValueError(f"body range [{start}, {stop}) is outside {n} bodies")
    if not eps2 > 0.0:
        raise ValueError(f"eps2 must be > 0 (softening avoids division by zero). "
                         f"Got {eps2} instead.")
    return 0


def step_gil(const double[:, ::1] pos, const double[:, ::1] vel, const double[::1] mass,
             double[:, ::1] pos_out, double[:, ::1] vel_out, Py_ssize_t start,
             Py_ssize_t stop, double dt, double eps2):
    """Advance bodies [start, stop) by one step into pos_out/vel_out, holding the GIL.

    The outputs must not alias the inputs (other bodies still read the old positions).
    """
    check_step(pos, vel, mass, pos_out, vel_out, start, stop, eps2)
    cdef Py_ssize_t i, n = mass.shape[0]
    for i in range(start, stop):
        body_step(&pos[0, 0], &vel[0, 0], &mass[0], &pos_out[0, 0], &vel_out[0, 0], n, i,
                  dt, eps2)


def step_nogil(const double[:, ::1] pos, const double[:, ::1] vel, const double[::1] mass,
               double[:, ::1] pos_out, double[:, ::1] vel_out, Py_ssize_t start,
               Py_ssize_t stop, double dt, double eps2):
    """Advance bodies [start, stop) by one step with the GIL released for the whole loop."""
    check_step(pos, vel, mass, pos_out, vel_out, start, stop, eps2)
    cdef Py_ssize_t i, n = mass.shape[0]
    if stop == start:
        return
    with nogil:
        for i in range(start, stop):
            body_step(&pos[0, 0], &vel[0, 0], &mass[0], &pos_out[0, 0], &vel_out[0, 0], n,
                      i, dt, eps2)


def step_prange(const double[:, ::1] pos, const double[:, ::1] vel, const double[::1] mass,
                double[:, ::1] pos_out, double[:, ::1] vel_out, Py_ssize_t start,
                Py_ssize_t stop, double dt, double eps2, int n_threads,
                str schedule="static"):
    """Advance bodies [start, stop) by one step with an OpenMP team of ``n_threads``."""
    check_step(pos, vel, mass, pos_out, vel_out, start, stop, eps2)
    check_threads(n_threads)
    cdef int sched = schedule_code(schedule)
    cdef Py_ssize_t i, n = mass.shape[0]
    if stop == start:
        return
    cdef const double* p = &pos[0, 0]
    cdef const double* v = &vel[0, 0]
    cdef const double* m = &mass[0]
    cdef double* po = &pos_out[0, 0]
    cdef double* vo = &vel_out[0, 0]
    with nogil:
        # One body per grab: a body is n pair interactions, far more than a grab costs.
        set_schedule(sched, 1)
        for i in prange(start, stop, schedule="runtime", num_threads=n_threads):
            body_step(p, v, m, po, vo, n, i, dt, eps2)
