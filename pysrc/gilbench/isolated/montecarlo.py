"""Monte Carlo pi without numpy: splitmix64 and the sample loop in Python (the kernel's
python flavour itself), and the compiled entry points for subinterpreters."""

from __future__ import annotations

import pickle
from typing import Any

MASK64 = 0xFFFFFFFFFFFFFFFF
# splitmix64 constants (Steele, Lea and Flood 2014; Vigna's reference C code).
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
#: (z >> 11) * UNIT maps a 64-bit output exactly onto a double in [0, 1).
UNIT = 2.0 ** -53


def splitmix64(x: int, golden: int = GOLDEN, mix1: int = MIX1, mix2: int = MIX2,
               mask: int = MASK64) -> int:
    """The splitmix64 output for counter value ``x`` (Python ints masked to 64 bits).

    The constants are parameters so that a hot loop can pass its own copies (see
    :func:`python_count`); their values are always the module's.
    """
    z = (x + golden) & mask
    z = ((z ^ (z >> 30)) * mix1) & mask
    z = ((z ^ (z >> 27)) * mix2) & mask
    return z ^ (z >> 31)


#: The module constants the pure-Python loop uses, to be unpickled into objects of its own.
_LOOP_CONSTANTS = pickle.dumps((GOLDEN, MIX1, MIX2, MASK64, UNIT))


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
    # This call's own copies of the module's big ints and float: on a free-threaded build,
    # threads that looked up the same objects per sample would contend on their reference
    # counts (2.1x the CPU per chunk on 2 threads of 3.13t), which is not the loop's cost.
    golden, mix1, mix2, mask, unit = pickle.loads(_LOOP_CONSTANTS)
    count = 0
    for i in range(start, stop):
        c = (key + 2 * i) & mask
        x = (splitmix64(c, golden, mix1, mix2, mask) >> 11) * unit
        y = (splitmix64((c + 1) & mask, golden, mix1, mix2, mask) >> 11) * unit
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
