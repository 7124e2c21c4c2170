"""Shared pytest-benchmark machinery: one parametrized case per runnable combination.

Each benchmark file calls :func:`cases` for its kernel and uses the ``bench_run``
fixture. The run is gilbench's own (:func:`gilbench.harness.prepare`: the same problem,
reference, chunks, warm session, warm-up, verification and GIL probe as ``gilbench run``);
pytest-benchmark only does the timing. ``benchmark.extra_info`` records the run fields
and the figures pytest-benchmark does not measure (CPU time, start-up, the first cold
execution, GIL availability), and two session hooks add gilbench's machine metadata and
the declared traits of flavours and strategies to the JSON, so that
``gilbench report FILE.json`` renders the same findings as for a sweep.
``GILBENCH_BENCH_PROFILE`` (quick/standard/full) picks sizes; ``test`` runs each kernel
at its tiny ``test_size`` without the minimum warm-up time (for gilbench's own tests).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import asdict

import pytest

from gilbench import bytecode

# As the gilbench command does, before any other gilbench module loads: on a free-threaded
# build they load as bytecode, so that threads do not contend on their constants.
bytecode.install()

from gilbench import allocator  # noqa: E402
from gilbench.compat import incompatible_reason  # noqa: E402
from gilbench.flavours import FLAVOURS  # noqa: E402
from gilbench.harness import WARMUP_S, ReferenceCache, RunSpec, prepare, resolve  # noqa: E402
from gilbench.kernels import get_kernel  # noqa: E402
from gilbench.plan import default_workers, representative_flavour  # noqa: E402
from gilbench.pytest_benchmark import suite_settings  # noqa: E402
from gilbench.strategies import STRATEGIES, get_strategy  # noqa: E402

PROFILE = os.environ.get("GILBENCH_BENCH_PROFILE", "quick")
REFERENCES = ReferenceCache()


def cases(kernel_name: str) -> list:
    """pytest params (flavour, strategy, workers) with ids like ``cython-nogil-threads-2``.

    Incompatible pairs are left out, and so are flavours other than the kernel's
    representative one for the strategies that are not ``core`` (as ``gilbench run``
    does); combinations unavailable here are kept but skipped
    with the reason, so the gap is visible in the benchmark output.
    """
    kernel = get_kernel(kernel_name)
    representative = representative_flavour(kernel)
    params = []
    for flavour in FLAVOURS.values():
        # Tunable-GIL-share flavours belong to the gil-fraction axis, as in plain sweeps.
        if flavour.name not in kernel.implementations or flavour.tunable_gil_share:
            continue
        for strategy in STRATEGIES.values():
            if incompatible_reason(kernel, flavour, strategy):
                continue
            # As in a sweep: shipping, and the machinery of a component strategy, cost the
            # same whatever the flavour, so one suffices; a remote cluster is one the user
            # starts (tests/test_dask_remote.py does).
            if strategy.remote or ((strategy.ships_inputs or not strategy.core)
                                   and flavour.name != representative):
                continue
            reason = (kernel.flavour_unavailable_reason(flavour.name)
                      or strategy.unavailable_reason())
            for workers in [1] if strategy.single_worker else default_workers():
                marks = [pytest.mark.skip(reason=reason)] if reason else []
                params.append(pytest.param(
                    flavour.name, strategy.name, workers, marks=marks,
                    id=f"{flavour.name}-{strategy.name}-{workers}"))
    return params


@pytest.fixture
def bench_run(benchmark):
    """Call ``bench_run(kernel, flavour, strategy, workers)`` once per test."""

    def run(kernel_name: str, flavour: str, strategy_name: str, workers: int,
            size: int | None = None, rounds: int = 5) -> None:
        kernel = get_kernel(kernel_name)
        size = size or (kernel.test_size if PROFILE == "test"
                        else kernel.size_for(PROFILE, flavour))
        strategy = get_strategy(strategy_name)
        # The same chunking as `gilbench run`: openmp splits one chunk by its schedule.
        chunks = 1 if strategy.one_chunk else kernel.chunks_per_worker * max(default_workers())
        spec = RunSpec(kernel_name, flavour, strategy_name, workers, size, chunks,
                       "static" if FLAVOURS[flavour].parallel_inside else None)
        resolved = resolve(spec)  # names looked up and checked once, before anything is timed
        allocator.equalise()  # as `gilbench run` measures, and as the metadata says
        benchmark.group = kernel_name
        fields = {k: v for k, v in asdict(spec).items() if v is not None}
        benchmark.extra_info.update(fields, verified=False)
        with prepare(resolved, references=REFERENCES) as prepared:
            # A smoke run (--benchmark-disable) only checks that the case works.
            quick = benchmark.disabled or PROFILE == "test"
            warmup, first = prepared.warm_up(1, 0 if quick else WARMUP_S)
            cpu: list[float] = []
            last: dict = {}

            def setup():
                prepared.reset()
                last["c0"] = time.process_time()

            def target():
                execution = prepared.execute()
                last["result"], last["worker_cpu"] = execution.result, execution.worker_cpu_s

            def teardown():  # outside the timed region, after every round
                cpu.append(time.process_time() - last["c0"] + last["worker_cpu"])
                prepared.verify(last["result"], f"round {len(cpu)}")

            benchmark.pedantic(target, setup=setup, teardown=teardown, rounds=rounds,
                               iterations=1, warmup_rounds=0)
            if benchmark.disabled:  # pedantic ran the target once, without teardown
                prepared.verify(last["result"], "the smoke run")
            benchmark.extra_info.update(
                verified=True, warmup=warmup, first_s=first, startup_s=prepared.startup_s,
                cpu_s=statistics.median(cpu) if cpu else None,
                gil_availability=None if benchmark.disabled else prepared.probe_gil(),
                work_bytes=kernel.work_bytes(prepared.problem),
                work_units=kernel.work_units(size))

    return run


def pytest_benchmark_update_machine_info(config, machine_info):
    """gilbench's machine and build metadata (cores, affinity, GIL, OpenMP, copy
    bandwidth...) beside pytest-benchmark's own, for the findings that need them."""
    from gilbench.machine import collect_machine_metadata

    allocator.equalise()
    machine_info["gilbench"] = collect_machine_metadata(measure_bandwidth=True)


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """The declared traits of every flavour and strategy: analysis picks roles by them."""
    output_json["gilbench"] = {"settings": suite_settings(PROFILE, rounds=5)}
