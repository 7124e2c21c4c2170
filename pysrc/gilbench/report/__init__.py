"""Reports: findings.json, Markdown, self-contained HTML and PNG plots, from a results
document alone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gilbench.analysis import FINDINGS_NAME, Analysis, analyse, write_findings

# Imported for what they register: the "When" section, the axes' plotters and sections,
# and the scaling fits.
from gilbench.report import calls as _calls  # noqa: F401, I001
from gilbench.report import gilfraction as _gilfraction  # noqa: F401
from gilbench.report import granularity as _granularity  # noqa: F401
from gilbench.report import payload as _payload  # noqa: F401
from gilbench.report import scalingfit as _scalingfit  # noqa: F401
from gilbench.report import when as _when  # noqa: F401
from gilbench.report.html import render_html
from gilbench.report.markdown import Image, ReportContext, render_markdown

__all__ = ["render_report"]


def render_report(doc: Mapping[str, Any], out_dir: str | Path, *, plots: bool = True,
                  source: str | None = None) -> Path:
    """Analyse ``doc`` once and write ``findings.json``, ``report.md``, ``report.html`` and
    the plots into ``out_dir``; returns the Markdown path. Every output renders the same
    findings."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    analysis = analyse(doc)
    write_findings(out / FINDINGS_NAME, analysis.findings,
                   {"results": source, "created": doc.get("created"),
                    "machine": doc.get("machine", {}).get("hostname")})
    images = draw_plots(analysis, out) if plots else {}
    text = render_markdown(ReportContext(analysis, doc, images))
    path = out / "report.md"
    path.write_text(text)
    (out / "report.html").write_text(render_html(text, out))
    return path


def draw_plots(analysis: Analysis, out: Path) -> dict[str, list[Image]]:
    """Run every registered plotter on every kernel: ``{kernel: [Image, ...]}``."""
    from gilbench.report.plots import PLOTTERS, SWEEP_PLOTTERS

    images: dict[str, list[Image]] = {}
    for view in analysis.kernels:
        findings = analysis.for_kernel(view.kernel)
        for plotter in PLOTTERS.values():
            images.setdefault(view.kernel, []).extend(plotter(view, findings, out))
    for sweep_plotter in SWEEP_PLOTTERS.values():
        for kernel, more in sweep_plotter(analysis, out).items():
            images.setdefault(kernel, []).extend(more)
    return images
