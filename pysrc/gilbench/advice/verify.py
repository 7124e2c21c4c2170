"""Verification: the chosen candidates run for real on the user's items.

As the harness times a run: the executor starts first (its start-up timed apart, every
worker up), the first map is timed on its own (cold: imports, caches, a worker's first
unpickling), then warm maps are repeated while the median's interval is wide
(:func:`gilbench.uncertainty.adaptive_more`) and time allows. What one call of the
user's program costs is then ``warm + (start-up + first-call penalty) / calls``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gilbench.advice.model import Prediction
from gilbench.advice.pools import WorkerDied, opened
from gilbench.advice.profile import call_checked, same
from gilbench.advice.target import BadAdviseInput, Target
from gilbench.interrupts import raise_if_pending
from gilbench.uncertainty import adaptive_more, median_interval

#: Warm maps timed at least, and as many as asked for while time allows.
MIN_WARM, WARM = 2, 5


@dataclass(frozen=True, kw_only=True)
class Measured:
    """One candidate run for real: seconds, and the per-call figure advise compares."""

    strategy: str
    workers: int
    chunksize: int
    start_method: str | None
    startup_s: float
    cold_s: float
    warm_s: float
    warm_low_s: float
    warm_high_s: float
    repeats: int
    calls: int
    #: With ``--check``: the first item whose result differs from serial's (None: none),
    #: and whether results were compared at all.
    checked: bool = False
    mismatch: int | None = None

    @property
    def penalty_s(self) -> float:
        """The one-off cost of the first call: start-up, and a cold first map's excess
        over the warm maps (beyond their interval: within it, it is noise)."""
        return self.startup_s + max(0.0, self.cold_s - self.warm_high_s)

    def per_call(self, warm: float | None = None) -> float:
        """Seconds per call of the user's program: warm map + one-off costs / calls."""
        return (self.warm_s if warm is None else warm) + self.penalty_s / self.calls

    @property
    def per_call_interval(self) -> tuple[float, float]:
        """The per-call figure at the ends of the warm median's interval."""
        return self.per_call(self.warm_low_s), self.per_call(self.warm_high_s)


def _timed(run: Callable[[], list[Any]]) -> tuple[float, list[Any]]:
    raise_if_pending()
    t0 = time.perf_counter()
    results = run()
    return time.perf_counter() - t0, results


def serial_pass(target: Target, items: Sequence[int]) -> list[Any]:
    """Every task on this thread, naming the item whose call raised."""
    return [call_checked(target, i) for i in items]


def _failed(target: Target, display: str, exc: BaseException) -> BadAdviseInput:
    """The one-line error for the user's function failing inside a pool."""
    if isinstance(exc, WorkerDied):
        return BadAdviseInput(f"{target.name} killed a worker of {display}: {exc}")
    first = str(exc).splitlines()[0] if str(exc) else ""
    return BadAdviseInput(f"{target.name} raised {type(exc).__name__} in {display}"
                          + (f": {first:.200}" if first else "") + " (it ran serially)")


def _repeat(run: Callable[[], list[Any]], allowance_s: float
            ) -> tuple[list[float], list[Any]]:
    """Seconds of the cold map then the warm ones, and the last map's results."""
    times: list[float] = []
    start = time.perf_counter()
    while True:
        seconds, results = _timed(run)
        times.append(seconds)
        warm = times[1:]
        if len(warm) < MIN_WARM:
            continue
        spent = time.perf_counter() - start
        if spent + spent / len(times) > allowance_s or not (
                len(warm) < WARM or adaptive_more(warm, WARM)):
            return times, results


def verify(target: Target, chosen: Sequence[Prediction], *, count: int, calls: int,
           allowance_s: float, start_method: str | None = None, check: bool = False,
           timeout: float = 600.0, step: Callable[[str], None] = lambda _: None
           ) -> list[Measured]:
    """Run serial and every prediction in ``chosen`` on the first ``count`` items, one
    after the other, serial first (its results are the reference for ``check``).

    One executor at a time, as the sweep runs them: a second process pool forked while
    the first one's threads run could deadlock in its children (Python 3.12+ warns of it).
    """
    items = list(target.items[:count])
    indices = range(count)
    rest = [p for p in chosen if p.strategy != "serial"]
    share = allowance_s / (len(rest) + 1)
    step("timing serial")
    times, reference = _repeat(lambda: serial_pass(target, indices), share)
    out = [_measured("serial", 1, 1, None, 0.0, times[0], times[1:], calls)]
    for p in rest:
        step(f"timing {p.display}")
        try:
            with opened(p.strategy, p.workers, start_method=start_method,
                        timeout=timeout) as ex:
                times, results = _repeat(
                    lambda ex=ex, c=p.chunksize: ex.map(target.task, items, c), share)
        except (BadAdviseInput, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the user's function failed in a pool
            raise _failed(target, p.display, exc) from None
        m = _measured(p.strategy, p.workers, p.chunksize, ex.start_method, ex.startup_s,
                      times[0], times[1:], calls)
        if check:
            mismatch = next((i for i, (a, b) in enumerate(
                zip(reference, results, strict=True)) if not same(a, b)), None)
            m = Measured(**{**m.__dict__, "checked": True, "mismatch": mismatch})
        out.append(m)
    return out


def _measured(strategy: str, workers: int, chunksize: int, start_method: str | None,
              startup: float, cold: float, warm: list[float], calls: int) -> Measured:
    low, high, _ = median_interval(warm)
    middle = sorted(warm)[len(warm) // 2] if len(warm) % 2 else (
        sorted(warm)[len(warm) // 2 - 1] + sorted(warm)[len(warm) // 2]) / 2
    return Measured(strategy=strategy, workers=workers, chunksize=chunksize,
                    start_method=start_method, startup_s=startup, cold_s=cold, warm_s=middle,
                    warm_low_s=low, warm_high_s=high, repeats=len(warm) + 1, calls=calls)


__all__ = ["MIN_WARM", "WARM", "Measured", "serial_pass", "verify"]
