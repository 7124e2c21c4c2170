"""``multiprocessing.Pool`` strategies: ``map``, ``imap``, ``imap_unordered``,
``apply_async`` and ``starmap`` over one warm Pool and the shared workspace.

A Pool replaces a worker that dies and waits forever for the chunk it was running
(cpython#66587). So every wait here is a poll with a deadline that also looks at the
workers the Pool started with: one that has exited fails the map with its exit code. Pool
workers ignore SIGTERM (they leave signals to gilbench), which ``Pool.terminate`` relies
on; closing therefore runs ``terminate`` (or ``close`` + ``join``) on a helper thread and
SIGKILLs whatever worker is still alive after a grace period, so that it returns.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from gilbench.interrupts import deferred
from gilbench.kernels.base import Chunk, Implementation, Problem
from gilbench.plugins import worker_imports
from gilbench.strategies.base import (
    MapResult,
    Outputs,
    Payload,
    RunTimeout,
    Session,
    WorkerCrashed,
)
from gilbench.strategies.processes import (
    Launcher,
    ProcessStrategy,
    SharedWorkspace,
    describe_exit,
    fork_hint,
    starting_workers,
    worker_init,
    worker_ready,
    worker_run,
)
from gilbench.strategies.workerloop import POLL_S, kill_children

#: Seconds a polite close waits for the Pool before killing its workers.
CLOSE_S = 5.0
#: Seconds ``terminate`` gets before workers that ignore its SIGTERM are killed.
TERMINATE_GRACE_S = 0.2


def _worker_run_indexed(task: tuple[int, Chunk]) -> tuple[int, Any]:
    """For ``imap_unordered``: results come back in any order, with their index."""
    index, chunk = task
    return index, worker_run(chunk)


def _worker_run_args(index: int, chunk: Chunk) -> tuple[int, Any]:
    """For ``starmap``: the chunk arrives as the second of an argument tuple."""
    return _worker_run_indexed((index, chunk))


class PoolSession(Session):
    """One warm ``multiprocessing.Pool``; :meth:`run` is the variant's way of mapping."""

    def __init__(self, problem: Problem, impl: Implementation, workers: int, timeout: float,
                 *, launcher: Launcher, run: Callable[[PoolSession, Sequence[Chunk], float],
                                                   list[tuple[Any, float, Any]]]) -> None:
        self.timeout = timeout
        self.launcher = launcher
        self.start_method, self.notes = launcher.method, launcher.notes
        self.run = run
        self.pool = None
        self.shared: SharedWorkspace | None = None
        self.procs: list[mp.process.BaseProcess] = []
        self._children_before: set[mp.process.BaseProcess] | None = None
        t0 = time.perf_counter()
        with starting_workers(self, workers):
            launcher.start()
            context = launcher.context
            self.shared = SharedWorkspace(problem)
            self.workspace = self.shared.workspace
            barrier = context.Barrier(workers)
            with deferred():  # the Pool forks its workers at once
                self.pool = context.Pool(
                    workers, initializer=worker_init,
                    initargs=(self.shared.layout, dict(problem.params), impl.fn,
                              impl.prepare, barrier, os.getpid(), worker_imports()))
            # The processes the Pool started with: a later one is a replacement for a
            # worker that died, whose chunk the Pool would wait for forever.
            self.procs = [p for p in mp.active_children() if p not in self._children_before]
            # A barrier of `workers` parties, one task each: every worker is up and ready.
            warm = self.pool.map_async(worker_ready, [timeout] * workers, chunksize=1)
            self.wait(warm.wait, warm.ready, "start the workers", time.monotonic() + timeout)
            #: Each worker's GIL state by pid: from the ready handshake, updated by chunks.
            self._gil = {state["pid"]: state for state in warm.get(0)}
        self.startup_s = time.perf_counter() - t0

    def check(self, what: str) -> None:
        """WorkerCrashed if a worker the Pool started with has exited."""
        for proc in self.procs:
            if proc.exitcode is not None:
                raise WorkerCrashed(f"worker process {proc.pid} {describe_exit(proc.exitcode)} "
                                    f"while the Pool tried to {what} (a Pool would wait "
                                    "forever for its chunk)")

    def wait(self, wait: Callable[[float], Any], ready: Callable[[], bool], what: str,
             deadline: float) -> None:
        """Poll ``wait(timeout)`` until ``ready()``, checking the workers in between."""
        while not ready():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunTimeout(f"worker processes did not {what} within {self.timeout:g} s"
                                 + fork_hint(self.notes))
            wait(min(POLL_S, remaining))
            if not ready():
                self.check(what)

    def next_result(self, iterator, what: str, deadline: float) -> Any:
        """``iterator.next`` (of imap/imap_unordered) with a deadline and worker checks."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunTimeout(f"worker processes did not {what} within {self.timeout:g} s"
                                 + fork_hint(self.notes))
            try:
                return iterator.next(min(POLL_S, remaining))
            except mp.TimeoutError:
                self.check(what)

    def describe(self) -> dict[str, Any]:
        """How its workers were started (see :class:`Launcher`)."""
        return dict(self.notes)

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        if self.pool is None:
            raise RuntimeError("session is closed")
        done = self.run(self, chunks, time.monotonic() + self.timeout)
        for _, _, state in done:  # (partial, CPU seconds, GIL state if it changed)
            if state is not None:
                self._gil[state["pid"]] = state
        return MapResult([p for p, _, _ in done], sum(c for _, c, _ in done))

    def worker_gil_states(self) -> list[dict[str, Any]]:
        return list(getattr(self, "_gil", {}).values())

    def close(self, kill: bool = False) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            before = self._children_before
            if kill:
                _finish(pool.terminate, pool, self.procs, before, TERMINATE_GRACE_S)
            else:
                _finish(lambda: (pool.close(), pool.join()), pool, self.procs, before,
                        CLOSE_S)
        else:  # the Pool never came to be: kill what it may have forked
            kill_children([], self._children_before)
        if self.shared is not None:
            self.shared.close()
        self.launcher.close()


def _finish(call: Callable[[], Any], pool, procs: list, before: set | None,
            grace: float) -> None:
    """Run ``call`` (Pool.terminate, or close and join) on a helper thread; after ``grace``
    seconds SIGKILL every worker still alive (replacements included), which lets the Pool's
    joins return. Waits at most ``grace`` + 10 s."""
    helper = threading.Thread(target=call, name="gilbench-pool-close", daemon=True)
    helper.start()
    helper.join(grace)
    deadline = time.monotonic() + 10
    released = False
    while helper.is_alive() and time.monotonic() < deadline:
        kill_children(procs, before)
        helper.join(0.5)
        if helper.is_alive() and not released:
            # terminate() takes the task queue's read lock, which an idle worker holds
            # while it waits for a task: killed there, it never gives the lock back.
            # Every worker is dead now, so whoever holds it is gone.
            released = True
            try:
                pool._inqueue._rlock.release()
            except (AttributeError, ValueError, OSError):  # not held, or another Pool
                pass
    kill_children(procs, before)


# -- the variants -------------------------------------------------------------------------
def _run_map(session: PoolSession, chunks, deadline):
    result = session.pool.map_async(worker_run, chunks)
    session.wait(result.wait, result.ready, f"run {len(chunks)} chunks", deadline)
    return result.get(0)


def _run_starmap(session: PoolSession, chunks, deadline):
    result = session.pool.starmap_async(_worker_run_args, list(enumerate(chunks)))
    session.wait(result.wait, result.ready, f"run {len(chunks)} chunks", deadline)
    return [done for _, done in result.get(0)]


def _run_imap(session: PoolSession, chunks, deadline):
    iterator = session.pool.imap(worker_run, chunks)
    what = f"run {len(chunks)} chunks"
    return [session.next_result(iterator, what, deadline) for _ in chunks]


def _run_imap_unordered(session: PoolSession, chunks, deadline):
    iterator = session.pool.imap_unordered(_worker_run_indexed, list(enumerate(chunks)))
    what = f"run {len(chunks)} chunks"
    done: list[tuple[Any, float, Any]] = [(None, 0.0, None)] * len(chunks)
    for _ in chunks:
        index, result = session.next_result(iterator, what, deadline)
        done[index] = result
    return done


def _run_apply_async(session: PoolSession, chunks, deadline):
    results = [session.pool.apply_async(worker_run, (chunk,)) for chunk in chunks]
    what = f"run {len(chunks)} chunks"
    for result in results:
        session.wait(result.wait, result.ready, what, deadline)
    return [result.get(0) for result in results]


class PoolStrategy(ProcessStrategy):
    """A warm multiprocessing.Pool over shared memory; subclasses pick the Pool method."""

    name = "pool-map"
    display = "Pool.map"
    description = "a warm multiprocessing.Pool, Pool.map (its default chunksize)"
    uses = "multiprocessing.Pool.map"
    core = False  # one of the tutorial's components: standard and full sweeps
    run: ClassVar[Callable] = staticmethod(_run_map)
    session_class = PoolSession

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        """A launcher, and the Pool method this variant maps with."""
        return {**super().session_args(problem, impl, workers, schedule=schedule,
                                       payload=payload, outputs=outputs),
                "run": type(self).run}


class PoolImapStrategy(PoolStrategy):
    name = "pool-imap"
    display = "Pool.imap"
    description = "a warm multiprocessing.Pool, Pool.imap: results in order, as they come"
    uses = "multiprocessing.Pool.imap"
    run = staticmethod(_run_imap)


class PoolImapUnorderedStrategy(PoolStrategy):
    name = "pool-imap-unordered"
    display = "Pool.imap_unordered"
    description = ("a warm multiprocessing.Pool, Pool.imap_unordered: results as they "
                   "finish, put back in chunk order by index")
    uses = "multiprocessing.Pool.imap_unordered"
    run = staticmethod(_run_imap_unordered)


class PoolApplyAsyncStrategy(PoolStrategy):
    name = "pool-apply-async"
    display = "Pool.apply_async"
    description = "a warm multiprocessing.Pool, one Pool.apply_async per chunk"
    uses = "multiprocessing.Pool.apply_async"
    run = staticmethod(_run_apply_async)


class PoolStarmapStrategy(PoolStrategy):
    name = "pool-starmap"
    display = "Pool.starmap"
    description = "a warm multiprocessing.Pool, Pool.starmap over (index, chunk) tuples"
    uses = "multiprocessing.Pool.starmap"
    run = staticmethod(_run_starmap)


__all__ = ["PoolApplyAsyncStrategy", "PoolImapStrategy", "PoolImapUnorderedStrategy",
           "PoolStarmapStrategy", "PoolStrategy"]
