"""What a strategy costs per task, timed with empty tasks (the granularity axis's machine
facts): every registered strategy can be timed, those that ship chunks and subinterpreters
included."""

from __future__ import annotations

import pytest

from gilbench.dispatch import measure_dispatch
from gilbench.strategies import STRATEGIES


@pytest.mark.parametrize("name", [n for n, s in STRATEGIES.items() if not s.remote])
def test_every_strategy_maps_empty_tasks(name):
    strategy = STRATEGIES[name]
    reason = strategy.unavailable_reason()
    if reason:
        pytest.skip(reason)
    cost = measure_dispatch(strategy, 2, timeout=60, repeats=1, few=2, many=6)
    assert cost.strategy == name and cost.per_task_s >= 0 and cost.per_call_s >= 0
    assert cost.few_s > 0 and cost.many_s > 0
    assert cost.workers == (1 if strategy.single_worker else 2)
