"""The granularity model: each strategy's time against the number of tasks, fitted.

The granularity axis cuts the same total work into ``n`` tasks. On any strategy one
execution then takes

    T(n) = A + c * n

where ``A`` is the compute divided among the effective workers plus a constant (a
session's fixed cost per call) and ``c`` the cost each task adds (dispatch, pickling,
a wake-up). Fitting ``A`` and ``c`` by least squares on the relative error (the times
span four decades) gives every strategy's per-task cost with an interval, and the
crossovers follow from the fitted parameters rather than from the two measured points
that happen to bracket them: where a strategy beats serial by a margin, and above which
task duration processes come within a margin of threads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Two-sided 90% quantiles of Student's t by degrees of freedom (1..10; above: normal).
_T90 = (6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812)


def t90(dof: int) -> float:
    """The 90% two-sided Student t quantile for ``dof`` degrees of freedom."""
    return _T90[dof - 1] if 1 <= dof <= len(_T90) else 1.645


@dataclass(frozen=True, kw_only=True)
class TaskModel:
    """``T(n) = fixed_s + per_task_s * n``, fitted to one strategy's points, with a 90%
    interval on the per-task cost and the relative residual of each point."""

    fixed_s: float
    per_task_s: float
    per_task_low: float
    per_task_high: float
    residuals: tuple[float, ...]

    def seconds(self, tasks: float, per_task: float | None = None) -> float:
        """The modelled time of one execution cut into ``tasks`` tasks."""
        return self.fixed_s + (self.per_task_s if per_task is None else per_task) * tasks

    @property
    def worst_residual(self) -> float:
        """The largest relative miss of the fit at a measured point."""
        return max((abs(r) for r in self.residuals), default=0.0)


def fit(tasks: Sequence[float], seconds: Sequence[float]) -> TaskModel | None:
    """The least-squares model through ``(tasks, seconds)`` points, weighting each by
    1 / seconds (relative errors); None with fewer than 3 points."""
    n = np.asarray(tasks, dtype=float)
    t = np.asarray(seconds, dtype=float)
    if len(n) < 3 or np.ptp(n) == 0:
        return None
    w = 1.0 / t
    design = np.column_stack([np.ones_like(n), n]) * w[:, None]
    coef, *_ = np.linalg.lstsq(design, t * w, rcond=None)
    fixed, per_task = float(coef[0]), float(coef[1])
    rel = (t - (fixed + per_task * n)) / t
    dof = len(n) - 2
    scale = float(np.sum(rel**2) / dof) if dof > 0 else 0.0
    cov = scale * np.linalg.inv(design.T @ design)
    half = t90(dof) * math.sqrt(max(float(cov[1, 1]), 0.0))
    return TaskModel(fixed_s=fixed, per_task_s=per_task, per_task_low=per_task - half,
                     per_task_high=per_task + half, residuals=tuple(float(r) for r in rel))


@dataclass(frozen=True, kw_only=True)
class Crossover:
    """A task duration where one modelled curve meets a margin over another: ``status``
    is ``at`` (at ``seconds``, between ``low`` and ``high``), ``always`` (at every task
    duration, however short) or ``never`` (at none, however long)."""

    status: str
    seconds: float | None = None
    low: float | None = None
    high: float | None = None


def _tasks_up_to(near: TaskModel, ref: TaskModel, margin: float, near_per_task: float,
                 ref_per_task: float) -> float:
    """The largest task count ``n`` with ``near(n) <= margin * ref(n)``, the curves'
    per-task costs as given: ``inf`` where it holds at every count, 0 at none."""
    head = margin * ref.fixed_s - near.fixed_s
    slope = near_per_task - margin * ref_per_task
    if slope <= 0:  # near's tasks cost no more: the fixed parts decide, at every count
        return math.inf if head >= 0 else 0.0
    return head / slope if head > 0 else 0.0


def within(near: TaskModel, ref: TaskModel, margin: float, work_s: float) -> Crossover:
    """The task duration (serial ``work_s`` over the task count) above which ``near``
    takes at most ``margin`` times ``ref``'s time, from the fitted parameters, with the
    interval that both per-task intervals allow.

    Threads beat serial by 1.1x from ``within(threads, serial, 1 / 1.1, work)``;
    processes come within 10% of threads above ``within(processes, threads, 1.1, work)``.
    """
    ends = [_tasks_up_to(near, ref, margin, a, b)
            for a in (near.per_task_low, near.per_task_s, near.per_task_high)
            for b in (ref.per_task_low, ref.per_task_s, ref.per_task_high)]
    middle = _tasks_up_to(near, ref, margin, near.per_task_s, ref.per_task_s)
    if middle == math.inf:
        return Crossover(status="always")
    if middle == 0.0:
        return Crossover(status="never")
    durations = [0.0 if n == math.inf else math.inf if n == 0.0 else work_s / n for n in ends]
    return Crossover(status="at", seconds=work_s / middle, low=min(durations),
                     high=max(durations))


__all__ = ["Crossover", "TaskModel", "fit", "t90", "within"]
