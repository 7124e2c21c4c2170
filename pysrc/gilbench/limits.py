"""Caps on magnitudes: worker counts, sizes and their memory, chunks, repeats, timeouts.

Absurd values are bad input: they are refused when a plan is built (the CLI exits 2) and
by :meth:`RunSpec.validate` with the same message, instead of being found out by every
run. Each cap is a module constant, documented in docs/commands.md.
"""

from __future__ import annotations

import errno
import os
import resource
from typing import Any, Protocol

import numpy as np
import psutil

#: Worker cap = this x the usable cores. The full profile oversubscribes 2x; 4x leaves
#: room to study oversubscription by hand while refusing counts no machine can start.
WORKERS_PER_CORE = 4
#: Timed repeats per run: beyond a thousand the median no longer moves.
MAX_REPEATS = 1000
#: Chunks per run: a thousand times a large pool's worker count; beyond it every run
#: measures the per-task overhead of a queue holding millions of futures.
MAX_CHUNKS = 65_536
#: Seconds any single wait on a worker may last (one day). Longer values are typos, and
#: past ``threading.TIMEOUT_MAX`` they would fail every run with an OverflowError.
MAX_TIMEOUT_S = 86_400
#: Share of the available memory that one run's estimated peak may use.
MEMORY_FRACTION = 0.8


class SizedKernel(Protocol):
    """What the size checks need from a kernel (see :class:`gilbench.kernels.Kernel`)."""

    name: str
    size_unit: str
    max_size: int

    def memory_bytes(self, size: int) -> int | None: ...

    def max_chunks(self, size: int) -> int: ...


def usable_cores() -> int:
    """CPUs this process may run on (affinity), not merely those the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def max_workers(cores: int | None = None) -> int:
    """The largest worker (or OpenMP thread) count a run may ask for here."""
    return WORKERS_PER_CORE * (cores or usable_cores())


def _int_at_least(what: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int. Got {value!r} instead.")
    if value < low:
        raise ValueError(f"{what} must be >= {low}. Got {value} instead.")
    return int(value)


def check_workers(workers: Any, cores: int | None = None) -> int:
    """``workers`` as an int, or ValueError/TypeError naming it and the cap."""
    workers = _int_at_least("workers", workers, 1)
    cores = cores or usable_cores()
    cap = max_workers(cores)
    if workers > cap:
        raise ValueError(f"workers {workers} is above the cap of {cap} ({WORKERS_PER_CORE} x "
                         f"the {cores} usable cores of this machine)")
    return workers


def check_repeats(repeats: Any) -> int:
    """``repeats`` as an int in 1..MAX_REPEATS, or ValueError/TypeError naming it."""
    repeats = _int_at_least("repeats", repeats, 1)
    if repeats > MAX_REPEATS:
        raise ValueError(f"repeats {repeats} is above the cap of {MAX_REPEATS}")
    return repeats


def check_timeout(timeout: Any) -> float:
    """``timeout`` (seconds) as a float in (0, MAX_TIMEOUT_S], or ValueError/TypeError."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float, np.number)):
        raise TypeError(f"timeout must be a number of seconds. Got {timeout!r} instead.")
    if not 0 < timeout <= MAX_TIMEOUT_S:  # also refuses NaN
        raise ValueError(f"timeout must be > 0 and <= {MAX_TIMEOUT_S} s (one day). "
                         f"Got {timeout} instead.")
    return float(timeout)


def check_seed(seed: Any) -> int:
    """``seed`` as an int >= 0 (numpy's generators refuse negative seeds)."""
    return _int_at_least("seed", seed, 0)


def check_sweep(repeats: Any = None, timeout: Any = None, seed: Any = 0) -> None:
    """The settings a sweep applies to every run (None: the default, not checked)."""
    if repeats is not None:
        check_repeats(repeats)
    if timeout is not None:
        check_timeout(timeout)
    check_seed(seed)


def check_chunks(kernel: SizedKernel, size: int, chunks: Any) -> int:
    """``chunks`` as an int in 1..min(kernel.max_chunks(size), MAX_CHUNKS), or ValueError
    naming the limit.

    Every kernel splits at most so many things (rows, pixels, samples, bodies, buffers), so
    more chunks than that would silently run fewer chunks than the results record.
    """
    chunks = _int_at_least("chunks", chunks, 1)
    if chunks > MAX_CHUNKS:
        raise ValueError(f"chunks {chunks} is above the cap of {MAX_CHUNKS}")
    most = kernel.max_chunks(size)
    if chunks > most:
        what = (f"size {size} ({kernel.size_unit})" if most == size
                else f"{most} chunks at size {size} ({kernel.size_unit})")
        raise ValueError(f"chunks {chunks} is more than {kernel.name}'s {what}: every "
                         "chunk needs at least one item")
    return chunks


def check_size(kernel: SizedKernel, size: Any, copies: int = 1) -> int:
    """``size`` as an int within the kernel's maximum and this machine's memory.

    ``copies`` is how many copies of the problem a strategy holds at once (2 for one that
    copies it into shared memory). Raises ValueError/TypeError naming the kernel, the size
    and the limit.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"{kernel.name} size must be an int. Got {size!r} instead.")
    if size < 1:
        raise ValueError(f"{kernel.name} size must be >= 1. Got {size} instead.")
    size = int(size)
    if size > kernel.max_size:
        raise ValueError(f"{kernel.name} size {size} is above its limit of "
                         f"{kernel.max_size} ({kernel.size_unit})")
    check_memory(kernel, size, copies)
    return size


def check_memory(kernel: SizedKernel, size: int, copies: int = 1) -> None:
    """ValueError when a problem of ``size`` would not fit in the available memory."""
    need = kernel.memory_bytes(size)
    if need is None:  # the kernel does not say
        return
    need *= copies
    available = psutil.virtual_memory().available
    limit = int(available * MEMORY_FRACTION)
    if need > limit:
        why = f" ({copies} copies of the problem)" if copies > 1 else ""
        raise ValueError(f"{kernel.name} size {size} needs about {format_bytes(need)} of "
                         f"memory{why}, above the limit of {format_bytes(limit)} "
                         f"({MEMORY_FRACTION:.0%} of the {format_bytes(available)} "
                         "available here)")


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def explain_resource_error(exc: OSError) -> str:
    """One line saying which limit an OSError from starting processes most likely hit."""
    text = exc.strerror or str(exc)
    if exc.errno == errno.EMFILE:
        why = f"the open-file limit ({_soft_limit(resource.RLIMIT_NOFILE)}) is reached; " \
              "see ulimit -n"
    elif exc.errno == errno.ENFILE:
        why = "the system's open-file limit is reached; see /proc/sys/fs/file-max"
    elif exc.errno == errno.EAGAIN:
        nproc = getattr(resource, "RLIMIT_NPROC", None)
        limit = f" ({_soft_limit(nproc)})" if nproc is not None else ""
        why = f"the process limit{limit} or the system's thread limit is reached; " \
              "see ulimit -u"
    elif exc.errno == errno.ENOMEM:
        why = "memory is exhausted"
    elif exc.errno == errno.ENOSPC:
        why = "/dev/shm is too small or full; see df /dev/shm"
    else:
        return text
    return f"{text} ({why})"


def _soft_limit(which: int) -> str:
    soft = resource.getrlimit(which)[0]
    return "unlimited" if soft == resource.RLIM_INFINITY else str(soft)
