"""Shared fixtures: every test must leave no child process and no shared-memory segment."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

SHM_DIR = Path("/dev/shm")


def shm_segments() -> set[str]:
    """Names of POSIX shared-memory segments Python's shared_memory creates (psm_*)."""
    if not SHM_DIR.is_dir():
        return set()
    return {p.name for p in SHM_DIR.iterdir() if p.name.startswith("psm_")}


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


@pytest.fixture(autouse=True)
def no_leaks():
    """Fail the test if it leaves worker processes or shared-memory segments behind."""
    shm_before = shm_segments()
    yield
    leaked = shm_segments() - shm_before
    gone, alive = psutil.wait_procs(live_children(), timeout=5)
    assert not alive, f"leaked processes: {[p.pid for p in alive]}"
    assert not leaked, f"leaked shared-memory segments: {sorted(leaked)}"
