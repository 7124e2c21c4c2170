"""The ``granularity`` axis: the same total work cut into ever smaller tasks.

The problem stays the same (one size per kernel, chosen so that one serial execution
takes about ``workers x`` the largest task duration); only the chunk count changes, so
the work per task (serial time / tasks) runs from about 100 ms down to 10 us on a log grid
of 8 points.
Every GIL-free flavour (by trait) runs serially with the same chunking (the baseline), on
the thread pools and on the process pools (by trait). Before the runs, every strategy's
per-task cost is timed with empty tasks (:mod:`gilbench.dispatch`) and kept in
results.json under ``machine["granularity"]["dispatch"]``: it explains where the curves
bend. The ``granularity-crossover`` finding reads the runs.
"""

from gilbench.axes import AxisInfo

NAME = "granularity"
CROSSOVER = "granularity-crossover"

INFO = AxisInfo(
    name=NAME,
    description=("work per task from ~10 us to ~100 ms at fixed total work (the chunk "
                 "count varies): where threads, then processes, start to pay"),
    condition="task duration",
    finders=(CROSSOVER,),
)
