"""Shared fixtures: every test must leave no child process and no shared-memory segment."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import psutil
import pytest

from gilbench import bytecode

# As the gilbench command does, before any other gilbench module loads: on a free-threaded
# build they load as bytecode, so that threads do not contend on their constants.
bytecode.install()

from gilbench.gilprobe import NO_GIL, gil_enabled  # noqa: E402
from gilbench.strategies.processes import SEGMENT_PREFIX  # noqa: E402

SHM_DIR = Path("/dev/shm")


def shm_segments() -> set[str]:
    """gilbench's shared-memory segments whose creator is this process or has exited.

    Segment names carry the creator's pid (``gilbench_<pid>_...``): segments of other,
    still running gilbench processes (a concurrent sweep) are not this test's leaks.
    """
    if not SHM_DIR.is_dir():
        return set()
    mine = set()
    for p in SHM_DIR.iterdir():
        if not p.name.startswith(SEGMENT_PREFIX):
            continue
        try:
            pid = int(p.name[len(SEGMENT_PREFIX):].split("_")[0])
        except ValueError:
            continue
        if pid == os.getpid() or not psutil.pid_exists(pid):
            mine.add(p.name)
    return mine


def live_children() -> list[psutil.Process]:
    """Child processes of this test process, excluding the resource tracker and zombies."""
    out = []
    for child in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            if "resource_tracker" in " ".join(child.cmdline()):
                continue  # multiprocessing's per-interpreter singleton, not a leak
        except psutil.NoSuchProcess:
            continue
        out.append(child)
    return out


#: A free-threaded build (python3.13t, ...), whose GIL can be off at run time.
FREE_THREADED_BUILD = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def reading(probe) -> float | None:
    """A GIL probe's availability. With a GIL it must exist: None there means the ticker
    got no CPU to judge by, and a test comparing None with a number would prove nothing.
    Without a GIL (a free-threaded build running GIL-free) the probe must say "no GIL":
    then this returns None, and GIL-probe tests assert by the runtime's GIL state."""
    if not gil_enabled():
        assert probe.method == NO_GIL and probe.availability is None, (
            f"no GIL, yet the probe read {probe.availability} ({probe.method})")
        return None
    assert probe.idle_rate and probe.idle_rate > 0, "the probe never ticked while idle"
    assert probe.availability is not None, (
        f"the probe could not judge the GIL (starved of CPU; method {probe.method})")
    return probe.availability


@pytest.fixture(autouse=True)
def no_leaks():
    """Fail the test if it leaves worker processes or shared-memory segments behind."""
    shm_before = shm_segments()
    yield
    leaked = shm_segments() - shm_before
    gone, alive = psutil.wait_procs(live_children(), timeout=5)
    if alive:
        # Fail this test, and only this one: a process left running would otherwise fail
        # every later test's check (and cost each one the wait above).
        described = [_describe(p) for p in alive]
        kill_processes(alive)
        pytest.fail(f"leaked processes (now killed): {described}", pytrace=False)
    assert not leaked, f"leaked shared-memory segments: {sorted(leaked)}"


def kill_processes(procs: list[psutil.Process]) -> None:
    """SIGKILL ``procs`` (those still there) and wait up to 5 s for them to go."""
    for p in procs:
        try:
            p.kill()  # psutil checks the pid still names the same process
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=5)


def _describe(proc: psutil.Process) -> str:
    """``pid: command line`` of a process, for a leak report."""
    try:
        return f"{proc.pid}: {' '.join(proc.cmdline())[:200]}"
    except psutil.Error:
        return str(proc.pid)
