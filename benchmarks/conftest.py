"""Shared pytest-benchmark machinery: one parametrized case per runnable combination.

Each benchmark file calls :func:`cases` for its kernel and uses the ``bench_run``
fixture, which opens the strategy's session outside the timed call, times one execution
of every phase per round, verifies the result afterwards and records run parameters in
``benchmark.extra_info``. ``GILBENCH_BENCH_PROFILE`` (quick/standard/full) picks sizes.
"""

from __future__ import annotations

import os
import time
from functools import partial

import pytest

from gilbench.compat import incompatible_reason
from gilbench.flavours import FLAVOURS
from gilbench.harness import WARMUP_S, ReferenceCache, RunSpec, execute
from gilbench.kernels import get_kernel
from gilbench.plan import default_workers, representative_flavour
from gilbench.strategies import STRATEGIES, get_strategy

PROFILE = os.environ.get("GILBENCH_BENCH_PROFILE", "quick")
REFERENCES = ReferenceCache()


def cases(kernel_name: str) -> list:
    """pytest params (flavour, strategy, workers) with ids like ``cython-nogil-threads-2``.

    Incompatible pairs are left out; combinations unavailable here are kept but skipped
    with the reason, so the gap is visible in the benchmark output.
    """
    kernel = get_kernel(kernel_name)
    shipping_flavour = representative_flavour(kernel)
    params = []
    for flavour in FLAVOURS.values():
        if flavour.name not in kernel.implementations:
            continue
        for strategy in STRATEGIES.values():
            if incompatible_reason(kernel, flavour, strategy):
                continue
            # As in a sweep: shipping costs the same whatever the flavour, so one suffices;
            # a remote cluster is one the user starts (tests/test_dask_remote.py does).
            if strategy.remote or (strategy.ships_inputs and flavour.name != shipping_flavour):
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
        size = size or kernel.size_for(PROFILE, flavour)
        strategy = get_strategy(strategy_name)
        # The same chunking as `gilbench run`: openmp splits one chunk by its schedule.
        chunks = 1 if strategy.one_chunk else kernel.chunks_per_worker * max(default_workers())
        spec = RunSpec(kernel_name, flavour, strategy_name, workers, size, chunks,
                       "static" if FLAVOURS[flavour].parallel_inside else None)
        spec.validate()
        problem, expected = REFERENCES.get(kernel, size, 0)
        phases = kernel.phases(problem, chunks)
        benchmark.group = kernel_name
        benchmark.extra_info.update(kernel=kernel_name, flavour=flavour,
                                    strategy=strategy_name, workers=workers, size=size,
                                    chunks=chunks)
        payload = partial(kernel.payload, problem) if strategy.ships_inputs else None
        outputs = ({"outputs": partial(kernel.outputs_of, problem)}
                   if strategy.ships_outputs else {})
        with strategy.open(problem, kernel.implementations[flavour], workers,
                           payload=payload, **outputs) as session:
            benchmark.extra_info["startup_s"] = session.startup_s

            def setup():
                session.workspace.reset(list(problem.outputs))

            def target():
                return execute(kernel, problem, session, phases)[0]

            # A smoke run (--benchmark-disable) only checks that the case works.
            warm_until = time.perf_counter() + (0 if benchmark.disabled else WARMUP_S)
            while True:  # warm: JIT, first touch of shared pages, scheduler placement
                setup()
                target()
                if time.perf_counter() >= warm_until:
                    break
            result = benchmark.pedantic(target, setup=setup, rounds=rounds, iterations=1,
                                        warmup_rounds=1)
            mismatch = kernel.compare(result, expected)
            assert mismatch is None, f"{spec.label}: {mismatch}"

    return run
