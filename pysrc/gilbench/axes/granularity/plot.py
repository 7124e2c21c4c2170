"""The granularity plot: speedup against work per task (log x), the measured points of
each flavour x strategy with the fitted model drawn through them, the empty-task cost of
each strategy marked, and where the crossovers fall.

Thread pools are drawn in blues and process pools in oranges (a shade per flavour); the
legend sits beside the axes, and curves beyond its eight entries go to a second panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gilbench import roles
from gilbench.analysis import Finding, KernelView
from gilbench.analysis.verdicts import WORTHWHILE
from gilbench.axes.granularity import CROSSOVER, NAME
from gilbench.axes.granularity.findings import (
    MATCH_MARGIN,
    curves,
    dispatch_costs,
    granularity_points,
    models,
)
from gilbench.report.markdown import Image
from gilbench.report.plots import axis_panels, register_plotter, strategy_style
from gilbench.report.plotstyle import (
    MAX_LEGEND_ENTRIES,
    legend_beside,
    make_room_beside,
    role_shades,
    save_figure,
)

#: The point of each role that speaks for a chunking, and the role it is drawn as.
ROLES = (("threads", roles.THREAD_POOL), ("processes", roles.PROCESS_POOL))


def _lines(view: KernelView) -> list[tuple[tuple, str, list]]:
    """(curve key, role, [(task seconds, row)]) of every line, curve by curve."""
    out = []
    for key, rows in curves(view).items():
        points = granularity_points(view, rows)
        for attr, role in ROLES:
            pts = [(p.task_s, getattr(p, attr)) for p in points if getattr(p, attr)]
            if pts:
                out.append((key, role, pts))
    return out


def _panels(lines: list[tuple[tuple, str, list]]) -> list[list[tuple[tuple, str, list]]]:
    """Lines in panels of at most eight, a curve's threads and processes kept together."""
    panels: list[list] = [[]]
    for key in dict.fromkeys(k for k, _, _ in lines):
        mine = [line for line in lines if line[0] == key]
        if len(panels[-1]) + len(mine) > MAX_LEGEND_ENTRIES:
            panels.append([])
        panels[-1].extend(mine)
    return panels


def granularity_figure(view: KernelView, findings: Sequence[Finding]) -> Any:
    """The figure (None where the kernel has no granularity runs)."""
    lines = _lines(view)
    if not lines:
        return None
    panels = _panels(lines)
    _, fig, axes = axis_panels(len(panels))
    keys = list(dict.fromkeys(k for k, _, _ in lines))
    shades = {role: role_shades(role, len(keys)) for _, role in ROLES}
    fits = _fitted(view)
    for n, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
        for key, role, pts in panel:
            flavour, _size, workers = key
            strategy = pts[0][1].strategy
            ls, marker = strategy_style(view.traits, strategy)
            colour = shades[role][keys.index(key)]
            fitted = fits.get((key, role))
            # The measured points as markers, the fitted model T(n) = A + c n through them
            # as the line (where it fitted: at least three points).
            ax.plot([x for x, _ in pts], [r.speedup for _, r in pts], ls="none" if fitted
                    else ls, marker=marker, color=colour,
                    label=f"{view.traits.display(strategy)}, {flavour} ({workers} w)")
            if fitted:
                ax.plot(*fitted, ls=ls, color=colour, lw=1.2)
        _guides(ax, view, {k[2] for k, _, _ in lines})
        if n == 0:
            _crossovers(ax, findings)
        ax.set_xscale("log")
        ax.set_ylabel("speedup over serial with the same tasks")
        ax.grid(True, which="both", alpha=0.25)
        legend_beside(ax, title="blue: thread pool, orange: process pool;\na shade per flavour")
    axes[-1].set_xlabel("work per task (serial time / tasks), seconds")
    axes[0].set_title(f"{view.kernel}: speedup against task duration (same total work)")
    make_room_beside(fig)
    return fig


def _fitted(view: KernelView) -> dict[tuple, tuple[list[float], list[float]]]:
    """``{(curve key, role): (task seconds, speedup)}`` of each fitted model, on a fine
    grid spanning the measured task durations: serial's model over the role's."""
    out = {}
    for key, rows in curves(view).items():
        points = granularity_points(view, rows)
        fitted = models(points)
        serial = fitted.get("serial")
        if serial is None or len(points) < 2:
            continue
        work = serial.fixed_s
        lo, hi = points[0].task_s, points[-1].task_s
        grid = [lo * (hi / lo) ** (i / 60) for i in range(61)]
        for attr, role in ROLES:
            model = fitted.get(attr)
            if model is not None:
                out[(key, role)] = (grid, [serial.seconds(work / d) / model.seconds(work / d)
                                           for d in grid])
    return out


def _guides(ax: Any, view: KernelView, workers_shown: set[int]) -> None:
    """1x, the worthwhile line, and each strategy's empty-task cost."""
    ax.axhline(1.0, color="0.6", lw=1)
    ax.axhline(WORTHWHILE, color="0.75", lw=1, ls=":")
    ax.annotate(f"{WORTHWHILE}x", (0.005, WORTHWHILE), xycoords=("axes fraction", "data"),
                fontsize=7, color="0.4", va="bottom", ha="left")
    for workers in sorted(workers_shown)[:1]:
        for strategy, cost in dispatch_costs(view.machine, workers).items():
            if view.traits.is_baseline(strategy) or cost <= 0:
                continue
            ls, _ = strategy_style(view.traits, strategy)
            ax.axvline(cost, color="0.35", lw=1, ls=ls)
            ax.annotate(f" empty task, {strategy}", (cost, 1.0),
                        xycoords=("data", "axes fraction"), rotation=90, va="top",
                        fontsize=7, color="0.35")


def _crossovers(ax: Any, findings: Sequence[Finding]) -> None:
    """The first flavour's crossovers (one set of markers stays readable)."""
    for f in findings:
        if f.kind != CROSSOVER:
            continue
        for name, marker, y, words in (
                ("threads_beat_serial_from", "o", WORTHWHILE, "threads pay"),
                ("processes_beat_serial_from", "s", WORTHWHILE, "processes pay"),
                ("processes_match_threads_above", "*", 1.0,
                 f"processes within {MATCH_MARGIN:.0%}\nof threads")):
            # "at": a fitted crossing; "inside": between two measured points (older files)
            if f.figure(f"{name}_status") in ("at", "inside") and f.figure(name):
                ax.plot([f.figure(name)], [y], marker=marker, ms=9, mfc="none", color="black")
                ax.annotate(words, (f.figure(name), y), textcoords="offset points",
                            xytext=(6, -14), fontsize=7)
        break


def plot_granularity(view: KernelView, findings: Sequence[Finding],
                     out_dir: Path) -> list[Image]:
    """One PNG per kernel with granularity runs (nothing otherwise)."""
    fig = granularity_figure(view, findings)
    if fig is None:
        return []
    name = f"{view.kernel}-granularity.png"
    save_figure(fig, out_dir / name)
    return [Image(name, f"{view.kernel}: speedup against work per task", NAME)]


register_plotter(NAME, plot_granularity)
