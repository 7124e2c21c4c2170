"""Analysis of a results document: derived rows and findings, from the JSON alone.

No kernel code and no extension is needed, so a report can be rendered on another
machine. Every verdict is a :class:`Finding` computed by a registered finder from the
declared traits of flavours and strategies; see :mod:`gilbench.analysis.engine`.
"""

# Imported for the finders they register; findings keep the registration order: the core
# verdicts first (calls, the first import, imports them), then the modules as listed: the
# axes' (calls, granularity, gil-fraction, payload), ecosystem, overhead, runtime (the GIL
# each run had), the scaling fits.
from gilbench.analysis import calls as _calls  # noqa: F401
from gilbench.analysis import ecosystem as _ecosystem  # noqa: F401
from gilbench.analysis import gilfraction as _gilfraction  # noqa: F401
from gilbench.analysis import granularity as _granularity  # noqa: F401
from gilbench.analysis import overhead as _overhead  # noqa: F401
from gilbench.analysis import payload as _payload  # noqa: F401
from gilbench.analysis import runtime as _runtime  # noqa: F401
from gilbench.analysis import scalingfit as _scalingfit  # noqa: F401
from gilbench.analysis import verdicts as _verdicts  # noqa: F401
from gilbench.analysis.engine import FINDERS, Analysis, Finder, KernelView, analyse, register_finder
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

__all__ = [
    "FINDERS", "FINDINGS_NAME", "VERDICT_TEXT", "Analysis", "Figure", "Finder", "Finding",
    "KernelView", "Row", "Traits", "analyse", "derive_rows", "findings_document",
    "load_findings", "register_finder", "run_id", "write_findings",
]
