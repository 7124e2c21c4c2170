"""PNG plots: per kernel, speedup against workers and time per flavour x strategy."""

from __future__ import annotations

from pathlib import Path

from gilbench.analysis import KernelAnalysis

#: Line style and marker per strategy; colour is per flavour, so a flavour's strategies
#: read as one family.
STRATEGY_STYLE = {"threads": ("-", "o"), "processes": ("--", "s"), "openmp": (":", "^"),
                  "processes-pickle": ("-.", "x")}


def plot_kernel(ka: KernelAnalysis, path: Path) -> Path:
    """Write ``path`` (PNG): left, speedup vs workers with the ideal line; right, the
    fastest time of each flavour x strategy on a log axis."""
    import matplotlib

    matplotlib.use("Agg")  # no display: reports render on servers and in CI
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    lines = sorted({(r.flavour, r.strategy) for r in ka.rows
                    if r.strategy != "serial" and r.speedup})
    flavours = sorted({f for f, _ in lines})
    colour = {f: plt.get_cmap("tab10")(i % 10) for i, f in enumerate(flavours)}
    top = max((r.workers for r in ka.rows), default=1)
    ax1.plot([1, top], [1, top], color="0.75", lw=1, label="ideal")
    for flavour, strategy in lines:
        by_workers: dict[int, float] = {1: 1.0}  # the serial baseline, by definition
        for r in ka.rows:  # several sizes/chunks/schedules: keep the best per worker count
            if (r.flavour, r.strategy) == (flavour, strategy) and r.speedup:
                by_workers[r.workers] = max(r.speedup, by_workers.get(r.workers, 0.0))
        xs = sorted(by_workers)
        ls, marker = STRATEGY_STYLE.get(strategy, ("-.", "d"))
        ax1.plot(xs, [by_workers[x] for x in xs], marker=marker, ls=ls,
                 color=colour[flavour], label=f"{flavour} + {strategy}")
    ax1.set_xscale("log", base=2)
    ax1.set_xticks(sorted({1, *(r.workers for r in ka.rows)}))
    ax1.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax1.set_xlabel("workers")
    ax1.set_ylabel("speedup over the same flavour, serial")
    ax1.set_title(f"{ka.kernel}: scaling")
    ax1.grid(True, alpha=0.3)
    ax1.legend(fontsize=7, ncol=2)

    best = {}
    for r in ka.rows:
        key = f"{r.flavour} + {r.strategy}"
        if key not in best or r.median_s < best[key].median_s:
            best[key] = r
    labels = sorted(best, key=lambda k: best[k].median_s, reverse=True)
    ax2.barh(labels, [best[k].median_s for k in labels],
             color=["tab:red" if best[k].flavour in ("python", "cython-gil") else "tab:blue"
                    for k in labels])
    for i, k in enumerate(labels):
        ax2.annotate(f" {best[k].workers}w", (best[k].median_s, i), va="center", fontsize=7)
    ax2.set_xscale("log")
    ax2.set_xlabel("median seconds (best worker count; red = holds the GIL)")
    ax2.set_title(f"{ka.kernel}: fastest time per flavour x strategy")
    ax2.tick_params(axis="y", labelsize=7)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
