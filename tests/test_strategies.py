"""Every strategy, parametrized from the registry (so a strategy is tested the day it is
registered): failures reach the user as what they are, nothing hangs, nothing leaks (the
autouse fixture of conftest.py checks processes and segments after every test)."""

from __future__ import annotations

import inspect
import multiprocessing as mp
import signal
import time

import pytest

from gilbench import FLAVOURS, KERNELS, STRATEGIES, register_kernel
from gilbench.compat import incompatible_reason
from gilbench.harness import RunError, RunSpec, measure
from gilbench.strategies import Session, Strategy
from gilbench.strategies.startmethod import START_METHODS
from tests.conftest import live_children, shm_segments
from tests.userkernel import Killed, Raising, Stuck, Unpicklable

#: A failing run must end well within this many seconds (its timeout is longer).
PROMPTLY_S = 20


def strategies(where=lambda s: True) -> list:
    return [pytest.param(s.name, id=s.name) for s in STRATEGIES.values()
            if where(s) and not s.unavailable_reason()]


PROCESS_STRATEGIES = strategies(lambda s: s.uses_processes)


@pytest.fixture
def kernel():
    """Register a test kernel for one test."""
    names = []

    def add(cls):
        names.append(register_kernel(cls, replace=True).name)
        return cls.name

    yield add
    for name in names:
        KERNELS.pop(name, None)


def fail(spec: RunSpec, timeout: float = 30) -> tuple[RunError, float]:
    t0 = time.monotonic()
    with pytest.raises(RunError) as info:
        measure(spec, repeats=1, warmup=0, warmup_s=0, probe=False, timeout=timeout)
    return info.value, time.monotonic() - t0


@pytest.mark.parametrize("name", list(STRATEGIES))  # the unavailable ones too
def test_every_strategy_is_opened_alike(name):
    """One contract: ``open`` and ``session_args`` have the base class's signatures, and
    the session class takes ``(problem, impl, workers, timeout)`` first."""
    strategy = STRATEGIES[name]
    for method in ("open", "session_args"):
        assert (inspect.signature(getattr(type(strategy), method))
                == inspect.signature(getattr(Strategy, method))), f"{name}.{method}"
    session_class = strategy.session_class
    assert isinstance(session_class, type) and issubclass(session_class, Session), name
    first = list(inspect.signature(session_class.__init__).parameters)[1:5]
    assert first == ["problem", "impl", "workers", "timeout"], session_class.__name__


def test_every_standard_library_process_strategy_offers_start_methods():
    assert PROCESS_STRATEGIES  # the registry has some
    for param in PROCESS_STRATEGIES:
        s = STRATEGIES[param.values[0]]
        if s.library:  # a library's pool starts its workers its own way (loky, nannies)
            continue
        assert s.supports_start_method, s.name
        assert s.ipc in ("queue", "pipe", "proxy") and s.returns in ("pickled", "shared",
                                                                     "proxy"), s.name
        assert s.uses, f"{s.name} does not say what it uses"


def representatives(key) -> list[str]:
    """One process strategy with start methods per value of ``key(strategy)``, in
    registry order."""
    chosen: dict = {}
    for param in PROCESS_STRATEGIES:
        strategy = STRATEGIES[param.values[0]]
        if strategy.supports_start_method:
            chosen.setdefault(key(strategy), strategy.name)
    return list(chosen.values())


def other_start_methods(key) -> list:
    """Every start method but the default, crossed with one process strategy per value of
    ``key``: each path is also run with spawned (or forkserver) workers."""
    return [pytest.param(s, m, id=f"{s}-{m}") for m in START_METHODS if m != START_METHODS[0]
            for s in representatives(key)]


def by_channel(strategy):
    """How chunks travel and partials come back."""
    return strategy.ipc, strategy.returns


def by_code(strategy):
    """Which session code runs it (strategies sharing an ``open`` differ by data only)."""
    return type(strategy).open, getattr(strategy, "session", None)


@pytest.mark.parametrize(("strategy", "method"),
                         [pytest.param(p.values[0], None, id=p.id) for p in PROCESS_STRATEGIES]
                         + other_start_methods(by_channel))
def test_a_worker_killed_mid_run_fails_the_run_promptly(kernel, strategy, method):
    spec = RunSpec(kernel(Killed), "python", strategy, 2, 100, 4, start_method=method)
    before = shm_segments()
    error, took = fail(spec)
    assert took < PROMPTLY_S, f"{strategy} took {took:.1f} s to notice a dead worker"
    assert "died" in error.reason or "killed by SIGKILL" in error.reason or \
        "went away" in error.reason, error.reason
    assert "\n" not in error.reason
    assert shm_segments() == before
    assert not live_children()


