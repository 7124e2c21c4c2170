"""How long the rest of a sweep will take, learned from the runs finished so far.

Runs of one sweep differ by orders of magnitude (pure Python against compiled code, a
process pool's start-up against none), so one average per run would mislead. Each
remaining run is predicted from the most similar finished runs: same kernel, flavour,
strategy and size; else same kernel, flavour and size; else same kernel and flavour;
else same kernel; else any run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from typing import Any

from gilbench.harness import RunSpec

#: From the most to the least similar: what two runs share to predict one by the other.
SIMILARITY: tuple[Callable[[RunSpec], tuple], ...] = (
    lambda s: (s.kernel, s.flavour, s.strategy, s.size),
    lambda s: (s.kernel, s.flavour, s.size),
    lambda s: (s.kernel, s.flavour),
    lambda s: (s.kernel,),
    lambda s: (),
)


class RunTimes:
    """Wall seconds of finished runs, grouped by every level of :data:`SIMILARITY`."""

    def __init__(self) -> None:
        self._seconds: dict[tuple[int, tuple], list[float]] = defaultdict(list)

    def observe(self, spec: RunSpec, seconds: float | None) -> None:
        """Learn from one finished run (``seconds`` None or negative: nothing to learn)."""
        if seconds is None or seconds < 0:
            return
        for level, key in enumerate(SIMILARITY):
            self._seconds[(level, key(spec))].append(seconds)

    def observe_recorded(self, runs: Iterable[Mapping[str, Any]]) -> None:
        """Learn from the runs of a results document (their ``elapsed_s``)."""
        names = [f.name for f in fields(RunSpec)]
        for run in runs:
            if all(run.get(n) is not None for n in ("kernel", "flavour", "strategy", "size")):
                spec = RunSpec(**{n: run.get(n) for n in names if n != "axis_value"})
                self.observe(spec, run.get("elapsed_s"))

    def predict(self, spec: RunSpec) -> float | None:
        """Expected wall seconds of ``spec``: the mean of the most similar finished runs."""
        for level, key in enumerate(SIMILARITY):
            seen = self._seconds.get((level, key(spec)))
            if seen:
                return sum(seen) / len(seen)
        return None

    def remaining_s(self, specs: Iterable[RunSpec]) -> float | None:
        """Expected wall seconds of all of ``specs`` (None before any run has finished)."""
        if not self._seconds:
            return None
        return sum(self.predict(s) or 0.0 for s in specs)


def format_eta(seconds: float | None) -> str:
    """``ETA 1:02:03`` / ``ETA 4:05``; ``ETA ?`` while nothing is known."""
    if seconds is None:
        return "ETA ?"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"ETA {hours}:{minutes:02d}:{secs:02d}" if hours else f"ETA {minutes}:{secs:02d}"


def eta_column() -> Any:
    """A rich progress column showing a task's ``eta`` field (set with ``update(eta=s)``);
    empty for tasks without one."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class EtaColumn(ProgressColumn):
        def render(self, task) -> Text:
            if "eta" not in task.fields:
                return Text("")
            return Text(format_eta(task.fields["eta"]), style="progress.remaining")

    return EtaColumn()


__all__ = ["SIMILARITY", "RunTimes", "eta_column", "format_eta"]
