"""Running a plan: measure every run, persist after each, keep going past failures."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gilbench import allocator, gilwatch
from gilbench.axes.registry import axis_reasons
from gilbench.harness import (
    Measurement,
    ReferenceCache,
    ResolvedRun,
    RunError,
    RunSpec,
    failed,
    measure,
    resolve,
)
from gilbench.interrupts import raise_if_pending
from gilbench.kernels import KERNELS
from gilbench.limits import check_sweep
from gilbench.machine import collect_machine_metadata
from gilbench.plan import Plan
from gilbench.results import RESULTS_NAME, ResultsStore
from gilbench.resume import Resumption, mark_resumed, plan_record
from gilbench.strategies import DEFAULT_TIMEOUT_S, recorded_traits
from gilbench.uncertainty import ADAPTIVE_BUDGET_S


@dataclass
class SweepOutcome:
    """What a sweep produced: the results file, its measurements and its failures."""

    path: Path
    measurements: list[Measurement] = field(default_factory=list)
    failures: list[RunError] = field(default_factory=list)
    elapsed_s: float = 0.0


def run_sweep(plan: Plan, out_dir: str | Path, *, repeats: int | None = None,
              warmup: int | None = None, seed: int = 0, timeout: float = DEFAULT_TIMEOUT_S,
              probe: bool = True,
              on_run: Callable[[int, int, Measurement], None] | None = None,
              resume: Resumption | None = None) -> SweepOutcome:
    """Measure every spec of ``plan``, writing ``out_dir/results.json`` after each run.

    A failing run is recorded (status "failed", with the reason) and the sweep goes on.
    Ctrl-C propagates after the finished runs are on disk; sessions clean up on the way.
    With ``resume`` (see :mod:`gilbench.resume`), the recorded sweep goes on instead: its
    settings apply, its runs are kept and only ``resume.remaining`` runs;
    ``on_run(i, n, m)`` then counts the finished runs in ``i`` and ``n``.
    """
    gilwatch.install()  # a GIL warning shown from now on (a first chunk call) is recorded
    if resume is not None:
        return _resume_sweep(resume, out_dir, probe=probe, on_run=on_run)
    explicit = repeats is not None
    repeats = plan.profile.repeats if repeats is None else repeats
    warmup = plan.profile.warmup if warmup is None else warmup
    check_sweep(repeats, timeout, seed)  # before anything is written
    kernels = sorted({s.kernel for s in plan.specs})
    settings = {
        "profile": plan.profile.name, "repeats": repeats,
        # Named on the command line: axes then keep it instead of their max_repeats.
        "repeats_explicit": explicit, "warmup": warmup,
        "warmup_s": plan.profile.warmup_s,
        "adaptive_budget_s": plan.profile.adaptive_budget_s, "seed": seed,
        "timeout_s": timeout, "argv": sys.argv[1:],
        "kernel_summaries": {k: KERNELS[k].summary for k in kernels},
        # Every declared trait: analysis chooses roles from these, never from names.
        **recorded_traits(),
        # Which axes could map each kernel: the report's "When" section reads it.
        "axis_reasons": axis_reasons([KERNELS[k] for k in kernels]),
        # What process runs use unless --start-method named one (each run records its own).
        "default_start_method": plan.default_start_method,
        "skipped": [f"{what}: {why}" for what, why in plan.skipped],
        "not_applicable": [f"{what}: {why}" for what, why in plan.not_applicable],
        # Every run spec, in order: `gilbench run --resume` runs what is missing.
        "plan": plan_record(plan.specs),
    }
    # Every run is measured under the allocator tuning: apply it before recording whether
    # it is on. The copy baseline (~0.3 s) gives bandwidth-bound kernels a ceiling.
    allocator.equalise()
    machine = collect_machine_metadata(measure_bandwidth=True)
    machine.update(axis_machine_facts(plan, timeout))
    store = ResultsStore(Path(out_dir) / RESULTS_NAME, machine, settings)
    return _measure_all(store, plan.specs, 0, repeats=repeats, explicit=explicit,
                        warmup=warmup, warmup_s=plan.profile.warmup_s, probe=probe, seed=seed,
                        timeout=timeout, on_run=on_run, resolved=plan.resolved,
                        budget_s=plan.profile.adaptive_budget_s)


def _resume_sweep(resume: Resumption, out_dir: str | Path, *, probe: bool,
                  on_run: Callable[[int, int, Measurement], None] | None) -> SweepOutcome:
    """Append the missing runs of a recorded sweep to its results.json (the axes' machine
    facts were measured before its first run and are in it already)."""
    settings = resume.settings
    allocator.equalise()  # as the recorded sweep ran (its metadata says so)
    mark_resumed(resume.document)
    store = ResultsStore.reopen(Path(out_dir) / RESULTS_NAME, resume.document)
    return _measure_all(store, resume.remaining, resume.finished,
                        repeats=settings["repeats"],
                        explicit=bool(settings.get("repeats_explicit")),
                        warmup=settings["warmup"], warmup_s=settings["warmup_s"], probe=probe,
                        seed=settings["seed"], timeout=settings["timeout_s"], on_run=on_run,
                        budget_s=settings.get("adaptive_budget_s", ADAPTIVE_BUDGET_S))


def _measure_all(store: ResultsStore, specs: list[RunSpec], finished: int, *,
                 repeats: int, explicit: bool, warmup: int, warmup_s: float, probe: bool,
                 seed: int, timeout: float,
                 on_run: Callable[[int, int, Measurement], None] | None,
                 resolved: Mapping[RunSpec, ResolvedRun] | None = None,
                 budget_s: float = ADAPTIVE_BUDGET_S) -> SweepOutcome:
    from gilbench.axes.registry import measure_settings

    outcome = SweepOutcome(store.path)
    resolved = resolved or {}
    references = ReferenceCache()
    t0 = time.perf_counter()
    total = finished + len(specs)
    for i, spec in enumerate(specs, finished + 1):
        raise_if_pending()
        run_repeats, run_probe = measure_settings(spec, repeats, explicit=explicit, probe=probe)
        try:
            # Resolved by the plan once; what the machine has (free memory) may have
            # changed since, so that is checked again at its turn. A resumed sweep's
            # specs come from results.json and are resolved here.
            known = resolved.get(spec)
            run = known.recheck() if known is not None else resolve(spec)
            m = measure(run, repeats=run_repeats, warmup=warmup, warmup_s=warmup_s,
                        probe=run_probe, seed=seed, timeout=timeout, references=references,
                        budget_s=budget_s)
        except RunError as exc:
            outcome.failures.append(exc)
            m = failed(spec, exc.reason)
        except ValueError as exc:
            # The plan validated every spec, but what the machine has can change during a
            # sweep (memory held by another program): this run is refused, the rest go on.
            error = RunError(spec, f"refused when its turn came: {exc}")
            outcome.failures.append(error)
            m = failed(spec, error.reason)
        store.add(m)
        outcome.measurements.append(m)
        if on_run:
            on_run(i, total, m)
    outcome.elapsed_s = time.perf_counter() - t0
    return outcome


def axis_machine_facts(plan: Plan, timeout: float) -> dict[str, dict]:
    """What each axis of the plan measures about the machine before the runs (granularity:
    the per-task cost of its strategies), keyed by axis name for results.json's machine."""
    from gilbench.axes.registry import AXES

    facts = {}
    for name in dict.fromkeys(s.axis for s in plan.specs if s.axis in AXES):
        try:
            measured = AXES[name].machine_facts([s for s in plan.specs if s.axis == name],
                                                timeout)
        except Exception as exc:  # noqa: BLE001 - the runs still run; the report says why
            measured = {"error": f"{type(exc).__name__}: {exc}"}
        if measured:
            facts[name] = measured
    return facts
