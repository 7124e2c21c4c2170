"""Markdown rendering of an :class:`~gilbench.analysis.Analysis`, section by section.

The report is a list of registered **sections**, each a function of the
:class:`ReportContext` returning Markdown lines; other modules add theirs with
:func:`register_section`, and :data:`gilbench.report.SECTION_ORDER` says in which order
they come (:func:`set_section_order`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gilbench.analysis import VERDICT_TEXT, Analysis, Finding, KernelView, Row
from gilbench.axes import condition_infos
from gilbench.registry import add


@dataclass(frozen=True)
class Image:
    """A plot file beside the report, and what it shows (the Markdown alt text).

    ``axis`` names the axis a plot maps (None: the kernel's own plots); the "When" section
    shows axis plots, the kernel sections the others.
    """

    file: str
    alt: str
    axis: str | None = None


@dataclass
class ReportContext:
    """What every section may read: the analysis, the document, the plots by kernel."""

    analysis: Analysis
    doc: Mapping[str, Any]
    images: Mapping[str, list[Image]] = field(default_factory=dict)


Section = Callable[[ReportContext], list[str]]
SECTIONS: dict[str, Section] = {}

#: Names of this module's own sections.
HEADER, GLANCE, KERNELS = "header", "at-a-glance", "kernels"
NOT_MEASURED, FAILED, HOW_TO_READ = "not-measured", "failed", "how-to-read"
#: Sections that close the report: one no order lists goes just before them.
CLOSING = (NOT_MEASURED, FAILED, HOW_TO_READ)

_ORDER: list[str] = []


def register_section(name: str, fn: Section, *, replace: bool = False) -> Section:
    """Add a report section under ``name`` (its place: :func:`set_section_order`)."""
    add(SECTIONS, "report section", name, fn, replace=replace)
    return fn


def set_section_order(names: Sequence[str]) -> None:
    """The order of the report's sections, by name."""
    _ORDER[:] = names


def ordered_sections() -> list[Section]:
    """The registered sections in the order :func:`set_section_order` gave; those it does
    not name (a plugin's) go just before the closing ones, in registration order."""
    listed = [n for n in _ORDER if n in SECTIONS]
    extra = [n for n in SECTIONS if n not in _ORDER]
    at = next((i for i, n in enumerate(listed) if n in CLOSING), len(listed))
    return [SECTIONS[n] for n in listed[:at] + extra + listed[at:]]


def fmt_time(seconds: float | None, micro_digits: int = 0) -> str:
    """Seconds in a unit a reader takes in at a glance (microseconds with
    ``micro_digits`` decimals: one says 4.1 µs where a task is that short)."""
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.{micro_digits}f} µs"


#: The longest sentence a table cell shows whole; a longer one is cut to its first clause
#: and given in full below the table (a cell is read at a glance).
GLANCE_CELL = 240


def brief(sentence: str, limit: int = GLANCE_CELL) -> str:
    """``sentence`` if it fits in ``limit`` characters; else its first clause (up to the
    first colon, or else the last comma or semicolon that fits), pointing below."""
    if len(sentence) <= limit:
        return sentence
    room = limit - len(BELOW)
    head = sentence.partition(": ")[0]
    if not 40 <= len(head) <= room:
        cut = max(sentence.rfind(", ", 0, room), sentence.rfind("; ", 0, room))
        head = sentence[:cut if cut > 0 else room]
    return head.rstrip(" ,;") + BELOW


BELOW = " (details below)."


def table_cell(value: object) -> str:
    """``value`` as the text of one Markdown table cell. Free text from another machine
    (a CPU model, a host name) must not split or end a row: line breaks become spaces and a
    ``|`` is escaped (with the backslashes before it, which would otherwise escape the
    escape)."""
    text = " ".join(str(value).splitlines())
    return re.sub(r"(\\*)\|", lambda m: m.group(1) * 2 + "\\|", text)


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _gil_request(gil: Mapping[str, Any]) -> str:
    """What asked for the GIL state, e.g. " (PYTHON_GIL=0)"; -X gil wins over PYTHON_GIL."""
    asked = [f"{name}={gil[key]}" for key, name in (("x_gil", "-X gil"),
                                                     ("python_gil_env", "PYTHON_GIL"))
             if gil.get(key) is not None]
    return f" ({', '.join(asked)})" if asked else ""


