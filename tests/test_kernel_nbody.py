"""nbody: physics of the reference, double buffering, every flavour and strategy, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gilbench import FLAVOURS
from gilbench.harness import RunSpec
from gilbench.kernels import Workspace, compare_values, get_kernel
from gilbench.kernels import nbody as nb
from gilbench.native import extension

KERNEL = get_kernel("nbody")
FLAVOURS_HERE = sorted(KERNEL.implementations)
PARALLEL = [f for f in FLAVOURS_HERE if FLAVOURS[f].parallel_inside]
#: Flavours that sum forces in j order, like the reference: bit-identical results.
EXACT = [f for f in FLAVOURS_HERE if f != "numpy"]
SIZE = KERNEL.test_size
#: What the numpy flavour (pairwise sums over j) needs at test sizes; measured ~1e-14.
NUMPY_RTOL = 1e-11


def _needs(flavour: str) -> None:
    if flavour.startswith("numba"):
        pytest.importorskip("numba", reason="numba flavours need the [peers] extra")


def _run(flavour: str, chunks: int, size: int = SIZE, threads: int = 2,
         schedule: str = "static", seed: int = 0):
    """Run every phase serially in-process and merge (what the serial strategy does)."""
    problem = KERNEL.make_problem(size, seed)
    ws = Workspace.local(problem)
    ws.threads, ws.schedule = threads, schedule
    fn = KERNEL.implementations[flavour].fn
    partials = [fn(ws, chunk) for phase in KERNEL.phases(problem, chunks) for chunk in phase]
    return KERNEL.merge(problem, ws, partials)


def _assert_identical(result, expected) -> None:
    assert compare_values(result, expected, 0.0) is None


# -- the reference ------------------------------------------------------------------------
def test_two_bodies_at_rest_attract_by_the_closed_form():
    d, m, dt, eps2 = 0.5, 0.25, 0.01, nb.EPS2
    pos = np.array([[0.0, 0.0, 0.0], [d, 0.0, 0.0]])
    vel = np.zeros((2, 3))
    mass = np.array([m, m])
    new_pos, new_vel = nb.simulate(pos, vel, mass, 1, dt, eps2)
    a = m * d / (d * d + eps2) ** 1.5
    assert new_vel[0] == pytest.approx([dt * a, 0.0, 0.0], rel=1e-15)
    assert new_vel[1] == pytest.approx([-dt * a, 0.0, 0.0], rel=1e-15)
    assert new_pos[0] == pytest.approx([dt * dt * a, 0.0, 0.0], rel=1e-15)
    assert new_pos[1] == pytest.approx([d - dt * dt * a, 0.0, 0.0], rel=1e-15)


def test_a_lone_body_moves_in_a_straight_line():
    pos, vel = np.array([[0.1, -0.2, 0.3]]), np.array([[1.0, 2.0, -3.0]])
    new_pos, new_vel = nb.simulate(pos, vel, np.array([1.0]), 4, 0.5, nb.EPS2)
    np.testing.assert_array_equal(new_vel, vel)
    np.testing.assert_allclose(new_pos, pos + 4 * 0.5 * vel, rtol=1e-15)


def test_the_reference_conserves_momentum():
    # Pairwise forces are antisymmetric, so sum(m v) stays put up to rounding.
    problem = KERNEL.make_problem(200, seed=5)
    _, vel = KERNEL.reference(problem)
    mass = problem.inputs["mass"][:, None]
    before = (mass * problem.inputs["vel0"]).sum(axis=0)
    after = (mass * vel).sum(axis=0)
    np.testing.assert_allclose(after, before, atol=1e-15)
    # ...while the bodies did move under gravity (the check is not vacuous).
    assert not np.allclose(vel, problem.inputs["vel0"], rtol=0, atol=1e-6)


def test_problem_is_deterministic_and_seeded():
    a, b = KERNEL.make_problem(50, seed=3), KERNEL.make_problem(50, seed=3)
    c = KERNEL.make_problem(50, seed=4)
    assert a.params == b.params == {"n": 50, "steps": nb.STEPS, "dt": nb.DT, "eps2": nb.EPS2}
    for name in ("pos0", "vel0", "mass"):
        np.testing.assert_array_equal(a.inputs[name], b.inputs[name])
        assert not np.array_equal(a.inputs[name], c.inputs[name])
    assert a.outputs["pos"].shape == a.outputs["vel"].shape == (2, 50, 3)
    assert math.isclose(a.inputs["mass"].sum(), 1.0, rel_tol=0.2)


def test_phases_are_one_step_each_over_all_bodies():
    problem = KERNEL.make_problem(SIZE)
    phases = KERNEL.phases(problem, 3)
    assert len(phases) == nb.STEPS
    for step, phase in enumerate(phases):
        assert {c[0] for c in phase} == {step}
        covered = [i for _, start, stop in phase for i in range(start, stop)]
        assert covered == list(range(SIZE))
    assert KERNEL.split(problem, 3) == phases[0]


@pytest.mark.parametrize("size", [0, -3])
def test_bad_size_is_rejected(size):
    with pytest.raises(ValueError, match="size"):
        KERNEL.make_problem(size)


def test_one_body_problem_runs():
    expected = KERNEL.reference(KERNEL.make_problem(1))
    for flavour in ("python", "cython-nogil", "c-ctypes", "numpy"):
        _assert_identical(_run(flavour, 7, size=1), expected)


# -- flavours -----------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", EXACT)
@pytest.mark.parametrize("chunks", [1, 3, 7])
def test_j_ordered_flavours_are_bit_identical_to_the_reference(flavour, chunks):
    _needs(flavour)
    expected = KERNEL.reference(KERNEL.make_problem(SIZE))
    _assert_identical(_run(flavour, chunks), expected)


@pytest.mark.parametrize("chunks", [1, 3, 7])
def test_numpy_flavour_is_within_its_measured_tolerance(chunks):
    expected = KERNEL.reference(KERNEL.make_problem(SIZE))
    assert compare_values(_run("numpy", chunks), expected, NUMPY_RTOL) is None


def test_numpy_flavour_blocks_rows_like_one_block(monkeypatch):
    expected = _run("numpy", 1, size=50)
    monkeypatch.setattr(nb, "NUMPY_ROW_BLOCK", 7)
    _assert_identical(_run("numpy", 1, size=50), expected)


@pytest.mark.parametrize("flavour", PARALLEL)
@pytest.mark.parametrize("threads", [1, 2])
def test_parallel_flavours_do_not_depend_on_threads_or_schedule(flavour, threads):
    _needs(flavour)
    expected = KERNEL.reference(KERNEL.make_problem(SIZE))
    for schedule in FLAVOURS[flavour].schedules:
        _assert_identical(_run(flavour, 3, threads=threads, schedule=schedule), expected)


def test_prange_with_more_threads_than_cores_is_still_identical():
    # (numba refuses more threads than NUMBA_NUM_THREADS, OpenMP does not.)
    expected = KERNEL.reference(KERNEL.make_problem(SIZE))
    for schedule in FLAVOURS["cython-prange"].schedules:
        _assert_identical(_run("cython-prange", 2, threads=5, schedule=schedule), expected)


def test_strategies_that_ship_inputs_are_refused():
    assert not KERNEL.supports_payload
    with pytest.raises(ValueError, match="payload"):
        RunSpec("nbody", "c-ctypes", "processes-pickle", 2, SIZE, 3).validate()


def test_a_chunk_outside_the_steps_is_rejected():
    ws = Workspace.local(KERNEL.make_problem(SIZE))
    for flavour in ("python", "numpy", "cython-gil", "c-ctypes"):
        with pytest.raises(ValueError, match="step"):
            KERNEL.implementations[flavour].fn(ws, (nb.STEPS, 0, 1))


# -- bad input to the native functions ----------------------------------------------------
def _arrays(n: int = 5):
    rng = np.random.default_rng(0)
    return [rng.random((n, 3)), rng.random((n, 3)), rng.random(n) + 0.1,
            np.zeros((n, 3)), np.zeros((n, 3))]


def _native_calls():
    ext = extension("nbody")
    return {
        "gil": lambda a, s, e, eps2=0.01: ext.step_gil(*a, s, e, 0.01, eps2),
        "nogil": lambda a, s, e, eps2=0.01: ext.step_nogil(*a, s, e, 0.01, eps2),
        "prange": lambda a, s, e, eps2=0.01: ext.step_prange(*a, s, e, 0.01, eps2, 2),
        "ctypes": lambda a, s, e, eps2=0.01: nb.c_step_arrays(*a, s, e, 0.01, eps2),
    }


CALLS = ["gil", "nogil", "prange", "ctypes"]


@pytest.mark.parametrize("call", CALLS)
def test_native_steps_agree_with_each_other(call):
    expected = _arrays()
    nb.c_step_arrays(*expected, 0, 5, 0.01, 0.01)
    arrays = _arrays()
    _native_calls()[call](arrays, 0, 5)
    np.testing.assert_array_equal(arrays[3], expected[3])
    np.testing.assert_array_equal(arrays[4], expected[4])


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("which", range(5))
def test_wrong_dtype_is_rejected(call, which):
    arrays = _arrays()
    arrays[which] = arrays[which].astype(np.float32)
    with pytest.raises((ValueError, TypeError)):
        _native_calls()[call](arrays, 0, 5)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("which", range(5))
def test_non_contiguous_arrays_are_rejected(call, which):
    arrays = _arrays()
    wide = np.zeros((arrays[which].shape[0], 2) + arrays[which].shape[1:])
    wide[:, 0] = arrays[which]
    arrays[which] = wide[:, 0]
    assert not arrays[which].flags.c_contiguous
    with pytest.raises(ValueError):
        _native_calls()[call](arrays, 0, 5)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("which", [3, 4])
def test_read_only_outputs_are_rejected(call, which):
    arrays = _arrays()
    arrays[which].flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _native_calls()[call](arrays, 0, 5)


@pytest.mark.parametrize("call", CALLS)
def test_read_only_inputs_are_accepted(call):
    arrays = _arrays()
    for a in arrays[:3]:
        a.flags.writeable = False
    _native_calls()[call](arrays, 0, 5)
    assert arrays[3].any()


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("which", range(5))
def test_shapes_that_disagree_are_rejected(call, which):
    arrays = _arrays()
    arrays[which] = arrays[which][:4].copy()
    with pytest.raises(ValueError, match="shape"):
        _native_calls()[call](arrays, 0, 4)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(("start", "stop"), [(-1, 2), (0, 6), (3, 2), (6, 6)])
def test_out_of_range_chunks_are_rejected(call, start, stop):
    with pytest.raises(ValueError, match="range"):
        _native_calls()[call](_arrays(), start, stop)


@pytest.mark.parametrize("call", CALLS)
def test_softening_must_be_positive(call):
    with pytest.raises(ValueError, match="eps2"):
        _native_calls()[call](_arrays(), 0, 5, eps2=0.0)


@pytest.mark.parametrize("call", CALLS)
def test_empty_ranges_and_zero_bodies_do_nothing(call):
    arrays = _arrays()
    _native_calls()[call](arrays, 2, 2)
    assert not arrays[3].any() and not arrays[4].any()
    _native_calls()[call](_arrays(0), 0, 0)


def test_ctypes_wrapper_rejects_lists_and_aliasing():
    arrays = _arrays()
    with pytest.raises(TypeError, match="ndarray"):
        nb.c_step_arrays(arrays[0].tolist(), *arrays[1:], 0, 5, 0.01, 0.01)
    with pytest.raises(ValueError, match="alias"):
        nb.c_step_arrays(arrays[0], arrays[1], arrays[2], arrays[0], arrays[4], 0, 5,
                         0.01, 0.01)


def test_prange_rejects_bad_threads_and_schedule():
    ext = extension("nbody")
    with pytest.raises(ValueError, match="n_threads"):
        ext.step_prange(*_arrays(), 0, 5, 0.01, 0.01, 0)
    with pytest.raises(ValueError, match="schedule"):
        ext.step_prange(*_arrays(), 0, 5, 0.01, 0.01, 2, "auto")


@pytest.mark.parametrize("flavour", ["numba", "numba-parallel"])
def test_numba_rejects_out_of_range_chunks(flavour):
    _needs(flavour)
    ws = Workspace.local(KERNEL.make_problem(SIZE))
    with pytest.raises(ValueError, match="range"):
        KERNEL.implementations[flavour].fn(ws, (0, 0, SIZE + 1))
