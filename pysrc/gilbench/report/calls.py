"""The calls plot: total seconds against the number of calls, from cold, for serial, the
thread pool and the process pool of the ``breakeven-calls`` finding (log-log)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gilbench.analysis import Finding, KernelView
from gilbench.report.markdown import Image
from gilbench.report.plots import pyplot, register_plotter

AXIS = "calls"


def plot_calls(view: KernelView, findings: Sequence[Finding], out_dir: Path) -> list[Image]:
    """One PNG per kernel with a breakeven-calls finding: its first context."""
    f = next((f for f in findings if f.kind == "breakeven-calls"), None)
    if f is None:
        return []
    lines = [("serial", 0.0, f.figure("serial_first_call"), f.figure("serial_warm"), "-")]
    if f.figure("thread_strategy"):
        lines.append((f"{f.figure('thread_strategy')} (cold)", f.figure("threads_startup"),
                      f.figure("threads_first_call"), f.figure("threads_warm"), "-"))
    lines.append((f"{f.figure('process_strategy')} (cold)", f.figure("processes_startup"),
                  f.figure("processes_first_call"), f.figure("processes_warm"), "--"))
    marks = [n for n in (f.figure("calls_to_beat_serial"), f.figure("calls_to_beat_threads"))
             if n]
    top = max(20, 4 * max(marks, default=1))
    calls = sorted({1, 2, 3, 5, *range(10, top + 1, max(1, top // 50)), top})
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5), constrained_layout=True)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for label, startup, first, warm, ls in lines:
        ax.plot(calls, [startup + first + (n - 1) * warm for n in calls], ls=ls, label=label)
    for n in marks:
        ax.axvline(n, color="0.5", lw=1, ls=":")
        ax.annotate(f" {n} calls", (n, 0.02), xycoords=("data", "axes fraction"), fontsize=7,
                    color="0.35", va="bottom")
    ax.set_xlabel("calls of the same work")
    ax.set_ylabel("total seconds from cold")
    ax.set_title(f"{view.kernel}: when a cold pool pays off ({f.figure('flavour')}, "
                 f"{f.figure('workers')} workers)")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8)
    name = f"{view.kernel}-calls.png"
    fig.savefig(out_dir / name, dpi=110)
    plt.close(fig)
    return [Image(name, f"{view.kernel}: total time against calls, from cold", AXIS)]


register_plotter(AXIS, plot_calls)
