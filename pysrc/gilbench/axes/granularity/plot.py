"""The granularity plot: speedup against work per task (log x), one line per flavour x
strategy, the empty-task cost of each strategy marked, and where the crossovers fall."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gilbench.analysis import Finding, KernelView
from gilbench.analysis.verdicts import WORTHWHILE
from gilbench.axes.granularity import CROSSOVER, NAME
from gilbench.axes.granularity.findings import curves, dispatch_costs, granularity_points
from gilbench.report.markdown import Image
from gilbench.report.plots import axis_figure, register_plotter, strategy_style


def plot_granularity(view: KernelView, findings: Sequence[Finding],
                     out_dir: Path) -> list[Image]:
    """One PNG per kernel with granularity runs (nothing otherwise)."""
    groups = curves(view)
    if not groups:
        return []
    plt, fig, ax = axis_figure()
    flavours = list(dict.fromkeys(f for f, _, _ in groups))
    colour = {f: plt.get_cmap("tab10")(i % 10) for i, f in enumerate(flavours)}
    lo, hi = float("inf"), 0.0
    workers_shown = set()
    for (flavour, _size, workers), rows in groups.items():
        points = granularity_points(view, rows)
        workers_shown.add(workers)
        for role in ("threads", "processes"):
            pts = [(p.task_s, getattr(p, role)) for p in points if getattr(p, role)]
            if not pts:
                continue
            strategy = pts[0][1].strategy
            ls, marker = strategy_style(view.traits, strategy)
            ax.plot([x for x, _ in pts], [r.speedup for _, r in pts], ls=ls, marker=marker,
                    color=colour[flavour], label=f"{flavour} + {strategy} ({workers} workers)")
            lo, hi = min(lo, pts[0][0]), max(hi, pts[-1][0])
    ax.axhline(1.0, color="0.6", lw=1)
    ax.axhline(WORTHWHILE, color="0.75", lw=1, ls=":")
    ax.annotate(f"{WORTHWHILE}x", (hi, WORTHWHILE), fontsize=7, color="0.4", va="bottom",
                ha="right")
    for workers in sorted(workers_shown)[:1]:
        for strategy, cost in dispatch_costs(view.machine, workers).items():
            if view.traits.is_baseline(strategy) or cost <= 0:
                continue
            ls, _ = strategy_style(view.traits, strategy)
            ax.axvline(cost, color="0.35", lw=1, ls=ls)
            ax.annotate(f" empty task, {strategy}", (cost, ax.get_ylim()[1]), rotation=90,
                        va="top", fontsize=7, color="0.35")
    for f in findings:
        if f.kind != CROSSOVER:
            continue
        for name, marker, y, words in (
                ("threads_beat_serial_from", "o", WORTHWHILE, "threads pay"),
                ("processes_beat_serial_from", "s", WORTHWHILE, "processes pay"),
                ("processes_match_threads_above", "*", 1.0, "processes within 5%\nof threads")):
            if f.figure(f"{name}_status") == "inside" and f.figure(name):
                ax.plot([f.figure(name)], [y], marker=marker, ms=9, mfc="none", color="black")
                ax.annotate(words, (f.figure(name), y), textcoords="offset points",
                            xytext=(6, -14), fontsize=7)
        break  # the first flavour's crossovers: one set of markers stays readable
    ax.set_xscale("log")
    ax.set_xlabel("work per task (serial time / tasks), seconds")
    ax.set_ylabel("speedup over serial with the same tasks")
    ax.set_title(f"{view.kernel}: speedup against task duration (same total work)")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7)
    name = f"{view.kernel}-granularity.png"
    fig.savefig(out_dir / name, dpi=110)
    plt.close(fig)
    return [Image(name, f"{view.kernel}: speedup against work per task", NAME)]


register_plotter(NAME, plot_granularity)
