"""A user's numpy-free chunk functions for subinterpreters: this module imports nothing
that imports numpy (gilbench's package included), so an isolated interpreter can load it."""

from __future__ import annotations

import sys


def cubes(ws, chunk):
    start, stop = chunk
    return sum(i * i * i for i in range(start, stop))


def explode(ws, chunk):
    raise ValueError(f"boom in a subinterpreter at {chunk}")


def numpy_loaded(ws, chunk):
    """Whether numpy is loaded where this runs (never, in an isolated interpreter)."""
    return int("numpy" in sys.modules)


def count_passes(ws, chunk):
    """Add one to each element of the chunk's range of ``hits``: after ``with_passes``,
    every element holds the number of passes made."""
    hits = ws.arrays["hits"]
    for i in range(*chunk):
        hits[i] += 1
