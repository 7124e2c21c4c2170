"""Failing runs: recorded with the reason, finished runs kept, nothing leaked or hung."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from gilbench import KERNELS, register_kernel
from gilbench.cli import main
from gilbench.harness import ResolvedRun, RunError, RunSpec, measure
from gilbench.plan import build_plan
from gilbench.results import load_results
from gilbench.sweep import run_sweep
from tests.conftest import shm_segments
from tests.userkernel import Crashing, Exploding, Sleeping


@pytest.fixture
def registered():
    names = []

    def add(cls):
        names.append(register_kernel(cls, replace=True).name)

    yield add
    for name in names:
        KERNELS.pop(name, None)


def test_a_failing_run_keeps_the_others(tmp_path, registered):
    registered(Exploding)
    plan = build_plan("quick", kernels=["exploding"], strategies=["serial", "threads"],
                      workers=[2], sizes=[500])
    outcome = run_sweep(plan, tmp_path, repeats=2, warmup=0)
    doc = load_results(tmp_path)
    status = {(r["flavour"], r["strategy"]): r["status"] for r in doc["runs"]}
    assert status == {("python", "serial"): "ok", ("python", "threads"): "ok",
                      ("numpy", "serial"): "failed", ("numpy", "threads"): "failed"}
    failed = [r for r in doc["runs"] if r["status"] == "failed"]
    assert all("boom in a chunk" in r["error"] for r in failed)
    assert len(outcome.failures) == 2
    assert "exploding/numpy/serial" in str(outcome.failures[0])


def test_cli_exit_code_1_on_failure_and_report_lists_it(tmp_path, registered, capsys):
    registered(Exploding)
    code = main(["run", "--kernel", "exploding", "--strategy", "serial", "--size", "300",
                 "--out", str(tmp_path), "--quiet", "--no-plots"])
    assert code == 1
    err = capsys.readouterr().err
    assert "exploding/numpy/serial" in err and "boom in a chunk" in err
    report = (tmp_path / "report.md").read_text()
    assert "## Failed runs" in report and "boom in a chunk" in report


def test_verification_mismatch_fails_the_run(registered):
    class Wrong(Exploding):
        name = "wrong"

        def reference(self, problem):
            return -1

    registered(Wrong)
    with pytest.raises(RunError, match="verification failed"):
        measure(RunSpec("wrong", "python", "serial", 1, 100, 2), repeats=1, warmup=0,
                warmup_s=0, probe=False)


def test_crashed_worker_fails_the_run_without_leaks(registered):
    registered(Crashing)
    before = shm_segments()
    with pytest.raises(RunError, match="died"):
        measure(RunSpec("crashing", "python", "processes", 2, 100, 2), repeats=1, warmup=0,
                warmup_s=0, probe=False, timeout=30)
    assert shm_segments() == before


def test_stuck_worker_times_out_and_is_killed(registered):
    registered(Sleeping)
    t0 = time.monotonic()
    with pytest.raises(RunError, match="within 1 s"):
        measure(RunSpec("sleeping", "python", "processes", 2, 100, 2), repeats=1, warmup=0,
                warmup_s=0, probe=False, timeout=1)
    assert time.monotonic() - t0 < 20


def test_bad_spec_is_a_value_error_not_a_run_error():
    with pytest.raises(ValueError, match="workers must be >= 1"):
        measure(RunSpec("mandelbrot", "python", "threads", 0, 10, 1))
    with pytest.raises(ValueError, match="parallelises itself"):
        measure(RunSpec("mandelbrot", "cython-prange", "processes", 2, 10, 1, "static"))
    with pytest.raises(ValueError, match="repeats"):
        measure(RunSpec("mandelbrot", "python", "serial", 1, 10, 1), repeats=0)


def test_ctrl_c_exits_130_and_keeps_finished_runs(tmp_path):
    out_dir = tmp_path / "res"
    before = shm_segments()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gilbench", "run", "--kernel", "mandelbrot", "--flavour",
         "python", "--strategy", "serial,processes", "--size", "150", "--repeat", "20",
         "--out", str(out_dir), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = out_dir / "results.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if results.exists() and json.loads(results.read_text())["runs"]:
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("no run finished in time")
    time.sleep(0.5)  # now inside a process-pool run
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    runs = load_results(out_dir)["runs"]
    assert runs and all(r["status"] == "ok" for r in runs)
    assert shm_segments() == before
    # Workers belonged to the interrupted process; none may outlive it.
    leftovers = subprocess.run(["pgrep", "-f", f"{out_dir}"], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "" or os.name != "posix"


def test_a_kernel_whose_reference_raises_fails_only_that_run(registered):
    class BadReference(Exploding):
        name = "bad-reference"

        def reference(self, problem):
            raise ZeroDivisionError("no reference today")

    registered(BadReference)
    with pytest.raises(RunError, match="no reference today"):
        measure(RunSpec("bad-reference", "python", "serial", 1, 10, 1), repeats=1,
                warmup=0, warmup_s=0, probe=False)


POOL_START_SCRIPT = r"""
import json, os, resource, sys
import psutil
from gilbench.harness import ResolvedRun, RunError, RunSpec, measure
from gilbench.strategies.processes import SEGMENT_PREFIX