@pytest.mark.parametrize("strategy", strategies(
    lambda s: not incompatible_reason(Raising(), FLAVOURS["python"], s)))
def test_a_kernel_raising_reaches_the_user_as_itself(kernel, strategy):
    error, took = fail(RunSpec(kernel(Raising), "python", strategy, 2, 100, 4))
    assert error.reason.startswith("RuntimeError: boom in a chunk"), error.reason
    assert took < PROMPTLY_S
    assert not live_children()


@pytest.mark.parametrize("strategy", PROCESS_STRATEGIES)
def test_an_unpicklable_chunk_is_a_clear_error_not_a_deadlock(kernel, strategy):
    error, took = fail(RunSpec(kernel(Unpicklable), "python", strategy, 2, 100, 4))
    assert "pickle" in error.reason.lower(), error.reason
    assert took < PROMPTLY_S, f"{strategy} took {took:.1f} s"
    assert not live_children()


@pytest.mark.parametrize("strategy", PROCESS_STRATEGIES)
def test_a_stuck_chunk_times_out_and_its_worker_is_killed(kernel, strategy):
    # (Threads cannot be killed: a stuck thread is waited for when its session closes.)
    error, took = fail(RunSpec(kernel(Stuck), "python", strategy, 2, 100, 2), timeout=0.5)
    assert "within 0.5 s" in error.reason, error.reason
    assert took < PROMPTLY_S


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
@pytest.mark.parametrize("strategy", PROCESS_STRATEGIES)
def test_an_interrupted_run_leaves_no_worker_and_no_segment(kernel, strategy):
    """Ctrl-C (here a KeyboardInterrupt raised by a timer, during start-up or while the
    chunks sleep): the session kills its workers, Manager or Pool and unlinks its memory."""
    spec = RunSpec(kernel(Stuck), "python", strategy, 2, 100, 2)
    before = shm_segments()

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            measure(spec, repeats=1, warmup=0, warmup_s=0, probe=False, timeout=60)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - t0 < PROMPTLY_S
    assert not live_children()
    assert shm_segments() == before


def strictest_first() -> list:
    """Every session's code under spawn (everything pickled, nothing inherited); every
    channel under the other methods that are not the default."""
    params = [pytest.param(s, "spawn", id=f"{s}-spawn") for s in representatives(by_code)
              if "spawn" in START_METHODS]
    return params + [p for p in other_start_methods(by_channel) if p.values[1] != "spawn"]


@pytest.mark.parametrize(("strategy", "method"), strictest_first())
def test_every_kind_of_session_works_and_is_recorded_under_each_start_method(strategy,
                                                                            method):
    # reduction: inputs to share or ship, and partials that add up (shared-array's Values).
    size = KERNELS["reduction"].test_size
    m = measure(RunSpec("reduction", "cython-nogil", strategy, 2, size, 4,
                        start_method=method), repeats=1, warmup=0, warmup_s=0, probe=False)
    assert m.verified and m.start_method == method and m.startup_s > 0
    if method == "forkserver":  # the server is this run's: started, then stopped
        assert m.extra["forkserver_started"] is True
    assert not live_children()


def test_without_a_start_method_the_run_records_the_default_it_used():
    m = measure(RunSpec("mandelbrot", "cython-nogil", "pipe", 2, 32, 4), repeats=1,
                warmup=0, warmup_s=0, probe=False)
    assert m.start_method == mp.get_start_method(allow_none=True) or START_METHODS[0]
    assert m.extra["start_method_chosen_by"] == "multiprocessing's default"


def test_a_start_method_does_not_apply_to_threads():
    with pytest.raises(ValueError, match="starts no worker processes"):
        RunSpec("mandelbrot", "cython-nogil", "thread", 2, 32, 4,
                start_method=START_METHODS[0]).validate()
    with pytest.raises(ValueError, match="unknown start method 'teleport'"):
        RunSpec("mandelbrot", "cython-nogil", "pipe", 2, 32, 4,
                start_method="teleport").validate()


