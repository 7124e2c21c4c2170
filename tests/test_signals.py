"""SIGTERM and SIGHUP during a sweep behave like Ctrl-C: workers killed, segments unlinked,
finished runs kept, exit 128 + the signal; even SIGKILL leaves no worker behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from gilbench.interrupts import Terminated, deferred, exit_code, signals_interrupt
from gilbench.outdir import LOCK_NAME
from gilbench.results import load_results
from tests.conftest import kill_processes, shm_segments

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def _start_sweep(out_dir: Path, own_group: bool) -> subprocess.Popen:
    """A standard-profile sweep whose process-pool runs start a pool every second or so."""
    return subprocess.Popen(
        [sys.executable, "-m", "gilbench", "run", "--profile", "standard", "--kernel",
         "mandelbrot,nbody", "--flavour", "cython-nogil", "--strategy",
         "processes,threads,serial", "--out", str(out_dir), "--quiet", "--no-plots"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=own_group)


def _wait_for_a_pool(proc: subprocess.Popen, out_dir: Path,
                     seen: dict[int, tuple[psutil.Process, str]]) -> None:
    """Return once a run has finished and a worker process is alive; collect every
    descendant seen on the way (workers and the resource tracker) with its command line."""
    results = out_dir / "results.json"
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            children = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        workers = []
        for c in children:
            try:  # the latest command line: a child seen before its exec shows ours
                seen[c.pid] = (seen.get(c.pid, (c,))[0], " ".join(c.cmdline()))
            except psutil.NoSuchProcess:
                continue
            if "resource_tracker" not in seen[c.pid][1]:
                workers.append(c)
        try:
            done = results.exists() and json.loads(results.read_text())["runs"]
        except (OSError, ValueError):  # read while being replaced
            done = False
        if done and workers:
            return
        time.sleep(0.02)
    proc.kill()
    proc.communicate()
    pytest.fail("no process pool was seen running after a finished run")


@contextmanager
def _killed_on_failure(proc: subprocess.Popen,
                       seen: dict[int, tuple[psutil.Process, str]]) -> Iterator[None]:
    """A failing test must not leave its sweep's processes running into the next ones."""
    try:
        yield
    except BaseException:
        if proc.poll() is None:
            proc.kill()
        for p, cmd in seen.values():
            if "resource_tracker" in cmd:
                continue  # it unlinks the segments once every worker is gone
            try:
                p.kill()  # psutil checks the pid still names the same process
            except psutil.NoSuchProcess:
                pass
        proc.wait(timeout=30)
        raise


def _assert_nothing_left(seen: dict[int, tuple[psutil.Process, str]],
                         shm_before: set[str]) -> None:
    """No descendant ever seen (workers, resource tracker) is alive; no segment is left."""
    assert any("resource_tracker" in cmd for _, cmd in seen.values())
    assert any("resource_tracker" not in cmd for _, cmd in seen.values())
    _, alive = psutil.wait_procs([p for p, _ in seen.values()], timeout=15)
    assert not alive, f"left behind: {[seen[p.pid][1] for p in alive]}"
    deadline = time.monotonic() + 10
    while shm_segments() - shm_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not shm_segments() - shm_before


@pytest.mark.parametrize(("sig", "code", "target"), [
    (signal.SIGTERM, 143, "process"),  # kill PID, a supervisor, docker stop
    (signal.SIGTERM, 143, "group"),    # timeout(1), CI runners: the workers get it too
    (signal.SIGHUP, 143, "group"),     # a closing terminal
], ids=["SIGTERM-process", "SIGTERM-group", "SIGHUP-group"])
def test_signal_during_a_sweep_cleans_up_and_keeps_finished_runs(tmp_path, sig, code,
                                                                  target):
    out_dir = tmp_path / "res"
    shm_before = shm_segments()
    proc = _start_sweep(out_dir, own_group=target == "group")
    seen: dict[int, tuple[psutil.Process, str]] = {}
    with _killed_on_failure(proc, seen):
        _wait_for_a_pool(proc, out_dir, seen)
        if target == "group":
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == code, err
        assert "interrupted" in err and "Traceback" not in err
        runs = load_results(out_dir)["runs"]
        assert runs and all(r["status"] == "ok" for r in runs), ([r["error"] for r in runs],
                                                                  err)
        assert not (out_dir / LOCK_NAME).exists()  # the folder is free again
        _assert_nothing_left(seen, shm_before)


def test_sigkill_leaves_no_worker_and_no_segment(tmp_path):
    # Nothing in gilbench runs after SIGKILL: workers die with their parent (Linux:
    # PR_SET_PDEATHSIG), and then multiprocessing's resource tracker unlinks the segments.
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux-only")
    out_dir = tmp_path / "res"
    shm_before = shm_segments()
    proc = _start_sweep(out_dir, own_group=False)
    seen: dict[int, tuple[psutil.Process, str]] = {}
    with _killed_on_failure(proc, seen):
        _wait_for_a_pool(proc, out_dir, seen)
        proc.kill()
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        _assert_nothing_left(seen, shm_before)


def test_signals_raise_terminated_inside_the_block_only():
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as info, signals_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # interrupted long before
    assert isinstance(info.value, KeyboardInterrupt)  # every Ctrl-C cleanup path runs
    assert exit_code(info.value) == 143 and exit_code(KeyboardInterrupt()) == 130
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_signal_inside_a_deferred_step_is_raised_when_it_ends():
    steps = []
    with pytest.raises(Terminated), signals_interrupt():
        with deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            steps.append("finished")
        steps.append("after")  # not reached
    assert steps == ["finished"]


def test_a_second_signal_does_not_cut_the_cleanup_short():
    cleaned = False
    with pytest.raises(Terminated), signals_interrupt():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        finally:
            os.kill(os.getpid(), signal.SIGHUP)  # ignored: cleanup goes on
            time.sleep(0.05)
            cleaned = True
    assert cleaned


# A command whose cleanup never ends (a lock nobody releases), with a child process.
_STUCK_CLEANUP = """
import subprocess, sys, threading, time
from gilbench.interrupts import signals_interrupt
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(child.pid, flush=True)
with signals_interrupt(unwind_deadline_s={deadline}):
    try:
        time.sleep(120)
    finally:
        threading.Event().wait()  # stuck for ever
"""


def test_a_cleanup_stuck_after_sigterm_ends_at_the_deadline_with_its_children():
    proc = subprocess.Popen([sys.executable, "-c", _STUCK_CLEANUP.format(deadline=1.0)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = None
    try:
        child = psutil.Process(int(proc.stdout.readline()))
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err
        assert time.monotonic() - t0 < 30  # the deadline (1 s), not the sleeps (120 s)
        assert "still cleaning up 1 s after the signal" in err
        assert "threading.py" in err and "in wait" in err  # where it was stuck
        assert psutil.wait_procs([child], timeout=5)[1] == [], "its child outlived it"
    finally:
        kill_processes([p for p in (child, psutil.Process(proc.pid) if proc.poll() is None
                                    else None) if p is not None])
        proc.communicate()


def test_a_block_that_ends_without_a_signal_starts_no_deadline():
    # No signal: the block ends normally, and no deadline thread is left behind.
    import threading

    with signals_interrupt(unwind_deadline_s=0.05):
        pass
    time.sleep(0.2)
    assert not [t for t in threading.enumerate() if t.name == "gilbench-unwind-deadline"]