def machine_lines(machine: Mapping[str, Any], created: str | None,
                  settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs describing where and how the results were measured."""
    gil = machine.get("gil", {})
    build = machine.get("build", {})
    versions = machine.get("versions", {})
    affinity = machine.get("affinity")
    gil_text = ("free-threaded build, GIL " + ("enabled" if gil.get("gil_enabled") else
                                               "disabled") + _gil_request(gil)
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
    if "allocator_equalised" in machine:
        lines.append(("Allocator", "glibc top padding equalised (see How to read this report)"
                      if machine["allocator_equalised"] else "as the platform set it"))
    if machine.get("copy_bandwidth_gbs"):
        lines.append(("Memory copy", f"{machine['copy_bandwidth_gbs']:.1f} GB/s "
                                     "(numpy copy, 4x last-level cache)"))
    if machine.get("git_commit"):
        lines.append(("gilbench commit", machine["git_commit"]))
    if created:
        lines.append(("Measured", created + (f", profile {settings['profile']}"
                                             if settings.get("profile") else "")))
    return lines


def finding_lines(findings: list[Finding]) -> list[str]:
    """One line per finding of a kernel, in the order the finders ran; prefixed by its
    context where the kernel's headline findings have several (the terminal and the report
    both print exactly these)."""
    several = len({f.context for f in findings if f.headline}) > 1
    out = []
    for f in findings:
        label = f.context_label() if several else ""
        text = f"{f.sentence} {f.detail}" if f.detail else f.sentence
        out.append(f"[{label}] {text}" if label else text)
    return out


def row_cells(row: Row, with_gbs: bool) -> list[str]:
    """The table cells of one run (shared by the Markdown tables and the terminal)."""
    flag = "~" if row.noisy else ""
    strategy = row.strategy + (f" ({row.schedule})" if row.schedule else "") + \
        (f" [{row.start_method}]" if row.start_method else "")
    cells = [
        row.flavour, strategy, str(row.workers),
        f"{flag}{fmt_time(row.median_s)} ± {fmt_time(row.iqr_s)}",
        _num(row.speedup, ".2f") + ("x" if row.speedup else ""),
        "-" if row.efficiency is None else f"{row.efficiency:.0%}",
        _num(row.utilisation, ".2f"),
        "no GIL" if row.gil_enabled is False and row.gil_availability is None
        else _num(row.gil_availability, ".2f"),
        fmt_time(row.startup_s),
    ]
    if with_gbs:
        cells.append(_num(row.gbs, ".1f"))
    return cells


TABLE_HEADER = ["flavour", "strategy", "workers", "median ± IQR", "speedup", "efficiency",
                "CPU/wall", "GIL free", "start-up"]


def kernel_section(view: KernelView, lines: list[str],
                   images: list[Image] | None = None) -> list[str]:
    """The Markdown lines for one kernel: summary, findings, plots and the run table."""
    rows = view.main_rows()
    out = [f"## {view.kernel}", ""]
    if view.summary:
        out += [f"*{view.summary}*", ""]
    sizes = sorted({r.size for r in rows})
    chunks = sorted({r.chunks for r in rows})
    if rows:
        out += [f"Size {', '.join(map(str, sizes))}; {', '.join(map(str, chunks))} chunks.", ""]
    out += [f"- {line}" for line in lines] + [""]
    for image in images or []:
        out += [f"![{image.alt}]({image.file})", ""]
    with_gbs = any(r.gbs for r in rows)
    header = TABLE_HEADER + (["GB/s"] if with_gbs else [])
    if rows:
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---" for _ in header) + "|")
        out += ["| " + " | ".join(row_cells(r, with_gbs)) + " |" for r in rows]
    return out + [""]


def glance_rows(analysis: Analysis) -> list[tuple[str, str, str]]:
    """(kernel, verdict in words, why) for every headline finding."""
    heads = analysis.headlines()
    several = {f.kernel for f in heads if sum(g.kernel == f.kernel for g in heads) > 1}
    return [(f.kernel + (f" ({f.context_label()})" if f.kernel in several else ""),
             VERDICT_TEXT.get(f.verdict, f.verdict or ""), f.sentence) for f in heads]


HOW_TO_READ_TEXT = """\
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
  coefficient of variation exceeded 10%. Each median also has a confidence interval (the
  order statistics of the repeats, in findings.json and results.json): a comparison
  names a winner only where the interval of the ratio lies outside 1 ± 10% (the tie
  band: differences this small move between identical sweeps), else it is a tie.
