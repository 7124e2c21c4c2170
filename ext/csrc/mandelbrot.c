/* Mandelbrot escape counts in plain C for the c-ctypes flavour (no Python API).
 * Same operation order as the Cython, Python and numpy flavours: bit-identical output. */
#include <stdint.h>

static int32_t escape(double cr, double ci, int32_t max_iter)
{
    double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0;
    int32_t n = 0;
    while (n < max_iter && zr2 + zi2 <= 4.0) {
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        n++;
    }
    return n;
}

/* Fill pixels [start, stop) of a C-contiguous, row-major int32 grid of `width` columns
 * (a chunk may begin and end mid-row). Bounds are checked by the Python wrapper; returns 0. */
int gb_mandelbrot_pixels(int32_t *out, int64_t width, int64_t start, int64_t stop,
                         double x0, double dx, double y0, double dy, int32_t max_iter)
{
    if (start >= stop)
        return 0;
    int64_t y = start / width, x = start - y * width;
    double ci = y0 + (double)y * dy;
    for (int64_t p = start; p < stop; p++) {
        out[p] = escape(x0 + (double)x * dx, ci, max_iter);
        if (++x == width) {
            x = 0;
            y++;
            ci = y0 + (double)y * dy;
        }
    }
    return 0;
}
