"""Every kernel x flavour x strategy computes the reference result (parametrized from the
registries, so a kernel is tested the day it is registered)."""

from __future__ import annotations

import pytest

from gilbench import FLAVOURS, KERNELS, STRATEGIES
from gilbench.compat import incompatible_reason
from gilbench.gilprobe import gil_enabled
from gilbench.harness import RunSpec, measure
from gilbench.plan import representative_flavour

#: Flavours that come from an optional extra; only these may be skipped, with the reason.
OPTIONAL = {"numba": "numba", "numba-parallel": "numba"}


def combinations():
    """Every runnable kernel x flavour x core strategy, and every schedule of a flavour
    that parallelises itself. (Component strategies run every kernel with one flavour
    each, rotating through its GIL traits: tests/test_strategies.py::
    test_component_strategies_match_the_reference.)"""
    for kernel in KERNELS.values():
        for flavour in kernel.implementations:
            spec = FLAVOURS[flavour]
            for strategy in STRATEGIES.values():
                if not strategy.core or incompatible_reason(kernel, spec, strategy):
                    continue
                # A library's executor (joblib, dask) runs every flavour's chunk function
                # the same way, and the stdlib strategies run each flavour already: one
                # flavour per kernel. A remote cluster is tested where a test starts one.
                if strategy.remote or (strategy.library
                                       and flavour != representative_flavour(kernel)):
                    continue
                for schedule in spec.schedules if spec.parallel_inside else [None]:
                    sched = f"-{schedule}" if schedule else ""
                    yield pytest.param(kernel.name, flavour, strategy.name, schedule,
                                       id=f"{kernel.name}-{flavour}-{strategy.name}{sched}")


def require_available(kernel, flavour: str, strategy: str | None = None) -> None:
    """Skip only optional peers (numba; the [distributed] extra; subinterpreters before
    Python 3.13), with the reason; a missing extension or OpenMP is a failure, not a skip."""
    if strategy is not None and STRATEGIES[strategy].unavailable_reason():
        pytest.skip(f"strategy {strategy}: {STRATEGIES[strategy].unavailable_reason()}")
    reason = kernel.flavour_unavailable_reason(flavour)
    if reason and flavour in OPTIONAL:
        pytest.importorskip(OPTIONAL[flavour], reason=f"optional extra [peers]: {reason}")
    assert reason is None, reason


@pytest.mark.parametrize("chunks", [1, 3, 7])
@pytest.mark.parametrize(("kernel_name", "flavour", "strategy", "schedule"),
                         list(combinations()))
def test_every_combination_matches_the_reference(kernel_name, flavour, strategy, schedule,
                                                 chunks):
    kernel = KERNELS[kernel_name]
    require_available(kernel, flavour, strategy)
    gil_before = gil_enabled()
    m = measure(RunSpec(kernel_name, flavour, strategy, 2, kernel.test_size, chunks, schedule),
                repeats=1, warmup=0, warmup_s=0, probe=False)
    assert m.status == "ok" and m.verified
    # Nothing a flavour or strategy imports may turn a free-threaded build's GIL back on,
    # and the run records the state it ran in.
    assert m.gil_enabled == gil_before == gil_enabled()


def flavour_params():
    for kernel in KERNELS.values():
        for flavour in kernel.implementations:
            yield pytest.param(kernel.name, flavour, id=f"{kernel.name}-{flavour}")


@pytest.mark.parametrize(("kernel_name", "flavour"), list(flavour_params()))
def test_chunk_count_does_not_change_the_result(kernel_name, flavour):
    kernel = KERNELS[kernel_name]
    require_available(kernel, flavour)
    parallel = FLAVOURS[flavour].parallel_inside
    problem = kernel.make_problem(kernel.test_size, 0)
    expected = kernel.reference(problem)
    strategy = STRATEGIES["openmp" if parallel else "serial"]
    results = {}
    for chunks in (1, 3, 7):
        with strategy.open(problem, kernel.implementations[flavour], 2) as session:
            partials = []
            for phase in kernel.phases(problem, chunks):
                partials += session.map(phase).partials
            result = kernel.merge(problem, session.workspace, partials)
            assert kernel.compare(result, expected) is None, f"{chunks} chunks"
            results[chunks] = _copy(result)
    assert kernel.compare(results[3], results[1]) is None
    assert kernel.compare(results[7], results[1]) is None


def _copy(value):
    import copy

    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return copy.deepcopy(value)


@pytest.mark.parametrize("kernel_name", sorted(KERNELS))
def test_kernel_declares_every_flavour(kernel_name):
    """Each registered flavour is implemented or explained (gilbench list shows why)."""
    kernel = KERNELS[kernel_name]
    for flavour in FLAVOURS:
        assert flavour in kernel.implementations or kernel.not_applicable.get(flavour), \
            f"{kernel_name} neither implements nor explains {flavour}"
    assert kernel.summary, f"{kernel_name} has no summary"


@pytest.mark.parametrize("kernel_name", sorted(KERNELS))
def test_problems_are_deterministic(kernel_name):
    kernel = KERNELS[kernel_name]
    a = kernel.make_problem(kernel.test_size, 7)
    b = kernel.make_problem(kernel.test_size, 7)
    assert kernel.compare(kernel.reference(a), kernel.reference(b)) is None
    assert a.params == b.params
    for name in a.inputs:
        assert (a.inputs[name] == b.inputs[name]).all()


@pytest.mark.parametrize("kernel_name", sorted(KERNELS))
@pytest.mark.parametrize("size", [0, -1, 2.5, "10", True])
def test_bad_sizes_are_rejected(kernel_name, size):
    with pytest.raises((ValueError, TypeError), match="size"):
        KERNELS[kernel_name].make_problem(size)
