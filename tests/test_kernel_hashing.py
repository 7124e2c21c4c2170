"""hashing and hashing-small: known digests, every strategy, payloads, bad input, the GIL."""

from __future__ import annotations

import hashlib
import statistics

import numpy as np
import pytest

from gilbench import FLAVOURS, STRATEGIES
from gilbench.compat import incompatible_reason
from gilbench.gilprobe import GilProbe, gil_enabled
from gilbench.kernels import ArraySpec, Problem, Workspace, get_kernel
from gilbench.kernels import hashing as hs
from tests.conftest import reading

KERNELS = [get_kernel("hashing"), get_kernel("hashing-small")]
NAMES = [k.name for k in KERNELS]
# Small, and not a multiple of the chunk counts.
SIZES = {"hashing": 11, "hashing-small": 1_003}
# FIPS 180-2 example "abc", and the CRC-32 catalogue's check input "123456789".
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
CRC32_ABC = 0x352441C2
SHA256_DIGITS = "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"
CRC32_DIGITS = 0xCBF43926


def strategies(kernel):
    flavour = FLAVOURS["stdlib"]
    return [s.name for s in STRATEGIES.values()
            if not incompatible_reason(kernel, flavour, s)]


def hand_made(rows: list[bytes]) -> Problem:
    """A problem whose buffers are ``rows`` (all of one length)."""
    data = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), -1)
    return Problem("hashing", len(rows), 0, {"buffer_bytes": data.shape[1]},
                   inputs={"data": data},
                   outputs={"digests": ArraySpec((len(rows), 32), "uint8"),
                            "crc32": ArraySpec((len(rows),), "uint32")})


def run_chunks(kernel, problem: Problem, chunks: int) -> tuple[np.ndarray, np.ndarray]:
    ws = Workspace.local(problem)
    for chunk in kernel.split(problem, chunks):
        assert hs.stdlib_digests(ws, chunk) is None
    return kernel.merge(problem, ws, [])


# -- the reference and the problem ------------------------------------------------------
@pytest.mark.parametrize(("row", "sha", "crc"), [(b"abc", SHA256_ABC, CRC32_ABC),
                                                 (b"123456789", SHA256_DIGITS, CRC32_DIGITS)])
def test_known_digests(row, sha, crc):
    problem = hand_made([row, row])
    for digests, crcs in (hs.reference_digests(problem.inputs["data"]),
                          run_chunks(KERNELS[0], problem, 2)):
        assert [bytes(d).hex() for d in digests] == [sha, sha]
        assert crcs.tolist() == [crc, crc]


def test_buffer_sizes_straddle_the_gil_thresholds():
    large, small = KERNELS
    assert large.buffer_bytes >= max(hs.HASHLIB_GIL_MINSIZE, hs.CRC32_GIL_MINSIZE)
    assert small.buffer_bytes < min(hs.HASHLIB_GIL_MINSIZE, hs.CRC32_GIL_MINSIZE)
    assert {large.name, small.name} == {"hashing", "hashing-small"}


@pytest.mark.parametrize("kernel", KERNELS, ids=NAMES)
def test_problem_is_deterministic_and_seeded(kernel):
    size = SIZES[kernel.name]
    a, b, c = (kernel.make_problem(size, seed) for seed in (5, 5, 6))
    assert a.inputs["data"].shape == (size, kernel.buffer_bytes)
    assert a.inputs["data"].dtype == np.uint8
    assert (a.inputs["data"] == b.inputs["data"]).all()
    assert not (a.inputs["data"] == c.inputs["data"]).all()
    assert a.params == {"buffer_bytes": kernel.buffer_bytes}
    assert kernel.work_bytes(a) == size * kernel.buffer_bytes


def test_only_the_stdlib_flavour_and_every_other_is_explained():
    for kernel in KERNELS:
        assert list(kernel.implementations) == ["stdlib"]
        for flavour in FLAVOURS:
            if flavour != "stdlib":
                assert len(kernel.not_applicable[flavour]) > 40


# -- chunks, strategies and payloads ----------------------------------------------------
def test_processes_and_pickled_inputs_are_among_the_strategies():
    assert {"serial", "threads", "processes", "processes-pickle"} <= set(strategies(KERNELS[0]))


