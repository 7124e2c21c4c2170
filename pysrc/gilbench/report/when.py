"""The report's "When" section: per kernel, the conditions under which GIL-free threads
rival warm processes on this machine, one row per axis, each with its finding, the runs it
rests on and its plot.

The rows come from the axis registry (:data:`gilbench.axes.AXES`): an axis's first finder
kind states its condition; an axis that could map the kernel but did not run says how to
run it. Registered before "at-a-glance", so it opens the report.
"""

from __future__ import annotations

from gilbench.analysis import Finding, KernelView
from gilbench.axes import AXES, Axis
from gilbench.kernels import KERNELS
from gilbench.report.markdown import SHOWN_ELSEWHERE, Image, ReportContext, register_section

INTRO = ("Each row is a condition this machine was measured under; the sentence is a finding "
         "computed from the runs (`findings.json` lists the runs of each by id), the plot "
         "below the table draws it.")


def when_axes() -> list[Axis]:
    """The axes that map a condition in this section: all but the plain sweep itself."""
    return [a for a in AXES.values() if a.plain_sweep != "tag" and a.finders]


def _rows(axis: Axis, view: KernelView, findings: list[Finding]) -> tuple[list[str], bool]:
    """The table rows of one axis for one kernel, and whether they hold findings."""
    mine = [f for f in findings if f.kind in axis.finders]
    if mine:
        out = []
        for i, f in enumerate(mine):
            label = f" ({f.context_label()})" if len(mine) > 1 else ""
            condition = axis.condition if i == 0 else ""
            out.append(f"| {condition} | {f.sentence}{label} | {len(f.runs)} runs "
                       f"(`{f.kind}`) |")
        return out, True
    kernel = KERNELS.get(view.kernel)
    if kernel is None or axis.unavailable_reason(kernel):
        return [], False
    how = ("measured by every sweep with a plain part (`gilbench run`)" if axis.plain_sweep
           else f"not measured: `gilbench run --axis {axis.name} --kernel {view.kernel}`")
    return [f"| {axis.condition} | {how} | - |"], False


def when_section(ctx: ReportContext) -> list[str]:
    """The "When" section's Markdown lines (none when no kernel has a row).

    A plot listed under several kernels (one figure for the sweep) is shown once, before
    the kernels; the others below their kernel's table.
    """
    axes = when_axes()
    order = [a.name for a in axes]
    owners: dict[str, set[str]] = {}
    for kernel, images in ctx.images.items():
        for image in images:
            owners.setdefault(image.file, set()).add(kernel)
    shared = list(dict.fromkeys(i for images in ctx.images.values() for i in images
                                if i.axis in order and len(owners[i.file]) > 1))
    body: list[str] = []
    for view in ctx.analysis.kernels:
        findings = ctx.analysis.for_kernel(view.kernel)
        parts = [_rows(axis, view, findings) for axis in axes]
        if not any(measured for _, measured in parts):
            continue  # nothing measured for this kernel: the hints alone are noise
        rows = [line for lines, _ in parts for line in lines]
        images: list[Image] = sorted((i for i in ctx.images.get(view.kernel, [])
                                      if i.axis in order and i not in shared),
                                     key=lambda i: order.index(i.axis))
        body += [f"### {view.kernel}", "", "| condition | on this machine | rests on |",
                 "|---|---|---|", *rows, ""]
        body += [line for i in images for line in (f"![{i.alt}]({i.file})", "")]
    if not body:
        return []
    figures = [line for i in shared for line in (f"![{i.alt}]({i.file})", "")]
    return ["## When do GIL-free threads rival warm processes?", "", INTRO, "", *figures,
            *body]


for _axis in when_axes():
    SHOWN_ELSEWHERE.update(_axis.finders)
register_section("when", when_section, before="at-a-glance")
