"""The harness: start a warm session, time repeats honestly, verify every result.

One :func:`measure` call is one **run**: warm-up (at least ``warmup`` executions and
``warmup_s`` seconds), ``repeats`` timed repeats (wall clock by ``perf_counter``, CPU by
``process_time`` plus what process workers report), then extra untimed executions under
the GIL probe, looped for at least ``PROBE_S`` so the reading rests on more than a few
scheduler ticks (kept out of the timed repeats, whose GIL the ticker would otherwise
share). Every execution's result is checked against the kernel's reference outside the
timed region; a mismatch fails the run.

The pieces of a run (problem and reference, a warm session, one execution, verification,
warm-up, the GIL probe) are :class:`PreparedRun`, opened by :func:`prepare`: ``measure``
times with them, and so do the pytest-benchmark suites in ``benchmarks/`` (which let
pytest-benchmark do the timing), so there is one harness. Both take a :class:`ResolvedRun`
(a RunSpec whose names :func:`resolve` looked up and checked once) or a RunSpec, which
they resolve.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, NamedTuple

from gilbench import allocator, gilwatch
from gilbench.compat import unavailable_reason
from gilbench.flavours import Flavour, get_flavour
from gilbench.gilprobe import GilProbe
from gilbench.interrupts import raise_if_pending
from gilbench.kernels import Implementation, Kernel, Problem, get_kernel
from gilbench.limits import check_chunks, check_repeats, check_timeout, check_workers
from gilbench.strategies import DEFAULT_TIMEOUT_S, Session, Strategy, get_strategy
from gilbench.uncertainty import ADAPTIVE_BUDGET_S, adaptive_more, summarise

#: Coefficient of variation above which a run is flagged as noisy.
NOISY_CV = 0.10
#: Warm-up runs at least this long: freshly forked workers share one core until the
#: scheduler migrates them, which takes tens of milliseconds (seen on Linux).
WARMUP_S = 0.2
#: The untimed GIL-probe executions last at least this long.
PROBE_S = 0.03
#: Upper bound on warm-up repeats, whatever warmup_s says.
MAX_WARMUP = 200


class KernelContractError(RuntimeError):
    """A kernel broke its contract (split returned no chunks, merge raised): the run fails
    with this reason and the sweep goes on."""


class RunError(RuntimeError):
    """A run failed (worker crashed, kernel raised, verification mismatch, timeout)."""

    def __init__(self, spec: RunSpec, message: str) -> None:
        # One line, whatever the exception said (a library's may span several): the
        # reason is a results.json field and a line of the terminal's failure list.
        message = " ".join(str(message).split())
        super().__init__(f"run {spec.label} failed: {message}")
        self.spec = spec
        self.reason = message


@dataclass(frozen=True)
class RunSpec:
    """One (kernel, flavour, strategy, workers, size, chunks, schedule) combination.

    ``start_method`` is the multiprocessing start method of process strategies (None for
    the others); ``axis`` and ``axis_value`` tag runs of an axis sweep (None for the plain
    sweep), so analysis can tell the slices of a sweep apart.
    """

    kernel: str
    flavour: str
    strategy: str
    workers: int
    size: int
    chunks: int
    schedule: str | None = None
    start_method: str | None = None
    axis: str | None = None
    axis_value: float | int | str | None = None

    @property
    def label(self) -> str:
        """The run's id, as :func:`gilbench.analysis.run_id` derives it from results.json."""
        from gilbench.results import run_id

        return run_id(asdict(self))

    def validate(self) -> None:
        """Raise ValueError/TypeError naming the first bad field and the valid choices
        (:func:`resolve`, which also returns what the names name)."""
        resolve(self)


