"""The executors advise runs the user's function with: serial, a ThreadPoolExecutor, a
ProcessPoolExecutor and a multiprocessing Pool, each started warm (every worker up)
and closed with no worker left, after an error, Ctrl-C or SIGTERM included.

Workers leave Ctrl-C, SIGTERM and SIGHUP to this process and die with it
(:func:`gilbench.interrupts.detach_worker`); this process kills them when it unwinds, as
the sweep's sessions do. The start method is multiprocessing's default here unless one is
asked for (:class:`gilbench.strategies.processes.Launcher`, which also starts and stops
a fork server).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from gilbench.interrupts import deferred, detach_worker
from gilbench.strategies.pools import CLOSE_S, TERMINATE_GRACE_S, finish_pool
from gilbench.strategies.processes import Launcher, shutdown_executor

#: The kinds of executor, by the strategy id ``gilbench list`` shows for each.
KINDS = ("serial", "threads", "processes", "pool-map", "subinterpreters")
#: What a person calls each one.
DISPLAY = {"serial": "a for loop", "threads": "ThreadPoolExecutor",
           "processes": "ProcessPoolExecutor", "pool-map": "Pool.map",
           "subinterpreters": "subinterpreters"}
#: Seconds the workers may take to start.
START_TIMEOUT_S = 120.0

_READY: dict[str, Any] = {}


class WorkerDied(RuntimeError):
    """A worker process died (segfault, os._exit, killed) while running tasks."""


def _worker_init(parent_pid: int, barrier: Any) -> None:
    detach_worker(parent_pid)
    _READY["barrier"] = barrier


def _worker_ready(_: Any) -> int:
    _READY["barrier"].wait(START_TIMEOUT_S)
    return os.getpid()


def run_batch(task: Callable[[Any], Any], batch: Sequence[Any]) -> list[Any]:
    """``[task(x) for x in batch]``: one thread task of a batched thread pool."""
    return [task(x) for x in batch]


def batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``items`` cut into consecutive batches of ``size``."""
    return [items[i:i + size] for i in range(0, len(items), size)]


@dataclass
class Executor:
    """A started executor: ``map(task, items, chunksize)`` returns results in order."""

    kind: str
    workers: int
    startup_s: float
    start_method: str | None
    _map: Callable[[Callable[[Any], Any], Sequence[Any], int], list[Any]]

    def map(self, task: Callable[[Any], Any], items: Sequence[Any], chunksize: int = 1
            ) -> list[Any]:
        """Run ``task`` on every item, ``chunksize`` items to a task."""
        return self._map(task, items, chunksize)


def _serial_map(task: Callable[[Any], Any], items: Sequence[Any], chunksize: int) -> list[Any]:
    return [task(x) for x in items]


@contextmanager
def opened(kind: str, workers: int, *, start_method: str | None = None,
           timeout: float = 600.0) -> Iterator[Executor]:
    """A warm :class:`Executor` of ``kind`` with ``workers`` workers, closed on exit
    (its workers killed when leaving on an exception)."""
    if kind == "serial":
        yield Executor(kind, 1, 0.0, None, _serial_map)
    elif kind == "threads":
        with _threads(workers, timeout) as ex:
            yield ex
    elif kind in ("processes", "pool-map"):
        with _processes(kind, workers, start_method, timeout) as ex:
            yield ex
    elif kind == "subinterpreters":
        with _interpreters(workers, timeout) as ex:
            yield ex
    else:
        raise ValueError(f"unknown executor {kind!r}; valid choices: {', '.join(KINDS)}")


