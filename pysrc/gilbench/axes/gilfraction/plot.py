"""The gil-fraction axis in the report: the table of f against speedups, and its plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gilbench import roles
from gilbench.analysis import Finding, KernelView
from gilbench.axes.gilfraction import NAME
from gilbench.axes.gilfraction.findings import (
    PUBLISHED_CUT,
    PUBLISHED_REACQUIRE,
    RIVAL_SHARE,
    FractionCurve,
    FractionPoint,
    amdahl,
    fraction_curves,
    published_cut,
    slowest_reacquire,
)
from gilbench.report.markdown import Image, ReportContext, register_section
from gilbench.report.plots import register_plotter
from gilbench.report.plotstyle import legend_below, pyplot, role_colour, save_figure

TABLE_HEADER = ["f", "held share (measured)", "threads", "Amdahl", "Amdahl (measured share)",
                "processes", "threads / processes", "re-acquires", "wait per re-acquire",
                "giving it up", "hand-offs' share of thread time", "preempted share"]

ABOUT = f"""\
A share *f* of every chunk's work (pixel blocks spread evenly through it) runs holding
the GIL, the rest inside `with nogil:`, as in an extension that converts arguments and
builds result objects between stretches of GIL-free compute. **held share** is the share
of compute time the held blocks took in the serial run; **Amdahl** is 1/(f + (1-f)/N) at
the nominal f and at that measured share. Amdahl treats the held work as a serial phase;
held stretches interleaved with released ones can overlap other threads' released work,
so the ideal is min(N, 1/f) and a run may beat Amdahl. What pulls threads below it is the
hand-off: each time a thread leaves `with nogil:` it must take the GIL back
(**wait per re-acquire**), and a holder asked to give the GIL up waits until the waiter
has it (**giving it up**). **preempted** is time the threads' chunks spent off a CPU
for another reason: other work on the machine. Threads rival processes while they reach
{RIVAL_SHARE:.0%} of the processes' speedup.
"""


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _us(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e6:.1f} µs"


def point_cells(p: FractionPoint) -> list[str]:
    """One table row of a gil-fraction curve."""
    shares = p.time_shares()
    return [f"{p.f:g}", _pct(p.held_share), _x(p.threads and p.threads.speedup),
            _x(p.amdahl), _x(p.amdahl_realised), _x(p.processes and p.processes.speedup),
            "-" if p.rival_ratio is None else f"{p.rival_ratio:.2f}",
            "-" if p.reacquires is None else f"{p.reacquires:.0f}",
            _us(p.wait_per_reacquire_s), _us(p.release_per_handoff_s),
            _pct(shares and shares["handoff"]), _pct(shares and shares["preempted"])]


def curve_lines(curve: FractionCurve) -> list[str]:
    """The Markdown table of one curve, plus the published cut replayed on it."""
    out = [f"**{curve.kernel}**: {curve.flavour}, size {curve.size}, {curve.chunks} chunks, "
           f"{curve.workers} workers", "",
           "| " + " | ".join(TABLE_HEADER) + " |",
           "|" + "|".join("---" for _ in TABLE_HEADER) + "|"]
    out += ["| " + " | ".join(point_cells(p)) + " |" for p in curve.points]
    cut = published_cut(curve)
    if cut:
        before, after, gain = PUBLISHED_CUT
        out += ["", f"Cutting the held share from f = {cut['from_f']:g} to {cut['to_f']:g} "
                    f"gave threads {cut['measured_gain']:+.0%} throughput here; Amdahl "
                    f"predicts {cut['amdahl_gain']:+.0%} on {curve.workers} workers. "
                    f"(Published: cutting it from {before:.1%} to {after:.1%} gave "
                    f"{gain:+.1%} on 4 workers, where Amdahl predicts "
                    f"{amdahl(after, 4) / amdahl(before, 4) - 1:+.0%}.)"]
    slow = slowest_reacquire(curve)
    if slow is not None:
        cost, waiters = PUBLISHED_REACQUIRE
        out += ["", f"Taking the GIL back waited {_us(slow.wait_per_reacquire_s)} on average "
                    f"at worst (f = {slow.f:g}, {curve.workers - 1} other worker thread(s)); "
                    f"published: about {_us(cost)} with {waiters} waiters."]
    return out + [""]


def gil_fraction_section(ctx: ReportContext) -> list[str]:
    """The gil-fraction tables of every kernel that ran the axis."""
    curves = [c for view in ctx.analysis.kernels for c in fraction_curves(view)]
    if not curves:
        return []
    out = ["## GIL fraction: how much of the work may hold the GIL", "", ABOUT]
    for curve in curves:
        out += curve_lines(curve)
    return out


def plot_gil_fraction(view: KernelView, findings: Sequence[Finding],
                      out_dir: Path) -> list[Image]:
    """Left: speedup against f (threads, processes, Amdahl, the interleaved ideal) with
    the threshold; right: where the threads' time went at each f."""
    images = []
    for curve in fraction_curves(view):
        points = [p for p in curve.points if p.threads or p.processes]
        if not points:
            continue
        plt = pyplot()
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5.6))  # fixed margins, as in
        fig.subplots_adjust(left=0.06, right=0.99, top=0.92, bottom=0.24,  # granularity;
                            wspace=0.18)  # the legends below the axes, off the data
        fs = [p.f for p in points]
        n = curve.workers
        dense = sorted({0.0, 1.0, *fs, *(i / 200 for i in range(201))})
        ax1.plot(dense, [amdahl(f, n) for f in dense], color="0.5", lw=1,
                 label="Amdahl 1/(f + (1-f)/N)")
        ax1.plot(dense, [min(n, 1 / f) if f else n for f in dense], color="0.8", lw=1,
                 ls="--", label="interleaved ideal min(N, 1/f)")
        realised = [(p.f, p.amdahl_realised) for p in points if p.amdahl_realised is not None]
        if realised:
            ax1.plot(*zip(*realised, strict=True), color="0.5", lw=0, marker="+",
                     label="Amdahl at the measured held share")
        for role, style in (("threads", ("-", "o", roles.THREAD_POOL)),
                            ("processes", ("--", "s", roles.PROCESS_POOL))):
            xy = [(p.f, getattr(p, role).speedup) for p in points
                  if getattr(p, role) and getattr(p, role).speedup]
            if xy:
                ax1.plot(*zip(*xy, strict=True), ls=style[0], marker=style[1],
                         color=role_colour(style[2]), label=f"{role} (measured)")
        last, _ = curve.threshold()
        crossing = curve.interpolated_threshold()
        if last is not None:
            at = crossing if crossing is not None else last.f
            ax1.axvline(at, color="tab:green", lw=1, ls=":",
                        label=f"threads >= {RIVAL_SHARE:.0%} of processes up to f = {at:.2g}")
        ax1.set_xscale("symlog", linthresh=0.01)
        ax1.set_xlim(0, 1)
        ax1.set_xlabel("f, share of the work holding the GIL (symlog)")
        ax1.set_ylabel("speedup over the same f, serial")
        ax1.set_title(f"{view.kernel}: {curve.flavour}, {n} workers")
        ax1.grid(True, alpha=0.3)
        legend_below(ax1, ncol=2)

        stacked = [(p.f, p.time_shares()) for p in points if p.time_shares()]
        if stacked:
            labels = [f"{f:g}" for f, _ in stacked]
            bottom = [0.0] * len(stacked)
            for part, colour, label in (
                    ("compute", "tab:blue", "compute"),
                    ("handoff", "tab:red", "GIL hand-offs (re-acquire + give up)"),
                    ("preempted", "tab:orange", "preempted by other work"),
                    ("outside", "0.7", "outside the chunks (dispatch, imbalance)")):
                heights = [s[part] for _, s in stacked]
                ax2.bar(labels, heights, bottom=bottom, color=colour, label=label)
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
            ax2.set_ylim(0, 1.05)
        ax2.set_xlabel("f")
        if stacked:
            legend_below(ax2, ncol=2)
        ax2.set_ylabel("share of the threads' time (wall x workers)")
        ax2.set_title("where the threads' time went")
        name = f"{view.kernel}-gil-fraction-{curve.flavour}-{curve.size}-{curve.chunks}.png"
        save_figure(fig, out_dir / name)
        images.append(Image(name, f"{view.kernel}: speedup against the GIL-held share f",
                            NAME))
    return images


register_section(NAME, gil_fraction_section)
register_plotter(NAME, plot_gil_fraction)
