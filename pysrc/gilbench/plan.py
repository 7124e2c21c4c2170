"""Plans: a profile plus CLI filters become the list of run specs of a sweep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import product
from typing import TYPE_CHECKING

from gilbench.compat import incompatible_reason
from gilbench.flavours import FLAVOURS, SCHEDULES, Flavour, get_flavour
from gilbench.harness import ResolvedRun, RunSpec, resolve
from gilbench.kernels import KERNELS, Kernel, get_kernel
from gilbench.limits import check_workers, usable_cores
from gilbench.profiles import LEFT_OUT, PROFILES, Profile
from gilbench.strategies import STRATEGIES, Strategy, baseline_strategy, get_strategy
from gilbench.strategies.startmethod import check_start_method, default_start_method

if TYPE_CHECKING:
    from gilbench.axes.registry import Axis


def default_workers(cores: int | None = None, oversubscribe: bool = False) -> list[int]:
    """1, 2, 4, ... up to the usable core count, plus that count (and 2x it if asked)."""
    cores = cores or usable_cores()
    counts = []
    n = 1
    while n <= cores:
        counts.append(n)
        n *= 2
    if counts[-1] != cores:
        counts.append(cores)
    if oversubscribe:
        counts.append(2 * cores)
    return counts


#: How the flavour that runs copying and component strategies is chosen, by declared GIL
#: trait: one that releases the GIL first (its time is the computation, so the rest is the
#: copying or the machinery, and threads can run it in parallel).
REPRESENTATIVE_GIL_ORDER = ("releases", "partial", "holds")


def representative_flavour(kernel) -> str | None:
    """The flavour that speaks for ``kernel`` where the flavour does not matter (copying,
    the machinery of a component strategy).

    Chosen by traits: available, not parallel inside, GIL released if possible; registry
    order breaks ties, so a newly registered flavour takes part without being named here.
    """
    candidates = [f for f in FLAVOURS.values()
                  if f.name in kernel.implementations and not f.parallel_inside
                  and not f.tunable_gil_share
                  and not kernel.flavour_unavailable_reason(f.name)]
    for gil in REPRESENTATIVE_GIL_ORDER:
        for flavour in candidates:
            if flavour.gil == gil:
                return flavour.name
    return None


@dataclass
class Plan:
    """The runs of a sweep, and the combinations left out with the reason."""

    profile: Profile
    specs: list[RunSpec] = field(default_factory=list)
    #: Things that exist but cannot run here (optional dependency missing, no OpenMP).
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Kernel x flavour pairs that make no sense (``gilbench list`` explains each).
    not_applicable: list[tuple[str, str]] = field(default_factory=list)
    #: Runs added because a selected run's speedup needs them as its baseline.
    baselines: list[RunSpec] = field(default_factory=list)
    #: The start method process runs use when none was named (recorded in settings).
    default_start_method: str | None = None
    #: Each spec with the registered objects it names, looked up and checked once here;
    #: the sweep hands these on to the harness.
    resolved: dict[RunSpec, ResolvedRun] = field(default_factory=dict)


def build_plan(profile: str = "quick", *, kernels: Sequence[str] = (),
               flavours: Sequence[str] = (), strategies: Sequence[str] = (),
               workers: Sequence[int] = (), sizes: Sequence[int] = (),
               chunks: Sequence[int] = (), schedules: Sequence[str] = (),
               start_methods: Sequence[str] = (),
               axes: Sequence[str] | None = None) -> Plan:
    """Cross kernels x flavours x strategies x workers x sizes x chunks x schedules, and
    x start methods for strategies that start processes.

    Empty filters mean "all" (and the profile's defaults). For strategies: those with
    ``default_sweep`` (library executors run when named) that are ``core``, plus the
    others where the profile runs ``components``; these, like strategies that ship inputs,
    run one representative flavour per kernel unless flavours are named. Flavours whose
    GIL share is tunable (the gil-fraction axis's instrument) run only when named. Process
    runs record the start method they use (the strategy's own, else multiprocessing's
    default here, unless ``start_methods`` names some), and every run of a strategy that
    drives self-parallel (OpenMP) flavours comes after them: a process forked after an
    OpenMP team is at risk (see :mod:`gilbench.strategies.startmethod`).

    ``axes`` names the axes to sweep (:mod:`gilbench.axes`): only their runs are planned
    (the plain sweep too where an axis is or reads it, ``workers`` and ``calls``), within
    the same filters and start methods. ``None`` plans the plain sweep, plus the axes the
    profile includes by default when no filter but ``kernels`` narrows the sweep. What
    exists but cannot run here
    (optional dependency missing, no OpenMP) goes to ``plan.skipped`` and what makes no
    sense (a kernel without that flavour, an incompatible pair the user named) goes to
    ``plan.not_applicable``, each with the reason; a filter naming an unknown thing raises
    ValueError listing the valid names, and so does a magnitude beyond a cap of
    :mod:`gilbench.limits` (workers, a kernel's size or the memory it needs, chunks).
    """
    filters = _Filters(kernels=kernels, flavours=flavours, strategies=strategies,
                       workers=workers, sizes=sizes, chunks=chunks, schedules=schedules,
                       start_methods=start_methods)
    chosen = _check_filters(profile, filters)
    from gilbench.axes.registry import axes_to_plan

    axis_objs, plain, tag, oversubscribe = axes_to_plan(axes)
    plan = Plan(chosen.profile, default_start_method=default_start_method())
    counts = _worker_counts(chosen.profile, filters.workers, oversubscribe)
    _plan_plain_sweep(plan, chosen, counts, filters)
    _plan_axes(plan, None if axes is None else axis_objs, plain, tag, chosen.kernels, filters)
    _record_start_methods(plan, chosen.start_methods)
    _add_baselines(plan)
    _order_and_validate(plan)
    return plan


@dataclass(frozen=True)
class _Filters:
    """What a sweep is narrowed to, as given (``gilbench run``'s filters); empty: all."""

    kernels: Sequence[str]
    flavours: Sequence[str]
    strategies: Sequence[str]
    workers: Sequence[int]
    sizes: Sequence[int]
    chunks: Sequence[int]
    schedules: Sequence[str]
    start_methods: Sequence[str]

    @property
    def narrowed(self) -> bool:
        """Whether a filter but the kernels narrows the sweep (a start method is how
        processes start, not a narrower selection)."""
        return bool(self.flavours or self.strategies or self.workers or self.sizes
                    or self.chunks or self.schedules)

    def for_axes(self) -> dict[str, Sequence]:
        """The filters an axis plans within (:func:`gilbench.axes.registry.plan_axes`)."""
        return {"flavours": self.flavours, "strategies": self.strategies,
                "workers": self.workers, "sizes": self.sizes, "chunks": self.chunks,
                "schedules": self.schedules}


@dataclass(frozen=True)
class _Chosen:
    """The profile and registry objects a sweep's filters name (or their defaults)."""

    profile: Profile
    kernels: list[Kernel]
    flavours: list[Flavour]
    strategies: list[Strategy]
    start_methods: list[str]


@dataclass(frozen=True)
class _WorkerCounts:
    """The worker counts of the plain sweep: every one, and those pools run at."""

    every: list[int]
    #: Without 1 where the profile skips 1-worker pools and no worker count was named.
    pools: list[int]


def _check_filters(profile: str, filters: _Filters) -> _Chosen:
    """Check the profile and the filters (ValueError names the first bad one and the
    valid choices, or the cap it exceeds) and turn them into registry objects; empty
    filters become the defaults."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid choices: "
                         f"{', '.join(PROFILES)}")
    prof = PROFILES[profile]
    kernel_objs = [get_kernel(k) for k in filters.kernels] or list(KERNELS.values())
    # Flavours whose GIL share is tunable are instruments of the gil-fraction axis: a plain
    # sweep runs them only when named.
    flavour_objs = [get_flavour(f) for f in filters.flavours] or [
        f for f in FLAVOURS.values() if not f.tunable_gil_share]
    strategy_objs = [get_strategy(s) for s in filters.strategies] or [
        s for s in STRATEGIES.values() if s.default_sweep and (s.core or prof.components)]
    methods = [check_start_method(m) for m in dict.fromkeys(filters.start_methods)]
    for value, name in ([(w, "workers") for w in filters.workers]
                        + [(c, "chunks") for c in filters.chunks]):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1. Got {value!r} instead.")
    for value in filters.workers:
        check_workers(value)  # absurd counts would hang or crash the pool that starts them
    for sched in filters.schedules:
        if sched not in SCHEDULES:
            raise ValueError(f"unknown schedule {sched!r}; valid choices: "
                             f"{', '.join(sorted(SCHEDULES))}")
    return _Chosen(prof, kernel_objs, flavour_objs, strategy_objs, methods)


def _worker_counts(prof: Profile, workers: Sequence[int],
                   oversubscribe: bool) -> _WorkerCounts:
    """The named worker counts, else the profile's defaults (2x the cores too where the
    profile or an axis oversubscribes)."""
    every = sorted(set(workers)) or default_workers(
        oversubscribe=prof.oversubscribe or oversubscribe)
    pools = every
    if prof.skip_single_worker_pools and max(every) > 1 and not workers:
        pools = [n for n in every if n > 1]
    return _WorkerCounts(every, pools)


def _plan_plain_sweep(plan: Plan, chosen: _Chosen, counts: _WorkerCounts,
                      filters: _Filters) -> None:
    """Append the plain sweep's runs to ``plan``: every kernel x flavour x strategy that
    applies, at each size, chunk count, worker count and schedule. Strategies and flavours
    that cannot run here go to ``plan.skipped``, pairs that make no sense to
    ``plan.not_applicable``."""
    for strategy in chosen.strategies:
        reason = strategy.unavailable_reason()
        if reason:
            plan.skipped.append((f"strategy {strategy.name}", reason))
    strategies = [s for s in chosen.strategies if not s.unavailable_reason()]
    for kernel in chosen.kernels:
        representative = representative_flavour(kernel)
        sizes = [kernel.check_size(s) for s in filters.sizes]
        # Same chunking for every strategy of a kernel, so runs are comparable.
        chunk_counts = list(filters.chunks) or [kernel.chunks_per_worker * max(counts.every)]
        for flavour in chosen.flavours:
            reason = kernel.flavour_unavailable_reason(flavour.name)
            if reason:
                where = (plan.skipped if flavour.name in kernel.implementations
                         else plan.not_applicable)
                where.append((f"{kernel.name}/{flavour.name}", reason))
                continue
            for strategy in strategies:
                if _pair_runs(plan, kernel, flavour, strategy, representative, filters):
                    specs = _pair_specs(plan.profile.name, kernel, flavour, strategy,
                                        sizes, chunk_counts, counts, filters)
                    plan.specs += _within_shipping_cap(plan, kernel, strategy, specs,
                                                       filters)


def _within_shipping_cap(plan: Plan, kernel: Kernel, strategy: Strategy,
                         specs: list[RunSpec], filters: _Filters) -> list[RunSpec]:
    """``specs`` without the runs that would pickle more than the profile allows (unless
    the user named the strategy); what is left out goes to ``plan.skipped``, saying why."""
    cap = plan.profile.max_shipped_bytes
    if cap is None or not strategy.ships_inputs or filters.strategies:
        return specs
    kept = [s for s in specs if kernel.memory_bytes(s.size) <= cap]
    if len(kept) < len(specs):
        biggest = max(kernel.memory_bytes(s.size) for s in specs)
        plan.skipped.append((
            f"{kernel.name}/{strategy.name}",
            f"{LEFT_OUT}{plan.profile.name} profile, which pickles at most "
            f"{cap / 2**20:.0f} MiB a run: this problem holds {biggest / 2**20:.0f} MiB "
            f"(seconds a repeat); "
            f"--strategies {strategy.name} measures it (the payload axis: pickling per byte)"))
    return kept


def _pair_runs(plan: Plan, kernel: Kernel, flavour: Flavour, strategy: Strategy,
               representative: str | None, filters: _Filters) -> bool:
    """Whether the plain sweep runs ``flavour`` on ``strategy`` for ``kernel``; an
    incompatible pair the user named goes to ``plan.not_applicable``."""
    reason = incompatible_reason(kernel, flavour, strategy)
    if reason:
        if filters.flavours and filters.strategies:  # the user asked for this pair
            plan.not_applicable.append((f"{flavour.name} x {strategy.name}", reason))
        return False
    # Copying, and the machinery of a component, cost the same whatever the flavour:
    # unless flavours were named, one flavour speaks for the kernel.
    return not ((strategy.ships_inputs or not strategy.core) and not filters.flavours
                and flavour.name != representative)


def _strategy_workers(strategy: Strategy, counts: _WorkerCounts,
                      workers: Sequence[int]) -> list[int]:
    """The worker counts ``strategy`` runs at in the plain sweep."""
    if strategy.single_worker:
        return [1]
    if strategy.drives_parallel_flavours:
        return counts.every  # its 1-thread run is its own baseline
    if not strategy.core and not workers:
        # A component's own machinery shows where workers run side by side; one worker
        # of it says what the core pools' 1-worker runs already say.
        return [n for n in counts.pools if n > 1] or counts.pools
    return counts.pools


def _pair_specs(profile: str, kernel: Kernel, flavour: Flavour, strategy: Strategy,
                sizes: list[int], chunk_counts: list[int], counts: _WorkerCounts,
                filters: _Filters) -> list[RunSpec]:
    """The runs of one kernel x flavour x strategy: size x chunks x workers x schedule."""
    scheds = [s for s in filters.schedules or PROFILES[profile].schedules
              if s in flavour.schedules] or [flavour.schedules[0]]
    strategy_chunks = [1] if strategy.one_chunk and not filters.chunks else chunk_counts
    return [RunSpec(kernel.name, flavour.name, strategy.name, n, size,
                    # a default chunk count never exceeds what the kernel can split a
                    # problem of this size into
                    n_chunks if filters.chunks else min(n_chunks, kernel.max_chunks(size)),
                    sched if flavour.parallel_inside else None)
            for size, n_chunks, n, sched in product(
                sizes or [kernel.size_for(profile, flavour.name)], strategy_chunks,
                _strategy_workers(strategy, counts, filters.workers), scheds)]


def _plan_axes(plan: Plan, axes: Sequence[Axis] | None, plain: bool, tag: str | None,
               kernels: Sequence[Kernel], filters: _Filters) -> None:
    """Append the axes' runs (``None``: the profile's default axes, see
    :func:`gilbench.axes.registry.plan_axes`). Unless an axis is (``tag``: its runs are tagged)
    or reads the plain sweep (``plain``), the axes plan their own runs and the plain
    sweep's runs and pairs are dropped."""
    from gilbench.axes.registry import plan_axes

    if not plain:
        plan.specs.clear()
        plan.not_applicable.clear()
    elif tag:
        plan.specs = [replace(spec, axis=tag) for spec in plan.specs]
    plan_axes(plan, axes, kernels, narrowed=filters.narrowed, **filters.for_axes())


def _record_start_methods(plan: Plan, methods: Sequence[str]) -> None:
    """Process runs, the axes' included, record the start method they use (one run per
    method where ``methods`` names several)."""
    plan.specs = [started for spec in plan.specs
                  for started in with_start_methods(spec, methods, plan.default_start_method)]


def _order_and_validate(plan: Plan) -> None:
    """Put self-parallel runs last (no worker process is forked after an OpenMP team
    ran) and refuse here, not in every run, sizes, memory or chunks beyond the caps."""
    plan.specs.sort(key=lambda spec: get_strategy(spec.strategy).drives_parallel_flavours)
    plan.resolved = {spec: resolve(spec) for spec in plan.specs}


def with_start_methods(spec: RunSpec, methods: Sequence[str],
                       default: str | None) -> list[RunSpec]:
    """``spec`` once per start method its processes start by: each of ``methods`` (the
    ``--start-method`` values), else the strategy's own, else ``default``; unchanged where
    the strategy starts no processes or the spec names its method already."""
    strategy = get_strategy(spec.strategy)
    if not strategy.supports_start_method or spec.start_method is not None:
        return [spec]
    return [replace(spec, start_method=m)
            for m in methods or [strategy.start_method or default]]


def baseline_of(spec: RunSpec) -> RunSpec | None:
    """The run whose median is ``spec``'s speedup baseline (None: it is its own).

    The same flavour run serially at the same axis point, or, for flavours that
    parallelise themselves, their own 1-thread run (the analysis uses the same rule).
    """
    strategy = get_strategy(spec.strategy)
    if strategy.single_worker or (strategy.drives_parallel_flavours and spec.workers == 1):
        return None
    if strategy.drives_parallel_flavours:
        return replace(spec, workers=1)
    return RunSpec(spec.kernel, spec.flavour, baseline_strategy().name, 1, spec.size,
                   spec.chunks, axis=spec.axis, axis_value=spec.axis_value)


def _add_baselines(plan: Plan) -> None:
    """Filters may leave out the runs speedups are measured against; put them back."""
    present = set(plan.specs)
    added = []
    for spec in list(plan.specs):
        base = baseline_of(spec)
        if base is not None and base not in present and \
                not get_strategy(base.strategy).unavailable_reason():
            present.add(base)
            added.append(base)
    plan.baselines += added
    plan.specs[:0] = added