@dataclass(frozen=True)
class ResolvedRun:
    """A valid :class:`RunSpec` and the registered objects it names, looked up once."""

    spec: RunSpec
    kernel: Kernel
    flavour: Flavour
    #: The registered strategy, configured with the spec's settings (its start method).
    strategy: Strategy

    @property
    def impl(self) -> Implementation:
        """The kernel's chunk function(s) for the spec's flavour."""
        return self.kernel.implementations[self.spec.flavour]

    @property
    def workers(self) -> int:
        """Workers the session starts: 1 for a serial strategy, whatever the spec says."""
        return 1 if self.strategy.single_worker else self.spec.workers

    @property
    def label(self) -> str:
        """The run's id (see :attr:`RunSpec.label`)."""
        return self.spec.label

    def recheck(self) -> ResolvedRun:
        """Check again what may have changed since the plan resolved it (the memory free
        for the problem, when its turn comes in a long sweep); returns itself."""
        self.kernel.check_size(self.spec.size, copies=self.strategy.memory_copies)
        return self


def resolve(spec: RunSpec) -> ResolvedRun:
    """Look up the names of ``spec`` and check them together; ValueError/TypeError names
    the first bad field and the valid choices."""
    kernel = get_kernel(spec.kernel)
    flavour = get_flavour(spec.flavour)
    strategy = get_strategy(spec.strategy)
    if spec.start_method is not None:  # ValueError when it does not apply to the strategy
        strategy = strategy.configured(start_method=spec.start_method)
    # Magnitudes (gilbench.limits): the plan refuses the same values with the same words.
    kernel.check_size(spec.size, copies=strategy.memory_copies)
    check_workers(spec.workers)
    check_chunks(kernel, spec.size, spec.chunks)
    if spec.schedule is not None and spec.schedule not in flavour.schedules:
        raise ValueError(f"schedule {spec.schedule!r} is not valid for {flavour.name}; "
                         f"valid choices: {', '.join(flavour.schedules)}")
    reason = unavailable_reason(kernel, flavour, strategy)
    if reason:
        raise ValueError(f"cannot run {spec.label}: {reason}")
    return ResolvedRun(spec, kernel, flavour, strategy)


def as_resolved(run: RunSpec | ResolvedRun) -> ResolvedRun:
    """``run`` itself when resolved already, else :func:`resolve` of it."""
    return run if isinstance(run, ResolvedRun) else resolve(run)


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """What one run measured, built by keyword. Field names (and their order) are the
    stable results.json schema."""

    kernel: str
    flavour: str
    strategy: str
    workers: int
    size: int
    chunks: int
    schedule: str | None
    status: str  # "ok" or "failed"
    error: str | None = None
    wall_s: tuple[float, ...] = ()
    cpu_s: float | None = None
    startup_s: float | None = None
    gil_availability: float | None = None
    verified: bool = False
    warmup: int = 0
    #: Wall time of the very first (cold) execution in a fresh session.
    first_s: float | None = None
    median_s: float | None = None
    iqr_s: float | None = None
    min_s: float | None = None
    cv: float | None = None
    #: The median's confidence interval ``[low, high]`` in seconds, from the order
    #: statistics of the repeats, and its coverage (gilbench.uncertainty).
    median_ci_s: tuple[float, float] | None = None
    median_ci_level: float | None = None
    utilisation: float | None = None
    noisy: bool = False
    work_bytes: int | None = None
    #: Units of work (see Kernel.work_units), for comparing runs of different sizes.
    work_units: float | None = None
    #: Wall time of the whole run: start-up, warm-up, repeats, probe, verification.
    elapsed_s: float | None = None
    #: Tasks one execution hands out: the chunks of every phase (the split may yield fewer
    #: chunks than asked; n-body repeats its chunks once per time step).
    tasks: int | None = None
    #: Bytes of the problem's input arrays (what strategies that ship inputs copy, in all).
    input_bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    start_method: str | None = None
    axis: str | None = None
    axis_value: float | int | str | None = None
    #: Whether the run ran with a GIL, read after it (every import done) in this process
    #: and in every worker process: False only if none of them had one (a free-threaded
    #: build may run without). ``extra`` says which (``parent_gil_enabled``,
    #: ``worker_gil_enabled``) and what turned it on (``gil_enabled_by``). None for a
    #: failed run.
    gil_enabled: bool | None = None

    @property
    def spec(self) -> RunSpec:
        return RunSpec(self.kernel, self.flavour, self.strategy, self.workers, self.size,
                       self.chunks, self.schedule, self.start_method, self.axis,
                       self.axis_value)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["wall_s"] = list(self.wall_s)
        if self.median_ci_s is not None:
            d["median_ci_s"] = list(self.median_ci_s)
        return d


