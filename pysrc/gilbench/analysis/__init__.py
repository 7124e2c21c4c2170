"""Analysis of a results document: derived rows and findings, from the JSON alone.

No kernel code and no extension is needed, so a report can be rendered on another
machine. Every verdict is a :class:`Finding` computed by a registered finder from the
declared traits of flavours and strategies; see :mod:`gilbench.analysis.engine`.
"""

from gilbench.analysis import ecosystem as _ecosystem  # noqa: F401  (registers finders)
from gilbench.analysis import overhead as _overhead  # noqa: F401  (imports verdicts first)
from gilbench.analysis import runtime as _runtime  # noqa: F401  (registers its finder)
from gilbench.analysis import verdicts as _verdicts  # noqa: F401  (registers the finders)
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
