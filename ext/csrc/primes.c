/* Prime counting by trial division in plain C for the c-ctypes flavour (no Python API).
 * Same algorithm as every other flavour: 2, then odd divisors d while d*d <= n. */
#include <stdint.h>

/* 32-bit division is several times cheaper than 64-bit on most x86 cores; LLVM (numba)
 * emits this bypass by itself, gcc does not, so it is written out here. */
static int64_t is_prime32(uint32_t n)
{
    for (uint32_t d = 3; (uint64_t)d * d <= n; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

static int64_t is_prime(int64_t n)
{
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    if (n <= UINT32_MAX)
        return is_prime32((uint32_t)n);
    for (int64_t d = 3; d * d <= n; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

/* Count the primes among the candidates [start, stop).
 * 0 <= start <= stop <= 2**62 (so d*d cannot overflow) is checked by the Python wrapper. */
int64_t gb_primes_count(int64_t start, int64_t stop)
{
    int64_t count = 0;
    for (int64_t n = start; n < stop; n++)
        count += is_prime(n);
    return count;
}
