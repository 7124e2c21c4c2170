"""PNG plots, drawn from declared traits (never names), one registry entry per plot kind.

A **plotter** is ``fn(view, findings, out_dir) -> list[Image]``: it draws what it can for
one kernel (nothing, if the kernel has no runs of its kind) and returns the files written.
Other modules add theirs with :func:`register_plotter` (one per axis, say). How the plots
look (colours, legends, ticks) is :mod:`gilbench.report.plotstyle`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gilbench.analysis import Analysis, Finding, KernelView
from gilbench.registry import add
from gilbench.report.markdown import Image
from gilbench.report.plotstyle import pyplot, save_figure, strategy_style

__all__ = ["PLOTTERS", "SWEEP_PLOTTERS", "axis_figure", "axis_panels", "plot_scaling", "pyplot",
           "register_plotter", "register_sweep_plotter", "strategy_style"]

Plotter = Callable[[KernelView, Sequence[Finding], Path], list[Image]]
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


def axis_figure() -> tuple[Any, Any, Any]:
    """``(plt, fig, ax)``: one axes of an axis plot (speedup against the swept quantity).

    Fixed margins: constrained_layout measured every text box on every draw (a third of
    the figure's cost), and a report draws one of these per kernel and axis. A legend
    goes beside the axes (:func:`~gilbench.report.plotstyle.legend_beside` with
    ``make_room``), which widens the figure by its own width.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 5))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.11)
    return plt, fig, ax


def axis_panels(count: int) -> tuple[Any, Any, list[Any]]:
    """``(plt, fig, axes)``: ``count`` axis plots stacked, sharing the x axis (what does
    not fit in one panel's legend goes to the next)."""
    plt = pyplot()
    height = 0.9 + 4.1 * count
    fig, axes = plt.subplots(count, 1, figsize=(8.5, height), sharex=True, squeeze=False)
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.35 / height, bottom=0.55 / height,
                        hspace=0.6 / 4.1)
    return plt, fig, [row[0] for row in axes]


def plot_scaling(view: KernelView, findings: Sequence[Finding], out_dir: Path) -> list[Image]:
    """The kernel's scaling figure (:func:`gilbench.report.scaling.scaling_figure`)."""
    from gilbench.report.scaling import scaling_figure

    fig = scaling_figure(view)
    if fig is None:
        return []
    name = f"{view.kernel}.png"
    save_figure(fig, out_dir / name)
    return [Image(name, f"{view.kernel}: speedup against workers")]


register_plotter("scaling", plot_scaling)
