"""The report's "When" section: per kernel, the conditions under which GIL-free threads
rival warm processes on this machine, one row per axis, each with its finding, the runs it
rests on and its plot.

The rows come from the axes' identities (:func:`gilbench.axes.condition_infos`, in
:data:`gilbench.axes.BUILTIN`'s order): an axis's first finder kind states its condition.
An axis that could map the kernel but did not run says how to run it; whether it could
is what the sweep recorded (``settings["axis_reasons"]``), so the section needs nothing
but the results document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gilbench.analysis import Finding, KernelView
from gilbench.axes import AxisInfo, condition_infos
from gilbench.report.markdown import (
    GLANCE_CELL,
    Image,
    ReportContext,
    brief,
    register_section,
)

#: This section's name (its place: gilbench.report.SECTION_ORDER).
SECTION = "when"

INTRO = ("Each row is a condition this machine was measured under; the sentence is a finding "
         "computed from the runs (`findings.json` lists the runs of each by id), the plot "
         "below the table draws it.")


def _rows(axis: AxisInfo, view: KernelView, findings: list[Finding],
          reasons: Mapping[str, Any]) -> tuple[list[str], bool, list[Finding]]:
    """The table rows of one axis for one kernel, whether they hold findings, and the
    findings whose sentence the table cut short (given whole below it)."""
    mine = [f for f in findings if f.kind in axis.finders]
    if mine:
        out, cut = [], []
        for i, f in enumerate(mine):
            label = f" ({f.context_label()})" if len(mine) > 1 else ""
            condition = axis.condition if i == 0 else ""
            cell = brief(f.sentence, GLANCE_CELL - len(label))
            if cell != f.sentence:
                cut.append(f)
            out.append(f"| {condition} | {cell}{label} | {len(f.runs)} runs (`{f.kind}`) |")
        return out, True, cut
    # A kernel the sweep recorded no reasons for (an older file): no hint, as none can be
    # told from the file; an axis that cannot map the kernel: none either.
    mine_reasons = reasons.get(view.kernel)
    if mine_reasons is None or axis.name not in mine_reasons or mine_reasons[axis.name]:
        return [], False, []
    how = ("measured by every sweep with a plain part (`gilbench run`)" if axis.plain_sweep
           else f"not measured: `gilbench run --axis {axis.name} --kernel {view.kernel}`")
    return [f"| {axis.condition} | {how} | - |"], False, []


def when_section(ctx: ReportContext) -> list[str]:
    """The "When" section's Markdown lines (none when no kernel has a row).

    A plot listed under several kernels (one figure for the sweep) is shown once, before
    the kernels; the others below their kernel's table.
    """
    axes = condition_infos()
    order = [a.name for a in axes]
    reasons = ctx.doc.get("settings", {}).get("axis_reasons", {})
    owners: dict[str, set[str]] = {}
    for kernel, images in ctx.images.items():
        for image in images:
            owners.setdefault(image.file, set()).add(kernel)
    shared = list(dict.fromkeys(i for images in ctx.images.values() for i in images
                                if i.axis in order and len(owners[i.file]) > 1))
    body: list[str] = []
    for view in ctx.analysis.kernels:
        findings = ctx.analysis.for_kernel(view.kernel)
        parts = [_rows(axis, view, findings, reasons) for axis in axes]
        if not any(measured for _, measured, _ in parts):
            continue  # nothing measured for this kernel: the hints alone are noise
        rows = [line for lines, _, _ in parts for line in lines]
        images: list[Image] = sorted((i for i in ctx.images.get(view.kernel, [])
                                      if i.axis in order and i not in shared),
                                     key=lambda i: order.index(i.axis))
        body += [f"### {view.kernel}", "", "| condition | on this machine | rests on |",
                 "|---|---|---|", *rows, ""]
        # What explains a row (the gap to a model, a caution) goes below the table, so
        # that each cell stays a sentence.
        cut = [f for _, _, shortened in parts for f in shortened]
        details = [f for f in findings if f.detail and any(f.kind in a.finders for a in axes)]
        body += [f"- *{f.kind}* ({f.context_label()}): {f.sentence}" for f in cut]
        body += [f"- *{f.kind}*: {f.detail}" for f in details]
        body += [""] if cut or details else []
        body += [line for i in images for line in (f"![{i.alt}]({i.file})", "")]
    if not body:
        return []
    figures = [line for i in shared for line in (f"![{i.alt}]({i.file})", "")]
    return ["## When do GIL-free threads rival warm processes?", "", INTRO, "", *figures,
            *body]


register_section(SECTION, when_section)
