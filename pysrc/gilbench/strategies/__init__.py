"""Strategy registry: ``STRATEGIES`` maps a name to a :class:`Strategy` instance."""

from __future__ import annotations

from typing import Any

from gilbench.flavours import FLAVOURS
from gilbench.registry import add, lookup
from gilbench.strategies.base import (
    DEFAULT_TIMEOUT_S,
    MapResult,
    RunTimeout,
    Session,
    Strategy,
    WorkerCrashed,
)
from gilbench.strategies.dask_cluster import (
    DaskProcessesStrategy,
    DaskRemoteStrategy,
    DaskThreadsStrategy,
)
from gilbench.strategies.inprocess import OpenMPStrategy, SerialStrategy, ThreadsStrategy
from gilbench.strategies.interpreters import SubinterpretersStrategy
from gilbench.strategies.joblib_pools import JoblibLokyStrategy, JoblibThreadsStrategy
from gilbench.strategies.pools import (
    PoolApplyAsyncStrategy,
    PoolImapStrategy,
    PoolImapUnorderedStrategy,
    PoolStarmapStrategy,
    PoolStrategy,
)
from gilbench.strategies.processes import PickledInputsStrategy, ProcessesStrategy
from gilbench.strategies.sharing import ManagerStrategy, SharedArrayStrategy
from gilbench.strategies.threads import AsyncioToThreadStrategy, ThreadStrategy
from gilbench.strategies.workers import JoinableQueueStrategy, PipeStrategy, QueueStrategy

__all__ = [
    "DEFAULT_TIMEOUT_S", "STRATEGIES", "MapResult", "RunTimeout", "Session", "Strategy",
    "WorkerCrashed", "baseline_strategy", "get_strategy", "register_strategy",
]

STRATEGIES: dict[str, Strategy] = {}


def register_strategy(strategy: Strategy, *, replace: bool = False) -> Strategy:
    """Add a strategy instance to the registry."""
    if not isinstance(strategy, Strategy):
        raise TypeError(f"register_strategy expects a Strategy instance. "
                        f"Got {type(strategy).__name__} instead.")
    return add(STRATEGIES, "strategy", strategy.name, strategy, replace=replace)


def get_strategy(name: str) -> Strategy:
    """The registered strategy ``name``; ValueError lists the valid names."""
    return lookup(STRATEGIES, "strategy", name)


def baseline_strategy() -> Strategy:
    """The registered strategy that runs everything on one worker (``single_worker``):
    the one speedups are measured against. ValueError when none is available."""
    for strategy in STRATEGIES.values():
        if strategy.single_worker and not strategy.unavailable_reason():
            return strategy
    raise ValueError("no single-worker strategy is registered: speedups need a baseline")


def recorded_traits() -> dict[str, dict[str, dict[str, Any]]]:
    """Every registered flavour's traits and strategy's capabilities, as a results file's
    ``settings`` records them (analysis chooses roles from these, never from names)."""
    return {"flavours": {name: f.traits() for name, f in FLAVOURS.items()},
            "strategies": {name: s.capabilities() for name, s in STRATEGIES.items()}}


for _s in (SerialStrategy(), ThreadsStrategy(), ProcessesStrategy(), PickledInputsStrategy(),
           OpenMPStrategy(),
           # one per component of threading, asyncio and multiprocessing (issue 8)
           ThreadStrategy(), AsyncioToThreadStrategy(), QueueStrategy(), JoinableQueueStrategy(),
           PipeStrategy(), PoolStrategy(), PoolImapStrategy(), PoolImapUnorderedStrategy(),
           PoolApplyAsyncStrategy(), PoolStarmapStrategy(), SharedArrayStrategy(),
           ManagerStrategy()):
    register_strategy(_s)
del _s
# Subinterpreters and the ecosystem's executors (joblib, dask): each says why it is
# unavailable where it is (Python < 3.13, the [distributed] extra not installed).
for _s in (SubinterpretersStrategy(), JoblibThreadsStrategy(), JoblibLokyStrategy(),
           DaskThreadsStrategy(), DaskProcessesStrategy(), DaskRemoteStrategy()):
    register_strategy(_s)
del _s
