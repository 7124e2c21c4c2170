"""The GIL probe tells a chunk function that releases the GIL from one that holds it, and
says "no GIL" where a free-threaded build runs without one."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gilbench import FLAVOURS, KERNELS
from gilbench.gilprobe import GilProbe, gil_enabled
from gilbench.kernels import Workspace
from tests.conftest import FREE_THREADED_BUILD, reading

#: Mandelbrot side whose single-chunk compiled call takes roughly 0.1-0.3 s.
SIZE = 700


def availability(flavour: str, kernel_name: str = "mandelbrot",
                 size: int = SIZE) -> float | None:
    kernel = KERNELS[kernel_name]
    problem = kernel.make_problem(size)
    ws = Workspace.local(problem)
    fn = kernel.chunk_function(flavour)
    (chunk,) = kernel.split(problem, 1)
    fn(ws, chunk)  # warm (JIT, page faults) outside the probe
    with GilProbe() as probe:
        fn(ws, chunk)
    return reading(probe)


def test_nogil_leaves_the_gil_available_and_gil_holds_it():
    free = availability("cython-nogil")
    held = availability("cython-gil")
    if not gil_enabled():
        assert free is None and held is None  # both read "no GIL"
        return
    assert free > 0.5, f"cython-nogil: GIL availability {free:.2f}"
    assert held < 0.1, f"cython-gil: GIL availability {held:.2f}"


def test_ctypes_drops_the_gil_per_call():
    free = availability("c-ctypes")
    assert free > 0.5 if gil_enabled() else free is None


def test_numba_nogil_releases_it():
    pytest.importorskip("numba", reason="optional extra [peers] not installed")
    free = availability("numba")
    assert free > 0.5 if gil_enabled() else free is None


@pytest.mark.skipif(not FREE_THREADED_BUILD,
                    reason="needs a free-threaded build (tools/build-freethreaded-python.sh)")
def test_with_the_gil_turned_back_on_a_free_threaded_build_probes_as_usual():
    """PYTHON_GIL=1, the A/B that isolates the GIL on a free-threaded build: there the probe
    must tell released from held exactly as on a default build."""
    code = ("import sys; from tests.test_gilprobe import availability; "
            "assert sys._is_gil_enabled(), 'PYTHON_GIL=1 left the GIL off'; "
            "print(availability('cython-nogil'), availability('cython-gil'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).resolve().parent.parent,
                         env={**os.environ, "PYTHON_GIL": "1"})
    assert out.returncode == 0, out.stderr
    free, held = map(float, out.stdout.split())
    assert free > 0.5 and held < 0.1, f"cython-nogil {free:.2f}, cython-gil {held:.2f}"


#: Probed work must last long compared with the 0.5 ms turns the probe takes between calls.
PROBED_S = 0.06
#: ...without growing a problem's inputs beyond this.
MAX_INPUT_BYTES = 256 << 20


def _long_problem(kernel, flavour, impl):
    """A problem whose single-chunk execution takes >= PROBED_S, or the largest allowed."""
    size = kernel.size_for("quick", flavour)
    while True:
        problem = kernel.make_problem(size)
        ws = Workspace.local(problem)
        phases = kernel.phases(problem, 1)
        t0 = time.perf_counter()
        for phase in phases:
            for chunk in phase:
                impl.fn(ws, chunk)
        took = time.perf_counter() - t0
        if took >= PROBED_S or problem.input_bytes * 2 > MAX_INPUT_BYTES:
            return problem, ws, phases, took
        size *= 2


@pytest.mark.parametrize("kernel_name", sorted(KERNELS))
def test_each_flavour_behaves_as_declared(kernel_name):
    """Flavours declared 'releases' leave the GIL available, 'holds' ones (pure Python
    included: it gives the GIL up only when the interpreter forces a switch) do not; with
    the GIL off, every flavour reads "no GIL"."""
    kernel = KERNELS[kernel_name]
    for flavour, impl in kernel.implementations.items():
        spec = FLAVOURS[flavour]
        if spec.parallel_inside or spec.gil == "partial":
            continue
        if kernel.flavour_unavailable_reason(flavour) and flavour.startswith("numba"):
            continue
        if impl.prepare:
            impl.prepare()
        problem, ws, phases, took = _long_problem(kernel, flavour, impl)
        rounds = max(1, round(PROBED_S / took))
        readings = []
        # The median of three probes: on a loaded machine one probe may read a held GIL
        # as up to ~0.4 free (its ticker, woken late, keeps a GIL freed between chunks
        # until the switch interval takes it back).
        for _ in range(3):
            with GilProbe(idle_s=0.02) as probe:
                for _ in range(rounds):
                    for phase in phases:
                        for chunk in phase:
                            impl.fn(ws, chunk)
            readings.append(reading(probe))
        free = None if None in readings else statistics.median(readings)
        if not gil_enabled():
            assert free is None, f"{kernel_name}/{flavour}: {free} with the GIL off"
        elif spec.gil == "releases":
            assert free > 0.5, f"{kernel_name}/{flavour}: {free}"
        else:
            assert free < 0.25, f"{kernel_name}/{flavour}: {free}"
