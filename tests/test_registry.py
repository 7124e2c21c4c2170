"""Registries: lookup errors name the valid choices; users can register their own kernel."""

from __future__ import annotations

import pytest

import gilbench
from gilbench import (
    FLAVOURS,
    KERNELS,
    STRATEGIES,
    get_flavour,
    get_kernel,
    get_strategy,
    register_kernel,
)
from gilbench.harness import RunSpec, measure
from gilbench.strategies import recorded_traits
from tests.userkernel import SumOfCubes


@pytest.mark.parametrize(("getter", "registry", "kind"), [
    (get_kernel, KERNELS, "kernel"), (get_flavour, FLAVOURS, "flavour"),
    (get_strategy, STRATEGIES, "strategy")])
def test_unknown_name_lists_valid_choices(getter, registry, kind):
    with pytest.raises(ValueError) as info:
        getter("no-such-thing")
    message = str(info.value)
    assert f"unknown {kind} 'no-such-thing'" in message
    for name in registry:
        assert name in message


def test_registering_twice_is_refused_unless_replaced():
    kernel = KERNELS["mandelbrot"]
    with pytest.raises(ValueError, match="already registered"):
        register_kernel(kernel)
    assert register_kernel(kernel, replace=True) is kernel


def test_kernel_naming_an_unknown_flavour_is_refused():
    class Bad(SumOfCubes):
        name = "bad-kernel"
        implementations = {"fortran": SumOfCubes.implementations["python"]}

    with pytest.raises(ValueError, match="unknown flavour 'fortran'"):
        register_kernel(Bad)
    assert "bad-kernel" not in KERNELS


@pytest.fixture
def user_kernel():
    kernel = register_kernel(SumOfCubes, replace=True)
    yield kernel
    del KERNELS[kernel.name]


@pytest.mark.parametrize("strategy", ["serial", "threads", "processes"])
def test_user_kernel_runs_through_every_strategy(user_kernel, strategy):
    m = measure(RunSpec(user_kernel.name, "python", strategy, 2, 1000, 3), repeats=2,
                warmup=0, warmup_s=0, probe=False)
    assert m.verified and m.status == "ok"
    assert len(m.wall_s) == 2


def test_user_kernel_is_listed(user_kernel):
    plan = gilbench.build_plan("quick", kernels=[user_kernel.name])
    assert {s.strategy for s in plan.specs} == {"serial", "threads", "processes"}
    assert any("sum-of-cubes/cython-nogil" in what for what, _ in plan.not_applicable)


def test_flavour_traits_are_declared():
    assert get_flavour("cython-gil").gil == "holds"
    assert get_flavour("cython-nogil").gil == "releases"
    assert get_flavour("cython-prange").parallel_inside
    assert not get_flavour("cython-nogil").parallel_inside


def test_flavour_sizes_need_work_units():
    class Uneven(SumOfCubes):
        name = "uneven"
        flavour_sizes = {"python": {"quick": 10, "standard": 20, "full": 30}}

    with pytest.raises(ValueError, match="work_units"):
        register_kernel(Uneven)
    assert "uneven" not in KERNELS


def test_python_runs_a_smaller_montecarlo_and_is_compared_per_sample():
    from gilbench.analysis import analyse

    kernel = get_kernel("montecarlo-pi")
    assert kernel.size_for("quick", "python") < kernel.size_for("quick", "cython-nogil")
    plan = gilbench.build_plan("quick", kernels=["montecarlo-pi"],
                               flavours=["python", "cython-nogil"], strategies=["serial"])
    sizes = {s.flavour: s.size for s in plan.specs}
    assert sizes == {"python": kernel.size_for("quick", "python"),
                     "cython-nogil": kernel.size_for("quick", "cython-nogil")}
    runs = [{"kernel": "montecarlo-pi", "flavour": f, "strategy": "serial", "workers": 1,
             "size": n, "chunks": 2, "wall_s": [t], "median_s": t, "cpu_s": t,
             "startup_s": None, "gil_availability": None, "verified": True,
             "work_units": float(n)}
            for f, n, t in [("python", 1000, 1e-3), ("cython-nogil", 100_000, 1e-4)]]
    doc = {"machine": {}, "settings": recorded_traits(), "runs": runs}
    (finding,) = analyse(doc, kinds=["compiled-vs-python"]).findings
    assert "1000x faster than python (interpreted) per unit of work" in finding.sentence
    assert finding.figure("ratio") == pytest.approx(1000)
