"""The calls plot, one for the sweep: against the number of calls of the same work, the
total time of a cold process pool over running serially (left) and over a cold thread
pool (right), one line per kernel; each crosses 1 at its ``breakeven-calls`` figure."""

from __future__ import annotations

from pathlib import Path

from gilbench.analysis import Analysis
from gilbench.axes.calls import BREAKEVEN, NAME
from gilbench.report.markdown import Image
from gilbench.report.plots import pyplot, register_sweep_plotter

FILE = "calls.png"


def _total(f, prefix: str, calls: int) -> float:
    startup = f.figure(f"{prefix}_startup") or 0.0
    return startup + f.figure(f"{prefix}_first_call") + (calls - 1) * f.figure(f"{prefix}_warm")


def plot_calls(analysis: Analysis, out_dir: Path) -> dict[str, list[Image]]:
    """One PNG for every kernel's first breakeven-calls finding (nothing without any)."""
    findings = {}
    for f in analysis.findings:
        if f.kind == BREAKEVEN and f.kernel not in findings:
            findings[f.kernel] = f
    if not findings:
        return {}
    marks = [n for f in findings.values()
             for n in (f.figure("calls_to_beat_serial"), f.figure("calls_to_beat_threads")) if n]
    top = min(10_000, max(50, 3 * max(marks, default=1)))
    calls = sorted({round(top ** (i / 60)) for i in range(61)})
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)  # fixed margins (as in
    # granularity: constrained_layout was a third of the figure's cost)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.9, bottom=0.13, wspace=0.08)
    for i, (kernel, f) in enumerate(findings.items()):
        colour = plt.get_cmap("tab10")(i % 10)
        for ax, other, key in ((axes[0], "serial", "calls_to_beat_serial"),
                               (axes[1], "threads", "calls_to_beat_threads")):
            if other == "threads" and not f.figure("thread_strategy"):
                continue
            ratio = [_total(f, "processes", n) / _total(f, other, n) for n in calls]
            ax.plot(calls, ratio, color=colour, label=kernel)
            n = f.figure(key)
            if n and n <= top:
                ax.plot([n], [_total(f, "processes", n) / _total(f, other, n)], "o",
                        color=colour, ms=5)
    for ax, words in ((axes[0], "running serially"), (axes[1], "a cold thread pool")):
        ax.axhline(1.0, color="0.4", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("calls of the same work, from cold")
        ax.set_title(f"cold process pool against {words}")
        ax.grid(True, which="both", alpha=0.25)
    axes[0].set_ylabel("total time of the process pool / the other (below 1: it wins)")
    axes[0].legend(fontsize=7)
    fig.savefig(out_dir / FILE, dpi=110)
    plt.close(fig)
    image = Image(FILE, "every kernel: a cold process pool's total time over serial and over "
                        "threads, against calls (dots: break-even)", NAME)
    return {kernel: [image] for kernel in findings}


register_sweep_plotter(NAME, plot_calls)
