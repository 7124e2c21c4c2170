/* N-body time step in plain C for the c-ctypes flavour (no Python API).
 * Same operation order as the Cython, numba and Python flavours: bit-identical output. */
#include <math.h>
#include <stdint.h>

/* Semi-implicit Euler step of bodies [start, stop) out of n, G = 1, softening eps2:
 *   a_i = sum_{j != i, j = 0..n-1} m_j d_ij / (r2 sqrt(r2)),  r2 = |d_ij|^2 + eps2,
 *   v_i' = v_i + dt a_i,  x_i' = x_i + dt v_i'.
 * Arrays are C-contiguous (n, 3) positions/velocities and (n,) masses; the outputs must
 * not alias the inputs. Bounds are checked by the Python wrapper; returns 0. */
int gb_nbody_step(const double *pos, const double *vel, const double *mass,
                  double *pos_out, double *vel_out, int64_t n, int64_t start, int64_t stop,
                  double dt, double eps2)
{
    for (int64_t i = start; i < stop; i++) {
        const double xi = pos[3 * i], yi = pos[3 * i + 1], zi = pos[3 * i + 2];
        double ax = 0.0, ay = 0.0, az = 0.0;
        for (int64_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            double dx = pos[3 * j] - xi;
            double dy = pos[3 * j + 1] - yi;
            double dz = pos[3 * j + 2] - zi;
            double r2 = dx * dx + dy * dy + dz * dz + eps2;
            double s = mass[j] / (r2 * sqrt(r2));
            ax += s * dx;
            ay += s * dy;
            az += s * dz;
        }
        double vx = vel[3 * i] + dt * ax;
        double vy = vel[3 * i + 1] + dt * ay;
        double vz = vel[3 * i + 2] + dt * az;
        vel_out[3 * i] = vx;
        vel_out[3 * i + 1] = vy;
        vel_out[3 * i + 2] = vz;
        pos_out[3 * i] = xi + dt * vx;
        pos_out[3 * i + 1] = yi + dt * vy;
        pos_out[3 * i + 2] = zi + dt * vz;
    }
    return 0;
}
