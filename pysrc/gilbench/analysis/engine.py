"""The findings engine: a registry of finders, each turning one kernel's rows into findings.

A **finder** is a function ``(KernelView) -> iterable of Finding``, registered under the
kind of finding it makes. It chooses the runs it compares from the declared traits in the
view (``view.traits``), never from flavour or strategy names, so whatever is registered
next takes part in every finding. The engine runs every finder on every kernel, in the
order :func:`set_order` gives (:data:`gilbench.analysis.ORDER`; kinds it does not list
follow in registration order), and the report, the terminal and findings.json all show
the result in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gilbench.analysis.findings import Finding
from gilbench.analysis.rows import Row, Traits, derive_rows
from gilbench.registry import add

#: Axis values of the plain sweep: runs that vary only workers (and what the CLI named).
MAIN_AXES = (None, "workers")


@dataclass
class KernelView:
    """Everything a finder may read about one kernel: its rows and the sweep's context."""

    kernel: str
    summary: str | None
    rows: list[Row]
    traits: Traits
    machine: Mapping[str, Any]
    settings: Mapping[str, Any]

    @property
    def usable_cores(self) -> int | None:
        """The cores this sweep's machine let it use (None: not recorded)."""
        cores = self.machine.get("usable_cores") or self.machine.get("cpu_count")
        return int(cores) if cores else None

    def main_rows(self) -> list[Row]:
        """Rows of the plain sweep (no axis, or the workers axis)."""
        return [r for r in self.rows if r.axis in MAIN_AXES]

    def axis_rows(self, axis: str) -> list[Row]:
        """Rows of one axis sweep (``granularity``, ``gil-fraction``, ...)."""
        return [r for r in self.rows if r.axis == axis]

    def contexts(self, rows: Sequence[Row] | None = None,
                 keys: Sequence[str] = ("size", "chunks")) -> dict[tuple, list[Row]]:
        """``rows`` (default: the main rows) grouped by the values of ``keys``, in order."""
        groups: dict[tuple, list[Row]] = {}
        for r in self.main_rows() if rows is None else rows:
            groups.setdefault(tuple(getattr(r, k) for k in keys), []).append(r)
        return groups


@dataclass(frozen=True)
class Finder:
    """A registered finder: the kind of finding it makes, what it says, the function."""

    kind: str
    description: str
    fn: Callable[[KernelView], Iterable[Finding]]


FINDERS: dict[str, Finder] = {}
_ORDER: list[str] = []


def set_order(kinds: Sequence[str]) -> None:
    """The order in which the finders run, and so in which their findings are listed."""
    _ORDER[:] = kinds


def ordered_finders() -> list[Finder]:
    """Every registered finder: those :func:`set_order` names in its order, then the rest
    in registration order."""
    rank = {kind: i for i, kind in enumerate(_ORDER)}
    return sorted(FINDERS.values(), key=lambda f: rank.get(f.kind, len(rank)))


def register_finder(kind: str, description: str, *, replace: bool = False):
    """Decorator: register ``fn(view) -> findings`` as the finder of ``kind``."""

    def decorate(fn: Callable[[KernelView], Iterable[Finding]]):
        add(FINDERS, "finder", kind, Finder(kind, description, fn), replace=replace)
        return fn

    return decorate


@dataclass
class Analysis:
    """A results document analysed: per-kernel views and every finding, in order."""

    machine: Mapping[str, Any]
    settings: Mapping[str, Any]
    kernels: list[KernelView]
    findings: list[Finding] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    max_workers: int = 1

    def for_kernel(self, kernel: str) -> list[Finding]:
        return [f for f in self.findings if f.kernel == kernel]

    def headlines(self) -> list[Finding]:
        return [f for f in self.findings if f.headline]


def analyse(doc: Mapping[str, Any], kinds: Sequence[str] | None = None) -> Analysis:
    """Derive rows and run every registered finder (or only ``kinds``) on every kernel.

    Works from the results document alone; a finder that raises is a bug in gilbench and
    is not hidden.
    """
    settings = doc.get("settings", {})
    machine = doc.get("machine", {})
    traits = Traits.from_settings(settings)
    runs = [r for r in doc["runs"] if r.get("status", "ok") == "ok" and r.get("median_s")]
    failures = [r for r in doc["runs"] if r.get("status", "ok") != "ok"]
    rows = derive_rows(runs, traits, machine)
    summaries = settings.get("kernel_summaries", {})
    views: dict[str, KernelView] = {}
    for row in rows:
        if row.kernel not in views:
            views[row.kernel] = KernelView(row.kernel, summaries.get(row.kernel), [], traits,
                                           machine, settings)
        views[row.kernel].rows.append(row)
    analysis = Analysis(machine, settings, list(views.values()), failures=failures,
                        max_workers=max((r.workers for r in rows), default=1))
    finders = [FINDERS[k] for k in kinds] if kinds is not None else ordered_finders()
    for view in analysis.kernels:
        view.rows.sort(key=lambda r: (r.flavour, r.strategy, r.workers, r.size, r.chunks,
                                      r.schedule or "", r.start_method or "", r.axis or "",
                                      str(r.axis_value)))
        for finder in finders:
            analysis.findings.extend(finder.fn(view))
    return analysis
