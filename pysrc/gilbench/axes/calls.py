"""The ``calls`` axis: break-even call counts, read from the plain sweep (no runs of its own).

A cold process pool pays its start-up and a slow first execution once, then runs warm;
running serially pays nothing up front. From a run's ``startup_s``, ``first_s`` and warm
median the ``breakeven-calls`` finding (:mod:`gilbench.analysis.calls`) computes how many
calls of the same work a cold pool needs to catch up, for every kernel of every sweep.
"""

from __future__ import annotations

from gilbench.axes.base import Axis, Selection
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel


class CallsAxis(Axis):
    """Start-up amortisation: how many calls before a cold pool beats serial and threads."""

    name = "calls"
    description = ("calls a cold process pool needs to beat serial and a thread pool, from "
                   "the plain sweep's start-up, first-call and warm times (no extra runs)")
    condition = "calls"
    finders = ("breakeven-calls",)
    plotters = ("calls",)
    plain_sweep = "read"

    def plan(self, kernel: Kernel, selection: Selection) -> list[RunSpec]:
        return []  # build_plan plans the plain sweep, which the finder reads
