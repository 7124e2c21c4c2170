"""The axis contract: how one quantity of a sweep is varied while the rest is held fixed.

An **axis** (DESIGN.md's vocabulary) turns one kernel and the user's selection into the
runs that map one condition under which GIL-free threads rival warm processes: work per
task (``granularity``), the share of a chunk that holds the GIL (``gil-fraction``), bytes
shipped per task (``payload``), calls (``calls``) and worker counts (``workers``).

An axis is a package (see :mod:`gilbench.axes`); its ``plan.py`` holds the subclass of
:class:`Axis`, which provides, as class attributes:

- ``info``: its :class:`~gilbench.axes.AxisInfo`, defined in the package's
  ``__init__.py`` so that every layer reads it: ``name`` (the ``--axis`` value and the
  ``axis`` tag of the runs it plans), ``description`` (one line for ``--help``,
  ``--dry-run`` and ``gilbench list``), ``condition`` (what the "When" section calls the
  condition it maps), ``finders`` (the finding kinds that read its runs, the first
  stating the condition) and ``plain_sweep`` (below); the axis exposes each as an
  attribute of its own (``axis.name``...);
- ``default_in``: ``{profile name: kernel names}``, the profiles whose plain
  ``gilbench run`` includes the axis, on those kernels (planned with
  ``selection.as_default`` set: the axis may plan a cheaper, coarser version);
- ``info.plain_sweep`` (None, ``"tag"`` or ``"read"``) and ``oversubscribe``: for the axes
  that are (``workers``: its runs are the plain sweep, tagged) or read (``calls``: the
  plain sweep, untagged, which its finder reads) the plain sweep instead of planning runs
  of their own; ``oversubscribe`` extends the default worker counts to 2x the usable cores;
- ``max_repeats`` and ``probe``: an axis's runs take at most ``max_repeats`` timed repeats
  unless ``--repeat`` says otherwise (default 5, DESIGN.md's minimum: an axis multiplies
  the runs) and the harness's GIL-probe executions only with ``probe`` (default False: set
  it when the axis's findings read ``gil_availability``);

and the methods:

- :meth:`Axis.plan` ``(kernel, selection) -> list[RunSpec]``: the runs for one kernel,
  each tagged ``axis=self.name`` and ``axis_value=`` the point (a JSON-friendly number or
  string). It must respect the selection (named flavours, strategies, workers and sizes)
  and pick roles from declared traits (``Flavour.gil``, ``Strategy.uses_threads``...),
  never from names; :func:`role_strategies` and :func:`nogil_flavours` do that (both
  read :mod:`gilbench.roles`). Runs of a
  ``single_worker`` strategy at the same point, size and chunking are the speedup
  baselines (analysis pairs them by axis tag and value); the plan adds any the selection
  filtered out. A point that changes a problem parameter needs the kernel to map the axis
  in ``Kernel.axis_params`` (the harness applies it with ``Kernel.at_axis_point`` and
  caches references per point); a point that only re-chunks (granularity) needs nothing;
- :meth:`Axis.unavailable_reason` ``(kernel) -> str | None``: why the axis cannot map this
  kernel (listed among the plan's ``not_applicable``), None when it can;
- :meth:`Axis.machine_facts` ``(specs, timeout) -> dict`` (optional): measurements of this
  machine the axis's analysis needs, taken once before the sweep's runs and stored under
  ``machine[<axis name>]`` in results.json (granularity times empty tasks per strategy);
- :meth:`Axis.cost_factor` ``(kernel, spec) -> float`` (optional): how many times the work
  of the plain problem of that size one execution at this point does (the ``--dry-run``
  estimate multiplies by it; payload's passes, say).

Register an instance with :func:`gilbench.axes.registry.register_axis` (a built-in
axis is listed in :data:`gilbench.axes.BUILTIN`, whose order is the order of the "When"
section's rows); ``--axis``, the plan, ``--dry-run``, ``gilbench list`` and the "When"
section then know it. A finder reads an axis's runs with ``KernelView.axis_rows(name)``;
``main_rows()`` never includes them.

For example, the ``gil-fraction`` axis: ``default_in = {"quick": ("mandelbrot",)}``, its
info's ``condition = "GIL-held fraction"`` and ``finders = ("gil-fraction-threshold",)``; its
``plan`` returns, for each f, the flavour whose GIL share is tunable (by trait) serially,
on thread pools and on process pools at ``selection.top_workers()``, tagged
``axis="gil-fraction", axis_value=f``, and the kernel maps ``"gil-fraction"`` in
``axis_params`` to the parameter its chunks read; ``probe = True`` if its finding reads
the GIL probe.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from gilbench import roles
from gilbench.axes import AxisInfo
from gilbench.compat import incompatible_reason
from gilbench.flavours import FLAVOURS, Flavour
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel
from gilbench.limits import MAX_CHUNKS, usable_cores
from gilbench.strategies import STRATEGIES, Strategy, baseline_strategy


@dataclass(frozen=True)
class Selection:
    """What the profile and the CLI filters leave an axis to plan within.

    ``profile`` is the profile's name (``quick``, ``standard``, ``full``). Empty tuples
    mean "the axis chooses" (by traits, and its own defaults); named values are honoured
    as given. ``as_default`` is set when the axis runs because the profile includes it by
    default, not because ``--axis`` asked for it.
    """

    profile: str = "quick"
    flavours: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()
    workers: tuple[int, ...] = ()
    sizes: tuple[int, ...] = ()
    chunks: tuple[int, ...] = ()
    schedules: tuple[str, ...] = ()
    as_default: bool = False

    @classmethod
    def of(cls, profile: str = "quick", **filters: Sequence[Any]) -> Selection:
        """A selection from a profile name and filter sequences (lists are fine)."""
        as_default = bool(filters.pop("as_default", False))
        return cls(profile, **{k: tuple(v) for k, v in filters.items()},
                   as_default=as_default)

    def top_workers(self) -> int:
        """The worker count an axis measures at: the largest named, else the usable cores
        (every core busy: the condition that decides threads against processes)."""
        return max(self.workers) if self.workers else usable_cores()


class Axis(ABC):
    """One quantity a sweep varies; see the module docstring for the contract."""

    info: ClassVar[AxisInfo]
    default_in: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    oversubscribe: ClassVar[bool] = False
    max_repeats: ClassVar[int | None] = 5
    probe: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def description(self) -> str:
        return self.info.description

    @property
    def condition(self) -> str:
        return self.info.condition

    @property
    def finders(self) -> tuple[str, ...]:
        return self.info.finders

    @property
    def plain_sweep(self) -> str | None:
        return self.info.plain_sweep

    def unavailable_reason(self, kernel: Kernel) -> str | None:
        """None when this axis can map ``kernel``, else a one-line reason."""
        return None

    @abstractmethod
    def plan(self, kernel: Kernel, selection: Selection) -> list[RunSpec]:
        """The runs that map this axis for ``kernel`` (tagged with the axis and point)."""

    def machine_facts(self, specs: Sequence[RunSpec], timeout: float) -> dict[str, Any]:
        """Measurements of this machine the axis's findings need (default: none)."""
        return {}

    def cost_factor(self, kernel: Kernel, spec: RunSpec) -> float:
        """Work of one execution at ``spec``'s point relative to the plain problem."""
        return 1.0

    def tag(self, spec: RunSpec, value: Any) -> RunSpec:
        """``spec`` tagged as this axis's run at point ``value``."""
        from dataclasses import replace

        return replace(spec, axis=self.name, axis_value=value)


