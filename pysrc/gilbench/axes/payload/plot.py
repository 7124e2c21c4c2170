"""The payload plot: speedup against bytes shipped per second of compute (log x), for the
strategy that copies inputs, the process pool over shared memory and the thread pool."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gilbench.analysis import Finding, KernelView
from gilbench.axes.payload import CROSSOVER, NAME
from gilbench.axes.payload.findings import curves, payload_points
from gilbench.report.markdown import Image
from gilbench.report.plots import axis_figure, register_plotter, strategy_style


def plot_payload(view: KernelView, findings: Sequence[Finding], out_dir: Path) -> list[Image]:
    """One PNG per kernel with payload runs (nothing otherwise)."""
    groups = curves(view)
    if not groups:
        return []
    plt, fig, ax = axis_figure()
    for (flavour, workers, chunks), rows in groups.items():
        points = payload_points(view, rows)
        for role in ("shipping", "shared", "threads"):
            pts = [(p.bytes_per_compute_s, getattr(p, role)) for p in points
                   if getattr(p, role)]
            if not pts:
                continue
            strategy = pts[0][1].strategy
            ls, marker = strategy_style(view.traits, strategy)
            ax.plot([x for x, _ in pts], [r.speedup for _, r in pts], ls=ls, marker=marker,
                    label=f"{flavour} + {strategy} ({workers} workers, {chunks} tasks)")
            for x, r in pts:
                if role == "shipping":
                    ax.annotate(f"{r.axis_value:g}", (x, r.speedup), fontsize=6,
                                textcoords="offset points", xytext=(3, -9), color="0.4")
    ax.axhline(1.0, color="0.6", lw=1)
    for f in findings:
        if f.kind == CROSSOVER and f.figure("gain_erased_above_status") == "inside":
            ax.axvline(f.figure("gain_erased_above"), color="tab:red", lw=1, ls="--")
            ax.annotate(" copying erases the gain", (f.figure("gain_erased_above"),
                                                      ax.get_ylim()[1]),
                        rotation=90, va="top", fontsize=7, color="tab:red")
            break
    ax.set_xscale("log")
    ax.set_xlabel("bytes shipped per second of compute (input bytes / serial time); "
                  "numbers: passes")
    ax.set_ylabel("speedup over serial")
    ax.set_title(f"{view.kernel}: what copying inputs to processes costs")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7)
    name = f"{view.kernel}-payload.png"
    fig.savefig(out_dir / name, dpi=110)
    plt.close(fig)
    return [Image(name, f"{view.kernel}: speedup against bytes shipped per second of "
                        "compute", NAME)]


register_plotter(NAME, plot_payload)
