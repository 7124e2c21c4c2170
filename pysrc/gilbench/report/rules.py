"""The report's first section: rules of thumb, one row per condition, read from the
findings of every kernel: the range this machine measured (with intervals) and a one-line
rule a user can apply to their own code.

Each row names the findings it rests on; the per-kernel sections below give each one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from gilbench.analysis import Analysis, Finding
from gilbench.analysis.crossings import fmt_duration
from gilbench.axes import calls, gilfraction, granularity, payload
from gilbench.report.markdown import ReportContext, register_section
from gilbench.uncertainty import TIE_BAND

#: This section's name (its place: gilbench.report.SECTION_ORDER).
SECTION = "rules-of-thumb"
#: Copying shall cost at most this share of a task: a task needs 1/share x its copy time.
COPY_SHARE = 0.05


def _values(findings: Iterable[Finding], name: str) -> list[tuple[float, float, float]]:
    """``(value, low, high)`` of figure ``name`` where a finding has it (status ``at``
    where the figure has a status), the ends defaulting to the value."""
    out = []
    for f in findings:
        value = f.figure(name)
        status = f.figure(f"{name}_status")
        if value is None or status not in (None, "at", "inside", "threshold"):
            continue
        low, high = f.figure(f"{name}_low"), f.figure(f"{name}_high")
        out.append((value, value if low is None else low, value if high is None else high))
    return out


def _range(values: Sequence[tuple[float, float, float]], fmt: Callable[[float], str]) -> str:
    """``64-123 µs`` over kernels, or one value with its interval: ``64 µs (60-69)``."""
    if len(values) == 1:
        value, low, high = values[0]
        inside = "" if fmt(low) == fmt(high) else f" ({fmt(low)} to {fmt(high)})"
        return fmt(value) + inside
    lo, hi = min(v for v, _, _ in values), max(v for v, _, _ in values)
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)} to {fmt(hi)}"


def _kernels(findings: Sequence[Finding]) -> str:
    """``granularity-crossover`` of 3 kernels (mandelbrot, primes, nbody)."""
    names = list(dict.fromkeys(f.kernel for f in findings))
    kind = findings[0].kind if findings else ""
    many = f"{len(names)} kernels" if len(names) > 1 else "1 kernel"
    return f"`{kind}` of {many} ({', '.join(names)})"


def _of(analysis: Analysis, kind: str) -> list[Finding]:
    return [f for f in analysis.findings if f.kind == kind]


def _gil_free(analysis: Analysis, findings: Iterable[Finding]) -> list[Finding]:
    """The findings about a flavour whose code releases the GIL (the rules speak for
    GIL-free code; a flavour that holds it is the GIL-share row's business)."""
    views = {v.kernel: v for v in analysis.kernels}
    return [f for f in findings if f.kernel in views
            and views[f.kernel].traits.gil(f.figure("flavour")) == "releases"]


def _task_duration(analysis: Analysis) -> list[str] | None:
    found = _gil_free(analysis, _of(analysis, granularity.CROSSOVER))
    thr = _values(found, "threads_beat_serial_from")
    proc = _values(found, "processes_beat_serial_from")
    match = _values(found, "processes_match_threads_above")
    if not (thr or proc):
        return None
    parts = []
    if thr:
        parts.append(f"threads pay from {_range(thr, fmt_duration)} per task")
    if proc:
        parts.append(f"processes from {_range(proc, fmt_duration)}")
    if match:
        parts.append(f"processes within {TIE_BAND:.0%} of threads above "
                     f"{_range(match, fmt_duration)}")
    rule = "Give each process task"
    if proc:
        rule += f" at least {fmt_duration(max(v for v, _, _ in proc))} of work"
    if match:
        rule += (f"; below {fmt_duration(min(v for v, _, _ in match))} a task, GIL-free "
                 f"threads beat processes")
    return ["task duration", "; ".join(parts), rule + ".", _kernels(found)]


def _thresholds(analysis: Analysis) -> tuple[list[Finding], list[tuple[float, float, float]]]:
    """The GIL-fraction findings and their thresholds ``(f, low, high)``."""
    found = _of(analysis, gilfraction.THRESHOLD)
    return found, _values(found, "interpolated_f")


def _gil_share(analysis: Analysis) -> list[str] | None:
    found, share = _thresholds(analysis)
    if not share:
        return None
    top = min(v for v, _, _ in share)
    return ["GIL-held share of a task",
            f"threads keep 95% of processes' speedup up to f = "
            f"{_range(share, lambda f: f'{f:.2f}')}",
            f"If more than {top:.0%} of a task holds the GIL, use processes, or release "
            f"the GIL in that code (`with nogil`, a C call through ctypes).",
            _kernels(found)]


def _data_per_task(analysis: Analysis) -> list[str] | None:
    found = _of(analysis, payload.CROSSOVER)
    cost = _values(found, "copy_s_per_100mb")
    if not cost:
        return None
    per_100mb = max(v for v, _, _ in cost)
    need = per_100mb / COPY_SHARE / 10  # seconds of work per 10 MB shipped
    return ["data shipped per task",
            f"pickling to a process costs {_range(cost, lambda s: f'{s * 1e3:.0f} ms')} "
            f"per 100 MB",
            f"A task that ships 10 MB needs about {fmt_duration(need)} of work to keep the "
            f"copy under {COPY_SHARE:.0%}; else share memory or use threads.",
            _kernels(found)]


def _calls(analysis: Analysis) -> list[str] | None:
    found = [f for f in _of(analysis, calls.BREAKEVEN) if f.figure("processes_startup")]
    if not found:
        return None
    startup = [(f.figure("processes_startup"),) * 3 for f in found]
    penalty = [(max(0.0, f.figure("processes_first_call") - f.figure("processes_warm")),) * 3
               for f in found]
    counts = [(float(f.figure("calls_to_beat_serial")),) * 3 for f in found
              if f.figure("calls_to_beat_serial_status") == "at"]
    pays = (f"; it paid for itself after {_range(counts, lambda n: f'{n:.0f}')} calls"
            if counts else "")
    return ["calls of the same work",
            f"a process pool's start-up {_range(startup, fmt_duration)}, first-call "
            f"penalty {_range(penalty, fmt_duration)}{pays}",
            "A process pool pays back when calls > (start-up + first-call penalty) / "
            "(serial time - warm time per call).",
            _kernels(found)]


#: Core counts the model speaks for beyond this machine.
MODEL_CORES = (8, 16, 64)


def amdahl_with_gil(held: float, cores: int) -> float:
    """The most threads can give on ``cores`` when a share ``held`` of the work holds
    the GIL: that share runs one thread at a time (Amdahl's law with f = ``held``)."""
    return 1 / (held + (1 - held) / cores)


def _more_cores(analysis: Analysis) -> list[str] | None:
    found, share = _thresholds(analysis)
    if not share:
        return None
    held = min(v for v, _, _ in share)
    bounds = ", ".join(f"{amdahl_with_gil(held, n):.1f}x on {n}" for n in MODEL_CORES)
    return ["more cores than this machine (a model, not measured)",
            f"Amdahl with the GIL at f = {held:.2f}: threads at most {bounds}",
            "Code that holds the GIL for a share f of its time cannot beat 1/f on threads, "
            "however many cores: release it, or use processes. `tools/manycore.sh` measures.",
            _kernels(found)]


ROWS = (_task_duration, _gil_share, _data_per_task, _calls, _more_cores)


def rules_rows(analysis: Analysis) -> list[list[str]]:
    """The table rows: condition, on this machine, the rule, the kernels it rests on."""
    return [row for make in ROWS if (row := make(analysis)) is not None]


def rules_section(ctx: ReportContext) -> list[str]:
    """The "Rules of thumb" section (none when no condition was measured)."""
    rows = rules_rows(ctx.analysis)
    if not rows:
        return []
    return ["## Rules of thumb on this machine", "",
            "Measured here (ranges over kernels; intervals in brackets); each rule is what "
            "the figures mean for your own code.", "",
            "| condition | on this machine | rule of thumb | rests on |", "|---|---|---|---|",
            *("| " + " | ".join(row) + " |" for row in rows), ""]


register_section(SECTION, rules_section)
