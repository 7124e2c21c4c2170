"""The subinterpreters strategy: one isolated interpreter (and GIL) per worker, Python 3.13+.

That mandelbrot and montecarlo-pi match the reference in every flavour that has a
numpy-free chunk function is test_kernels' job (it runs them on 3.13); here: availability,
what a flavour needs, isolation from numpy, and failures.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from gilbench import FLAVOURS, KERNELS, STRATEGIES, register_kernel
from gilbench.compat import incompatible_reason
from gilbench.harness import RunError, RunSpec, measure
from gilbench.kernels import ArraySpec, Implementation, Problem, with_passes
from tests import isolated_user
from tests.userkernel import SumOfCubes, cubes_python

STRATEGY = STRATEGIES["subinterpreters"]
needs_313 = pytest.mark.skipif(sys.version_info < (3, 13),
                               reason="subinterpreters with their own GIL need Python 3.13+")


def test_availability_follows_the_python_version():
    reason = STRATEGY.unavailable_reason()
    if sys.version_info < (3, 13):
        assert reason and "3.13" in reason and sys.version.split()[0] in reason
    else:
        assert reason is None


def test_it_declares_one_gil_per_worker_thread():
    caps = STRATEGY.capabilities()
    assert caps["own_gil_per_worker"] and caps["uses_threads"]
    assert not caps["uses_processes"]


def test_mandelbrot_and_montecarlo_run_in_python_and_cython_nogil():
    for kernel in ("mandelbrot", "montecarlo-pi"):
        for flavour in ("python", "cython-nogil", "cython-gil"):
            assert KERNELS[kernel].implementations[flavour].isolated is not None
            assert incompatible_reason(KERNELS[kernel], FLAVOURS[flavour], STRATEGY) is None


def test_a_flavour_without_a_numpy_free_function_is_refused_with_the_reason():
    reason = incompatible_reason(KERNELS["mandelbrot"], FLAVOURS["numpy"], STRATEGY)
    assert reason and "numpy issue 24755" in reason and "Implementation.isolated" in reason


class Cubes(SumOfCubes):
    name = "isolated-cubes"
    implementations = {
        "python": Implementation(cubes_python, isolated=isolated_user.cubes),
        "numpy": Implementation(cubes_python, isolated=isolated_user.explode),
        "stdlib": Implementation(cubes_python, isolated=isolated_user.numpy_loaded),
    }

    def merge(self, problem, workspace, partials):
        return sum(partials)


@pytest.fixture
def cubes():
    register_kernel(Cubes, replace=True)
    yield Cubes.name
    KERNELS.pop(Cubes.name, None)


def run(kernel: str, flavour: str, workers: int = 2):
    return measure(RunSpec(kernel, flavour, "subinterpreters", workers, 1000, 4), repeats=2,
                   warmup=0, warmup_s=0, probe=False, timeout=60)


@needs_313
def test_a_user_kernel_runs_in_subinterpreters_and_start_up_is_measured(cubes):
    m = run(cubes, "python")
    assert m.verified and m.startup_s > 0
    assert m.extra["interpreters"] == 2


@needs_313
def test_numpy_is_never_loaded_in_the_workers(cubes):
    from gilbench.strategies.interpreters import InterpreterSession

    kernel = KERNELS[cubes]
    problem = kernel.make_problem(100)
    with InterpreterSession(problem, kernel.implementations["stdlib"], 2, 30) as session:
        assert "numpy" in sys.modules  # here, in the main interpreter, it is
        assert session.map(kernel.split(problem, 4)).partials == [0, 0, 0, 0]


@needs_313
def test_a_raising_chunk_reaches_the_user_with_its_type_and_message(cubes):
    with pytest.raises(RunError, match=r"ValueError: boom in a subinterpreter at \(0, 250\)"):
        run(cubes, "numpy")
    assert run(cubes, "python").verified  # and the next session is fine


@needs_313
def test_workers_write_the_parents_workspace_in_place():
    # mandelbrot's rows are written by the interpreters straight into this process's
    # output array: nothing is copied back, yet the result is the reference.
    m = measure(RunSpec("mandelbrot", "python", "subinterpreters", 2, 40, 5), repeats=1,
                warmup=0, warmup_s=0, probe=False, timeout=60)
    assert m.verified


class Passes(SumOfCubes):
    """Counts the passes its chunks make (the payload axis's ``with_passes``)."""

    name = "isolated-passes"
    implementations = with_passes({"python": Implementation(isolated_user.count_passes,
                                                            isolated=isolated_user.count_passes)},
                                  "passes")

    def make_problem(self, size, seed=0):
        return Problem(self.name, self.check_size(size), seed, {"passes": 3},
                       outputs={"hits": ArraySpec((size,), "int64")})

    def merge(self, problem, workspace, partials):
        return workspace.arrays["hits"]

    def reference(self, problem):
        return np.full(problem.size, problem.params["passes"], dtype=np.int64)


def test_passes_wrap_the_numpy_free_function_too():
    impl = Passes.implementations["python"]
    assert impl.isolated.fn is isolated_user.count_passes and impl.isolated.param == "passes"
    # The wrapper's module imports no numpy, so an isolated interpreter can unpickle it.
    assert type(impl.isolated).__module__ == "gilbench.isolated.passes"


@needs_313
def test_a_subinterpreter_makes_every_pass():
    register_kernel(Passes, replace=True)
    try:
        assert run(Passes.name, "python").verified  # hits == 3 everywhere: three passes
    finally:
        KERNELS.pop(Passes.name, None)
