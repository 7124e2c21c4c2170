"""PNG plots, drawn from declared traits (never names), one registry entry per plot kind.

A **plotter** is ``fn(view, findings, out_dir) -> list[Image]``: it draws what it can for
one kernel (nothing, if the kernel has no runs of its kind) and returns the files written.
Other modules add theirs with :func:`register_plotter` (one per axis, say).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from gilbench import roles
from gilbench.analysis import Analysis, Finding, KernelView, Traits
from gilbench.registry import add
from gilbench.report.markdown import Image

Plotter = Callable[[KernelView, Sequence[Finding], Path], list[Image]]
#: Width of the scaling figure in inches (two panels side by side).
FIG_WIDTH_IN = 12.0
PLOTTERS: dict[str, Plotter] = {}
#: Plotters of the whole sweep: ``fn(analysis, out_dir) -> {kernel: [Image, ...]}``, one
#: figure comparing kernels (an image listed under several kernels is drawn once).
SweepPlotter = Callable[[Analysis, Path], dict[str, list[Image]]]
SWEEP_PLOTTERS: dict[str, SweepPlotter] = {}


def register_plotter(name: str, fn: Plotter, *, replace: bool = False) -> Plotter:
    """Add a plotter; every report runs every plotter on every kernel."""
    return add(PLOTTERS, "plotter", name, fn, replace=replace)


def register_sweep_plotter(name: str, fn: SweepPlotter, *, replace: bool = False) -> SweepPlotter:
    """Add a plotter of the whole sweep; every report runs it once."""
    return add(SWEEP_PLOTTERS, "sweep plotter", name, fn, replace=replace)


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (reports render on servers and CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def axis_figure():
    """``(plt, fig, ax)``: one axes of an axis plot (speedup against the swept quantity).

    Fixed margins: constrained_layout measured every text box on every draw (a third of
    the figure's cost), and a report draws one of these per kernel and axis.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 5))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.11)
    return plt, fig, ax


#: Process pools' markers by how partials come back, then by how chunks travel.
RETURNS_MARKERS = {"shared": "D", "proxy": "P"}
IPC_MARKERS = {"pipe": "v", "proxy": "P"}


def strategy_style(traits: Traits, strategy: str) -> tuple[str, str]:
    """(line style, marker) by role: threads solid, processes dashed (squares over queues,
    triangles over pipes, diamonds where partials go into shared memory, plus signs through
    proxies), self-parallel dotted, input-shipping dash-dot; anything else dash-dot with
    diamonds."""
    role = traits.role(strategy)
    if role == roles.PARALLEL_INSIDE:
        return ":", "^"
    if role == roles.SHIPPING:
        return "-.", "x"
    if role == roles.THREAD_POOL:
        return "-", "o"
    if role == roles.PROCESS_POOL:
        marker = (RETURNS_MARKERS.get(traits.value(strategy, "returns"))
                  or IPC_MARKERS.get(traits.value(strategy, "ipc")) or "s")
        return "--", marker
    return "-.", "d"


def plot_scaling(view: KernelView, findings: Sequence[Finding], out_dir: Path) -> list[Image]:
    """Left: speedup against workers with the ideal line; right: the fastest time of each
    flavour x strategy on a log axis (red where the flavour's code holds the GIL)."""
    rows = view.main_rows()
    lines = sorted({(r.flavour, r.strategy) for r in rows
                    if not view.traits.is_baseline(r.strategy) and r.speedup})
    if not rows:
        return []
    plt = pyplot()
    import matplotlib.ticker

    # A fixed layout (margins set below): constrained_layout measured every text box on
    # every draw and took a third of `gilbench report`'s time.
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FIG_WIDTH_IN, 4.8))
    flavours = sorted({f for f, _ in lines})
    colour = {f: plt.get_cmap("tab10")(i % 10) for i, f in enumerate(flavours)}
    top = max((r.workers for r in rows), default=1)
    ax1.plot([1, top], [1, top], color="0.75", lw=1, label="ideal")
    for flavour, strategy in lines:
        by_workers: dict[int, float] = {1: 1.0}  # the serial baseline, by definition
        for r in rows:  # several sizes/chunks/schedules: keep the best per worker count
            if (r.flavour, r.strategy) == (flavour, strategy) and r.speedup:
                by_workers[r.workers] = max(r.speedup, by_workers.get(r.workers, 0.0))
        xs = sorted(by_workers)
        ls, marker = strategy_style(view.traits, strategy)
        ax1.plot(xs, [by_workers[x] for x in xs], marker=marker, ls=ls,
                 color=colour[flavour], label=f"{flavour} + {strategy}")
    ax1.set_xscale("log", base=2)
    ax1.set_xticks(sorted({1, *(r.workers for r in rows)}))
    ax1.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax1.set_xlabel("workers")
    ax1.set_ylabel("speedup over the same flavour, serial")
    ax1.set_title(f"{view.kernel}: scaling")
    ax1.grid(True, alpha=0.3)
    # Above the ideal line is where no line goes; "best" would search for it on every draw.
    ax1.legend(fontsize=7, ncol=2, loc="upper left")

    best = {}
    for r in rows:
        key = f"{r.flavour} + {r.strategy}"
        if key not in best or r.median_s < best[key].median_s:
            best[key] = r
    labels = sorted(best, key=lambda k: best[k].median_s, reverse=True)
    ax2.barh(labels, [best[k].median_s for k in labels],
             color=["tab:red" if view.traits.gil(best[k].flavour) == "holds" else "tab:blue"
                    for k in labels])
    for i, k in enumerate(labels):
        ax2.annotate(f" {best[k].workers}w", (best[k].median_s, i), va="center", fontsize=7)
    ax2.set_xscale("log")
    ax2.set_xlabel("median seconds (best worker count; red = holds the GIL)")
    ax2.set_title(f"{view.kernel}: fastest time per flavour x strategy")
    ax2.tick_params(axis="y", labelsize=7)
    # Room between the panels for the right one's bar labels (7 pt, ~0.62 em a character).
    gap = max((len(k) for k in labels), default=10) * 7 * 0.62 / 72 + 0.45
    fig.subplots_adjust(left=0.055, right=0.985, bottom=0.11, top=0.93,
                        wspace=gap / ((FIG_WIDTH_IN * 0.93 - gap) / 2))
    name = f"{view.kernel}.png"
    fig.savefig(out_dir / name, dpi=110)
    plt.close(fig)
    return [Image(name, f"{view.kernel}: speedup against workers")]


register_plotter("scaling", plot_scaling)
