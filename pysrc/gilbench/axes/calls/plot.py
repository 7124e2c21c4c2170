"""The calls plot, one for the sweep: against the number of calls of the same work, the
total time of a cold process pool over running serially (left) and over a cold thread
pool (right), one line per kernel; each crosses 1 at its ``breakeven-calls`` figure.

Under each panel a strip gives every kernel its own row (labelled in the kernel's colour)
with its break-even as a dot and, beside it, the calls, the strategies and the worker
count: break-evens at the same place never hide each other, and no legend is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gilbench.analysis import Analysis, Finding
from gilbench.axes.calls import BREAKEVEN, NAME
from gilbench.report.markdown import Image
from gilbench.report.plots import register_sweep_plotter
from gilbench.report.plotstyle import pyplot, save_figure, text_width_in

FILE = "calls.png"
FONT = 7
#: Panels: the other side each compares against, its words, its break-even figure.
PANELS = (("serial", "running serially", "calls_to_beat_serial"),
          ("threads", "a cold thread pool", "calls_to_beat_threads"))
LINE_STYLES = ("-", "--", ":", "-.")  # after ten kernels the colours repeat


def _total(f: Finding, prefix: str, calls: int) -> float:
    startup = f.figure(f"{prefix}_startup") or 0.0
    return startup + f.figure(f"{prefix}_first_call") + (calls - 1) * f.figure(f"{prefix}_warm")


def _breakeven_words(f: Finding, other: str, key: str) -> str:
    """"4 calls", "never", "equal within noise"; against threads, naming the thread
    strategy: "156 calls to beat asyncio-to-thread", "never beats threads"."""
    n, against = f.figure(key), f.figure("thread_strategy")
    if not n and f.figure(f"{key}_status") == "equal":  # a finding with intervals says so
        words = "no break-even: warm times equal within noise"
        return f"{words} (vs {against})" if other == "threads" else words
    if not n:
        return f"never beats {against}" if other == "threads" else "never"
    calls = "1 call" if n == 1 else f"{n} calls"
    return f"{calls} to beat {against}" if other == "threads" else calls


def row_label(kernel: str, f: Finding) -> str:
    """A strip row: the kernel, and the process pool both its break-evens are of."""
    return f"{kernel}: {f.figure('process_strategy')}, {f.figure('workers')} workers"


def calls_figure(analysis: Analysis) -> tuple[Any, list[str]] | None:
    """The figure and the kernels it shows (None without any breakeven-calls finding)."""
    findings: dict[str, Finding] = {}
    for f in analysis.findings:
        if f.kind == BREAKEVEN and f.kernel not in findings:
            findings[f.kernel] = f
    if not findings:
        return None
    marks = [n for f in findings.values()
             for n in (f.figure("calls_to_beat_serial"), f.figure("calls_to_beat_threads")) if n]
    top = min(10_000, max(50, 3 * max(marks, default=1)))
    calls = sorted({round(top ** (i / 60)) for i in range(61)})
    kernels = list(findings)
    plt = pyplot()
    strip_h = 0.26 * len(kernels) + 0.3
    height, width = 4.4 + strip_h + 0.9, 12.0
    fig, axes = plt.subplots(2, 2, figsize=(width, height), sharex="col", sharey="row",
                             gridspec_kw={"height_ratios": [4.4, strip_h], "hspace": 0.08})
    # Fixed margins (constrained_layout was a third of the figure's cost): room on the
    # left for the strips' row labels, measured.
    names = [row_label(k, findings[k]) for k in kernels]
    left = max(0.9, text_width_in(fig, names, FONT) + 0.25) / width
    fig.subplots_adjust(left=left, right=0.99, top=1 - 0.45 / height, bottom=0.8 / height,
                        wspace=0.05)
    colours = {k: plt.get_cmap("tab10")(i % 10) for i, k in enumerate(kernels)}
    styles = {k: LINE_STYLES[i // 10 % len(LINE_STYLES)] for i, k in enumerate(kernels)}
    for col, (other, words, key) in enumerate(PANELS):
        ax, strip = axes[0][col], axes[1][col]
        for kernel in kernels:
            f = findings[kernel]
            if other == "threads" and not f.figure("thread_strategy"):
                continue
            ratio = [_total(f, "processes", n) / _total(f, other, n) for n in calls]
            ax.plot(calls, ratio, color=colours[kernel], ls=styles[kernel], lw=1.5)
        ax.axhline(1.0, color="0.4", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(0.75, top * 1.4)
        for row, kernel in enumerate(kernels):  # the limits are set: notes find their room
            f = findings[kernel]
            if other == "serial" or f.figure("thread_strategy"):
                _strip_mark(strip, row, f, other, key, top, colours[kernel])
        ax.set_title(f"cold process pool against {words}", fontsize=10)
        ax.grid(True, which="both", alpha=0.25)
        _strip_axis(strip, kernels, names, colours, show_names=col == 0,
                    intervals=any(findings[k].figure(f"{key}_low") for k in kernels))
        strip.set_xlabel("calls of the same work, from cold")
    axes[0][0].set_ylabel("total time of the process pool / the other\n(below 1: it wins)")
    axes[0][1].tick_params(axis="y", labelleft=False)
    return fig, kernels


def _strip_mark(strip: Any, row: int, f: Finding, other: str, key: str, top: int,
                colour: Any) -> None:
    """One kernel's break-even in its own row: a dot where it falls (none when never or
    beyond the axis), and what it is, on the side of the dot with room for it."""
    n = f.figure(key)
    text = _breakeven_words(f, other, key)
    if not n or n > top:
        if n:
            text += f" (beyond {top})"
        strip.annotate(text, (1.0, row), xycoords=("axes fraction", "data"),
                       textcoords="offset points", xytext=(-6, 0), ha="right", va="center",
                       fontsize=FONT)
        return
    low, high = f.figure(f"{key}_low") or n, min(f.figure(f"{key}_high") or n, top)
    if (low, high) != (n, n):  # the break-even's interval, where the finding gives one
        strip.plot([low, high], [row, row], color=colour, lw=2, alpha=0.5,
                   solid_capstyle="butt", zorder=2)
        text += f" ({f.figure(f'{key}_low')}-{f.figure(f'{key}_high')})"
    strip.plot([n], [row], "o", color=colour, ms=6, zorder=3)
    fig = strip.figure
    at = strip.transAxes.inverted().transform(strip.transData.transform((high, row)))[0]
    room = (1 - at) * strip.get_position().width * fig.get_size_inches()[0]
    right = text_width_in(fig, [text], FONT) + 0.15 < room
    strip.annotate(text, (high if right else low, row), textcoords="offset points",
                   xytext=(6 if right else -6, 0), ha="left" if right else "right",
                   va="center", fontsize=FONT)


def _strip_axis(strip: Any, kernels: Sequence[str], names: Sequence[str],
                colours: dict[str, Any], show_names: bool, intervals: bool) -> None:
    strip.set_ylim(len(kernels) - 0.5, -0.5)
    strip.set_yticks(range(len(kernels)))
    if show_names:
        strip.set_yticklabels(names, fontsize=FONT)
        for label, kernel in zip(strip.get_yticklabels(), kernels, strict=True):
            label.set_color(colours[kernel])
    else:
        strip.tick_params(axis="y", labelleft=False)
    strip.grid(True, axis="x", which="both", alpha=0.25)
    strip.set_title(f"break-even (dot{'; bar: its interval' if intervals else ''}): the "
                    "calls after which the process pool is ahead", fontsize=8, loc="left")


def plot_calls(analysis: Analysis, out_dir: Path) -> dict[str, list[Image]]:
    """One PNG for every kernel's first breakeven-calls finding (nothing without any)."""
    drawn = calls_figure(analysis)
    if drawn is None:
        return {}
    fig, kernels = drawn
    save_figure(fig, out_dir / FILE)
    image = Image(FILE, "every kernel: a cold process pool's total time over serial and over "
                        "threads, against calls (dots: break-even)", NAME)
    return {kernel: [image] for kernel in kernels}


register_sweep_plotter(NAME, plot_calls)
