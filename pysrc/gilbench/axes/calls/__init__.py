"""The ``calls`` axis: break-even call counts, read from the plain sweep (no runs of its own).

A cold process pool pays its start-up and a slow first execution once, then runs warm;
running serially pays nothing up front. From a run's ``startup_s``, ``first_s`` and warm
median the ``breakeven-calls`` finding (:mod:`gilbench.axes.calls.findings`) computes how many
calls of the same work a cold pool needs to catch up, for every kernel of every sweep.
"""

from gilbench.axes import AxisInfo

NAME = "calls"
BREAKEVEN = "breakeven-calls"

INFO = AxisInfo(
    name=NAME,
    description=("calls a cold process pool needs to beat serial and a thread pool, from "
                 "the plain sweep's start-up, first-call and warm times (no extra runs)"),
    condition="calls",
    finders=(BREAKEVEN,),
    plain_sweep="read",
)
