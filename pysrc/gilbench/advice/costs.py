"""The machine's costs per strategy: start-up, per task, per call and per byte shipped.

Read from a sweep of this machine where one is at hand: the granularity axis records each
strategy's per-task cost timed with empty tasks (``machine.granularity.dispatch`` in
results.json; see :mod:`gilbench.dispatch`). Start-up and the cost per pickled byte are
not in a sweep, and a sweep may be absent: they are measured here in a second or two, by
mapping a task that does nothing (and one that returns its 64 KiB payload) on each pool.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gilbench.advice.pools import opened

#: Task counts of the two timed maps: few (the fixed part) and many (the per-task part).
FEW, MANY = 8, 256
#: Payload of the per-byte map: PAYLOADS tasks of PAYLOAD_BYTES each way.
PAYLOADS, PAYLOAD_BYTES = 32, 64 * 1024
REPEATS = 3
#: The pools whose costs the model needs, by strategy id.
MEASURED = ("threads", "processes", "pool-map", "subinterpreters")


#: The empty task, and one that sends its payload back: builtins, so that they load in a
#: subinterpreter too (where numpy, and so this module, cannot).
noop, echo = abs, bytes


@dataclass(frozen=True, kw_only=True)
class StrategyCosts:
    """Seconds one strategy adds besides the work, at ``workers`` workers."""

    strategy: str
    workers: int
    startup_s: float
    per_task_s: float
    per_call_s: float
    #: Seconds per byte pickled to a worker and back (0 in-process).
    per_byte_s: float
    #: Where ``per_task_s`` comes from: "measured" or the sweep's results.json.
    source: str


def _median_map(ex: Any, task: Any, items: list) -> float:
    ex.map(task, items)  # warm: queues, feeder threads, first pickles
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        ex.map(task, items)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_costs(strategy: str, workers: int, *, start_method: str | None = None
                  ) -> StrategyCosts:
    """Time ``strategy``'s pool on empty tasks (a second or less); its start-up is the
    shorter of two."""
    with opened(strategy, workers, start_method=start_method) as ex:
        few = _median_map(ex, noop, list(range(FEW)))
        many = _median_map(ex, noop, list(range(MANY)))
        per_task = max(0.0, (many - few) / (MANY - FEW))
        per_byte = 0.0
        if strategy != "threads":
            payload = [bytes(PAYLOAD_BYTES)] * PAYLOADS
            heavy = _median_map(ex, echo, payload)
            empty = few + per_task * (PAYLOADS - FEW)
            per_byte = max(0.0, (heavy - empty) / (PAYLOADS * 2 * PAYLOAD_BYTES))
        startup = ex.startup_s
    # A second start: one start-up alone is at the mercy of whatever else ran meanwhile.
    with opened(strategy, workers, start_method=start_method) as again:
        startup = min(startup, again.startup_s)
    return StrategyCosts(strategy=strategy, workers=workers, startup_s=startup,
                         per_task_s=per_task, per_call_s=max(0.0, few - FEW * per_task),
                         per_byte_s=per_byte, source="measured")


def sweep_per_task(path: Path, workers: int, cores: int, hostname: str) -> dict[str, float]:
    """``{strategy: per-task seconds}`` from a sweep's results.json of this machine (same
    host, same usable cores) at ``workers``; empty when there is none or it differs."""
    try:
        machine = json.loads(path.read_text()).get("machine", {})
    except (OSError, ValueError, AttributeError):
        return {}
    if machine.get("hostname") != hostname or machine.get("usable_cores") != cores:
        return {}
    out = {}
    dispatch = (machine.get("granularity") or {}).get("dispatch") or {}
    for strategy, by_workers in dispatch.items():
        cost = (by_workers or {}).get(str(workers))
        if isinstance(cost, dict) and isinstance(cost.get("per_task_s"), (int, float)):
            out[strategy] = float(cost["per_task_s"])
    return out


def machine_costs(workers: int, *, start_method: str | None = None,
                  sweep: Path | None = None, cores: int, hostname: str,
                  skip: tuple[str, ...] = ()) -> dict[str, StrategyCosts]:
    """Costs of every pool advise models (those in ``skip`` left out), with per-task
    costs from ``sweep`` where it holds them for this machine."""
    known = sweep_per_task(sweep, workers, cores, hostname) if sweep else {}
    out = {}
    for strategy in MEASURED:
        if strategy in skip:
            continue
        cost = measure_costs(strategy, workers, start_method=start_method)
        if strategy in known:
            cost = StrategyCosts(**{**cost.__dict__, "per_task_s": known[strategy],
                                    "source": str(sweep)})
        out[strategy] = cost
    return out


__all__ = ["MEASURED", "StrategyCosts", "echo", "machine_costs", "measure_costs", "noop",
           "sweep_per_task"]
