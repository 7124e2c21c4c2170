"""Reports: findings.json, Markdown, self-contained HTML and PNG plots, from a results
document alone."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gilbench import axes
from gilbench.analysis import FINDINGS_NAME, Analysis, analyse, write_findings
from gilbench.axes import gilfraction, workers
from gilbench.report import components, rules, when
from gilbench.report.html import render_html
from gilbench.report.markdown import (
    CLOSING,
    GLANCE,
    HEADER,
    KERNELS,
    Image,
    ReportContext,
    render_markdown,
    set_section_order,
)

# Each axis's plots and sections live in its package (gilbench.axes.<name>.plot);
# importing them registers their plotters and sections.
axes.load("plot")

#: The report's sections, in order: what this machine is, the rules of thumb, when
#: GIL-free threads rival processes, the headline verdicts, each kernel's table, the
#: axes' own sections, then what was not measured or failed and how to read it all. A
#: section registered by a plugin and not listed goes just before the closing ones.
SECTION_ORDER = (HEADER, rules.SECTION, when.SECTION, GLANCE, KERNELS, components.SECTION,
                 gilfraction.NAME, workers.SCALING_FIT, *CLOSING)
set_section_order(SECTION_ORDER)

__all__ = ["SECTION_ORDER", "render_report"]


def render_report(doc: Mapping[str, Any], out_dir: str | Path, *, plots: bool = True,
                  source: str | None = None) -> Path:
    """Analyse ``doc`` once and write ``findings.json``, ``report.md``, ``report.html`` and
    the plots into ``out_dir``; returns the Markdown path. Every output renders the same
    findings."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    analysis = analyse(doc)
    write_findings(out / FINDINGS_NAME, analysis.findings,
                   {"results": _relative(source, out), "created": doc.get("created"),
                    "machine": doc.get("machine", {}).get("hostname")})
    images = draw_plots(analysis, out) if plots else {}
    text = render_markdown(ReportContext(analysis, doc, images))
    path = out / "report.md"
    path.write_text(text)
    (out / "report.html").write_text(render_html(text, out))
    return path


def _relative(path: str | None, base: Path) -> str | None:
    """``path`` relative to the output folder: findings.json names no absolute path (it
    is shared with the folder, and the sharer's home directory is nobody's business)."""
    if path is None:
        return None
    return os.path.relpath(Path(path).resolve(), base.resolve())


#: What forked plotting processes read: set just before the fork, cleared after.
_PLOTTING: tuple[Analysis, Path] | None = None


def _plot_job(job: tuple[str, int, str]) -> dict[str, list[Image]]:
    """One plotter on one kernel (``("kernel", index, name)``) or one sweep plotter
    (``("sweep", -1, name)``), in a forked process or here."""
    from gilbench.report.plots import PLOTTERS, SWEEP_PLOTTERS

    assert _PLOTTING is not None
    analysis, out = _PLOTTING
    kind, index, name = job
    if kind == "sweep":
        return SWEEP_PLOTTERS[name](analysis, out)
    view = analysis.kernels[index]
    return {view.kernel: list(PLOTTERS[name](view, analysis.for_kernel(view.kernel), out))}


def _plotting_child(parent_pid: int) -> None:
    """In a forked plotting process: SIGTERM kills it (the parent's handler, inherited by
    the fork, would turn it into an exception the Pool's worker loop survives, and
    ``Pool.terminate`` would then wait for it forever); Ctrl-C and SIGHUP are the
    parent's to handle; it dies with its parent."""
    from gilbench.interrupts import detach_worker

    detach_worker(parent_pid)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _plot_processes(jobs: int) -> int:
    """Processes to draw ``jobs`` plots with: one per usable core where fork is safe (Linux:
    the children inherit the analysis, nothing is pickled), else 1 (here, serially)."""
    import sys

    from gilbench.limits import usable_cores

    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(usable_cores(), jobs))


def draw_plots(analysis: Analysis, out: Path) -> dict[str, list[Image]]:
    """Run every registered plotter on every kernel: ``{kernel: [Image, ...]}``.

    Each plot costs matplotlib a few hundred milliseconds of CPU and a standard sweep with
    its axes draws a score of them, so they are drawn side by side in forked processes, one
    per usable core (a report re-rendered from results.json took 7 s on 2 cores when drawn
    one after another). The images come back in the same order either way.
    """
    import multiprocessing as mp

    from gilbench.report.plots import PLOTTERS, SWEEP_PLOTTERS

    global _PLOTTING
    jobs = [("kernel", i, name) for i in range(len(analysis.kernels)) for name in PLOTTERS]
    jobs += [("sweep", -1, name) for name in SWEEP_PLOTTERS]
    _PLOTTING = (analysis, out)
    try:
        processes = _plot_processes(len(jobs))
        if processes > 1:
            pool = mp.get_context("fork").Pool(processes, initializer=_plotting_child,
                                               initargs=(os.getpid(),))
            try:
                drawn = pool.map(_plot_job, jobs, chunksize=1)
                pool.close()  # the workers exit once the queue is drained
            finally:
                pool.terminate()  # an error or Ctrl-C here: SIGTERM, which they obey
                pool.join()
        else:
            drawn = [_plot_job(job) for job in jobs]
    finally:
        _PLOTTING = None
    images: dict[str, list[Image]] = {view.kernel: [] for view in analysis.kernels}
    for piece in drawn:
        for kernel, more in piece.items():
            images.setdefault(kernel, []).extend(more)
    return images
