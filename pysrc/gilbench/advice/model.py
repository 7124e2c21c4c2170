"""The prediction: each candidate's time per call and speedup over serial, from the profile
and the machine's costs.

One call runs ``n`` tasks of mean duration ``t`` on ``w`` workers, ``c`` items to a task:

- the work: Amdahl with the GIL-held share ``f`` for threads, ``n t (f + (1 - f) / w)``;
  ``n t / w`` for processes (one GIL each); never less than the busiest worker's share,
  ``ceil(tasks / w) c t`` (a few large tasks leave workers idle);
- dispatch: ``tasks x per-task cost + per-call cost`` of that pool;
- pickling (process pools): ``n x (pickle and unpickle seconds + bytes x per-byte cost)``;
- start-up: the pool's start-up divided by ``calls`` (a pool started once serves them all).

Where tasks are shorter than a pool's crossover (the task duration at which its per-task
cost is 10% of the work), a batched variant is predicted too: a chunksize that puts each
task above the crossover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from gilbench.advice.costs import StrategyCosts
from gilbench.advice.pools import DISPLAY
from gilbench.advice.profile import Profile

#: A pool's crossover: the task duration at which its per-task cost is this share of it.
OVERHEAD_SHARE = 0.10
#: Candidates whose workers run Python in parallel (one GIL each).
OWN_GIL = ("processes", "pool-map", "subinterpreters")


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """One candidate and what the model says of it (seconds per call, amortised)."""

    strategy: str
    workers: int
    chunksize: int
    seconds: float
    speedup: float
    #: The model's terms: work, dispatch, pickling, startup (seconds per call).
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def display(self) -> str:
        """``ThreadPoolExecutor`` or ``Pool.map (chunksize 25)``: the name a person reads."""
        name = DISPLAY.get(self.strategy, self.strategy)
        return f"{name} (chunksize {self.chunksize})" if self.chunksize > 1 else name

    @property
    def key(self) -> tuple[str, int]:
        """What identifies a candidate: its strategy and chunksize."""
        return self.strategy, self.chunksize


def pool_map_chunksize(n: int, workers: int) -> int:
    """multiprocessing's default chunksize for Pool.map: ``ceil(n / (4 workers))``."""
    return max(1, math.ceil(n / (4 * workers)))


def batch_size(task_s: float, per_task_s: float, n: int, workers: int) -> int:
    """Items per task that put a task above the crossover, with every worker busy."""
    if task_s <= 0:
        return max(1, n // workers)
    wanted = math.ceil(per_task_s / OVERHEAD_SHARE / task_s)
    return max(1, min(wanted, math.ceil(n / workers)))


def predict(strategy: str, profile: Profile, costs: StrategyCosts | None, *, n: int,
            workers: int, calls: int, chunksize: int = 1,
            gil_held_share: float | None = None) -> Prediction:
    """The :class:`Prediction` for ``strategy`` (``gil_held_share`` overrides the
    profile's: the counterfactual of a released GIL)."""
    t = profile.task_mean_s
    serial_s = n * t
    if strategy == "serial" or costs is None:
        return Prediction(strategy="serial", workers=1, chunksize=1, seconds=serial_s,
                          speedup=1.0, parts={"work": serial_s})
    f = profile.gil_held_share if gil_held_share is None else gil_held_share
    tasks = math.ceil(n / chunksize)
    busiest = math.ceil(tasks / workers) * min(chunksize, n) * t
    if strategy in OWN_GIL:
        work = max(serial_s / workers, busiest)
        pickling = n * (profile.pickle_s
                        + (profile.bytes_in + profile.bytes_out) * costs.per_byte_s)
    else:
        work = max(serial_s * (f + (1 - f) / workers), busiest)
        pickling = 0.0
    parts = {"work": work, "dispatch": tasks * costs.per_task_s + costs.per_call_s,
             "pickling": pickling, "startup": costs.startup_s / calls}
    seconds = sum(parts.values())
    return Prediction(strategy=strategy, workers=workers, chunksize=chunksize,
                      seconds=seconds, speedup=serial_s / seconds if seconds > 0 else 1.0,
                      parts=parts)


def candidates(profile: Profile, costs: dict[str, StrategyCosts], *, n: int, workers: int,
               calls: int) -> list[Prediction]:
    """Every candidate advise considers, best predicted first (serial among them): each
    pool in ``costs`` as it maps by default, and batched where tasks are short."""
    out = [predict("serial", profile, None, n=n, workers=1, calls=calls)]
    for strategy, cost in costs.items():
        sizes = {pool_map_chunksize(n, workers) if strategy == "pool-map" else 1}
        if profile.task_mean_s < cost.per_task_s / OVERHEAD_SHARE:
            sizes.add(batch_size(profile.task_mean_s, cost.per_task_s, n, workers))
        for size in sorted(sizes):
            out.append(predict(strategy, profile, cost, n=n, workers=workers, calls=calls,
                               chunksize=size))
    return sorted(out, key=lambda p: -p.speedup)


def released(profile: Profile, costs: dict[str, StrategyCosts], *, n: int, workers: int,
             calls: int) -> Prediction | None:
    """The best thread-pool prediction had the task held the GIL 0% of its time."""
    cost = costs.get("threads")
    if cost is None:
        return None
    sizes = {1, batch_size(profile.task_mean_s, cost.per_task_s, n, workers)}
    best = max((predict("threads", profile, cost, n=n, workers=workers, calls=calls,
                        chunksize=s, gil_held_share=0.0) for s in sizes),
               key=lambda p: p.speedup)
    return best


def at_items(prediction: Prediction, profile: Profile, costs: dict[str, StrategyCosts], *,
             n: int, calls: int) -> Prediction:
    """``prediction`` again for ``n`` items (verification on part of the items)."""
    if prediction.strategy == "serial":
        return predict("serial", profile, None, n=n, workers=1, calls=calls)
    again = predict(prediction.strategy, profile, costs[prediction.strategy], n=n,
                    workers=prediction.workers, calls=calls,
                    chunksize=min(prediction.chunksize, n))
    return replace(again, chunksize=prediction.chunksize)


__all__ = ["OVERHEAD_SHARE", "OWN_GIL", "Prediction", "at_items", "batch_size", "candidates",
           "pool_map_chunksize", "predict", "released"]
