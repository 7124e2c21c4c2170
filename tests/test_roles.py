"""One definition of roles: every layer that classifies a strategy reads gilbench.roles."""

from __future__ import annotations

import pytest

from gilbench import roles
from gilbench.analysis import Traits
from gilbench.strategies import STRATEGIES


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_a_strategy_plays_the_same_role_live_and_recorded(name):
    # The plan reads the live strategy, analysis the traits a results file recorded.
    strategy = STRATEGIES[name]
    traits = Traits.from_settings({"strategies": {name: strategy.capabilities()}})
    assert strategy.role in roles.ROLES
    assert traits.role(name) == strategy.role


@pytest.mark.parametrize(("capabilities", "role"), [
    ({"single_worker": True}, roles.SERIAL),
    ({"uses_threads": True}, roles.THREAD_POOL),
    ({"uses_threads": True, "own_gil_per_worker": True}, roles.INTERPRETERS),
    ({"uses_processes": True}, roles.PROCESS_POOL),
    ({"uses_processes": True, "ships_inputs": True}, roles.SHIPPING),
    ({"drives_parallel_flavours": True, "uses_threads": True}, roles.PARALLEL_INSIDE),
    ({}, roles.OTHER),
])
def test_role_of_reads_declared_capabilities_only(capabilities, role):
    assert roles.role_of(capabilities) == role


def test_families_are_the_two_pools_that_are_compared():
    assert Traits.from_settings({"strategies": {
        "t": {"uses_threads": True}, "p": {"uses_processes": True},
        "i": {"uses_threads": True, "own_gil_per_worker": True}}}).family("i") is None
    assert roles.FAMILIES == {roles.THREAD_POOL: "threads", roles.PROCESS_POOL: "processes"}


def test_nogil_flavours_put_full_release_before_partial():
    gils = [("a", "partial"), ("b", "holds"), ("c", "releases"), ("d", "releases")]
    assert roles.nogil_flavours(gils) == ["c", "d", "a"]
    assert roles.nogil_flavours(gils, best_only=True) == ["c", "d"]
    assert roles.nogil_flavours([("a", "partial")], best_only=True) == ["a"]
    assert roles.nogil_flavours([("b", "holds")]) == []


def test_adaptive_repeats_continue_only_while_the_interval_is_wide():
    from gilbench.uncertainty import ADAPTIVE_FACTOR, adaptive_more

    ms = 0.001
    steady = [x * ms for x in (1.00, 1.01, 0.99, 1.00, 1.01)]
    assert not adaptive_more(steady, 5)
    settling = [x * ms for x in (1.60, 1.00, 1.01, 0.99, 1.00)]  # a first one settling
    assert adaptive_more(settling, 5)
    # With enough further repeats the outlier no longer spans the interval.
    assert not adaptive_more(settling + [x * ms for x in (1.00, 1.01, 0.99, 1.00)], 5)
    # never more than ADAPTIVE_FACTOR times the repeats
    assert adaptive_more([1 * ms, 2 * ms] * 5, 5)
    assert not adaptive_more([1 * ms, 2 * ms] * (5 * ADAPTIVE_FACTOR // 2), 5)
    # ... nor once the timed repeats took the budget: a long run keeps its repeats
    assert not adaptive_more([1.60, 1.00, 1.01, 0.99, 1.00], 5)
    assert adaptive_more([1.60, 1.00, 1.01, 0.99, 1.00], 5, budget_s=10.0)
