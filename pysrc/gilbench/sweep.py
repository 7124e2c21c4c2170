"""Running a plan: measure every run, persist after each, keep going past failures."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gilbench import allocator
from gilbench.flavours import FLAVOURS
from gilbench.harness import Measurement, ReferenceCache, RunError, failed, measure
from gilbench.interrupts import raise_if_pending
from gilbench.kernels import KERNELS
from gilbench.limits import check_sweep
from gilbench.machine import collect_machine_metadata
from gilbench.plan import Plan
from gilbench.results import RESULTS_NAME, ResultsStore
from gilbench.strategies import DEFAULT_TIMEOUT_S, STRATEGIES


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
              on_run: Callable[[int, int, Measurement], None] | None = None) -> SweepOutcome:
    """Measure every spec of ``plan``, writing ``out_dir/results.json`` after each run.

    A failing run is recorded (status "failed", with the reason) and the sweep goes on.
    Ctrl-C propagates after the finished runs are on disk; sessions clean up on the way.
    """
    repeats = plan.profile.repeats if repeats is None else repeats
    warmup = plan.profile.warmup if warmup is None else warmup
    check_sweep(repeats, timeout, seed)  # before anything is written
    kernels = sorted({s.kernel for s in plan.specs})
    settings = {
        "profile": plan.profile.name, "repeats": repeats, "warmup": warmup,
        "warmup_s": plan.profile.warmup_s, "seed": seed,
        "timeout_s": timeout, "argv": sys.argv[1:],
        "kernel_summaries": {k: KERNELS[k].summary for k in kernels},
        # Every declared trait: analysis chooses roles from these, never from names.
        "flavours": {name: f.traits() for name, f in FLAVOURS.items()},
        "strategies": {name: s.capabilities() for name, s in STRATEGIES.items()},
        # What process runs use unless --start-method named one (each run records its own).
        "default_start_method": plan.default_start_method,
        "skipped": [f"{what}: {why}" for what, why in plan.skipped],
        "not_applicable": [f"{what}: {why}" for what, why in plan.not_applicable],
    }
    # Every run is measured under the allocator tuning: apply it before recording whether
    # it is on. The copy baseline (~0.3 s) gives bandwidth-bound kernels a ceiling.
    allocator.equalise()
    store = ResultsStore(Path(out_dir) / RESULTS_NAME,
                         collect_machine_metadata(measure_bandwidth=True), settings)
    outcome = SweepOutcome(store.path)
    references = ReferenceCache()
    t0 = time.perf_counter()
    for i, spec in enumerate(plan.specs, 1):
        raise_if_pending()
        try:
            m = measure(spec, repeats=repeats, warmup=warmup,
                        warmup_s=plan.profile.warmup_s, probe=probe, seed=seed,
                        timeout=timeout, references=references)
        except RunError as exc:
            outcome.failures.append(exc)
            m = failed(spec, exc.reason)
        store.add(m)
        outcome.measurements.append(m)
        if on_run:
            on_run(i, len(plan.specs), m)
    outcome.elapsed_s = time.perf_counter() - t0
    return outcome