class ReferenceCache:
    """Reference results per (kernel, size, seed, axis point): computed once, shared by
    every run of a sweep. An axis that sets no problem parameter of the kernel (such as
    ``granularity``, which only re-chunks) shares the plain problem's reference."""

    def __init__(self) -> None:
        self._problems: dict[tuple, tuple[Problem, Any]] = {}

    def get(self, kernel: Kernel, size: int, seed: int, axis: str | None = None,
            axis_value: Any = None) -> tuple[Problem, Any]:
        if axis not in kernel.axis_params:
            axis = axis_value = None
        key = (kernel.name, size, seed, axis, axis_value)
        if key not in self._problems:
            problem = kernel.make_problem(size, seed)
            if axis is not None:
                problem = kernel.at_axis_point(problem, axis, axis_value)
            self._problems[key] = (problem, kernel.reference(problem))
        return self._problems[key]


class Execution(NamedTuple):
    """One execution of a problem: the merged result, CPU seconds spent in worker
    processes, and the chunks' partials (for implementations that report figures)."""

    result: Any
    worker_cpu_s: float
    partials: list[Any]


def execute(kernel: Kernel, problem: Problem, session: Session,
            phases: list[list[Any]], counters: dict[str, float] | None = None
            ) -> Execution:
    """Run every phase through ``session`` and merge.

    The strategy's counters of every phase (see :class:`MapResult`) are added into
    ``counters`` when given.
    """
    raise_if_pending()  # a SIGTERM recorded but not raised yet (see interrupts) stops here
    worker_cpu = 0.0
    partials: list[Any] = []
    for chunks in phases:
        mapped = session.map(chunks)
        partials.extend(mapped.partials)
        worker_cpu += mapped.worker_cpu_s
        if counters is not None:
            for name, value in mapped.counters.items():
                counters[name] = counters.get(name, 0.0) + value
    try:
        merged = kernel.merge(problem, session.workspace, partials)
    except Exception as exc:  # noqa: BLE001 - the kernel's code, not the strategy's
        raise KernelContractError(f"kernel {kernel.name!r}: merge raised "
                                  f"{type(exc).__name__}: {exc}") from exc
    return Execution(merged, worker_cpu, partials)


def median_figures(executions: list[Mapping[str, float]]) -> dict[str, float]:
    """Each figure's median over the executions (the timed repeats) that reported it."""
    names = dict.fromkeys(name for figures in executions for name in figures)
    return {name: float(statistics.median(f[name] for f in executions if name in f))
            for name in names}


def check_phases(kernel: Kernel, phases: Any, chunks: int) -> list[list[Any]]:
    """``phases`` if it is a non-empty list of non-empty chunk lists, else
    :class:`KernelContractError` saying what the kernel's split returned."""
    if not isinstance(phases, (list, tuple)) or not phases:
        raise KernelContractError(f"kernel {kernel.name!r}: phases(problem, {chunks}) "
                                  f"returned {phases!r}; expected a non-empty list of "
                                  "chunk lists")
    for phase in phases:
        if not isinstance(phase, (list, tuple)) or not phase:
            raise KernelContractError(f"kernel {kernel.name!r}: split(problem, {chunks}) "
                                      f"returned {phase!r}; expected a non-empty list of "
                                      "chunks")
    return [list(phase) for phase in phases]


