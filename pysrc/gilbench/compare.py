"""Comparing sweeps side by side: results from different interpreters, machines or commits.

Each input is a results document (a results.json or the folder holding it) with a label
(its interpreter, unless given). Runs are aligned by what identifies them in a sweep
(:data:`ALIGN_FIELDS`); the first input is the reference that time ratios are taken
against. Differences between the inputs' machines and builds that change what a figure
means (cores, CPU, compiler flags, OpenMP) become warnings. Works from the documents alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gilbench.analysis import Row, Traits, analyse

__all__ = ["ALIGN_FIELDS", "AlignedRun", "Comparison", "CompareInput", "build_comparison",
           "interpreter_label", "load_inputs", "machine_warnings"]

#: The run fields that align two runs: same kernel, flavour, strategy, workers, size,
#: chunks, and (where a sweep has them) schedule, start method and axis point.
ALIGN_FIELDS = ("kernel", "flavour", "strategy", "workers", "size", "chunks", "schedule",
                "start_method", "axis", "axis_value")


@dataclass(frozen=True)
class CompareInput:
    """One results document, its label and its successful runs as analysis rows."""

    label: str
    path: str
    doc: Mapping[str, Any]
    rows: tuple[Row, ...]

    @property
    def machine(self) -> Mapping[str, Any]:
        return self.doc.get("machine", {})

    def gil_words(self) -> str:
        """The GIL its runs ran with: ``GIL on``, ``GIL off``, or ``GIL on in N of M runs``."""
        states = [r.gil_enabled for r in self.rows if r.gil_enabled is not None]
        if not states:
            return "GIL unknown"
        on = sum(states)
        if on == len(states):
            return "GIL on"
        return "GIL off" if on == 0 else f"GIL on in {on} of {len(states)} runs"


@dataclass(frozen=True)
class AlignedRun:
    """One run identity and its row in every input (None where an input lacks it)."""

    key: tuple
    rows: tuple[Row | None, ...]

    def field(self, name: str) -> Any:
        return self.key[ALIGN_FIELDS.index(name)]

    @property
    def complete(self) -> bool:
        return all(r is not None for r in self.rows)


@dataclass(frozen=True)
class Comparison:
    """Inputs, the runs aligned across them (in the first input's order), the traits of
    flavours and strategies, and the warnings about machines and builds."""

    inputs: tuple[CompareInput, ...]
    aligned: tuple[AlignedRun, ...]
    traits: Traits
    warnings: tuple[str, ...]

    @property
    def labels(self) -> list[str]:
        return [i.label for i in self.inputs]

    def kernels(self) -> list[str]:
        return list(dict.fromkeys(a.field("kernel") for a in self.aligned))

    def for_kernel(self, kernel: str) -> list[AlignedRun]:
        return [a for a in self.aligned if a.field("kernel") == kernel]

    def partial(self) -> list[AlignedRun]:
        """Runs that some input lacks."""
        return [a for a in self.aligned if not a.complete]


def align_key(row: Row) -> tuple:
    """The alignment identity of a row (see :data:`ALIGN_FIELDS`)."""
    value = row.axis_value
    return (row.kernel, row.flavour, row.strategy, row.workers, row.size, row.chunks,
            row.schedule, row.start_method, row.axis,
            tuple(value) if isinstance(value, list) else value)


def load_inputs(paths: Sequence[str | os.PathLike[str]],
                labels: Sequence[str] | None = None) -> list[CompareInput]:
    """Read every results document; ValueError (one line) names a bad or unusable input.

    ``labels`` name the inputs in order (as many as there are paths); otherwise each is
    labelled by its interpreter, made unique by its commit, host or position.
    """
    from gilbench.results import load_results, resolve

    if len(paths) < 2:
        raise ValueError(f"compare needs at least two results files or folders. "
                         f"Got {len(paths)} instead.")
    if labels is not None:
        if len(labels) != len(paths):
            raise ValueError(f"{len(labels)} label(s) for {len(paths)} inputs: give one "
                             "--label per results file, in order")
        if len(set(labels)) != len(labels) or not all(s.strip() for s in labels):
            raise ValueError(f"labels must be distinct and non-empty. Got {list(labels)!r} "
                             "instead.")
    docs = []
    for path in paths:
        doc = load_results(path)
        runs = [r for r in doc["runs"] if r.get("status", "ok") == "ok" and r.get("median_s")]
        if not runs:
            raise ValueError(f"{resolve(path)}: no successful run to compare")
        docs.append((str(resolve(path)), doc))
    names = list(labels) if labels is not None else _unique_labels(docs)
    out = []
    for name, (path, doc) in zip(names, docs, strict=True):
        rows = tuple(r for v in analyse(doc, kinds=()).kernels for r in v.rows)
        out.append(CompareInput(name, path, doc, rows))
    return out


def interpreter_label(doc: Mapping[str, Any]) -> str:
    """``3.11.7``, ``3.13.5t GIL off`` or ``3.13.5t GIL on (PYTHON_GIL=1)``: the interpreter
    a results document was measured with, and its GIL where it could be off."""
    machine = doc.get("machine", {})
    gil = machine.get("gil", {})
    version = machine.get("versions", {}).get("python") or \
        str(machine.get("python", "?")).split(" ")[0]
    impl = machine.get("python_implementation")
    name = version if impl in (None, "CPython") else f"{impl} {version}"
    if not gil.get("free_threaded_build"):
        return name
    states = [r.get("gil_enabled") for r in doc.get("runs", [])
              if r.get("status", "ok") == "ok" and r.get("gil_enabled") is not None]
    on = gil.get("gil_enabled") if not states else (
        True if all(states) else False if not any(states) else None)
    words = {True: "GIL on", False: "GIL off", None: "GIL mixed"}[on]
    asked = [f"{flag}={gil[key]}" for key, flag in (("x_gil", "-X gil"),
                                                     ("python_gil_env", "PYTHON_GIL"))
             if gil.get(key) is not None]
    return f"{name}t {words}" + (f" ({', '.join(asked)})" if asked else "")


def _unique_labels(docs: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
    labels = [interpreter_label(doc) for _, doc in docs]
    for tell in (lambda d: d.get("machine", {}).get("git_commit"),
                 lambda d: d.get("machine", {}).get("hostname"),
                 lambda d: d.get("created")):
        clashing = {lab for lab in labels if labels.count(lab) > 1}
        if not clashing:
            break
        for i, (_, doc) in enumerate(docs):
            if labels[i] in clashing and tell(doc):
                labels[i] = f"{labels[i]} @{tell(doc)}"
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # still the same: number them in order
        if labels.count(label) > 1:
            seen[label] = seen.get(label, 0) + 1
            labels[i] = f"{label} #{seen[label]}"
    return labels


# -- what differs between machines and builds ---------------------------------------------
def _build(machine: Mapping[str, Any], key: str) -> Any:
    return machine.get("build", {}).get(key)


#: (what, how to read it from a machine dict, why a difference matters)
MATTERS = (
    ("usable cores", lambda m: m.get("usable_cores"),
     "speedups and worker counts mean different things"),
    ("CPU model", lambda m: m.get("cpu_model"), "single-thread times compare CPUs too"),
    ("compiler flags", lambda m: _build(m, "cflags"),
     "compiled flavours were built differently"),
    ("OpenMP", lambda m: _build(m, "openmp"),
     "OpenMP flavours ran (or were unavailable) on one side only"),
    ("compiler", lambda m: m.get("compiler"), "compiled flavours were built differently"),
)


def machine_warnings(inputs: Sequence[CompareInput]) -> list[str]:
    """One line per machine or build difference against the first input that matters."""
    first = inputs[0]
    out = []
    for what, read, why in MATTERS:
        for other in inputs[1:]:
            a, b = read(first.machine), read(other.machine)
            if a is not None and b is not None and a != b:
                out.append(f"{other.label} has {what} {_show(b)}, {first.label} {_show(a)}: "
                           f"{why}")
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"'{value}'" if isinstance(value, str) and " " in value else str(value)


def build_comparison(inputs: Sequence[CompareInput]) -> Comparison:
    """Align the inputs' runs; ValueError when no run appears in every input."""
    index: dict[tuple, list[Row | None]] = {}
    for i, inp in enumerate(inputs):
        for row in inp.rows:
            slot = index.setdefault(align_key(row), [None] * len(inputs))
            slot[i] = row
    aligned = tuple(AlignedRun(k, tuple(v)) for k, v in index.items())
    if not any(a.complete for a in aligned):
        raise ValueError("no run appears in every input (runs align by "
                         f"{', '.join(ALIGN_FIELDS[:6])} and schedule/start method/axis): "
                         "nothing to compare")
    # Traits: the first input's recorded ones win, the others fill in what it lacks.
    settings: dict[str, dict[str, Any]] = {"flavours": {}, "strategies": {}}
    for inp in inputs:
        for key, known in settings.items():
            for name, traits in inp.doc.get("settings", {}).get(key, {}).items():
                known.setdefault(name, traits)
    return Comparison(tuple(inputs), aligned, Traits.from_settings(settings),
                      tuple(machine_warnings(inputs)))
