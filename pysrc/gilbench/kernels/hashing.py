"""Hashing many buffers with the standard library: GIL release without any native code.

Each buffer gets a SHA-256 digest (``hashlib``) and a CRC-32 (``zlib``). Both drop the GIL
themselves, but only for buffers above a threshold: CPython's hashlib from 2 KiB
(``HASHLIB_GIL_MINSIZE``), ``zlib.crc32`` above 5 KiB, because releasing and re-taking the
GIL costs more than hashing a few hundred bytes. So the kernel comes in two sizes of
buffer: ``hashing`` (256 KiB buffers: threads should scale like processes for free) and
``hashing-small`` (256-byte buffers: the GIL is never dropped and threads cannot scale).
Outputs are exact (bytes and integers), so every strategy must agree bit for bit.

``zlib.compress`` is left out on purpose: it drops the GIL around ``deflate`` whatever the
size, so on 256-byte buffers it still let 2 threads run 1.4-1.7x faster and would blur
the contrast that ``hashing-small`` exists to show.
"""

from __future__ import annotations

import binascii
import hashlib
import zlib
from typing import ClassVar

import numpy as np

from gilbench import native
from gilbench.kernels.base import ArraySpec, Implementation, Kernel, Problem, Workspace, even_ranges
from gilbench.kernels.gilshare import ONE_KERNEL_SUFFICES

DIGEST_BYTES = 32  # SHA-256

#: Buffer sizes above which CPython drops the GIL (hashlib: >= 2048, zlib.crc32: > 5120).
HASHLIB_GIL_MINSIZE = 2048
CRC32_GIL_MINSIZE = 5 * 1024 + 1


#: A chunk: buffers [start, stop) of the problem, and the index of the buffer that the
#: ``data`` array the chunk function sees begins with (0 when it sees the whole input in
#: shared memory, ``start`` when a strategy shipped it just the chunk's slice).
Chunk = tuple[int, int, int]


def _buffers(ws: Workspace, chunk: Chunk) -> tuple[memoryview, int, int, int, int]:
    """A flat view of the input, the buffer size, the validated range and the input base."""
    data = native.c_array(ws.arrays["data"], "uint8", 2, writeable=False, name="data")
    start, stop, base = (int(v) for v in chunk)
    n_out = ws.arrays["crc32"].shape[0]
    if not 0 <= base <= start <= stop <= n_out or stop - base > data.shape[0]:
        raise ValueError(f"buffer range [{start}, {stop}) is outside the problem's "
                         f"{n_out} buffers or this input's {data.shape[0]} buffers "
                         f"from buffer {base} on")
    return memoryview(data.reshape(-1)), data.shape[1], start, stop, base


def stdlib_digests(ws: Workspace, chunk: Chunk) -> None:
    """stdlib chunk function: one hashlib and one zlib call per buffer, results in place.

    Whether the GIL is dropped is decided inside those calls by the buffer size alone.
    Results are gathered in lists and written to the outputs once per chunk, so the
    Python overhead per buffer is the two calls and nothing else.
    """
    flat, size, start, stop, base = _buffers(ws, chunk)
    sha256, crc32 = hashlib.sha256, zlib.crc32
    digests, crcs = [], []
    for offset in range((start - base) * size, (stop - base) * size, size):
        buf = flat[offset:offset + size]
        digests.append(sha256(buf).digest())
        crcs.append(crc32(buf))
    ws.arrays["digests"][start:stop] = np.frombuffer(b"".join(digests), dtype=np.uint8
                                                     ).reshape(-1, DIGEST_BYTES)
    ws.arrays["crc32"][start:stop] = crcs