class PreparedRun:
    """One run made ready: its problem and reference, its chunks and a warm session.

    :func:`measure` and the pytest-benchmark suites both execute, warm up, verify and
    probe through these methods; only the timing loop differs.
    """

    def __init__(self, run: ResolvedRun, problem: Problem, expected: Any,
                 phases: list[list[Any]], session: Session) -> None:
        self.run = run
        self.spec = run.spec
        self.kernel = run.kernel
        self.problem = problem
        self.expected = expected
        self.phases = phases
        self.session = session
        self._outputs = list(problem.outputs)

    @property
    def startup_s(self) -> float | None:
        """The cold cost of the session (None where nothing starts)."""
        return self.session.startup_s

    def reset(self) -> None:
        """Zero the outputs before an execution (outside the timed region)."""
        self.session.workspace.reset(self._outputs)

    def execute(self, counters: dict[str, float] | None = None) -> Execution:
        """Every phase once, merged: the result, CPU seconds spent in worker processes and
        the partials; the strategy's counters (proxy round trips, lock waits) go into
        ``counters``."""
        return execute(self.kernel, self.problem, self.session, self.phases, counters)

    def verify(self, result: Any, label: str) -> None:
        """Raise :class:`RunError` when ``result`` differs from the reference."""
        mismatch = self.kernel.compare(result, self.expected)
        if mismatch:
            raise RunError(self.spec, f"verification failed on {label}: {mismatch}")

    def warm_up(self, warmup: int = 1, warmup_s: float = WARMUP_S,
                clock: Callable[[], float] = time.perf_counter) -> tuple[int, float | None]:
        """At least ``warmup`` verified executions lasting at least ``warmup_s`` (at most
        MAX_WARMUP): (executions, wall time of the first, cold one)."""
        done, first = 0, None
        warm_start = clock()
        while done < warmup or (clock() - warm_start < warmup_s and done < MAX_WARMUP):
            self.reset()
            t0 = clock()
            result = self.execute().result
            if done == 0:
                first = clock() - t0
            done += 1
            self.verify(result, f"warm-up {done}")
        return done, first

    def probe_gil(self, clock: Callable[[], float] = time.perf_counter) -> float | None:
        """GIL availability (0..1, None when unjudged) during untimed, verified executions
        lasting at least PROBE_S, so the figure rests on more than a few scheduler ticks."""
        # A sweep probes run after run: the idle tick rate of the last 10 s still holds.
        with GilProbe(reuse_idle_s=10.0) as gil:
            probe_start = clock()
            while True:
                self.reset()
                result = self.execute().result
                if clock() - probe_start >= PROBE_S:
                    break
        self.verify(result, "the GIL-probe repeat")
        return gil.availability


@contextmanager
def prepare(run: ResolvedRun | RunSpec, *, seed: int = 0, timeout: float = DEFAULT_TIMEOUT_S,
            references: ReferenceCache | None = None) -> Iterator[PreparedRun]:
    """Make ``run`` ready to execute (a RunSpec is resolved first, see
    :func:`resolve`): the problem and its reference (from
    ``references`` when given), the kernel's chunks, checked against the contract, and a
    warm session, closed (workers and shared memory released) on the way out."""
    run = as_resolved(run)
    spec, kernel = run.spec, run.kernel
    gilwatch.install()  # a GIL warning shown from now on (a first chunk call) is recorded
    problem, expected = (references or ReferenceCache()).get(
        kernel, spec.size, seed, spec.axis, spec.axis_value)
    phases = check_phases(kernel, kernel.phases(problem, spec.chunks), spec.chunks)
    # Every strategy is offered the kernel's hooks; those that ship chunks use them.
    with run.strategy.open(problem, run.impl, run.workers,
                           schedule=spec.schedule or "static", timeout=timeout,
                           payload=partial(kernel.payload, problem),
                           outputs=partial(kernel.outputs_of, problem)) as session:
        yield PreparedRun(run, problem, expected, phases, session)


