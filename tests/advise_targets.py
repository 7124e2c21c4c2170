"""Users' functions and items for the advise tests: small, so each advise takes seconds."""

from __future__ import annotations

import ctypes
import importlib.util
import threading
import time

_origin = importlib.util.find_spec("gilbench._native.libgilbench").origin
_RELEASES = ctypes.CDLL(_origin)  # drops the GIL for each call
_RELEASES.gb_primes_count.restype = ctypes.c_int64
_RELEASES.gb_primes_count.argtypes = [ctypes.c_int64, ctypes.c_int64]


def primes_nogil(start: int) -> int:
    """About 1 ms of C with the GIL released (ctypes.CDLL)."""
    return _RELEASES.gb_primes_count(start, start + 700)


def python_loop(n: int) -> int:
    """About 1 ms of pure Python: holds the GIL throughout."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def add(a: int, b: int) -> int:
    """A tiny task for --star."""
    return a + b


def fails_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three is not allowed")
    return n


def returns_lock(n: int) -> threading.Lock:
    """A result that does not pickle."""
    time.sleep(0)
    return threading.Lock()


PRIMES = [1_000_000_000 + 700 * i for i in range(16)]
LOOPS = [12_000] * 16
PAIRS = [(i, i + 1) for i in range(40)]
NUMBERS = list(range(20))
EMPTY: list[int] = []
NOT_ITERABLE = 42
NOT_CALLABLE = "a string"


def numbers() -> list[int]:
    """Items from a function."""
    return list(range(20))


def slow(n: int) -> int:
    """0.2 s a task: 20 of them exceed a 1 s budget."""
    time.sleep(0.2)
    return n


def long_task(n: int) -> int:
    """About 50 ms of pure Python: the SIGTERM test interrupts advise among these."""
    total = 0
    for i in range(600_000):
        total += i % 3
    return total + n


LONG = list(range(400))


def tiny(n: int) -> int:
    """A task of a microsecond or two: no pool can pay for itself."""
    return n * n + 1


def which_process(n: int) -> int:
    """The same on every call in one process, different in a worker process."""
    import os

    return os.getpid() + n


def random_result(n: int) -> float:
    """A result that differs from one call to the next."""
    import random

    return random.random() + n
