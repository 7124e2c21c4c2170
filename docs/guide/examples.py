"""Small functions and items the guide's ``gilbench advise`` lines run on (``--items``).

The doc tests run those lines with this folder on ``PYTHONPATH``; each function is one
task of a few milliseconds, so advise measures them quickly.
"""

from __future__ import annotations

import hashlib

import numpy as np

from gilbench.native import extension

_MANDELBROT = extension("mandelbrot")
_WIDTH = 256
#: (x0, dx, y0, dy, max_iter) of a 256 x 256 view of the set.
_VIEW = (-2.0, 3.0 / _WIDTH, -1.5, 3.0 / _WIDTH, 1000)


def rows() -> list[tuple[int, int]]:
    """Sixteen tasks of a few milliseconds each: ranges of 16 rows of the grid."""
    return [(y * _WIDTH, (y + 16) * _WIDTH) for y in range(0, _WIDTH, 16)]


def mandelbrot_gil(span: tuple[int, int]) -> int:
    """Escape counts of one span of pixels, computed while holding the GIL."""
    out = np.zeros((_WIDTH, _WIDTH), dtype=np.int32)
    _MANDELBROT.pixels_gil(out, *span, *_VIEW)
    return int(out.sum())


def mandelbrot_nogil(span: tuple[int, int]) -> int:
    """The same span, with the GIL released around the loop (``with nogil``)."""
    out = np.zeros((_WIDTH, _WIDTH), dtype=np.int32)
    _MANDELBROT.pixels_nogil(out, *span, *_VIEW)
    return int(out.sum())


def buffers_1k() -> list[bytes]:
    """200 buffers of 1 KiB: hashlib holds the GIL below 2 KiB."""
    return [bytes([i % 256]) * 1024 for i in range(200)]


def buffers_1m() -> list[bytes]:
    """16 buffers of 1 MiB: hashlib releases the GIL on these."""
    return [bytes([i]) * (1 << 20) for i in range(16)]


def sha256(data: bytes) -> str:
    """One task: the SHA-256 of a buffer."""
    return hashlib.sha256(data).hexdigest()
