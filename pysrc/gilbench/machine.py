"""Machine and build metadata carried by every results file.

Each ``collect_*`` function fills part of a dict and tolerates missing data (a field is
then None or says why), so metadata never makes a run fail.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import subprocess
import sys
import sysconfig
import time
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from gilbench import allocator, gilwatch, native
from gilbench.version import __version__


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo or the platform module."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


@cache
def last_level_cache_bytes() -> int | None:
    """Size of the largest CPU cache in bytes (Linux sysfs), or None where unknown."""
    best = None
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(base.glob("index*")):
        try:
            text = (index / "size").read_text().strip()
        except OSError:
            continue
        units = {"K": 1024, "M": 1024**2, "G": 1024**3}
        num = int("".join(c for c in text if c.isdigit()) or 0)
        size = num * units.get(text[-1].upper(), 1)
        best = max(best or 0, size)
    return best


def gil_state() -> dict[str, Any]:
    """Whether this CPython build can disable the GIL, whether it is enabled now, and what
    asked for that: ``PYTHON_GIL`` (None when unset) and ``-X gil`` (which takes
    precedence over the variable); ``enabled_by`` names the modules whose import turned
    it back on (see :mod:`gilbench.gilwatch`)."""
    return {
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": gilwatch.gil_enabled(),
        "python_gil_env": os.environ.get("PYTHON_GIL"),
        "x_gil": sys._xoptions.get("gil"),
        "enabled_by": gilwatch.enabled_by(),
        "switch_interval_s": sys.getswitchinterval(),
    }


def git_commit() -> str | None:
    """The gilbench source tree's commit, when it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@cache
def copy_bandwidth_gbs(nbytes: int | None = None, repeats: int = 3) -> float:
    """Best-of-``repeats`` memory copy bandwidth in GB/s (read + write bytes counted).

    Uses an array 4x the last-level cache (at least 64 MiB, at most 512 MiB, the quick
    profile's largest reduction array: a VM reporting a 480 MiB L3 would otherwise make
    every sweep fault in and copy gigabytes before it starts), so it measures main
    memory, the ceiling a bandwidth-bound kernel can approach.
    """
    nbytes = nbytes or min(512 * 1024**2,
                           max(64 * 1024**2, 4 * (last_level_cache_bytes() or 0)))
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2 * src.nbytes / best / 1e9


def collect_machine_metadata(*, measure_bandwidth: bool = False) -> dict[str, Any]:
    """Everything a results file needs to be read on another machine."""
    try:
        affinity = sorted(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "gilbench": __version__}
    for name in ("Cython", "numba", "threadpoolctl"):
        try:
            versions[name.lower()] = __import__(name).__version__
        except Exception:  # noqa: BLE001 - absent optional package
            versions[name.lower()] = None
    meta: dict[str, Any] = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "affinity": affinity,
        "usable_cores": len(affinity) if affinity else os.cpu_count(),
        "last_level_cache_bytes": last_level_cache_bytes(),
        "python": sys.version.replace("\n", " "),
        "python_implementation": platform.python_implementation(),
        "gil": gil_state(),
        "versions": versions,
        "build": native.build_info(),
        "compiler": sysconfig.get_config_var("CC"),
        "start_method": mp.get_start_method(allow_none=False),
        # Reported, not applied: describing the machine must not change the process.
        "allocator_equalised": allocator.equalised(),
        "numba_threading_layer": os.environ.get("NUMBA_THREADING_LAYER"),
        "git_commit": git_commit(),
    }
    if measure_bandwidth:
        meta["copy_bandwidth_gbs"] = copy_bandwidth_gbs()
    return meta
