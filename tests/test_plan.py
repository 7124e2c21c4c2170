"""Plans: profiles and filters become run specs, with baselines and reasons."""

from __future__ import annotations

import pytest

from gilbench.kernels import get_kernel
from gilbench.plan import PROFILES, baseline_of, build_plan, default_workers


@pytest.mark.parametrize(("cores", "expected"), [
    (1, [1]), (2, [1, 2]), (6, [1, 2, 4, 6]), (16, [1, 2, 4, 8, 16])])
def test_default_workers_double_up_to_the_cores_and_include_them(cores, expected):
    assert default_workers(cores) == expected
    assert default_workers(cores, oversubscribe=True) == expected + [2 * cores]


def test_filtered_plan_gets_its_baselines_back():
    plan = build_plan("quick", kernels=["mandelbrot"], flavours=["cython-nogil", "cython-prange"],
                      strategies=["threads", "openmp"], workers=[2])
    labels = {(s.flavour, s.strategy, s.workers) for s in plan.specs}
    assert ("cython-nogil", "serial", 1) in labels
    assert ("cython-prange", "openmp", 1) in labels
    assert len(plan.baselines) == 2  # serial, and 1 thread of the quick profile's schedule
    standard = build_plan("standard", kernels=["mandelbrot"], flavours=["cython-prange"],
                          strategies=["openmp"], workers=[2])
    assert len(standard.baselines) == 2  # 1 thread for each of standard's 2 schedules
    for spec in plan.specs:
        base = baseline_of(spec)
        assert base is None or base in plan.specs


def test_quick_skips_single_worker_pools_but_keeps_openmps_own_baseline():
    plan = build_plan("quick", kernels=["mandelbrot"], workers=[])
    pools = {(s.strategy, s.workers) for s in plan.specs}
    if max(default_workers()) > 1:
        assert ("threads", 1) not in pools and ("processes", 1) not in pools
        assert ("openmp", 1) in pools
    assert PROFILES["standard"].skip_single_worker_pools is True
    assert PROFILES["full"].skip_single_worker_pools is False  # full keeps the 1-worker pools


def test_openmp_runs_one_chunk_others_share_the_chunking():
    plan = build_plan("quick", kernels=["primes"], flavours=["cython-nogil", "cython-prange"])
    chunks = {s.strategy: s.chunks for s in plan.specs}
    assert chunks["openmp"] == 1
    assert chunks["serial"] == chunks["threads"] == chunks["processes"] > 1


def test_copying_strategy_runs_one_representative_flavour():
    plan = build_plan("full", kernels=["reduction"])
    shipped = {s.flavour for s in plan.specs if s.strategy == "processes-pickle"}
    assert shipped == {"cython-nogil"}  # the first flavour, in registry order, to drop the GIL
    # Flavours that exist without any optional extra, so this holds on a fresh machine.
    named = build_plan("quick", kernels=["reduction"], flavours=["numpy", "c-ctypes"],
                       strategies=["processes-pickle"])
    assert {s.flavour for s in named.specs if s.strategy == "processes-pickle"} == \
        {"numpy", "c-ctypes"}


def test_representative_flavour_is_chosen_by_gil_trait_not_name():
    from gilbench.plan import representative_flavour

    assert representative_flavour(get_kernel("hashing")) == "stdlib"  # partial: best it has
    assert representative_flavour(get_kernel("python-objects")) == "python"  # all hold it


def test_incompatible_and_not_applicable_pairs_carry_reasons():
    plan = build_plan("quick", kernels=["hashing"], flavours=["cython-prange"],
                      strategies=["processes"])
    assert not plan.specs
    assert any("hashing/cython-prange" in what for what, _ in plan.not_applicable)
    assert not plan.skipped


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"workers": [0]}, "workers"), ({"chunks": [-1]}, "chunks"),
    ({"schedules": ["sometimes"]}, "unknown schedule"), ({"kernels": ["nope"]}, "nope"),
])
def test_bad_filters_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_plan("quick", **kwargs)


def test_unknown_profile_lists_the_profiles():
    with pytest.raises(ValueError, match="quick, standard, full"):
        build_plan("huge")