spec = RunSpec("mandelbrot", "python", "processes", 2, 32, 2)
def run():
    return measure(spec, repeats=1, warmup=0, warmup_s=0, probe=False, timeout=30)
run()  # imports done and the resource tracker started, with the normal limit
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
outcomes = []
for spare in range(0, 40):
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + spare, hard))
    try:
        run()
        outcome = ["ok", ""]
    except RunError as exc:
        outcome = ["failed", exc.reason]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    children = [c for c in psutil.Process().children(recursive=True)
                if c.status() != psutil.STATUS_ZOMBIE
                and "resource_tracker" not in " ".join(c.cmdline())]
    segments = [n for n in os.listdir("/dev/shm")
                if n.startswith(f"{SEGMENT_PREFIX}{os.getpid()}_")]
    outcomes.append([spare, *outcome, len(children), len(segments)])
print(json.dumps(outcomes))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts fds in /proc")
def test_a_pool_that_cannot_start_fails_that_run_and_leaks_nothing():
    # Every open-file limit from "nothing to spare" up to "enough": the pool fails to
    # start at each step of its start-up in turn (pipes, segments, forks, workers).
    out = subprocess.run([sys.executable, "-c", POOL_START_SCRIPT], capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    outcomes = json.loads(out.stdout)
    for spare, status, reason, children, segments in outcomes:
        assert (children, segments) == (0, 0), (spare, status, reason)
        assert "\n" not in reason
    reasons = [r for _, status, r, _, _ in outcomes if status == "failed"]
    assert any("could not start 2 worker processes" in r and "open-file limit" in r
               for r in reasons), reasons
    assert outcomes[-1][1] == "ok", outcomes  # and with enough descriptors it runs


@pytest.mark.parametrize(("error", "named"), [
    (errno.EAGAIN, "process limit"), (errno.ENOMEM, "memory is exhausted")])
def test_fork_failure_fails_the_run_with_the_limit_named(monkeypatch, error, named):
    # RLIMIT_NPROC does not bind root, so fork is made to fail as it does at the limit.
    def no_fork():
        raise OSError(error, os.strerror(error))

    before = shm_segments()
    monkeypatch.setattr(os, "fork", no_fork)
    with pytest.raises(RunError, match=f"could not start 2 worker processes: .*{named}"):
        measure(RunSpec("mandelbrot", "python", "processes", 2, 32, 2), repeats=1,
                warmup=0, warmup_s=0, probe=False, timeout=30)
    assert shm_segments() == before


def test_a_full_dev_shm_fails_the_run_before_anything_is_written(monkeypatch):
    # Filling a tmpfs past its size kills the writer with SIGBUS: check first.
    tiny = os.statvfs_result((4096, 4096, 1, 1, 1, 1, 1, 1, 0, 255))
    monkeypatch.setattr(os, "statvfs", lambda path: tiny)
    with pytest.raises(RunError, match=r"needs .* of shared memory and /dev/shm has "
                                       r"4\.0 KiB free \(/dev/shm is too small or full"):
        measure(RunSpec("mandelbrot", "python", "processes", 2, 64, 2), repeats=1,
                warmup=0, warmup_s=0, probe=False, timeout=30)


def test_a_run_refused_when_its_turn_comes_fails_alone(tmp_path, monkeypatch):
    # The plan validated every spec; memory taken by another program during the sweep
    # made a later run too big once (a traceback ended a 592-run sweep): now it fails alone.
    plan = build_plan("quick", kernels=["mandelbrot"], flavours=["cython-nogil"],
                      strategies=["serial", "threads"], workers=[2], sizes=[64])
    # The plan resolved each run once; the sweep checks memory again at each run's turn.
    original = ResolvedRun.recheck

    def recheck(run):
        if run.spec.strategy == "threads":
            raise ValueError("mandelbrot size 64 needs about 1 TiB of memory")
        return original(run)

    monkeypatch.setattr(ResolvedRun, "recheck", recheck)
    outcome = run_sweep(plan, tmp_path, repeats=1, warmup=0)
    status = {r["strategy"]: (r["status"], r["error"]) for r in load_results(tmp_path)["runs"]}
    assert status["serial"] == ("ok", None)
    assert status["threads"][0] == "failed"
    assert "refused when its turn came" in status["threads"][1] and "1 TiB" in status["threads"][1]
    assert len(outcome.failures) == 1
