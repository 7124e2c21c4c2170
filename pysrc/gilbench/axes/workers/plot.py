"""Scaling fits in the report: a table of each curve's models, residuals and projections,
read from the ``scaling-fit`` findings."""

from __future__ import annotations

from gilbench.analysis import Finding
from gilbench.axes.workers import SCALING_FIT
from gilbench.axes.workers.findings import PROJECT_TO
from gilbench.report.markdown import ReportContext, register_section

ABOUT = """\
Amdahl's law (serial fraction *s*) and the Universal Scalability Law (contention sigma,
coherency kappa) fitted by least squares to each speedup curve, on the worker counts
within the usable cores (the 1-worker baseline included). Residuals are measured minus
fitted speedup at each worker count. The columns on the right are **projections, not
measurements**: each model extrapolated from the points in the *inputs* column.
"""


def _residuals(f: Finding, model: str) -> str:
    pairs = [(fig.name.rsplit("_", 1)[1], fig.value) for fig in f.figures
             if fig.name.startswith(f"{model}_residual_")]
    return ", ".join(f"{w}: {v:+.2f}" for w, v in pairs) or "-"


def fit_row(f: Finding) -> list[str]:
    """One table row from a fitted ``scaling-fit`` finding."""
    cells = [f.kernel, str(f.figure("curve")), str(f.figure("inputs")),
             f"{f.figure('amdahl_serial'):.1%}", _residuals(f, "amdahl"),
             f"{f.figure('usl_sigma'):.3f}", f"{f.figure('usl_kappa'):.4f}",
             _residuals(f, "usl")]
    cells += [f"{f.figure(f'amdahl_projected_{n}'):.1f}x / {f.figure(f'usl_projected_{n}'):.1f}x"
              for n in PROJECT_TO]
    return cells


def scaling_fit_section(ctx: ReportContext) -> list[str]:
    """Every kernel's fits, or why there are none."""
    findings = [f for f in ctx.analysis.findings if f.kind == SCALING_FIT]
    if not findings:
        return []
    out = ["## Scaling fits (projections, not measurements)", ""]
    fitted = [f for f in findings if f.verdict == "fitted"]
    if fitted:
        out.append(ABOUT)
        header = ["kernel", "curve", "inputs (workers: speedup)", "Amdahl s", "residuals",
                  "USL sigma", "USL kappa", "residuals",
                  *(f"{n} cores, projected (Amdahl / USL)" for n in PROJECT_TO)]
        out += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        out += ["| " + " | ".join(fit_row(f)) + " |" for f in fitted]
        out.append("")
    # Kernels without a fit usually share the reason (the machine's core count): say it once.
    reasons: dict[str, list[str]] = {}
    for f in findings:
        if f.verdict != "fitted":
            reasons.setdefault(f.sentence, []).append(f.kernel)
    out += [f"- {', '.join(kernels)}: {sentence}" for sentence, kernels in reasons.items()]
    return out + [""]


register_section(SCALING_FIT, scaling_fit_section)
