"""joblib and dask strategies: availability, failures and cleanup (the [distributed] extra).

That every kernel gets its reference result under them is test_kernels' job; here: what
happens when a kernel raises, a worker dies, a worker hangs or an argument cannot travel.
"""

from __future__ import annotations

import threading
import time

import pytest

from gilbench import KERNELS, STRATEGIES, register_kernel
from gilbench.cli import main
from gilbench.harness import RunError, RunSpec, measure
from gilbench.kernels import Implementation
from gilbench.strategies.base import missing_extra
from tests.userkernel import Crashing, Exploding, Sleeping, SumOfCubes, cubes_python

LIBRARY = sorted(s.name for s in STRATEGIES.values() if s.library and not s.remote)
PROCESS_LIBRARY = sorted(s.name for s in STRATEGIES.values()
                         if s.library and s.uses_processes and not s.remote)


def test_the_library_strategies_are_registered_with_their_traits():
    assert LIBRARY == ["dask-processes", "dask-threads", "joblib-loky", "joblib-threads"]
    assert PROCESS_LIBRARY == ["dask-processes", "joblib-loky"]
    for name in PROCESS_LIBRARY:
        assert STRATEGIES[name].ships_inputs and STRATEGIES[name].ships_outputs


def test_a_missing_extra_is_a_reason_naming_the_install_command():
    reason = missing_extra("gilbench_no_such_module", "distributed")
    assert "gilbench_no_such_module" in reason
    assert "pip install 'gilbench[distributed]'" in reason
    assert missing_extra("json", "distributed") is None


@pytest.fixture
def registered():
    names = []

    def add(cls):
        names.append(register_kernel(cls, replace=True).name)

    yield add
    for name in names:
        KERNELS.pop(name, None)


def needs_extra(strategy: str) -> None:
    reason = STRATEGIES[strategy].unavailable_reason()
    if reason:
        pytest.skip(f"optional extra [distributed]: {reason}")


def run(kernel: str, flavour: str, strategy: str, timeout: float = 60):
    return measure(RunSpec(kernel, flavour, strategy, 2, 200, 4), repeats=1, warmup=0,
                   warmup_s=0, probe=False, timeout=timeout)


@pytest.mark.parametrize("strategy", LIBRARY)
def test_a_raising_kernel_reaches_the_user_with_its_type_and_message(strategy, registered):
    needs_extra(strategy)
    registered(Exploding)
    with pytest.raises(RunError, match="RuntimeError: boom in a chunk"):
        run("exploding", "numpy", strategy)
    assert run("exploding", "python", strategy).verified  # and the next run is fine


@pytest.mark.parametrize("strategy", PROCESS_LIBRARY)
def test_a_dead_worker_fails_the_run_promptly(strategy, registered):
    needs_extra(strategy)
    registered(Crashing)
    t0 = time.monotonic()
    with pytest.raises(RunError, match="died"):
        run("crashing", "python", strategy)
    assert time.monotonic() - t0 < 60


@pytest.mark.parametrize("strategy", PROCESS_LIBRARY)
def test_a_stuck_worker_times_out_and_is_killed(strategy, registered):
    needs_extra(strategy)
    registered(Sleeping)
    t0 = time.monotonic()
    with pytest.raises(RunError, match="within 2 s"):
        run("sleeping", "python", strategy, timeout=2)
    assert time.monotonic() - t0 < 60


class Unpicklable(SumOfCubes):
    """Its params hold a lock, which no pickler can send to another process."""

    name = "unpicklable"
    implementations = {"python": Implementation(cubes_python)}

    def make_problem(self, size, seed=0):
        problem = super().make_problem(size, seed)
        return type(problem)(problem.kernel, problem.size, seed, {"lock": threading.Lock()})


@pytest.mark.parametrize("strategy", PROCESS_LIBRARY)
def test_an_argument_that_cannot_travel_is_a_clear_error(strategy, registered):
    needs_extra(strategy)
    registered(Unpicklable)
    with pytest.raises(RunError, match="pickle"):
        run("unpicklable", "python", strategy)


@pytest.mark.parametrize("strategy", LIBRARY)
def test_start_up_is_measured_and_the_library_version_recorded(strategy):
    needs_extra(strategy)
    m = run("montecarlo-pi", "cython-nogil", strategy)
    assert m.startup_s is not None and m.startup_s > 0
    assert m.extra["library_version"]
    assert m.tasks == 4  # a run field (older files kept it in extra; analysis reads both)


@pytest.mark.parametrize("address", ["localhost:8786", "tcp://host", "http://h:1",
                                     "tcp://h:99999"])
def test_a_malformed_scheduler_address_is_refused_in_one_line(address, capsys):
    assert main(["run", "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected tcp://HOST:PORT" in err
