"""Rows: the successful runs of a results document with their derived figures, and the
declared traits of flavours and strategies that analysis chooses roles by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gilbench.results import run_id
from gilbench.roles import FAMILIES, PROCESS_POOL, THREAD_POOL, role_of
from gilbench.uncertainty import Ratio, median_interval


@dataclass(frozen=True)
class Traits:
    """Declared traits of flavours and strategies, as recorded in ``settings``.

    Only the results document is read (a report renders on a machine without the live
    registries, or with other ones): a trait or a name a file did not record gets
    neutral defaults (no GIL trait, no capability), never what this gilbench declares.
    """

    flavours: Mapping[str, Mapping[str, Any]]
    strategies: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Traits:
        """The traits a sweep recorded (``settings["flavours"]``, ``["strategies"]``), in
        the registry order of the sweep that wrote them."""
        return cls({name: dict(t) for name, t in settings.get("flavours", {}).items()},
                   {name: dict(t) for name, t in settings.get("strategies", {}).items()})

    # -- flavours -------------------------------------------------------------------------
    def gil(self, flavour: str) -> str | None:
        """``holds``, ``releases`` or ``partial``: what the flavour's code does."""
        return self.flavours.get(flavour, {}).get("gil")

    def parallel_inside(self, flavour: str) -> bool:
        return bool(self.flavours.get(flavour, {}).get("parallel_inside"))

    def interpreted(self, flavour: str) -> bool:
        return bool(self.flavours.get(flavour, {}).get("interpreted"))

    def tunable_gil_share(self, flavour: str) -> bool:
        """Holds the GIL for a share of its work that the gil-fraction axis sets."""
        return bool(self.flavours.get(flavour, {}).get("tunable_gil_share"))

    def flavour_order(self, names: set[str] | None = None) -> list[str]:
        """Flavour names in registry order (those in ``names`` only, when given); names
        the file did not record follow, sorted."""
        if names is None:
            return list(self.flavours)
        return [f for f in self.flavours if f in names] + sorted(set(names) - set(self.flavours))

    # -- strategies (roles) ---------------------------------------------------------------
    def _cap(self, strategy: str, name: str) -> bool:
        return bool(self.strategies.get(strategy, {}).get(name))

    def is_baseline(self, strategy: str) -> bool:
        """Runs everything on one worker: the reference speedups are measured against."""
        return self._cap(strategy, "single_worker")

    def drives_parallel(self, strategy: str) -> bool:
        return self._cap(strategy, "drives_parallel_flavours")

    def ships_inputs(self, strategy: str) -> bool:
        return self._cap(strategy, "ships_inputs")

    def own_gil(self, strategy: str) -> bool:
        """Each worker is an interpreter with its own GIL inside one process."""
        return self._cap(strategy, "own_gil_per_worker")

    def library(self, strategy: str) -> str | None:
        """The third-party library that schedules the chunks (None: the standard library)."""
        return self.strategies.get(strategy, {}).get("library") or None

    def role(self, strategy: str) -> str:
        """The strategy's role (:func:`gilbench.roles.role_of` of its recorded traits)."""
        return role_of(self.strategies.get(strategy, {}))

    def is_thread_pool(self, strategy: str) -> bool:
        """Chunks on several threads of one interpreter: the GIL, if held, is shared."""
        return self.role(strategy) == THREAD_POOL

    def is_process_pool(self, strategy: str) -> bool:
        """Warm worker processes reading a shared workspace: one GIL per worker."""
        return self.role(strategy) == PROCESS_POOL

    def family(self, strategy: str) -> str | None:
        """``threads`` or ``processes`` for a thread or process pool (the families whose
        members are compared with each other), else None."""
        return FAMILIES.get(self.role(strategy))

    def display(self, strategy: str) -> str:
        """The name a person reads ("ThreadPoolExecutor"), else the strategy's id."""
        return self.strategies.get(strategy, {}).get("display") or strategy

    def reference_pool(self, role: str, present: set[str] | None = None) -> str | None:
        """The strategy the headline speaks for in ``role``: the one declared the
        reference pool (ThreadPoolExecutor, ProcessPoolExecutor), else the first of the
        role in registry order; among ``present`` only, when given. Never the fastest:
        a best-of-N pick would turn noise into the verdict."""
        names = [n for n in self.strategies if self.role(n) == role
                 and (present is None or n in present)]
        return next((n for n in names if self.value(n, "reference_pool")),
                    names[0] if names else None)

    def value(self, strategy: str, name: str, default: Any = None) -> Any:
        """A declared capability as recorded (e.g. ``ipc``: ``queue``, ``pipe``, ``proxy``;
        ``returns``: ``pickled``, ``shared``, ``proxy``)."""
        return self.strategies.get(strategy, {}).get(name, default)