- **[fork]**, **[spawn]**, **[forkserver]** beside a strategy: the multiprocessing start
  method its worker processes were started with.
- **Allocator: glibc top padding equalised**: before measuring, gilbench gives glibc's
  main-thread heap the slack that thread heaps get (64 MiB of top padding). Without it
  the main heap trims and regrows around large temporaries, so numpy code runs slower on
  the main thread (serial, openmp) than on pool threads: a false "threads beat serial".
  "as the platform set it": gilbench left the allocator alone.
- Headlines (At a glance, the rules of thumb) compare ThreadPoolExecutor and
  ProcessPoolExecutor at workers = the usable cores; more workers than cores are shown
  apart (oversubscription) and feed no headline.
- Every run was verified against the kernel's reference outside the timed region.
- Every sentence above is a finding computed from the measurements; `findings.json`
  beside this report holds each one with its figures and the runs it rests on.
"""


def _header(ctx: ReportContext) -> list[str]:
    out = ["# gilbench report", "",
           "When does releasing the GIL let plain threads rival processes? Measured here:", "",
           "| | |", "|---|---|"]
    lines = machine_lines(ctx.analysis.machine, ctx.doc.get("created"),
                          ctx.doc.get("settings", {}))
    out += [f"| {k} | {table_cell(v)} |" for k, v in lines]
    return out + [""]


def _glance(ctx: ReportContext) -> list[str]:
    rows = glance_rows(ctx.analysis)
    if not rows:
        return []
    out = ["## At a glance: GIL-free threads against warm processes", "",
           "| kernel | verdict | why |", "|---|---|---|"]
    # The kernel's section below gives the sentence whole.
    out += [f"| {kernel} | {verdict} | {brief(why)} |" for kernel, verdict, why in rows]
    return out + [""]


def _kernels(ctx: ReportContext) -> list[str]:
    # The "When" section shows its axes' findings in full: left out of the kernel
    # sections' bullet lists, so that no sentence is printed twice.
    shown_elsewhere = {kind for info in condition_infos() for kind in info.finders}
    out = []
    for view in ctx.analysis.kernels:
        mine = [f for f in ctx.analysis.for_kernel(view.kernel)
                if f.kind not in shown_elsewhere]
        images = [i for i in ctx.images.get(view.kernel, []) if i.axis is None]
        out += kernel_section(view, finding_lines(mine), images)
    return out


def _not_measured(ctx: ReportContext) -> list[str]:
    skipped = ctx.doc.get("settings", {}).get("skipped")
    if not skipped:
        return []
    return ["## Not measured on this machine", ""] + [f"- {line}" for line in skipped] + [""]


def _failed(ctx: ReportContext) -> list[str]:
    if not ctx.analysis.failures:
        return []
    out = ["## Failed runs", ""]
    for f in ctx.analysis.failures:
        out.append(f"- {f['kernel']}/{f['flavour']}/{f['strategy']} workers={f['workers']}"
                   f" size={f['size']}: {f.get('error')}")
    return out + [""]


for _name, _fn in ((HEADER, _header), (GLANCE, _glance), (KERNELS, _kernels),
                   (NOT_MEASURED, _not_measured), (FAILED, _failed),
                   (HOW_TO_READ, lambda ctx: [HOW_TO_READ_TEXT])):
    register_section(_name, _fn)


def render_markdown(ctx: ReportContext) -> str:
    """The whole report as Markdown: every registered section, in order."""
    out: list[str] = []
    for section in ordered_sections():
        out += section(ctx)
    return "\n".join(out)
