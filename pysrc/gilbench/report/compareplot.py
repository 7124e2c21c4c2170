"""The comparison's ratio plot: per aligned run of a kernel, each later input's time over
the first input's, one row per run with one marker per input.

A row's label names every field that tells it from the kernel's other runs (size,
chunks, schedule, start method, axis point), so no two rows read alike. A figure is at
most :data:`MAX_HEIGHT_PX` tall: rows get closer together down to a readable minimum,
and a kernel with more runs than that fits gets several images.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gilbench.compare import AlignedRun, Comparison
from gilbench.report.markdown import Image
from gilbench.report.plotstyle import (
    DPI,
    MAX_LEGEND_ENTRIES,
    legend_below,
    pyplot,
    save_figure,
    text_width_in,
)

__all__ = ["MAX_HEIGHT_PX", "plot_ratios", "ratio_figures", "row_labels"]

#: The tallest a comparison figure may be, in pixels (a screen and a half).
MAX_HEIGHT_PX = 1600
#: Inches per row: the most (few rows) and the least (many rows) a row gets.
ROW_MAX_IN, ROW_MIN_IN = 0.24, 0.15
#: Inches above the rows (title) and below them (ticks, x label, legend).
TOP_IN, BOTTOM_IN = 0.45, 1.05
WIDTH_IN = 10.0
FONT = 7
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")
#: Ratios worth a tick: as many above 1 as below it.
NICE_RATIOS = (1 / 16, 1 / 8, 1 / 6, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 0.8, 0.9, 1.0, 1.1, 1.25,
               1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0)


def _axis_point(a: AlignedRun) -> str:
    value = a.field("axis_value")
    if isinstance(value, tuple):
        value = "x".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    elif isinstance(value, float):
        value = f"{value:g}"
    return f"{a.field('axis')} {value}"


#: The fields beyond flavour, strategy and workers that may tell runs apart, and how a
#: label writes each.
DISTINGUISHING = (
    ("schedule", lambda a: f"({a.field('schedule')})"),
    ("start_method", lambda a: f"[{a.field('start_method')}]"),
    ("size", lambda a: f"size {a.field('size')}"),
    ("chunks", lambda a: f"{a.field('chunks')} chunks"),
    ("axis", _axis_point),
)


def row_labels(runs: Sequence[AlignedRun]) -> list[str]:
    """One label per run, distinct: flavour + strategy xworkers, then each field whose
    value differs between the runs of that flavour, strategy and worker count."""
    def head(a: AlignedRun) -> str:
        return f"{a.field('flavour')} + {a.field('strategy')} x{a.field('workers')}"

    groups: dict[str, list[AlignedRun]] = {}
    for a in runs:
        groups.setdefault(head(a), []).append(a)
    labels = []
    for a in runs:
        group = groups[head(a)]
        parts = [head(a)] + [words(a) for name, words in DISTINGUISHING
                             if len({words(b) for b in group}) > 1
                             and a.field(name) not in (None, "workers")]
        labels.append(" ".join(parts))
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # identical keys cannot align; say so if they did
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label} #{seen[label]}"
    return labels


def _rows_per_figure() -> int:
    return int((MAX_HEIGHT_PX / DPI - TOP_IN - BOTTOM_IN) / ROW_MIN_IN)


def _ratio_axis(ax: Any, ratios: Sequence[float]) -> None:
    """A log axis centred on 1 (as far above as below), ticks at plain ratios."""
    import matplotlib.ticker

    reach = max((abs(math.log(r)) for r in ratios if r > 0), default=math.log(1.25))
    reach = max(reach, math.log(1.25)) * 1.12
    lo, hi = math.exp(-reach), math.exp(reach)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ticks = [r for r in NICE_RATIOS if lo <= r <= hi]
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{round(v, 2):g}x"))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.tick_params(axis="x", labelsize=8)


def ratio_figures(comparison: Comparison, kernel: str) -> list[Any]:
    """The kernel's ratio figures (none without two inputs or a run in every input)."""
    runs = [a for a in comparison.for_kernel(kernel) if a.complete]
    labels = comparison.labels
    if not runs or len(labels) < 2:
        return []
    names = row_labels(runs)
    later = list(range(1, len(labels)))
    input_groups = [later[i:i + MAX_LEGEND_ENTRIES]
                    for i in range(0, len(later), MAX_LEGEND_ENTRIES)]
    per_page = _rows_per_figure()
    pages = [(lo, group) for group in input_groups for lo in range(0, len(runs), per_page)]
    figures = []
    for page, (lo, group) in enumerate(pages, 1):
        part = f" ({page} of {len(pages)})" if len(pages) > 1 else ""
        figures.append(_figure(comparison, kernel, runs[lo:lo + per_page],
                               names[lo:lo + per_page], group, part))
    return figures


def _figure(comparison: Comparison, kernel: str, runs: Sequence[AlignedRun],
            names: Sequence[str], inputs: Sequence[int], part: str) -> Any:
    plt = pyplot()
    labels = comparison.labels
    row_in = max(ROW_MIN_IN, min(ROW_MAX_IN, (MAX_HEIGHT_PX / DPI - TOP_IN - BOTTOM_IN)
                                 / len(runs)))
    height = TOP_IN + row_in * len(runs) + BOTTOM_IN
    fig = plt.figure(figsize=(WIDTH_IN, height))
    left = text_width_in(fig, list(names), FONT) + 0.4  # and the ticks' length and pad
    ax = fig.add_axes((left / WIDTH_IN, BOTTOM_IN / height, 1 - (left + 0.3) / WIDTH_IN,
                       row_in * len(runs) / height))
    ys = range(len(runs))
    for i in ys[::2]:  # every other row shaded: the eye follows a row to its label
        ax.axhspan(i - 0.5, i + 0.5, color="0.95", lw=0, zorder=0)
    ratios_all = []
    for n, j in enumerate(inputs):
        ratios = [a.rows[j].median_s / a.rows[0].median_s for a in runs]
        ratios_all += ratios
        ax.scatter(ratios, list(ys), s=18, marker=MARKERS[n % len(MARKERS)], zorder=3,
                   color=plt.get_cmap("tab10")(n % 10), label=labels[j])
    for i, a in enumerate(runs):  # a thin line from 1 to the farthest input: the spread
        ratios = [1.0] + [a.rows[j].median_s / a.rows[0].median_s for j in inputs]
        ax.plot([min(ratios), max(ratios)], [i, i], color="0.6", lw=0.8, zorder=2)
    ax.axvline(1.0, color="0.3", lw=1, zorder=1)
    _ratio_axis(ax, ratios_all)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(names, fontsize=FONT)
    ax.set_ylim(len(runs) - 0.5, -0.5)  # the first run on top
    ax.set_xlabel(f"median time / {labels[0]} (log; left of 1x: faster than {labels[0]})",
                  fontsize=9)
    ax.set_title(f"{kernel}: each run's time against {labels[0]}{part}", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    legend_below(ax, ncol=min(len(inputs), 4))
    return fig


def plot_ratios(comparison: Comparison, kernel: str, out_dir: Path) -> list[Image]:
    """Write the kernel's ratio figures: ``compare-KERNEL.png``, then ``-2``, ``-3``...
    where the runs need more than one."""
    images = []
    for i, fig in enumerate(ratio_figures(comparison, kernel), 1):
        name = f"compare-{kernel}.png" if i == 1 else f"compare-{kernel}-{i}.png"
        save_figure(fig, Path(out_dir) / name)
        images.append(Image(name, f"{kernel}: time of each run against "
                                  f"{comparison.labels[0]}"))
    return images