@pytest.mark.skipif("fork" not in START_METHODS, reason="fork does not exist here")
def test_forking_after_an_openmp_team_is_recorded_and_survives():
    """A forked child that starts its own OpenMP team after the parent ran one hangs (GNU
    libgomp); workers cap native pools at one thread, so the fork default still runs."""
    if FLAVOURS["cython-prange"].unavailable_reason():
        pytest.skip(FLAVOURS["cython-prange"].unavailable_reason())
    measure(RunSpec("mandelbrot", "cython-prange", "openmp", 2, 32, 1, "static"),
            repeats=1, warmup=0, warmup_s=0, probe=False)
    m = measure(RunSpec("mandelbrot", "cython-nogil", "process-queue", 2, 32, 4,
                        start_method="fork"), repeats=1, warmup=0, warmup_s=0, probe=False,
                timeout=60)
    assert m.verified and "OpenMP team of 2 threads" in m.extra["fork_after_openmp"]


def test_shared_array_adds_partials_into_a_value_and_counts_lock_waits():
    m = measure(RunSpec("montecarlo-pi", "cython-nogil", "shared-array", 2, 20_000, 8),
                repeats=2, warmup=0, warmup_s=0, probe=False)
    assert m.verified
    assert m.extra["value_updates"] == 8  # one per chunk: the hit counts went into the Value
    assert m.extra["lock_wait_s"] >= 0
    # A kernel whose partials are not declared to add up gets them back as they are.
    m = measure(RunSpec("python-objects", "python", "shared-array", 2, 200, 4), repeats=1,
                warmup=0, warmup_s=0, probe=False)
    assert m.verified and m.extra["value_updates"] == 0


def test_manager_counts_its_proxy_round_trips():
    m = measure(RunSpec("mandelbrot", "cython-nogil", "manager", 2, 32, 4), repeats=2,
                warmup=0, warmup_s=0, probe=False)
    assert m.verified
    # at least: 3 per chunk in the workers, a put and a completion per chunk here, 2 per map
    assert m.extra["proxy_round_trips"] >= 5 * 4 + 2
    assert m.extra["manager_start_s"] > 0


def one_flavour_per_gil_trait(kernel) -> list[str]:
    seen, picked = set(), []
    for name in kernel.implementations:
        flavour = FLAVOURS[name]
        if flavour.parallel_inside or flavour.gil in seen:
            continue
        if kernel.flavour_unavailable_reason(name):
            continue
        seen.add(flavour.gil)
        picked.append(name)
    return picked


def pickled_combinations():
    for kernel in KERNELS.values():
        for flavour in kernel.implementations:
            if not FLAVOURS[flavour].parallel_inside:
                yield kernel.name, flavour


@pytest.mark.skipif("spawn" not in START_METHODS, reason="spawn does not exist here")
def test_every_kernel_and_flavour_runs_in_a_spawned_worker():
    """Under spawn and forkserver, chunk functions and prepare hooks travel pickled: every
    kernel x flavour (available here) must compute its reference in a fresh interpreter."""
    from concurrent.futures import ProcessPoolExecutor

    from tests.spawned import run_chunks

    jobs = {}
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
        for kernel_name, flavour in pickled_combinations():
            kernel = KERNELS[kernel_name]
            if kernel.flavour_unavailable_reason(flavour):
                continue
            impl = kernel.implementations[flavour]
            jobs[(kernel_name, flavour)] = pool.submit(run_chunks, kernel_name, impl.fn,
                                                       impl.prepare, kernel.test_size)
        wrong = {key: job.result(timeout=240) for key, job in jobs.items()}
    wrong = {key: why for key, why in wrong.items() if why}
    assert not wrong, wrong
    assert len(jobs) >= len(KERNELS)


def matrix():
    """Each component strategy on every kernel, with one flavour per kernel x strategy,
    rotating through the kernel's GIL traits (holds, releases, partly releases), so that
    every trait meets several strategies; the full flavour matrix of tests/test_kernels.py
    (core strategies) would take minutes for these."""
    components = [s for s in STRATEGIES.values() if not s.core]
    for kernel in KERNELS.values():
        flavours = one_flavour_per_gil_trait(kernel)
        for i, strategy in enumerate(components):
            runnable = [f for f in flavours
                        if not incompatible_reason(kernel, FLAVOURS[f], strategy)]
            if runnable:
                flavour = runnable[i % len(runnable)]
                yield pytest.param(kernel.name, flavour, strategy.name,
                                   id=f"{kernel.name}-{flavour}-{strategy.name}")


@pytest.mark.parametrize(("kernel_name", "flavour", "strategy"), list(matrix()))
def test_component_strategies_match_the_reference(kernel_name, flavour, strategy):
    kernel = KERNELS[kernel_name]
    m = measure(RunSpec(kernel_name, flavour, strategy, 2, kernel.test_size, 7), repeats=2,
                warmup=0, warmup_s=0, probe=False)
    # Seven chunks on two workers: every worker takes several, in whatever order.
    assert m.status == "ok" and m.verified
