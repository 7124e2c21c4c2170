"""Strategies that run chunks inside this process: serial, threads and openmp."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gilbench import gilwatch
from gilbench.kernels.base import Chunk, Implementation, Problem, Workspace
from gilbench.strategies.base import (
    DEFAULT_TIMEOUT_S,
    MapResult,
    Outputs,
    Payload,
    RunTimeout,
    Session,
    Strategy,
)
from gilbench.strategies.startmethod import note_openmp_team
from gilbench.strategies.watchdog import Watchdog, future_results


class LocalSession(Session):
    """Runs chunks one after another on the calling thread.

    ``workers`` and ``timeout`` are not used (nothing starts, nothing is waited for);
    ``threads`` and ``schedule`` are what a flavour that parallelises itself reads from
    the workspace.
    """

    def __init__(self, problem: Problem, impl: Implementation, workers: int,
                 timeout: float, *, threads: int = 1,
                 schedule: str = "static") -> None:
        self.workspace = Workspace.local(problem)
        self.workspace.threads = threads
        self.workspace.schedule = schedule
        self.fn = impl.fn
        if impl.prepare is not None:
            with gilwatch.watching_imports():  # may import what turns the GIL back on
                impl.prepare()

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        fn, ws = self.fn, self.workspace
        return MapResult([fn(ws, chunk) for chunk in chunks])


class SerialStrategy(Strategy):
    name = "serial"
    display = "serial loop"
    description = "one chunk after another on the main thread (the baseline)"
    uses = "a for loop"
    single_worker = True
    session_class = LocalSession


class OpenMPStrategy(Strategy):
    name = "openmp"
    display = "OpenMP / numba threads"
    description = ("the flavour parallelises itself (OpenMP prange, numba parallel); "
                   "workers = its thread count")
    uses = "the flavour's own threads (OpenMP, numba)"
    drives_parallel_flavours = True
    one_chunk = True
    session_class = LocalSession

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        return {"threads": workers, "schedule": schedule}

    def open(self, problem: Problem, impl: Implementation, workers: int, *,
             schedule: str = "static", timeout: float = DEFAULT_TIMEOUT_S,
             payload: Payload | None = None, outputs: Outputs | None = None) -> Session:
        # Worker processes forked after a team must know (see strategies.startmethod).
        note_openmp_team(workers)
        return super().open(problem, impl, workers, schedule=schedule, timeout=timeout,
                            payload=payload, outputs=outputs)


class ThreadSession(Session):
    """A ThreadPoolExecutor whose threads are all started before anything is timed.

    Each pool thread runs chunks on its own copy of the workspace (same array memory,
    objects of its own, see :meth:`Workspace.for_this_thread`): on a free-threaded build,
    threads sharing Python objects contend on their reference counts, and that cost
    would be the harness's, not the measured code's.
    """

    def __init__(self, problem: Problem, impl: Implementation, workers: int,
                 timeout: float) -> None:
        self.workspace = Workspace.local(problem)
        self.fn = impl.fn
        self.timeout = timeout
        self._own = threading.local()
        t0 = time.perf_counter()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gilbench",
                                       initializer=self._adopt)
        self.watchdog = Watchdog(self._timeout_error)
        # Threads start lazily; a barrier of `workers` parties proves they all exist. Its
        # timeout (inside the pool's threads, at start-up) keeps them from waiting forever
        # for a thread that never comes; they wait on the barrier, not on a chunk.
        barrier = threading.Barrier(workers)
        warm = [self.pool.submit(barrier.wait, timeout) for _ in range(workers)]
        future_results(self.watchdog, warm, timeout, "start")
        if impl.prepare is not None:
            with gilwatch.watching_imports():  # the pool's threads are idle: safe here
                impl.prepare()
        self.startup_s = time.perf_counter() - t0

    def _adopt(self) -> None:
        # Runs in each pool thread as it starts, so the copy's objects belong to it.
        self._own.workspace = self.workspace.for_this_thread()

    def _run(self, chunk: Chunk) -> Any:
        return self.fn(self._own.workspace, chunk)

    def _timeout_error(self, what: str) -> RunTimeout:
        return RunTimeout(f"threads did not {what} within {self.timeout:g} s")

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        futures = [self.pool.submit(self._run, chunk) for chunk in chunks]
        try:
            return MapResult(future_results(self.watchdog, futures, self.timeout,
                                            f"finish {len(chunks)} chunks"))
        except RunTimeout:
            for f in futures:
                f.cancel()
            raise

    def close(self, kill: bool = False) -> None:
        self.watchdog.close()
        # Threads cannot be killed; cancelling queued chunks bounds the wait to running ones.
        self.pool.shutdown(wait=True, cancel_futures=True)


class ThreadsStrategy(Strategy):
    name = "threads"
    display = "ThreadPoolExecutor"
    reference_pool = True
    description = "a warm ThreadPoolExecutor: scales only if the chunk function drops the GIL"
    uses = "concurrent.futures.ThreadPoolExecutor"
    uses_threads = True
    session_class = ThreadSession
