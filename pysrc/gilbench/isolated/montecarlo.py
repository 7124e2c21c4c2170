"""Monte Carlo pi without numpy: splitmix64 and the sample loop in Python (the kernel's
python flavour itself), and the compiled entry points for subinterpreters."""

from __future__ import annotations

from typing import Any

MASK64 = 0xFFFFFFFFFFFFFFFF
# splitmix64 constants (Steele, Lea and Flood 2014; Vigna's reference C code).
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
#: (z >> 11) * UNIT maps a 64-bit output exactly onto a double in [0, 1).
UNIT = 2.0 ** -53


def splitmix64(x: int) -> int:
    """The splitmix64 output for counter value ``x`` (Python ints masked to 64 bits)."""
    z = (x + GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def check_chunk(ws: Any, chunk: tuple[int, int]) -> tuple[int, int, int]:
    """(key, start, stop) of a chunk, checked against the problem's samples."""
    start, stop = (int(v) for v in chunk)
    if not 0 <= start <= stop <= ws.params["samples"]:
        raise ValueError(f"sample range [{start}, {stop}) is outside the problem's "
                         f"{ws.params['samples']} samples")
    return ws.params["key"], start, stop


def python_count(ws: Any, chunk: tuple[int, int]) -> int:
    """Pure-Python chunk function: two splitmix64 outputs per sample, masked to 64 bits."""
    key, start, stop = check_chunk(ws, chunk)
    count = 0
    for i in range(start, stop):
        c = (key + 2 * i) & MASK64
        x = (splitmix64(c) >> 11) * UNIT
        y = (splitmix64((c + 1) & MASK64) >> 11) * UNIT
        if x * x + y * y <= 1.0:
            count += 1
    return count


def _count(ws: Any, chunk: tuple[int, int], release_gil: bool) -> int:
    from gilbench._native.isolated import montecarlo_count

    return montecarlo_count(*check_chunk(ws, chunk), release_gil)


def cython_gil_count(ws: Any, chunk: tuple[int, int]) -> int:
    """cython-gil flavour: the compiled loop, holding this interpreter's GIL."""
    return _count(ws, chunk, False)


def cython_nogil_count(ws: Any, chunk: tuple[int, int]) -> int:
    """cython-nogil flavour: the compiled loop with this interpreter's GIL released."""
    return _count(ws, chunk, True)
