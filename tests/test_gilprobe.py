"""The GIL probe tells a chunk function that releases the GIL from one that holds it."""

from __future__ import annotations

import time

import pytest

from gilbench import FLAVOURS, KERNELS
from gilbench.gilprobe import GilProbe
from gilbench.kernels import Workspace
from tests.conftest import reading

#: Mandelbrot side whose single-chunk compiled call takes roughly 0.1-0.3 s.
SIZE = 700


def availability(flavour: str, kernel_name: str = "mandelbrot", size: int = SIZE) -> float:
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
    assert free > 0.5, f"cython-nogil: GIL availability {free:.2f}"
    assert held < 0.1, f"cython-gil: GIL availability {held:.2f}"


def test_ctypes_drops_the_gil_per_call():
    assert availability("c-ctypes") > 0.5


def test_numba_nogil_releases_it():
    pytest.importorskip("numba", reason="optional extra [peers] not installed")
    assert availability("numba") > 0.5


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
    included: it gives the GIL up only when the interpreter forces a switch) do not."""
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
        with GilProbe(idle_s=0.02) as probe:
            for _ in range(rounds):
                for phase in phases:
                    for chunk in phase:
                        impl.fn(ws, chunk)
        if spec.gil == "releases":
            assert reading(probe) > 0.5, f"{kernel_name}/{flavour}: {probe.availability}"
        else:
            assert reading(probe) < 0.25, f"{kernel_name}/{flavour}: {probe.availability}"
