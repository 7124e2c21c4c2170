"""Axes: the registry, how each axis plans its runs, and how --axis composes with filters."""

from __future__ import annotations

from typing import ClassVar

import pytest

from gilbench.axes import AxisInfo
from gilbench.axes.granularity.plan import COARSE_DURATIONS_S, DURATIONS_S
from gilbench.axes.payload.plan import PASSES
from gilbench.axes.registry import (
    AXES,
    Axis,
    Selection,
    get_axis,
    register_axis,
    unregister_axis,
)
from gilbench.calibration import reference_seconds
from gilbench.flavours import get_flavour
from gilbench.harness import RunSpec
from gilbench.limits import usable_cores
from gilbench.plan import baseline_of, build_plan, default_workers
from gilbench.strategies import get_strategy


def test_registry_holds_the_axes_of_the_issue():
    assert {"workers", "granularity", "payload", "calls"} <= set(AXES)
    for axis in AXES.values():
        assert axis.description and axis.condition and axis.finders
    with pytest.raises(ValueError, match="unknown axis 'speed'; valid choices: calls, "):
        get_axis("speed")
    with pytest.raises(ValueError, match="unknown axis"):
        build_plan("quick", axes=["speed"])


def _axis_specs(plan, axis):
    return [s for s in plan.specs if s.axis == axis]


def test_granularity_holds_the_work_and_spans_10us_to_100ms_on_a_log_grid():
    plan = build_plan("quick", kernels=["mandelbrot"], axes=["granularity"])
    specs = _axis_specs(plan, "granularity")
    assert specs and len(specs) == len(plan.specs)  # no plain-sweep runs
    assert len({s.size for s in specs}) == 1  # the same problem at every point
    chunks = sorted({s.chunks for s in specs})
    assert len(chunks) >= 8
    assert all(s.axis_value == s.chunks for s in specs)
    # Planned task durations (reference serial time / chunks) span the intended range.
    size = specs[0].size
    serial = reference_seconds("mandelbrot", "cython-nogil", size)
    durations = sorted(serial / c for c in chunks)
    assert durations[0] <= 1.5 * min(DURATIONS_S) and durations[-1] >= max(DURATIONS_S) / 1.5
    steps = [b / a for a, b in zip(durations, durations[1:], strict=False)]
    # Evenly spaced on a log scale (but for rounding chunk counts to whole numbers).
    assert max(steps) < 1.25 * min(steps) and 3 < min(steps)
    # Roles by trait: GIL-free flavours; the baseline, thread pools, process pools.
    assert {get_flavour(s.flavour).gil for s in specs} == {"releases"}
    roles = {(get_strategy(s.strategy).single_worker, get_strategy(s.strategy).uses_processes)
             for s in specs}
    assert roles == {(True, False), (False, False), (False, True)}
    for spec in specs:  # every point carries its own serial baseline, same chunking
        base = baseline_of(spec)
        assert base is None or (base in plan.specs and base.axis_value == spec.axis_value)


def test_granularity_composes_with_the_other_filters():
    plan = build_plan("quick", kernels=["mandelbrot"], flavours=["c-ctypes"],
                      strategies=["threads"], workers=[2], chunks=[2, 8, 32],
                      axes=["granularity"])
    combos = {(s.flavour, s.strategy, s.workers, s.chunks) for s in plan.specs}
    assert combos == {(f, st, w, c) for f, st, w in [("c-ctypes", "serial", 1),
                                                      ("c-ctypes", "threads", 2)]
                      for c in (2, 8, 32)}
    assert all(s.axis == "granularity" for s in plan.specs)


def test_axes_that_cannot_map_a_kernel_say_why():
    plan = build_plan("quick", kernels=["python-objects", "mandelbrot"],
                      axes=["granularity", "payload"])
    reasons = dict(plan.not_applicable)
    assert "releases the GIL" in reasons["python-objects x axis granularity"]
    assert "Kernel.payload" in reasons["mandelbrot x axis payload"]
    assert {s.kernel for s in plan.specs} == {"mandelbrot"}


def test_payload_varies_passes_and_shrinks_the_problem_as_they_grow():
    plan = build_plan("quick", kernels=["reduction"], axes=["payload"])
    specs = _axis_specs(plan, "payload")
    assert sorted({s.axis_value for s in specs}) == list(PASSES)
    sizes = {s.axis_value: s.size for s in specs}
    assert [sizes[p] for p in PASSES] == sorted(sizes.values(), reverse=True)
    strategies = {get_strategy(s.strategy) for s in specs}
    assert any(s.ships_inputs for s in strategies)
    assert any(s.uses_processes and not s.ships_inputs for s in strategies)
    assert any(s.uses_threads and not s.uses_processes for s in strategies)
    assert len({s.flavour for s in specs}) == 1  # copying costs the same for every flavour


def test_workers_axis_tags_the_plain_sweep_up_to_twice_the_cores():
    plan = build_plan("quick", kernels=["primes"], axes=["workers"])
    assert plan.specs and all(s.axis == "workers" for s in plan.specs)
    pools = {s.workers for s in plan.specs if get_strategy(s.strategy).uses_threads}
    assert max(pools) == max(default_workers(oversubscribe=True)) == 2 * usable_cores()


