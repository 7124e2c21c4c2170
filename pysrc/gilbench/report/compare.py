"""The comparison report: compare.md, a self-contained compare.html, one ratio plot per
kernel and findings.json, all from one :class:`~gilbench.compare.Comparison`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gilbench.analysis import FINDINGS_NAME, Finding, write_findings
from gilbench.analysis.interpreters import interpreter_findings
from gilbench.compare import AlignedRun, Comparison
from gilbench.report.html import render_html
from gilbench.report.markdown import Image, fmt_time, table_cell

__all__ = ["COMPARE_MD", "COMPARE_HTML", "render_comparison"]

COMPARE_MD = "compare.md"
COMPARE_HTML = "compare.html"


def render_comparison(comparison: Comparison, out_dir: str | Path, *, plots: bool = True
                      ) -> tuple[Path, list[Finding]]:
    """Write findings.json, the plots, compare.md and compare.html into ``out_dir``;
    returns the Markdown path and the findings (what the terminal prints)."""
    out = Path(out_dir)
    findings = interpreter_findings(comparison)
    write_findings(out / FINDINGS_NAME, findings,
                   {"compare": [i.path for i in comparison.inputs],
                    "labels": comparison.labels})
    images = {k: plot_ratios(comparison, k, out) for k in comparison.kernels()} if plots \
        else {}
    text = render_markdown(comparison, findings, images)
    path = out / COMPARE_MD
    path.write_text(text)
    (out / COMPARE_HTML).write_text(render_html(text, out, title="gilbench comparison"))
    return path, findings


# -- Markdown ----------------------------------------------------------------------------
def _gil_request(machine: Mapping[str, Any]) -> str:
    gil = machine.get("gil", {})
    asked = [f"{flag}={gil[key]}" for key, flag in (("x_gil", "-X gil"),
                                                     ("python_gil_env", "PYTHON_GIL"))
             if gil.get(key) is not None]
    return ", ".join(asked) or "-"


def _inputs_table(comparison: Comparison) -> list[str]:
    out = ["| input | Python | build | GIL in the runs | asked | CPU | cores | OpenMP | "
           "commit | measured | file |", "|" + "---|" * 11]
    for inp in comparison.inputs:
        m = inp.machine
        gil = m.get("gil", {})
        build = "free-threaded" if gil.get("free_threaded_build") else "default (GIL)"
        omp = m.get("build", {}).get("openmp")
        cells = [inp.label, m.get("versions", {}).get("python", "?"), build,
                 inp.gil_words(), _gil_request(m), m.get("cpu_model", "?"),
                 m.get("usable_cores", "?"), "yes" if omp else "no" if omp is False else "?",
                 m.get("git_commit") or "-", inp.doc.get("created", "-"), f"`{inp.path}`"]
        out.append(_table_row(cells))
    return out + [""]


def _table_row(cells: Sequence[object]) -> str:
    """One Markdown table row; a cell's text (labels, CPU models, times from the inputs'
    files) cannot split or end it."""
    return "| " + " | ".join(table_cell(c) for c in cells) + " |"


def _cell_speedup(row) -> str:
    return f"{row.speedup:.2f}x" if row is not None and row.speedup else "-"


def _run_table(comparison: Comparison, aligned: Sequence[AlignedRun]) -> list[str]:
    labels = comparison.labels
    head = (["flavour", "strategy", "workers", "size", "chunks"]
            + [f"median {lab}" for lab in labels] + [f"speedup {lab}" for lab in labels]
            + [f"time / {labels[0]} ({lab})" for lab in labels[1:]])
    out = [_table_row(head), "|" + "---|" * len(head)]
    for a in aligned:
        first = a.rows[0]
        strategy = a.field("strategy") + (f" ({a.field('schedule')})" if a.field("schedule")
                                          else "") + \
            (f" [{a.field('start_method')}]" if a.field("start_method") else "")
        if a.field("axis") not in (None, "workers"):  # several points of one run otherwise
            strategy += f" {{{a.field('axis')} {a.field('axis_value')}}}"
        cells = [a.field("flavour"), strategy, str(a.field("workers")), str(a.field("size")),
                 str(a.field("chunks"))]
        cells += [("~" if r is not None and r.noisy else "") + fmt_time(r.median_s)
                  if r is not None else "-" for r in a.rows]
        cells += [_cell_speedup(r) for r in a.rows]
        cells += [f"{r.median_s / first.median_s:.2f}x" if r is not None and first is not None
                  else "-" for r in a.rows[1:]]
        out.append(_table_row(cells))
    return out + [""]


HOW_TO_READ = """\
## How to read this comparison
- Runs align by kernel, flavour, strategy, workers, size and chunks (and schedule, start
  method and axis point where a sweep has them); only runs present in every input get a
  row in the tables above.
- **median**: each input's own median time; **speedup**: against the same input's serial
  run of that flavour (as in each sweep's report); **time / first**: this input's median
  over the first input's (above 1: slower than the first).
- **on one core, X takes ...** in the findings is the single-thread cost: the serial
  median over the first input's. Where a free-threaded build and the default build of the
  same Python version are both present, the free-threaded one is also set against that
  fair baseline.
- Inputs measured on different machines or builds differ for reasons other than the
  interpreter: the warnings above say which differences matter.
- `~` marks runs whose repeats varied by more than 10%. Every sentence is a finding in
  `findings.json` beside this file, with its figures and the runs it rests on.
"""


def render_markdown(comparison: Comparison, findings: Sequence[Finding],
                    images: Mapping[str, list[Image]]) -> str:
    """The comparison as Markdown: inputs, warnings, then per kernel its findings, plot
    and side-by-side table; runs not in every input are counted at the end."""
    out = ["# gilbench comparison", "",
           f"{len(comparison.inputs)} sweeps side by side; times are compared against the "
           f"first, **{comparison.labels[0]}**.", "", "## Inputs", ""]
    out += _inputs_table(comparison)
    if comparison.warnings:
        out += ["## Warnings", ""] + [f"- {w}" for w in comparison.warnings] + [""]
    for kernel in comparison.kernels():
        complete = [a for a in comparison.for_kernel(kernel) if a.complete]
        if not complete:
            continue
        out += [f"## {kernel}", ""]
        several = len({f.context for f in findings if f.kernel == kernel}) > 1
        for f in findings:
            if f.kernel == kernel:
                label = f"[{f.context_label()}] " if several else ""
                out.append(f"- {label}{f.sentence}")
        out.append("")
        for image in images.get(kernel, []):
            out += [f"![{image.alt}]({image.file})", ""]
        out += _run_table(comparison, complete)
    partial = comparison.partial()
    if partial:
        out += ["## Runs not in every input", ""]
        out.append(f"{len(partial)} run(s) are not in every input and are left out above:")
        out.append("")
        for i, label in enumerate(comparison.labels):
            has = sum(1 for a in partial if a.rows[i] is not None)
            out.append(f"- {label} ran {has} of them")
        out.append("")
    return "\n".join(out + [HOW_TO_READ])


# -- the ratio plot ----------------------------------------------------------------------
def plot_ratios(comparison: Comparison, kernel: str, out_dir: Path) -> list[Image]:
    """Per aligned run of ``kernel``: each later input's time over the first input's
    (:mod:`gilbench.report.compareplot`)."""
    from gilbench.report.compareplot import plot_ratios as draw

    return draw(comparison, kernel, out_dir)