def measure(run: ResolvedRun | RunSpec, *, repeats: int = 5, warmup: int = 1,
            warmup_s: float = WARMUP_S, probe: bool = True,
            seed: int = 0, timeout: float = DEFAULT_TIMEOUT_S,
            references: ReferenceCache | None = None,
            clock: Callable[[], float] = time.perf_counter,
            budget_s: float = ADAPTIVE_BUDGET_S) -> Measurement:
    """Measure one run (a RunSpec is resolved first). Raises ValueError for a bad spec
    and :class:`RunError` on failure. Beyond ``repeats``, more are timed while the
    median's interval is wide, until ``budget_s`` of timed repeats (see
    ``gilbench.uncertainty.adaptive_more``)."""
    run_start = time.perf_counter()
    gilwatch.install()  # a GIL warning shown from now on (a first chunk call) is recorded
    run = as_resolved(run)
    spec, kernel, impl = run.spec, run.kernel, run.impl
    allocator.equalise()
    check_repeats(repeats)
    check_timeout(timeout)
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0. Got {warmup!r} instead.")
    wall: list[float] = []
    cpu: list[float] = []
    counted: list[dict[str, float]] = []
    # What the chunk function measured about itself, per timed repeat (Implementation.figures).
    figures: list[Mapping[str, float]] = []
    availability = first = None
    done_warmup = 0
    try:
        # Inside the try: a kernel whose problem, reference or split fails fails this run.
        with prepare(run, seed=seed, timeout=timeout, references=references) as prepared:
            # The warm-up's duration lets a pool settle (its workers spread over the
            # cores, their first tasks faulted in); one worker needs only its executions.
            done_warmup, first = prepared.warm_up(
                warmup, warmup_s if spec.workers > 1 else 0.0, clock)
            i = 0
            while i < repeats or adaptive_more(wall, repeats, budget_s):
                i += 1
                prepared.reset()
                counters: dict[str, float] = {}
                c0 = time.process_time()
                t0 = clock()
                result, worker_cpu, partials = prepared.execute(counters)
                t1 = clock()
                cpu.append(time.process_time() - c0 + worker_cpu)
                wall.append(t1 - t0)
                counted.append(counters)
                prepared.verify(result, f"repeat {i}")
                if impl.figures is not None:
                    figures.append(impl.figures(partials))
            # The probe reads this interpreter's GIL: workers in other processes have
            # their own, so there it would only time the parent waiting (and cost a run).
            if probe and not run.strategy.uses_processes:
                availability = prepared.probe_gil(clock)
            startup = prepared.startup_s
            problem = prepared.problem
            tasks = sum(len(chunks) for chunks in prepared.phases)
            # What the session says it did (backend, counters).
            facts = dict(prepared.session.describe())
            # The start method the workers were started with (None: no processes).
            start_method = prepared.session.start_method or spec.start_method
            # After every import and every chunk: the GIL this run really ran with.
            gil_on, gil_extra = gilwatch.run_record(gilwatch.state(),
                                                    prepared.session.worker_gil_states())
    except RunError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - any failure inside a run is that run's failure
        raise RunError(spec, f"{type(exc).__name__}: {exc}") from exc

    stats = summarise(wall)
    cpu_med = float(statistics.median(cpu))
    for name in sorted({name for c in counted for name in c}):
        # Per execution, like the times: the median over the timed repeats.
        facts[name] = float(statistics.median(c.get(name, 0.0) for c in counted))
    return Measurement(
        kernel=spec.kernel, flavour=spec.flavour, strategy=spec.strategy,
        workers=spec.workers, size=spec.size, chunks=spec.chunks, schedule=spec.schedule,
        status="ok", error=None, wall_s=tuple(wall), cpu_s=cpu_med, startup_s=startup,
        gil_availability=availability, verified=True, warmup=done_warmup, first_s=first,
        gil_enabled=gil_on,
        utilisation=cpu_med / stats["median_s"] if stats["median_s"] > 0 else math.nan,
        noisy=stats["cv"] > NOISY_CV, work_bytes=kernel.work_bytes(problem),
        work_units=kernel.work_units(spec.size),
        tasks=tasks, input_bytes=problem.input_bytes,
        elapsed_s=time.perf_counter() - run_start,
        extra={**facts, **gil_extra, **median_figures(figures)},
        start_method=start_method, axis=spec.axis, axis_value=spec.axis_value, **stats)


def failed(spec: RunSpec, message: str) -> Measurement:
    """A Measurement recording that ``spec`` failed (kept in results.json with its reason)."""
    return Measurement(kernel=spec.kernel, flavour=spec.flavour, strategy=spec.strategy,
                       workers=spec.workers, size=spec.size, chunks=spec.chunks,
                       schedule=spec.schedule, status="failed", error=message,
                       start_method=spec.start_method, axis=spec.axis,
                       axis_value=spec.axis_value)


__all__ = ["NOISY_CV", "Execution", "KernelContractError", "Measurement", "PreparedRun",
           "ReferenceCache", "ResolvedRun", "RunError", "RunSpec", "as_resolved",
           "check_phases", "execute", "failed", "measure", "median_figures", "prepare",
           "resolve", "summarise"]