def reference_digests(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digests and CRCs buffer by buffer, by other entry points (hashlib.new, binascii)."""
    digests = np.empty((data.shape[0], DIGEST_BYTES), dtype=np.uint8)
    crcs = np.empty(data.shape[0], dtype=np.uint32)
    for i, row in enumerate(data):
        raw = row.tobytes()
        digests[i] = np.frombuffer(hashlib.new("sha256", raw).digest(), dtype=np.uint8)
        crcs[i] = binascii.crc32(raw)
    return digests, crcs


_COMPILED_WRAPPER = ("the hash already runs in C inside hashlib; a compiled loop around "
                     "hashlib calls is the stdlib flavour again, and a nogil one would have "
                     "to link OpenSSL or carry its own SHA-256, which benchmarks that code "
                     "instead of the standard library's GIL release")


class Hashing(Kernel):
    """SHA-256 and CRC-32 of ``size`` buffers of ``buffer_bytes`` each.

    Subclasses change only ``buffer_bytes`` (and the names and sizes that follow from it),
    so the two registered kernels differ in nothing but which side of the GIL-release
    thresholds their buffers fall.
    """

    name = "hashing"
    summary = ("stdlib SHA-256 + CRC-32 of 256 KiB buffers: hashlib and zlib drop the GIL "
               "themselves above 2 KiB / 5 KiB, so plain threads scale with no native code")
    #: Bytes per buffer; decides whether hashlib and zlib release the GIL.
    buffer_bytes: ClassVar[int] = 256 * 1024
    size_unit = "buffers of 256 KiB"
    # Fairly large buffers on purpose: every GIL release costs the harness's GIL-probe
    # repeat up to one switch interval (the ticker holds the GIL when the call returns),
    # so 16 KiB buffers would make that untimed repeat many times longer than a timed one.
    sizes = {"quick": 128, "standard": 768, "full": 3072}
    test_size = 24
    # 2**22 buffers (1 TiB of input): memory binds long before time does.
    max_size = 2**22
    supports_payload = True
    implementations = {"stdlib": Implementation(stdlib_digests)}
    not_applicable = {
        "cython-mixed": ONE_KERNEL_SUFFICES,
        "python": "the same hashlib calls issued from Python are the stdlib flavour; a "
                  "SHA-256 written in pure Python would measure the interpreter, not hashing",
        "cython-gil": _COMPILED_WRAPPER,
        "cython-nogil": _COMPILED_WRAPPER,
        "cython-prange": _COMPILED_WRAPPER,
        "c-ctypes": "would need a SHA-256 and CRC-32 of our own in C (or linking OpenSSL), "
                    "which benchmarks that code, not the standard library's GIL release",
        "numpy": "numpy has no hash or checksum routine; a vectorised SHA-256 would "
                 "measure numpy temporaries, not hashing",
        "numba": "numba cannot call hashlib or zlib in nopython mode, and a SHA-256 "
                 "written for numba would benchmark that code, not the standard library",
        "numba-parallel": "numba cannot call hashlib or zlib in nopython mode, and a "
                          "SHA-256 written for numba would benchmark that code",
    }

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        size = self.check_size(size)
        rng = np.random.default_rng(seed)
        data = np.frombuffer(rng.bytes(size * self.buffer_bytes), dtype=np.uint8)
        return Problem(self.name, size, seed, {"buffer_bytes": self.buffer_bytes},
                       inputs={"data": data.reshape(size, self.buffer_bytes)},
                       outputs={"digests": ArraySpec((size, DIGEST_BYTES), "uint8"),
                                "crc32": ArraySpec((size,), "uint32")})

    def split(self, problem: Problem, chunks: int) -> list[Chunk]:
        return [(start, stop, 0) for start, stop in even_ranges(problem.size, chunks)]

    def payload(self, problem: Problem, chunk: Chunk) -> tuple[Chunk, dict[str, np.ndarray]]:
        start, stop, _ = chunk
        return (start, stop, start), {"data": problem.inputs["data"][start:stop]}

    supports_outputs = True

    def outputs_of(self, problem: Problem, chunk: Chunk) -> dict[str, tuple]:
        """A chunk writes the digests and CRCs of its buffers [start, stop)."""
        start, stop, _ = chunk
        return {"digests": (slice(start, stop),), "crc32": (slice(start, stop),)}

    def merge(self, problem: Problem, workspace: Workspace,
              partials: list) -> tuple[np.ndarray, np.ndarray]:
        return workspace.arrays["digests"], workspace.arrays["crc32"]

    def reference(self, problem: Problem) -> tuple[np.ndarray, np.ndarray]:
        return reference_digests(problem.inputs["data"])

    def work_bytes(self, problem: Problem) -> int:
        return problem.input_bytes

    def memory_bytes(self, size: int) -> int:
        # The input twice (numpy generates it, then copies it into bytes), plus the digest
        # and CRC objects built per buffer.
        return size * (2 * self.buffer_bytes + 256)


class HashingSmall(Hashing):
    """The same kernel on 256-byte buffers, below both GIL-release thresholds."""

    name = "hashing-small"
    summary = ("the same stdlib SHA-256 + CRC-32 on 256-byte buffers, below hashlib's and "
               "zlib's GIL-release thresholds: the GIL stays held and threads cannot scale")
    buffer_bytes = 256
    size_unit = "buffers of 256 B"
    sizes = {"quick": 48_000, "standard": 288_000, "full": 1_152_000}
    test_size = 2_000
    # 2**28 buffers: about 6 minutes on one core (~1.3 us a buffer).
    max_size = 2**28
