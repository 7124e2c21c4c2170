"""Findings of ``gilbench compare``: per flavour, what one core costs on each input and how
far its threads scale there.

``interpreter-comparison`` findings rest on a comparison of several results documents
(:class:`gilbench.compare.Comparison`), not on one sweep, so they are computed here and
not by a registered finder. Roles still come from declared traits: the single-thread run
is the ``single_worker`` strategy's (or, for flavours that parallelise themselves, their
own 1-worker run); thread scaling is the fastest thread pool's at the most workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row, Traits
from gilbench.analysis.runtime import free_threaded

if TYPE_CHECKING:  # compare imports analysis: only the type is needed here
    from gilbench.compare import CompareInput, Comparison

KIND = "interpreter-comparison"

__all__ = ["KIND", "interpreter_findings"]


def _single(rows: Sequence[Row], traits: Traits) -> Row | None:
    """The one-core run of a flavour: the baseline strategy's, else its own 1-worker run."""
    base = [r for r in rows if traits.is_baseline(r.strategy)]
    base = base or [r for r in rows if r.workers == 1]
    return min(base, key=lambda r: r.median_s) if base else None


def _threads(rows: Sequence[Row], traits: Traits) -> Row | None:
    """The fastest thread-pool run at the most workers (None: no thread-pool run)."""
    thr = [r for r in rows if traits.is_thread_pool(r.strategy) and r.workers > 1
           and r.speedup]
    if not thr:
        return None
    top = max(r.workers for r in thr)
    return min((r for r in thr if r.workers == top), key=lambda r: r.median_s)


def _same_version_default(inputs: Sequence[CompareInput], ft: CompareInput
                          ) -> CompareInput | None:
    """The input measured with the default (GIL) build of ``ft``'s Python version: the
    fair baseline for what free-threading costs one core."""
    version = ft.machine.get("versions", {}).get("python")
    for other in inputs:
        if (other is not ft and not free_threaded(other.machine)
                and other.machine.get("versions", {}).get("python") == version):
            return other
    return None


def interpreter_findings(comparison: Comparison) -> list[Finding]:
    """One finding per kernel x flavour x (size, chunks): the single-thread cost on every
    input (its one-core time over the first input's) and the thread scaling on each."""
    inputs, traits = comparison.inputs, comparison.traits
    ref = inputs[0]
    out = []
    groups: dict[tuple, list[list[Row]]] = {}
    for i, inp in enumerate(inputs):
        for r in inp.rows:
            if r.axis not in (None, "workers"):
                continue  # axis sweeps have their own slices; compare the plain sweep
            key = (r.kernel, r.flavour, r.size, r.chunks)
            groups.setdefault(key, [[] for _ in inputs])[i].append(r)
    for (kernel, flavour, size, chunks), per_input in groups.items():
        singles = [_single(rows, traits) for rows in per_input]
        threads = [_threads(rows, traits) for rows in per_input]
        if singles[0] is None or sum(s is not None for s in singles) < 2:
            continue
        figures: list[Figure] = [Figure("reference", ref.label)]
        # Run ids repeat across inputs (they align by them): qualify each by its input.
        cost_words, scale_words, runs = [], [], [f"{ref.label}: {singles[0].id}"]
        for inp, single in zip(inputs[1:], singles[1:], strict=True):
            if single is None:
                continue
            ratio = single.median_s / singles[0].median_s
            figures.append(Figure(f"single_thread_cost:{inp.label}", ratio, "x"))
            cost_words.append(f"{inp.label} {'takes ' if not cost_words else ''}"
                              f"{ratio:.2f}x")
            runs.append(f"{inp.label}: {single.id}")
        ft_words = []
        for inp, single in zip(inputs, singles, strict=True):
            base = _same_version_default(inputs, inp) if free_threaded(inp.machine) else None
            if base is None or single is None:
                continue
            other = singles[inputs.index(base)]
            if other is not None:
                ratio = single.median_s / other.median_s
                figures.append(Figure(f"free_threading_cost:{inp.label}", ratio, "x"))
                ft_words.append(f"{inp.label} takes {ratio:.2f}x the time of {base.label} "
                                "(same version, default build)")
        for inp, thr in zip(inputs, threads, strict=True):
            if thr is None:
                continue
            figures += [Figure(f"threads_speedup:{inp.label}", thr.speedup, "x"),
                        Figure(f"threads_workers:{inp.label}", thr.workers),
                        Figure(f"gil_enabled:{inp.label}", thr.gil_enabled)]
            # Code that holds the GIL scaling on threads: say the GIL was off (unless the
            # label says so already).
            why = (" (GIL off)" if thr.gil_enabled is False and traits.gil(flavour) == "holds"
                   and "GIL off" not in inp.label else "")
            scale_words.append(f"{thr.speedup:.2f}x on {inp.label}{why}")
            runs.append(f"{inp.label}: {thr.id}")
        sentence = f"{flavour}: on one core, " + (
            _and(cost_words) + f" the time of {ref.label}" if cost_words else
            f"only {ref.label} ran it ({fmt(singles[0].median_s)})")
        if ft_words:
            sentence += "; " + "; ".join(ft_words)
        if scale_words:
            top = max(t.workers for t in threads if t is not None)
            sentence += f"; on {top} threads it scales " + _and(scale_words)
        out.append(Finding(kernel=kernel, kind=KIND, sentence=sentence + ".",
                           runs=tuple(dict.fromkeys(runs)), figures=tuple(figures),
                           context=(("size", size), ("chunks", chunks))))
    return out


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
