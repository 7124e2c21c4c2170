"""The same C function (gilbench's own libgilbench: count the primes in a range, about
1.5 ms per item) called through ctypes two ways: ``ctypes.PyDLL`` keeps the GIL during
the call, ``ctypes.CDLL`` drops it. Before and after: the GIL-held share goes from about
1 to about 0, and the advice from processes (or serial) to threads."""

import ctypes
import importlib.util

_origin = importlib.util.find_spec("gilbench._native.libgilbench").origin
_HOLDS = ctypes.PyDLL(_origin)  # keeps the GIL during every call
_RELEASES = ctypes.CDLL(_origin)  # drops the GIL during every call
for _lib in (_HOLDS, _RELEASES):
    _lib.gb_primes_count.restype = ctypes.c_int64
    _lib.gb_primes_count.argtypes = [ctypes.c_int64, ctypes.c_int64]

WIDTH = 1000


def count_primes_gil(start: int) -> int:
    """Primes in ``[start, start + WIDTH)``, the GIL held (PyDLL)."""
    return _HOLDS.gb_primes_count(start, start + WIDTH)


def count_primes_nogil(start: int) -> int:
    """Primes in ``[start, start + WIDTH)``, the GIL released (CDLL)."""
    return _RELEASES.gb_primes_count(start, start + WIDTH)


#: 200 tasks near 10^9.
ITEMS = [1_000_000_000 + i * WIDTH for i in range(200)]