# -- roles by trait ----------------------------------------------------------------------
def role_strategies(selection: Selection, *roles: str) -> list[Strategy]:
    """Available strategies whose role (:func:`gilbench.roles.role_of`) is one of
    ``roles``, in registry order: the named ones, else those of every profile's default
    sweep (``core`` and ``default_sweep``: one of each kind of pool; the components and
    library executors run on an axis when named, as each would multiply its runs). The
    baseline (``single_worker``) is added by the plan."""
    named = set(selection.strategies)
    return [s for s in STRATEGIES.values()
            if s.role in roles
            and (s.name in named if named else s.core and s.default_sweep)
            and not s.unavailable_reason()]


def pool_runs(kernel: Kernel, flavours: Sequence[Flavour], pools: Sequence[Strategy],
              workers: Sequence[int]) -> Iterator[tuple[Flavour, Strategy, int]]:
    """``(flavour, strategy, workers)`` of every run an axis makes at one of its points:
    each flavour on the baseline (one worker) and on each of ``pools`` at each of
    ``workers``, leaving out the pairs that cannot run here."""
    for flavour in flavours:
        for strategy in [baseline(), *pools]:
            if runnable(kernel, flavour, strategy):
                for n in [1] if strategy.single_worker else workers:
                    yield flavour, strategy, n


def runnable(kernel: Kernel, flavour: Flavour, strategy: Strategy) -> bool:
    """Whether ``strategy`` can run ``kernel``'s ``flavour`` here."""
    return (not kernel.flavour_unavailable_reason(flavour.name)
            and not incompatible_reason(kernel, flavour, strategy))


def nogil_flavours(kernel: Kernel, selection: Selection, *,
                   first_only: bool = False) -> list[Flavour]:
    """The flavours an axis measures for ``kernel``: the named ones it can run (not those
    that parallelise themselves), else every available flavour that releases the GIL
    (those that release it partly where none does fully), in registry order."""
    usable = [f for f in FLAVOURS.values()
              if f.name in kernel.implementations and not f.parallel_inside
              and not kernel.flavour_unavailable_reason(f.name)]
    if selection.flavours:
        chosen = [f for f in usable if f.name in selection.flavours]
    else:
        # A tunable GIL share is the gil-fraction axis's instrument: others use it if named.
        usable = [f for f in usable if not f.tunable_gil_share]
        names = roles.nogil_flavours(((f.name, f.gil) for f in usable), best_only=True)
        chosen = [f for f in usable if f.name in names]
    return chosen[:1] if first_only else chosen


#: The strategy every axis point's speedups are measured against (kept under this name for
#: the axes that import it from here).
baseline = baseline_strategy


def log_grid(low: float, high: float, points: int) -> list[float]:
    """``points`` values from ``low`` to ``high``, evenly spaced on a log scale."""
    if points < 2:
        return [high]
    ratio = (high / low) ** (1 / (points - 1))
    return [low * ratio**i for i in range(points)]


def chunk_counts(kernel: Kernel, size: int, tasks: Sequence[float]) -> list[int]:
    """Distinct chunk counts near ``tasks`` (ascending), within what ``kernel`` can split
    a problem of ``size`` into and the global chunk cap."""
    most = min(kernel.max_chunks(size), MAX_CHUNKS)
    return sorted({max(1, min(most, round(t))) for t in tasks})


__all__ = ["Axis", "Selection", "baseline", "chunk_counts", "log_grid", "nogil_flavours",
           "pool_runs", "role_strategies", "runnable"]
