/* Sum of squares in plain C for the c-ctypes flavour (no Python API).
 * Same blocking and accumulator order as the Cython and numba flavours: bit-identical. */
#include <stdint.h>

/* Elements per block: blocks are summed separately and their sums added in order, so the
 * OpenMP flavour (one block per iteration) rounds exactly like the serial loop. */
#define GB_REDUCTION_BLOCK 4096

/* Eight interleaved accumulators keep the loop bound by memory bandwidth rather than by
 * the latency of a dependent add chain, without reassociation (no -ffast-math needed). */
static double block_sum(const double *x, int64_t n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 += x[i] * x[i];
        s1 += x[i + 1] * x[i + 1];
        s2 += x[i + 2] * x[i + 2];
        s3 += x[i + 3] * x[i + 3];
        s4 += x[i + 4] * x[i + 4];
        s5 += x[i + 5] * x[i + 5];
        s6 += x[i + 6] * x[i + 6];
        s7 += x[i + 7] * x[i + 7];
    }
    for (; i < n; i++)
        s0 += x[i] * x[i];
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

/* Sum of x[i]^2 for i in [start, stop), blocks aligned to start.
 * Bounds are checked by the Python wrapper. */
double gb_reduction_sum_squares(const double *x, int64_t start, int64_t stop)
{
    double total = 0.0;
    for (int64_t b = start; b < stop; b += GB_REDUCTION_BLOCK) {
        int64_t len = stop - b < GB_REDUCTION_BLOCK ? stop - b : GB_REDUCTION_BLOCK;
        total += block_sum(x + b, len);
    }
    return total;
}

int64_t gb_reduction_block(void)
{
    return GB_REDUCTION_BLOCK;
}
