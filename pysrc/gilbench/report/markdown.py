"""Markdown rendering of an :class:`~gilbench.analysis.Analysis`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gilbench.analysis import Analysis, KernelAnalysis, Row

VERDICT_WORDS = {"win": "threads win", "tie": "tie", "lose": "processes win",
                 "serial": "serial wins (work too small)",
                 "memory-bound": "neither (memory-bound)",
                 "processes only": "processes only (no GIL-free flavour)"}


def fmt_time(seconds: float | None) -> str:
    """Seconds in a unit a reader takes in at a glance."""
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def machine_lines(machine: Mapping[str, Any], created: str | None,
                  settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs describing where and how the results were measured."""
    gil = machine.get("gil", {})
    build = machine.get("build", {})
    versions = machine.get("versions", {})
    affinity = machine.get("affinity")
    gil_text = ("free-threaded build, GIL " + ("enabled" if gil.get("gil_enabled") else
                                               "disabled")
                if gil.get("free_threaded_build") else "standard build (GIL always on)")
    omp = (f"yes (spec {build.get('openmp_spec')})" if build.get("openmp") else
           "no" if build.get("built") else f"unknown: {build.get('reason', 'not built')}")
    lines = [
        ("CPU", f"{machine.get('cpu_model', '?')}"),
        ("Cores", f"{machine.get('cpu_count')} logical, {machine.get('usable_cores')} usable"
                  + (f" (affinity {affinity})" if affinity and len(affinity) <= 16 else "")),
        ("Python", f"{versions.get('python', '?')} ({machine.get('python_implementation', '')}"
                   f"), {gil_text}, switch interval "
                   f"{_num(gil.get('switch_interval_s'), '.3f')} s"),
        ("Libraries", ", ".join(f"{k} {v}" for k, v in versions.items() if v and k != "python")),
        ("Build", f"OpenMP {omp}; flags `{build.get('cflags', '?')}`"),
        ("multiprocessing", f"start method {machine.get('start_method')}"),
        ("Platform", f"{machine.get('platform', '?')}"),
    ]
    if machine.get("copy_bandwidth_gbs"):
        lines.append(("Memory copy", f"{machine['copy_bandwidth_gbs']:.1f} GB/s "
                                     "(numpy copy, 4x last-level cache)"))
    if machine.get("git_commit"):
        lines.append(("gilbench commit", machine["git_commit"]))
    if created:
        lines.append(("Measured", created + (f", profile {settings['profile']}"
                                             if settings.get("profile") else "")))
    return lines


def _row_cells(row: Row, with_gbs: bool) -> list[str]:
    flag = "~" if row.noisy else ""
    cells = [
        row.flavour, row.strategy + (f" ({row.schedule})" if row.schedule else ""),
        str(row.workers),
        f"{flag}{fmt_time(row.median_s)} ± {fmt_time(row.iqr_s)}",
        _num(row.speedup, ".2f") + ("x" if row.speedup else ""),
        "-" if row.efficiency is None else f"{row.efficiency:.0%}",
        _num(row.utilisation, ".2f"),
        _num(row.gil_availability, ".2f"),
        fmt_time(row.startup_s),
    ]
    if with_gbs:
        cells.append(_num(row.gbs, ".1f"))
    return cells


def kernel_section(ka: KernelAnalysis, images: Mapping[str, str] | None = None) -> list[str]:
    """The Markdown lines for one kernel: summary, verdicts, plot and table."""
    out = [f"## {ka.kernel}", ""]
    sizes = sorted({r.size for r in ka.rows})
    chunks = sorted({r.chunks for r in ka.rows})
    if ka.summary:
        out += [f"*{ka.summary}*", ""]
    out += [f"Size {', '.join(map(str, sizes))}; {', '.join(map(str, chunks))} chunks.", ""]
    out += [f"- {v}" for v in ka.verdicts] + [""]
    if images and ka.kernel in images:
        out += [f"![{ka.kernel}: speedup against workers]({images[ka.kernel]})", ""]
    with_gbs = any(r.gbs for r in ka.rows)
    header = ["flavour", "strategy", "workers", "median ± IQR", "speedup", "efficiency",
              "CPU/wall", "GIL free", "start-up"] + (["GB/s"] if with_gbs else [])
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join("---" for _ in header) + "|")
    for row in ka.rows:
        out.append("| " + " | ".join(_row_cells(row, with_gbs)) + " |")
    return out + [""]


HOW_TO_READ = """\
## How to read this report
- **speedup**: median time of the same flavour run serially (for flavours that parallelise
  themselves: their own 1-thread run) divided by this run's median. **efficiency** =
  speedup / workers (100% is ideal linear scaling).
- **CPU/wall**: CPU seconds (this process plus worker processes) per wall second. About
  1.0 with several threads means they took turns: the GIL serialised them.
- **GIL free**: how much a probe thread, which takes the GIL only when it is free and hands
  it straight back, got to run during extra, untimed executions, relative to an idle
  interpreter (time it spent waiting for a CPU is discounted). 1: the work released the
  GIL; 0: the work held it (pure Python holds it too: other threads get it only when the
  interpreter forces a switch). Compiled code that holds the GIL still frees it between
  chunks, which shows as a small non-zero figure.
- **start-up**: the cold cost of creating the pool (and, for processes, the shared-memory
  workspace, the worker processes and their imports). It is measured once and kept out of
  the timed repeats, which run on a warm pool after a warm-up.
- Times are medians of the repeats ± inter-quartile range; `~` marks runs whose
  coefficient of variation exceeded 10%.
- Every run was verified against the kernel's reference outside the timed region.
"""


def render_markdown(analysis: Analysis, doc: Mapping[str, Any],
                    images: Mapping[str, str] | None = None) -> str:
    """The whole report as Markdown; ``images`` maps kernel name to a plot file name."""
    settings = doc.get("settings", {})
    out = ["# gilbench report", "",
           "When does releasing the GIL let plain threads rival processes? Measured here:", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in machine_lines(analysis.machine, doc.get("created"),
                                                         settings)]
    out.append("")
    glance = [ka for ka in analysis.kernels if ka.threads_vs_processes]
    if glance:
        out += ["## At a glance: GIL-free threads against warm processes", "",
                "| kernel | verdict | why |", "|---|---|---|"]
        for ka in glance:
            why = next((v for v in ka.verdicts if "processes" in v), ka.verdicts[0])
            out.append(f"| {ka.kernel} | {VERDICT_WORDS[ka.threads_vs_processes]} | "
                       f"{why} |")
        out.append("")
    for ka in analysis.kernels:
        out += kernel_section(ka, images)
    if settings.get("skipped"):
        out += ["## Not measured on this machine", ""]
        out += [f"- {line}" for line in settings["skipped"]] + [""]
    if analysis.failures:
        out += ["## Failed runs", ""]
        for f in analysis.failures:
            out.append(f"- {f['kernel']}/{f['flavour']}/{f['strategy']} workers={f['workers']}"
                       f" size={f['size']}: {f.get('error')}")
        out.append("")
    out.append(HOW_TO_READ)
    return "\n".join(out)
