"""Analysis of a results document: derived rows and findings, from the JSON alone.

No kernel code and no extension is needed, so a report can be rendered on another
machine. Every verdict is a :class:`Finding` computed by a registered finder from the
declared traits of flavours and strategies; see :mod:`gilbench.analysis.engine`.
"""

from gilbench import axes
from gilbench.analysis import ecosystem, overhead, runtime, verdicts
from gilbench.analysis.engine import (
    FINDERS,
    Analysis,
    Finder,
    KernelView,
    analyse,
    register_finder,
    set_order,
)
from gilbench.analysis.findings import (
    FINDINGS_NAME,
    Figure,
    Finding,
    findings_document,
    load_findings,
    write_findings,
)
from gilbench.analysis.rows import Row, Traits, derive_rows, run_id
from gilbench.analysis.verdicts import VERDICT_TEXT
from gilbench.axes import calls, gilfraction, granularity, payload, workers

# Each axis's findings live in its package (gilbench.axes.<name>.findings); importing
# them registers their finders.
axes.load("findings")

#: The order of the findings in findings.json, the terminal and the report: the GIL each
#: run had, the verdicts of the plain sweep, the axes' crossovers among the costs they
#: explain, the scaling fits last. Kinds registered later (plugins) follow, in
#: registration order.
ORDER = (
    runtime.GIL_RUNTIME,
    workers.THREADS_VS_PROCESSES,
    verdicts.GIL_SERIALISES,
    verdicts.ONE_GIL_PER_PROCESS,
    verdicts.SELF_PARALLEL,
    verdicts.SCHEDULE,
    verdicts.COMPILED_VS_PYTHON,
    verdicts.MEMORY_BOUND,
    verdicts.COPY_COST,
    verdicts.NOISY,
    workers.OVERSUBSCRIPTION,
    calls.BREAKEVEN,
    ecosystem.SUBINTERPRETERS,
    ecosystem.DISTRIBUTED_OVERHEAD,
    gilfraction.THRESHOLD,
    granularity.CROSSOVER,
    overhead.STRATEGY_OVERHEAD,
    overhead.PROXY_COST,
    overhead.SHARED_LOCK,
    overhead.START_METHOD,
    payload.CROSSOVER,
    workers.SCALING_FIT,
)
set_order(ORDER)

__all__ = [
    "FINDERS", "FINDINGS_NAME", "ORDER", "VERDICT_TEXT", "Analysis", "Figure", "Finder", "Finding",
    "KernelView", "Row", "Traits", "analyse", "derive_rows", "findings_document",
    "load_findings", "register_finder", "run_id", "write_findings",
]
