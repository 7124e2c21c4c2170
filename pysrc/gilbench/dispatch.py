"""What a strategy costs per task besides the work: timed with empty tasks.

A chunk function that does nothing, mapped over ``n`` chunks by a warm session, takes
``per_call + n x per_task`` seconds: ``per_task`` is what handing out one task costs
(submitting a future and collecting its result; pickling for processes), ``per_call`` what
one execution costs whatever its chunk count (waiting for the last result). Tasks shorter
than a few ``per_task`` cannot gain from a pool: the granularity axis marks it on its plot.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

from gilbench.isolated.empty import empty_task
from gilbench.kernels.base import Implementation, Problem
from gilbench.strategies import DEFAULT_TIMEOUT_S, Strategy

#: Chunk counts of the two timed maps: few (the fixed part) and many (the per-task part).
FEW_TASKS, MANY_TASKS = 8, 512
#: Timed maps of each count (medians are kept), after one untimed map of each.
REPEATS = 5


def _ship_nothing(chunk: Any) -> tuple[Any, dict]:
    return chunk, {}


def _writes_nothing(chunk: Any) -> dict:
    return {}


@dataclass(frozen=True)
class DispatchCost:
    """Seconds per task and per call of one strategy at one worker count."""

    strategy: str
    workers: int
    per_task_s: float
    per_call_s: float
    #: Median seconds of one map of FEW_TASKS and of MANY_TASKS empty tasks.
    few_s: float
    many_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_dispatch(strategy: Strategy, workers: int, *,
                     timeout: float = DEFAULT_TIMEOUT_S, repeats: int = REPEATS,
                     few: int = FEW_TASKS, many: int = MANY_TASKS) -> DispatchCost:
    """Time ``strategy`` on empty tasks with ``workers`` workers (a warm session)."""
    problem = Problem("empty-task", 1, 0)
    workers = 1 if strategy.single_worker else workers
    # The empty task is numpy-free: subinterpreters run it as it is. Like the harness,
    # every strategy is offered both hooks; those that ship chunks use them.
    with strategy.open(problem, Implementation(empty_task, isolated=empty_task), workers,
                       timeout=timeout, payload=_ship_nothing,
                       outputs=_writes_nothing) as session:
        medians = []
        for n in (few, many):
            chunks = list(range(n))
            session.map(chunks)  # warm: queues, feeder threads, first pickles
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                session.map(chunks)
                times.append(time.perf_counter() - t0)
            medians.append(statistics.median(times))
    per_task = max(0.0, (medians[1] - medians[0]) / (many - few))
    per_call = max(0.0, medians[0] - few * per_task)
    return DispatchCost(strategy.name, workers, per_task, per_call, *medians)


__all__ = ["DispatchCost", "empty_task", "measure_dispatch"]
