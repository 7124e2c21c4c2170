/* Monte Carlo estimate of pi in plain C for the c-ctypes flavour (no Python API).
 * Counter-based: sample i draws splitmix64(key + 2i) and splitmix64(key + 2i + 1), so the
 * count does not depend on how the samples are chunked. Same operations as every other
 * flavour (the build disables FMA contraction): bit-identical counts. */
#include <stdint.h>

static uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* 1 when sample i falls inside the quarter circle x*x + y*y <= 1, else 0. */
static int64_t inside(uint64_t key, uint64_t i)
{
    double x = (double)(splitmix64(key + 2 * i) >> 11) * 0x1.0p-53;
    double y = (double)(splitmix64(key + 2 * i + 1) >> 11) * 0x1.0p-53;
    return x * x + y * y <= 1.0;
}

/* Count the samples [start, stop) inside the quarter circle.
 * 0 <= start <= stop is checked by the Python wrapper. */
int64_t gb_montecarlo_count(uint64_t key, int64_t start, int64_t stop)
{
    int64_t count = 0;
    for (int64_t i = start; i < stop; i++)
        count += inside(key, (uint64_t)i);
    return count;
}
