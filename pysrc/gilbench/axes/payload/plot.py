"""The payload plot: speedup against bytes shipped per second of compute (log x), for the
strategy that copies inputs, the process pool over shared memory and the thread pool.

Each role keeps its colour family (purples copy inputs, oranges share memory, blues are
threads; a shade per curve); the legend sits beside the axes, and curves beyond its eight
entries go to a second panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gilbench import roles
from gilbench.analysis import Finding, KernelView
from gilbench.axes.payload import CROSSOVER, NAME
from gilbench.axes.payload.findings import curves, payload_points
from gilbench.report.markdown import Image
from gilbench.report.plots import axis_panels, register_plotter, strategy_style
from gilbench.report.plotstyle import (
    MAX_LEGEND_ENTRIES,
    legend_beside,
    make_room_beside,
    role_shades,
    save_figure,
)

#: The point of each role that speaks for a pass count, and the role it is drawn as.
ROLES = (("shipping", roles.SHIPPING), ("shared", roles.PROCESS_POOL),
         ("threads", roles.THREAD_POOL))


def payload_figure(view: KernelView, findings: Sequence[Finding]) -> Any:
    """The figure (None where the kernel has no payload runs)."""
    lines = []
    for key, rows in curves(view).items():
        points = payload_points(view, rows)
        for attr, role in ROLES:
            pts = [(p.bytes_per_compute_s, getattr(p, attr)) for p in points
                   if getattr(p, attr)]
            if pts:
                lines.append((key, attr, role, pts))
    if not lines:
        return None
    keys = list(dict.fromkeys(line[0] for line in lines))
    per_panel = max(1, MAX_LEGEND_ENTRIES // len(ROLES))  # whole curves in a panel
    panels = [keys[i:i + per_panel] for i in range(0, len(keys), per_panel)]
    _, fig, axes = axis_panels(len(panels))
    shades = {role: role_shades(role, len(keys)) for _, role in ROLES}
    for n, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
        for key, attr, role, pts in (line for line in lines if line[0] in panel):
            flavour, workers, chunks = key
            strategy = pts[0][1].strategy
            ls, marker = strategy_style(view.traits, strategy)
            ax.plot([x for x, _ in pts], [r.speedup for _, r in pts], ls=ls, marker=marker,
                    color=shades[role][keys.index(key)],
                    label=f"{flavour} + {strategy} ({workers} workers, {chunks} tasks)")
            if attr == "shipping":
                for x, r in pts:
                    ax.annotate(f"{r.axis_value:g}", (x, r.speedup), fontsize=6,
                                textcoords="offset points", xytext=(3, -9), color="0.4")
        ax.axhline(1.0, color="0.6", lw=1)
        if n == 0:
            _gain_erased(ax, findings)
        ax.set_xscale("log")
        ax.set_ylabel("speedup over serial")
        ax.grid(True, which="both", alpha=0.25)
        legend_beside(ax)
    axes[-1].set_xlabel("bytes shipped per second of compute (input bytes / serial time); "
                        "numbers: passes")
    axes[0].set_title(f"{view.kernel}: what copying inputs to processes costs")
    make_room_beside(fig)
    return fig


def _gain_erased(ax: Any, findings: Sequence[Finding]) -> None:
    for f in findings:
        if f.kind == CROSSOVER and f.figure("gain_erased_above_status") == "inside":
            ax.axvline(f.figure("gain_erased_above"), color="tab:red", lw=1, ls="--")
            # At the bottom: where copying erases the gain, the copying line is at 1x.
            ax.annotate(" copying erases the gain", (f.figure("gain_erased_above"), 0.0),
                        xycoords=("data", "axes fraction"), rotation=90, va="bottom",
                        ha="right", fontsize=7, color="tab:red")
            break


def plot_payload(view: KernelView, findings: Sequence[Finding], out_dir: Path) -> list[Image]:
    """One PNG per kernel with payload runs (nothing otherwise)."""
    fig = payload_figure(view, findings)
    if fig is None:
        return []
    name = f"{view.kernel}-payload.png"
    save_figure(fig, out_dir / name)
    return [Image(name, f"{view.kernel}: speedup against bytes shipped per second of "
                        "compute", NAME)]


register_plotter(NAME, plot_payload)
