"""cython-mixed: a mandelbrot flavour that holds the GIL for a tunable share f of its work."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gilbench import FLAVOURS
from gilbench.gilprobe import GilProbe, gil_enabled
from gilbench.harness import RunSpec, measure
from gilbench.kernels import Workspace, get_kernel
from gilbench.kernels.gilshare import (
    CHUNK_FIELDS,
    GIL_FRACTION_PARAM,
    GIL_FRACTIONS,
    mixed_figures,
)
from gilbench.plan import build_plan, representative_flavour
from tests.conftest import reading

_native = pytest.importorskip("gilbench._native.mandelbrot",
                              reason="the extension must be built (pip install -e .)")
KERNEL = get_kernel("mandelbrot")
FLAVOUR = "cython-mixed"
GRID = GIL_FRACTIONS


def at(f: float, size: int) -> tuple:
    """(problem at gil-fraction f, a fresh workspace, the chunk function)."""
    problem = KERNEL.at_axis_point(KERNEL.make_problem(size), "gil-fraction", f)
    return problem, Workspace.local(problem), KERNEL.chunk_function(FLAVOUR)


def figures_of(f: float, size: int, chunks: int) -> dict[str, float]:
    problem, ws, fn = at(f, size)
    partials = [fn(ws, chunk) for chunk in KERNEL.split(problem, chunks)]
    assert np.array_equal(ws.arrays["counts"], KERNEL.reference(problem)), f"f={f}"
    return mixed_figures(partials)


def test_declared_as_a_partial_gil_instrument():
    spec = FLAVOURS[FLAVOUR]
    assert spec.gil == "partial" and spec.tunable_gil_share
    assert spec.traits()["tunable_gil_share"] is True
    assert KERNEL.axis_params["gil-fraction"] == GIL_FRACTION_PARAM


@pytest.mark.parametrize("f", GRID)
def test_the_held_share_of_the_work_is_f(f):
    """Held pixels and held escape iterations (the work, counted exactly) are both within
    0.01 of f on the quick grid: the held blocks are spread evenly, not in stripes."""
    fig = figures_of(f, 256, 8)
    assert fig["pixels"] == 256 * 256
    assert fig["held_pixels"] / fig["pixels"] == pytest.approx(f, abs=0.01)
    assert fig["held_share_work"] == pytest.approx(f, abs=0.01)


def test_which_pixels_hold_the_gil_does_not_depend_on_the_chunking():
    one = figures_of(0.1, 96, 1)
    for chunks in (3, 7):
        other = figures_of(0.1, 96, chunks)
        for name in ("held_pixels", "held_iterations", "iterations"):
            assert other[name] == one[name], (chunks, name)


def test_chunks_time_their_whole_call_on_and_off_the_cpu():
    fig = figures_of(0.25, 128, 4)
    compute = fig["gil_held_s"] + fig["gil_free_s"]
    assert fig["chunk_wall_s"] >= compute > 0
    assert 0 < fig["chunk_cpu_s"] <= fig["chunk_wall_s"] * 1.05


def test_f0_never_holds_and_f1_never_releases():
    none = figures_of(0.0, 64, 4)
    assert none["gil_held_s"] == 0 and none["held_pixels"] == 0
    assert none["gil_reacquires"] == 4  # one released stretch per chunk
    held = figures_of(1.0, 64, 4)
    assert held["gil_free_s"] == 0 and held["gil_reacquires"] == 0
    assert held["held_pixels"] == held["pixels"] and held["gil_held_stretches"] == 4
    assert held["held_share_time"] == 1.0


def test_held_stretches_interleave_with_released_ones():
    fig = figures_of(0.25, 128, 2)
    blocks = fig["pixels"] / 64
    # A quarter of the blocks, nearly all isolated: ~blocks/4 held stretches, each
    # followed by a released one.
    assert fig["gil_held_stretches"] >= 0.8 * blocks / 4
    assert abs(fig["gil_reacquires"] - fig["gil_held_stretches"]) <= 2


def probed(f: float) -> float:
    """GIL availability while one ~0.1 s chunk runs at share f."""
    problem, ws, fn = at(f, 600)
    (chunk,) = KERNEL.split(problem, 1)
    fn(ws, chunk)
    with GilProbe() as probe:
        fn(ws, chunk)
    return reading(probe)


def test_f1_holds_the_gil_f0_releases_it_and_half_frees_it_between_stretches():
    free, half, held = probed(0.0), probed(0.5), probed(1.0)
    if not gil_enabled():  # a free-threaded build without its GIL: no GIL to hold
        assert free is None and half is None and held is None
        return
    assert free > 0.5, f"f=0: GIL availability {free:.2f}"
    assert held < 0.1, f"f=1: GIL availability {held:.2f}"
    # The probe ticks in every released stretch, so f = 0.5 may read anywhere up to 1.
    assert half > held + 0.2, (held, half, free)


@pytest.mark.parametrize("f", [-0.1, 1.5, math.nan])
def test_pixels_mixed_rejects_a_share_outside_0_1(f):
    out = np.zeros((4, 5), dtype=np.int32)
    with pytest.raises(ValueError, match="gil_fraction"):
        _native.pixels_mixed(out, 0, 4, -2.0, 0.1, -1.3, 0.1, 50, f, 8)


def test_pixels_mixed_rejects_empty_blocks():
    out = np.zeros((4, 5), dtype=np.int32)
    with pytest.raises(ValueError, match="block"):
        _native.pixels_mixed(out, 0, 4, -2.0, 0.1, -1.3, 0.1, 50, 0.5, 0)


def test_mixed_figures_sum_chunks_and_keep_the_longest_stretch():
    a = (0.003, 0.007, 1e-6, 2e-5, 10, 9, 0.0004, 100, 400, 3000, 9000, 0.0101, 0.0099)
    b = (0.001, 0.009, 2e-6, 1e-5, 12, 11, 0.0009, 50, 400, 1000, 11000, 0.0102, 0.01)
    fig = mixed_figures([a, b])
    assert fig["gil_held_s"] == pytest.approx(0.004)
    assert fig["gil_reacquires"] == 22 and fig["pixels"] == 800
    assert fig["gil_longest_held_s"] == 0.0009
    assert fig["chunk_wall_s"] == pytest.approx(0.0203)
    assert fig["held_share_time"] == pytest.approx(0.004 / 0.020)
    assert fig["held_share_work"] == pytest.approx(4000 / 20000)
    assert set(CHUNK_FIELDS) <= set(fig)
    with pytest.raises(ValueError, match="figures"):
        mixed_figures([(1.0, 2.0)])


def test_measure_records_what_the_chunks_measured():
    m = measure(RunSpec("mandelbrot", FLAVOUR, "threads", 2, 64, 4, axis="gil-fraction",
                        axis_value=0.25), repeats=2, warmup=0, warmup_s=0, probe=False)
    assert m.verified
    assert m.extra["held_share_work"] == pytest.approx(0.25, abs=0.05)
    assert m.extra["gil_reacquires"] > 4 and m.extra["gil_held_s"] > 0
    # Flavours that measure nothing record nothing.
    plain = measure(RunSpec("mandelbrot", "cython-nogil", "serial", 1, 64, 4), repeats=1,
                    warmup=0, warmup_s=0, probe=False)
    assert not set(plain.extra) - {"parent_gil_enabled"}  # only the GIL every run records


def test_plain_sweeps_leave_the_instrument_out_unless_named():
    plan = build_plan("quick", kernels=["mandelbrot"])
    assert FLAVOUR not in {s.flavour for s in plan.specs if s.axis is None}
    assert {s.axis for s in plan.specs if s.flavour == FLAVOUR} == {"gil-fraction"}
    assert representative_flavour(KERNEL) != FLAVOUR
    named = build_plan("quick", kernels=["mandelbrot"], flavours=[FLAVOUR])
    assert {s.flavour for s in named.specs} == {FLAVOUR}
    assert {s.axis for s in named.specs} == {None}  # a narrowed sweep runs what it names