def test_calls_plans_the_plain_sweep_it_reads_untagged():
    plain = build_plan("quick", kernels=["primes"])
    calls = build_plan("quick", kernels=["primes"], axes=["calls"])
    assert set(calls.specs) == set(plain.specs)
    assert all(s.axis is None for s in calls.specs)


def test_profile_default_axes_join_an_unfiltered_run_only():
    plan = build_plan("quick")
    assert {s.axis for s in plan.specs if s.axis} == {"granularity", "gil-fraction"}
    axis_runs = [s for s in plan.specs if s.axis == "granularity"]
    assert {s.kernel for s in axis_runs} == {"mandelbrot"}
    assert len({s.chunks for s in axis_runs}) == len(COARSE_DURATIONS_S)  # coarse
    assert len({s.flavour for s in axis_runs}) == 1
    narrowed = build_plan("quick", kernels=["mandelbrot"], flavours=["cython-nogil"])
    assert not any(s.axis for s in narrowed.specs)
    assert any(s.axis for s in build_plan("quick", kernels=["mandelbrot"]).specs)


class _Dummy(Axis):
    """A third-party axis: one point per worker count, on the default profile run."""

    info = AxisInfo(name="dummy", description="a test axis", condition="nothing",
                    finders=("noisy",))
    default_in: ClassVar = {"quick": ("primes",)}

    def plan(self, kernel, selection: Selection) -> list[RunSpec]:
        return [self.tag(RunSpec(kernel.name, "cython-nogil", "threads", 2, 1000, 4), "x")]


def test_a_registered_axis_plugs_into_plans_and_the_cli(capsys):
    from gilbench.cli import main

    register_axis(_Dummy())
    try:
        plan = build_plan("quick", kernels=["primes"], axes=["dummy"])
        tagged = {s for s in plan.specs if s.axis == "dummy"}
        assert len(tagged) == 2  # the run and its serial baseline at the same point
        assert any(get_strategy(s.strategy).single_worker for s in tagged)
        assert any(s.axis == "dummy" for s in build_plan("quick").specs)
        assert main(["run", "--axis", "dummy", "--kernel", "primes", "--dry-run"]) == 0
        assert "dummy" in capsys.readouterr().out
    finally:
        unregister_axis("dummy")


def test_register_axis_refuses_what_breaks_the_contract():
    with pytest.raises(TypeError, match="Axis instance"):
        register_axis("granularity")
    with pytest.raises(ValueError, match="already registered"):
        register_axis(get_axis("granularity"))


def test_axes_run_the_core_pools_unless_strategies_are_named():
    # Components and library executors would each multiply an axis's runs: they join
    # only when named. Subinterpreters (one GIL each) are no thread pool.
    from gilbench.roles import THREAD_POOL

    assert get_strategy("subinterpreters").role != THREAD_POOL
    plan = build_plan("standard", kernels=["mandelbrot"], axes=["granularity"])
    used = {get_strategy(s.strategy) for s in plan.specs}
    assert used and all(s.core and s.default_sweep for s in used)
    named = build_plan("quick", kernels=["mandelbrot"], axes=["granularity"],
                       strategies=["pool-map", "thread"])
    assert {s.strategy for s in named.specs} == {"serial", "pool-map", "thread"}


def test_axis_runs_that_start_processes_record_their_start_method():
    plan = build_plan("quick", kernels=["mandelbrot"], axes=["gil-fraction"], workers=[2],
                      start_methods=["spawn", "forkserver"])
    for spec in plan.specs:
        if get_strategy(spec.strategy).supports_start_method:
            assert spec.start_method in ("spawn", "forkserver")
        else:
            assert spec.start_method is None
        assert baseline_of(spec) is None or baseline_of(spec) in plan.specs
    process_runs = [s for s in plan.specs if s.start_method]
    assert {s.start_method for s in process_runs} == {"spawn", "forkserver"}
    assert len({s.axis_value for s in process_runs}) == 7  # every point, each method
    default = build_plan("quick", kernels=["mandelbrot"], axes=["gil-fraction"])
    assert {s.start_method for s in default.specs if s.strategy == "processes"} == \
        {default.default_start_method}


def test_granularity_keeps_its_points_when_memory_caps_the_problem(monkeypatch):
    # reduction's 100 ms tasks need gigabytes: with little memory the size is capped (room
    # for AXIS_MEMORY_COPIES copies) and the grid spans the task durations that size allows.
    from collections import namedtuple

    import gilbench.limits
    from gilbench.axes.granularity.plan import AXIS_MEMORY_COPIES
    from gilbench.kernels import get_kernel

    memory = namedtuple("memory", "available total")(2 * 2**30, 4 * 2**30)
    monkeypatch.setattr(gilbench.limits.psutil, "virtual_memory", lambda: memory)
    plan = build_plan("standard", kernels=["reduction"], axes=["granularity"],
                      flavours=["cython-nogil"])
    specs = _axis_specs(plan, "granularity")
    (size,) = {s.size for s in specs}
    kernel = get_kernel("reduction")
    kernel.check_size(size, copies=AXIS_MEMORY_COPIES)  # fits with room to spare
    assert len({s.chunks for s in specs}) >= 8
    assert min(s.chunks for s in specs) == 2  # the longest task: the problem in halves