def test_quick_runs_core_strategies_the_others_join_standard_with_one_flavour():
    from gilbench.strategies import STRATEGIES

    components = {s.name for s in STRATEGIES.values() if not s.core}
    # hashing ships small inputs, reduction has OpenMP flavours: every core strategy
    quick = build_plan("quick", kernels=["reduction", "hashing"])
    ran = {s.strategy for s in quick.specs}
    assert {"serial", "threads", "processes", "processes-pickle", "openmp"} <= ran
    assert not ran & components
    assert all(STRATEGIES[s].default_sweep for s in ran)  # libraries only when named
    standard = build_plan("standard", kernels=["mandelbrot"], workers=[2])
    assert components <= {s.strategy for s in standard.specs}
    # The machinery costs the same whatever the flavour: the representative speaks.
    assert {s.flavour for s in standard.specs if s.strategy in components} == {"cython-nogil"}
    named = build_plan("quick", kernels=["mandelbrot"], strategies=["pipe"],
                       flavours=["python", "cython-nogil"], workers=[2])
    assert {s.flavour for s in named.specs if s.strategy == "pipe"} == {"python",
                                                                         "cython-nogil"}


def test_start_methods_cross_process_runs_only():
    from gilbench.strategies.startmethod import START_METHODS

    plan = build_plan("quick", kernels=["primes"], flavours=["cython-nogil"],
                      strategies=["threads", "processes"], workers=[2],
                      start_methods=list(START_METHODS))
    methods = {(s.strategy, s.start_method) for s in plan.specs}
    assert methods == {("serial", None), ("threads", None)} | \
        {("processes", m) for m in START_METHODS}
    default = build_plan("quick", kernels=["primes"], flavours=["cython-nogil"],
                         strategies=["processes"], workers=[2])
    assert {s.start_method for s in default.specs if s.strategy == "processes"} == \
        {default.default_start_method}
    with pytest.raises(ValueError, match="unknown start method 'teleport'"):
        build_plan("quick", start_methods=["teleport"])


def test_self_parallel_runs_come_after_every_process_run():
    from gilbench.strategies import get_strategy

    plan = build_plan("quick", kernels=["mandelbrot", "primes"], workers=[2])
    drives = [get_strategy(s.strategy).drives_parallel_flavours for s in plan.specs]
    assert any(drives) and drives == sorted(drives)  # no process forked after a team


def test_components_run_where_workers_run_side_by_side_unless_counts_are_named():
    from gilbench.strategies import STRATEGIES

    components = {s.name for s in STRATEGIES.values() if not s.core and s.default_sweep}
    plan = build_plan("full", kernels=["mandelbrot"])  # full keeps 1-worker core pools
    counts = {s.workers for s in plan.specs if s.strategy in components}
    core_counts = {s.workers for s in plan.specs if s.strategy == "processes"}
    assert 1 in core_counts and 1 not in counts and counts == core_counts - {1}
    named = build_plan("standard", kernels=["mandelbrot"], strategies=["pipe"], workers=[1, 2])
    assert {s.workers for s in named.specs if s.strategy == "pipe"} == {1, 2}


def test_quick_profile_leaves_out_pickling_a_huge_problem_and_says_so():
    from gilbench.kernels import get_kernel
    from gilbench.profiles import LEFT_OUT

    cap = PROFILES["quick"].max_shipped_bytes
    kernel = get_kernel("reduction")
    assert kernel.memory_bytes(kernel.size_for("quick", "cython-nogil")) > cap
    plan = build_plan("quick", kernels=["reduction", "hashing"])
    shipped = {s.kernel for s in plan.specs if s.strategy == "processes-pickle"}
    assert shipped == {"hashing"}  # under the cap: still measured
    [(what, why)] = [(w, y) for w, y in plan.skipped if w == "reduction/processes-pickle"]
    assert why.startswith(LEFT_OUT) and "--strategies processes-pickle" in why
    # Named, it runs: the cap trims a default sweep, never what the user asked for.
    named = build_plan("quick", kernels=["reduction"], strategies=["processes-pickle"])
    assert any(s.strategy == "processes-pickle" for s in named.specs)
