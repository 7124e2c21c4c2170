"""The advice's one plot: per candidate, the predicted and the measured speedup over
serial (with the measurement's interval)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from gilbench.advice.recommend import Row


def plot_png(rows: Sequence[Row], function: str, workers: int, calls: int) -> bytes:
    """The plot as PNG bytes (rendered once: the file, the HTML page and a notebook share
    them)."""
    from gilbench import roles
    from gilbench.report.plotstyle import DPI, pyplot, role_colour

    plt = pyplot()
    shown = [r for r in rows if r.strategy != "serial"]
    fig, ax = plt.subplots(figsize=(7.5, 0.8 + 0.55 * max(1, len(shown))),
                           layout="constrained")
    colours = {"threads": role_colour(roles.THREAD_POOL)}
    for i, r in enumerate(shown):
        colour = colours.get(r.strategy, role_colour(roles.PROCESS_POOL))
        ax.barh(i + 0.2, r.predicted_speedup, height=0.38, color=colour, alpha=0.35,
                hatch="//", edgecolor=colour, label="predicted" if i == 0 else None)
        if r.measured_speedup is not None:
            err = [[r.measured_speedup - r.measured_low], [r.measured_high - r.measured_speedup]]
            ax.barh(i - 0.2, r.measured_speedup, height=0.38, color=colour, xerr=err,
                    capsize=3, label="measured" if i == 0 else None)
    ax.axvline(1.0, color="#444", lw=1, ls="--")
    ax.text(1.0, len(shown) - 0.4, " serial", fontsize=8, color="#444")
    ax.set_yticks(range(len(shown)), [r.display for r in shown])
    ax.invert_yaxis()
    ax.set_xlabel(f"speedup over serial ({workers} workers, {calls} call(s))")
    # The function's name on a line of its own: a long MODULE:FUNC must not run off the
    # figure.
    ax.set_title(f"{function}\npredicted (hatched) and measured", fontsize=10, wrap=True)
    ax.legend(loc="lower right", fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()


__all__ = ["plot_png"]