@contextmanager
def _threads(workers: int, timeout: float) -> Iterator[Executor]:
    t0 = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gilbench-advise")
    try:
        # Threads start on demand: one task each, held until all are up, starts them all.
        import threading

        barrier = threading.Barrier(workers)
        for f in [pool.submit(barrier.wait, timeout) for _ in range(workers)]:
            f.result(timeout)
        startup = time.perf_counter() - t0

        def run(task: Callable[[Any], Any], items: Sequence[Any], chunksize: int) -> list:
            if chunksize <= 1:
                return list(pool.map(task, items, timeout=timeout))
            done = pool.map(partial(run_batch, task), batches(items, chunksize),
                            timeout=timeout)
            return [r for batch in done for r in batch]

        yield Executor("threads", workers, startup, None, run)
    finally:
        # Threads cannot be killed: queued tasks are dropped, running ones finish.
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _processes(kind: str, workers: int, start_method: str | None, timeout: float
               ) -> Iterator[Executor]:
    launcher = Launcher(start_method)
    context = launcher.context
    pool: Any = None
    failed = True
    before = set(mp.active_children())  # to find workers forked but not yet recorded
    t0 = time.perf_counter()
    try:
        launcher.start()
        barrier = context.Barrier(workers)
        init = (os.getpid(), barrier)
        # No interruption between forking a worker and the pool recording it.
        with deferred():
            if kind == "processes":
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                           initializer=_worker_init, initargs=init)
                ready = [pool.submit(_worker_ready, None) for _ in range(workers)]
            else:
                pool = context.Pool(workers, initializer=_worker_init, initargs=init)
                ready = [pool.apply_async(_worker_ready, (None,)) for _ in range(workers)]
        for r in ready:
            (r.result if kind == "processes" else r.get)(START_TIMEOUT_S)
        startup = time.perf_counter() - t0

        def run(task: Callable[[Any], Any], items: Sequence[Any], chunksize: int) -> list:
            if kind == "pool-map":
                return pool.map_async(task, items, chunksize=chunksize).get(timeout)
            # What ProcessPoolExecutor.map(task, items, chunksize=...) does, but the
            # futures are left to the pool when interrupted: map cancels them from this
            # thread, which makes Python 3.11's pool thread fail (shutdown_executor).
            deadline = time.monotonic() + timeout
            futures = [pool.submit(run_batch, task, b) for b in batches(items, max(1, chunksize))]
            try:
                return [r for f in futures
                        for r in f.result(max(0.0, deadline - time.monotonic()))]
            except BrokenProcessPool as exc:
                raise WorkerDied(f"a worker process died while running the tasks ({exc})") \
                    from None

        yield Executor(kind, workers, startup, launcher.method, run)
        failed = False
    finally:
        _close(kind, pool, kill=failed, before=before)
        launcher.close()


@contextmanager
def _interpreters(workers: int, timeout: float) -> Iterator[Executor]:
    """The ``subinterpreters`` strategy's session (Python 3.13+): one isolated interpreter
    per worker thread; each task ships ``(task, batch)`` pickled and runs
    :func:`gilbench.isolated.batch.run_batch` there."""
    from gilbench.isolated.batch import run_batch as isolated_batch
    from gilbench.kernels.base import Implementation, Problem
    from gilbench.strategies import get_strategy

    strategy = get_strategy("subinterpreters")
    why = strategy.unavailable_reason()
    if why:
        raise RuntimeError(f"subinterpreters are unavailable here: {why}")
    # No workspace: the items travel with the tasks.
    with strategy.open(Problem("advise", 1, 0), Implementation(isolated_batch,
                                                               isolated=isolated_batch),
                       workers, timeout=timeout) as session:

        def run(task: Callable[[Any], Any], items: Sequence[Any], chunksize: int) -> list:
            chunks = [(task, list(b)) for b in batches(items, max(1, chunksize))]
            return [r for part in session.map(chunks).partials for r in part]

        yield Executor("subinterpreters", workers, session.startup_s or 0.0, None, run)


def _close(kind: str, pool: Any, *, kill: bool, before: set) -> None:
    """Shut ``pool`` down as the sweep's sessions do; with ``kill``, its workers are
    SIGKILLed (they ignore the SIGTERM that ``Pool.terminate`` sends)."""
    if pool is None:
        return
    if kind == "processes":
        shutdown_executor(pool, kill=kill, before=before)
    elif kill:
        finish_pool(pool.terminate, pool, list(pool._pool), before, TERMINATE_GRACE_S)
    else:
        finish_pool(lambda: (pool.close(), pool.join()), pool, list(pool._pool), before,
                    CLOSE_S)


__all__ = ["DISPLAY", "KINDS", "Executor", "WorkerDied", "batches", "opened", "run_batch"]