@dataclass(frozen=True, kw_only=True)
class Row:
    """One successful run with its derived figures (speedup, efficiency, GB/s)."""

    id: str
    kernel: str
    flavour: str
    strategy: str
    workers: int
    size: int
    chunks: int
    schedule: str | None
    median_s: float
    min_s: float
    iqr_s: float
    cv: float
    noisy: bool
    cpu_s: float | None
    utilisation: float | None
    gil_availability: float | None
    startup_s: float | None
    first_s: float | None
    speedup: float | None
    efficiency: float | None
    gbs: float | None
    work_units: float | None = None
    start_method: str | None = None
    axis: str | None = None
    axis_value: Any = None
    #: Whether the GIL was enabled while this run ran (free-threaded builds may turn it off).
    gil_enabled: bool | None = None
    #: The median's confidence interval (seconds) and its coverage (gilbench.uncertainty).
    ci_low_s: float | None = None
    ci_high_s: float | None = None
    ci_level: float | None = None
    #: The speedup's interval: the baseline's interval over this run's.
    speedup_low: float | None = None
    speedup_high: float | None = None
    #: The run as recorded, for finders that read fields this class does not name.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def interval(self) -> tuple[float, float]:
        """The median's confidence interval in seconds (the median itself when unknown)."""
        return (self.ci_low_s if self.ci_low_s is not None else self.median_s,
                self.ci_high_s if self.ci_high_s is not None else self.median_s)

    def over(self, other: Row) -> Ratio:
        """``other``'s time over this run's: how many times faster this run is (> 1), with
        the interval that both medians' intervals allow."""
        return Ratio.of(other.median_s, other.interval, self.median_s, self.interval)

    def get(self, name: str, default: Any = None) -> Any:
        """A recorded run field by name (``extra`` fields included)."""
        if name in self.raw:
            return self.raw[name]
        return self.raw.get("extra", {}).get(name, default)


def reference_run(traits: Traits, rows: Sequence[Row], role: str,
                  start_method: str | None = None) -> Row | None:
    """The run of ``role``'s reference pool among ``rows`` (those with a speedup), at
    ``start_method`` where it ran with several: one declared run, never the fastest of a
    role, as a best-of-N pick would turn noise into the verdict."""
    runs = [r for r in rows if traits.role(r.strategy) == role and r.speedup]
    name = traits.reference_pool(role, {r.strategy for r in runs})
    runs = [r for r in runs if r.strategy == name]
    return next((r for r in runs if r.start_method == start_method), runs[0] if runs else None)


def _baseline_key(run: Mapping[str, Any]) -> tuple:
    return (run["kernel"], run["flavour"], run["size"], run["chunks"], run.get("schedule"),
            run.get("axis"), _hashable(run.get("axis_value")))


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def run_interval(run: Mapping[str, Any]) -> tuple[float, float, float]:
    """``(low, high, coverage)`` of a run's median: as recorded (``median_ci_s``), else
    from its recorded repeats (files written before runs recorded it)."""
    recorded = run.get("median_ci_s")
    if recorded:
        return recorded[0], recorded[1], run.get("median_ci_level") or 0.0
    return median_interval(run.get("wall_s") or [run["median_s"]])


def derive_rows(runs: list[Mapping[str, Any]], traits: Traits,
                machine: Mapping[str, Any]) -> list[Row]:
    """Rows for the successful ``runs``, each with its speedup against its baseline.

    The baseline is the same flavour on a ``single_worker`` strategy with the same size,
    chunks and axis point; flavours that parallelise themselves have no such run, so their
    own 1-worker run (same schedule) is theirs.
    """
    serial: dict[tuple, Mapping[str, Any]] = {}
    one_worker: dict[tuple, Mapping[str, Any]] = {}
    for r in runs:
        if traits.is_baseline(r["strategy"]):
            serial[_baseline_key(r)] = r
        elif r["workers"] == 1:
            one_worker[_baseline_key(r) + (r["strategy"],)] = r
    machine_gil = machine.get("gil", {}).get("gil_enabled")
    rows = []
    for r in runs:
        key = _baseline_key(r)
        base_run = serial.get(key) or one_worker.get(key + (r["strategy"],))
        base = base_run["median_s"] if base_run else None
        speedup = base / r["median_s"] if base else None
        low, high, level = run_interval(r)
        speed_low = speed_high = None
        if base_run and speedup:
            base_low, base_high, _ = run_interval(base_run)
            speed_low, speed_high = base_low / high, base_high / low
        work = r.get("work_bytes")
        gil_enabled = r.get("gil_enabled", r.get("extra", {}).get("gil_enabled", machine_gil))
        utilisation = r.get("utilisation")
        if utilisation is None and r.get("cpu_s") is not None:
            utilisation = r["cpu_s"] / r["median_s"]
        rows.append(Row(
            id=run_id(r), kernel=r["kernel"], flavour=r["flavour"], strategy=r["strategy"],
            workers=r["workers"], size=r["size"], chunks=r["chunks"],
            schedule=r.get("schedule"),
            median_s=r["median_s"], min_s=r.get("min_s") or min(r["wall_s"]),
            iqr_s=r.get("iqr_s") or 0.0, cv=r.get("cv") or 0.0, noisy=bool(r.get("noisy")),
            cpu_s=r.get("cpu_s"), utilisation=utilisation,
            gil_availability=r.get("gil_availability"), startup_s=r.get("startup_s"),
            first_s=r.get("first_s"), speedup=speedup,
            efficiency=speedup / r["workers"] if speedup else None,
            gbs=work / r["median_s"] / 1e9 if work else None, work_units=r.get("work_units"),
            start_method=r.get("start_method"), axis=r.get("axis"),
            axis_value=r.get("axis_value"),
            gil_enabled=None if gil_enabled is None else bool(gil_enabled),
            ci_low_s=low, ci_high_s=high, ci_level=level, speedup_low=speed_low,
            speedup_high=speed_high, raw=r))
    return rows