@pytest.mark.parametrize("kernel", KERNELS, ids=NAMES)
def test_payload_ships_only_the_chunk_slice(kernel):
    problem = kernel.make_problem(SIZES[kernel.name])
    ws = Workspace.local(problem)
    assert kernel.supports_payload
    for chunk in kernel.split(problem, 3):
        rebased, inputs = kernel.payload(problem, chunk)
        assert rebased == (chunk[0], chunk[1], chunk[0])
        assert inputs["data"].shape[0] == chunk[1] - chunk[0]
        shipped = Workspace(ws.params, {**ws.arrays, **inputs})
        hs.stdlib_digests(shipped, rebased)
    assert kernel.compare(kernel.merge(problem, ws, []), kernel.reference(problem)) is None


# -- bad input --------------------------------------------------------------------------
def test_out_of_range_chunks_raise():
    problem = KERNELS[0].make_problem(5)
    ws = Workspace.local(problem)
    for chunk in [(-1, 2, 0), (3, 2, 0), (0, 6, 0), (2, 3, 3), (0, 5, 1)]:
        with pytest.raises(ValueError, match="buffer range"):
            hs.stdlib_digests(ws, chunk)
    shipped = Workspace(ws.params, {**ws.arrays, "data": problem.inputs["data"][1:3]})
    with pytest.raises(ValueError, match="buffer range"):
        hs.stdlib_digests(shipped, (1, 4, 1))  # the slice holds buffers 1 and 2 only
    with pytest.raises(TypeError):
        hs.stdlib_digests(ws, (None, 2, 0))
    with pytest.raises(ValueError):
        hs.stdlib_digests(ws, (0, 2))  # a chunk is (start, stop, base)


def test_empty_chunk_writes_nothing():
    problem = KERNELS[0].make_problem(3)
    ws = Workspace.local(problem)
    hs.stdlib_digests(ws, (2, 2, 0))
    assert not ws.arrays["digests"].any() and not ws.arrays["crc32"].any()


def test_bad_arrays_raise():
    problem = KERNELS[1].make_problem(4)
    good = Workspace.local(problem)
    data = problem.inputs["data"]
    bad_inputs = [data.astype(np.int16), data[:, ::2], data.reshape(-1), [[1, 2]]]
    for bad in bad_inputs:
        with pytest.raises((TypeError, ValueError)):
            hs.stdlib_digests(Workspace(good.params, {**good.arrays, "data": bad}), (0, 1, 0))
    readonly = np.zeros((4, 32), dtype=np.uint8)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        hs.stdlib_digests(Workspace(good.params, {**good.arrays, "digests": readonly}),
                          (0, 2, 0))


# -- the GIL ----------------------------------------------------------------------------
def _probe(work) -> float | None:
    with GilProbe() as probe:
        work()
    return reading(probe)


def _chunk_probe(kernel_name: str, size: int):
    kernel = get_kernel(kernel_name)
    problem = kernel.make_problem(size)
    ws = Workspace.local(problem)
    (chunk,) = kernel.split(problem, 1)
    fn = kernel.chunk_function("stdlib")
    fn(ws, chunk)  # warm: page faults, OpenSSL's first fetch
    return lambda: _probe(lambda: fn(ws, chunk))


def test_large_buffers_leave_the_gil_available_and_small_ones_do_not():
    """Each work takes about 0.3 s; medians of three interleaved rounds.

    hashlib and zlib release the GIL only above a buffer size, so 256 KiB buffers read
    near 1 (like one 256 MiB SHA-256 call, which holds the GIL for no time at all) and
    256-byte buffers near 0: the probe only takes a free GIL, and the Python loop between
    the calls holds it too. Time the probe waits for a CPU is discounted, so a busy
    machine does not blur the two.
    """
    blob = np.frombuffer(np.random.default_rng(1).bytes(256 << 20), dtype=np.uint8)
    large = _chunk_probe("hashing", 600)
    small = _chunk_probe("hashing-small", 150_000)
    rounds = [(_probe(lambda: hashlib.sha256(blob).digest()), large(), small())
              for _ in range(3)]
    if not gil_enabled():
        assert rounds == [(None, None, None)] * 3  # all read "no GIL"
        return
    free, big, tiny = (statistics.median(r[i] for r in rounds) for i in range(3))
    readings = f"free {free:.2f}, 256 KiB buffers {big:.2f}, 256 B buffers {tiny:.2f}"
    assert free > 0.5 and big > 0.5, readings
    assert tiny < 0.25, readings
