"""``--scheduler``: runs on an existing dask cluster, here a scheduler and workers that the
test starts on 127.0.0.1 as separate processes (the dask CLIs), as a user's cluster would
be; they are stopped afterwards, and every wait has a timeout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from gilbench import KERNELS
from gilbench.cli import main
from gilbench.harness import RunError, RunSpec, measure
from gilbench.results import load_results

pytest.importorskip("distributed", reason="optional extra [distributed] not installed")

from gilbench.strategies import dask_cluster  # noqa: E402

START_TIMEOUT_S = 90


def _start(args: list[str]) -> subprocess.Popen:
    # Own session: the whole group (a worker's nanny and its worker process) is stopped
    # together afterwards.
    return subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def cluster(tmp_path):
    """(address, worker threads) of a scheduler and 2 single-threaded worker processes,
    per test: the autouse leak check wants no process left after any test."""
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    procs = [_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(scheduler_file)])]
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                pytest.fail("the dask scheduler did not start")
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        procs.append(_start(["distributed.cli.dask_worker", "--scheduler-file",
                             str(scheduler_file), "--nworkers", "2", "--nthreads", "1",
                             "--no-dashboard", "--memory-limit", "0"]))
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield address, 2
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture
def remote(cluster):
    with dask_cluster.use_scheduler(cluster[0]) as strategy:
        yield strategy


def test_kernels_run_on_an_existing_cluster(remote, cluster):
    for kernel_name, flavour in [("mandelbrot", "cython-nogil"), ("hashing", "stdlib"),
                                 ("python-objects", "python"), ("reduction", "cython-nogil"),
                                 ("montecarlo-pi", "python")]:
        kernel = KERNELS[kernel_name]
        m = measure(RunSpec(kernel_name, flavour, "dask-remote", 2, kernel.test_size, 5),
                    repeats=2, warmup=0, warmup_s=0, probe=False, timeout=60)
        assert m.verified, kernel_name
        assert m.extra["scheduler"] == cluster[0]
        assert m.extra["cluster_workers"] == 2 and m.extra["cluster_threads"] == 2
        assert m.cpu_s is not None and m.cpu_s > 0  # the workers' CPU time came back too


def test_more_workers_than_the_cluster_has_fail_with_the_count(remote):
    with pytest.raises(RunError, match="has 2 worker thread"):
        measure(RunSpec("mandelbrot", "cython-nogil", "dask-remote", 3, 48, 3), repeats=1,
                warmup=0, warmup_s=0, probe=False, timeout=30)


def test_cli_runs_the_sweep_on_the_cluster(cluster, tmp_path):
    code = main(["run", "--scheduler", cluster[0], "--strategy", "dask-remote",
                 "--kernel", "mandelbrot", "--flavour", "cython-nogil", "--size", "64",
                 "--workers", "2", "--repeat", "2", "--out", str(tmp_path), "--quiet",
                 "--no-plots"])
    assert code == 0
    runs = load_results(tmp_path)["runs"]
    remote_runs = [r for r in runs if r["strategy"] == "dask-remote"]
    assert remote_runs and all(r["status"] == "ok" for r in runs)
    assert remote_runs[0]["extra"]["scheduler"] == cluster[0]
    # The registry is as it was: dask-remote unconfigured again.
    from gilbench import STRATEGIES

    assert STRATEGIES["dask-remote"].unavailable_reason()


def test_cli_refuses_an_unreachable_scheduler_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT_S", 2.0)
    code = main(["run", "--scheduler", "tcp://127.0.0.1:9", "--strategy", "dask-remote"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "no dask scheduler answered at tcp://127.0.0.1:9" in err
