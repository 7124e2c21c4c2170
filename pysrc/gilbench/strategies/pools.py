"""``multiprocessing.Pool`` strategies: ``map``, ``imap``, ``imap_unordered``,
``apply_async`` and ``starmap`` over one warm Pool and the shared workspace.

A Pool replaces a worker that dies and waits forever for the chunk it was running
(cpython#66587). So every wait here, the blocking ``get()`` or ``next()`` a user writes, is
guarded by a :class:`~.watchdog.Watchdog` that watches the run's timeout and the workers
the Pool started with: one that has exited fails the map with its exit code. Pool
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
    kill_children,
    starting_workers,
    worker_init,
    worker_ready,
    worker_run,
)
from gilbench.strategies.watchdog import Watchdog

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
                 *, launcher: Launcher, run: Callable[[PoolSession, Sequence[Chunk]],
                                                   list[tuple[Any, float, Any]]]) -> None:
        self.timeout = timeout
        self.launcher = launcher
        self.start_method, self.notes = launcher.method, launcher.notes
        self.run = run
        self.pool = None
        self.shared: SharedWorkspace | None = None
        self.procs: list[mp.process.BaseProcess] = []
        self.watchdog: Watchdog | None = None
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
            self.watchdog = Watchdog(self._timeout_error, self._exit_error)
            self.watchdog.watch(self.procs)
            # A barrier of `workers` parties, one task each: every worker is up and ready.
            warm = self.pool.map_async(worker_ready, [timeout] * workers, chunksize=1)
            #: Each worker's GIL state by pid: from the ready handshake, updated by chunks.
            self._gil = {state["pid"]: state for state in self.get([warm],
                                                                   "start the workers")[0]}
        self.startup_s = time.perf_counter() - t0

    def _timeout_error(self, what: str) -> RunTimeout:
        return RunTimeout(f"worker processes did not {what} within {self.timeout:g} s"
                          + fork_hint(self.notes))

    @staticmethod
    def _exit_error(proc: mp.process.BaseProcess, what: str) -> WorkerCrashed:
        return WorkerCrashed(f"worker process {proc.pid} {describe_exit(proc.exitcode)} "
                             f"while the Pool tried to {what} (a Pool would wait forever "
                             "for its chunk)")

    def get(self, results: list, what: str) -> list:
        """``[r.get() for r in results]``, blocking, as a user writes it; the watchdog
        wakes it by notifying the Condition each result's Event sleeps on, which makes
        ``get()`` raise TimeoutError."""
        def wake(failure: BaseException, attempt: int) -> None:
            for result in results:
                _notify(result._event._cond)

        done = []
        with self.watchdog.arm(self.timeout, what, wake):
            for result in results:
                while True:
                    try:
                        done.append(result.get())
                        break
                    except mp.TimeoutError:
                        self.watchdog.check()  # else a stale wake: wait again
        return done

    def results(self, iterator, n: int, what: str) -> list:
        """``n`` results of ``iterator`` (imap, imap_unordered), blocking ``next()`` as in a
        user's ``for`` loop; the watchdog wakes it by notifying the iterator's Condition,
        which makes ``next()`` raise TimeoutError."""
        def wake(failure: BaseException, attempt: int) -> None:
            _notify(iterator._cond)

        done = []
        with self.watchdog.arm(self.timeout, what, wake):
            while len(done) < n:
                try:
                    done.append(next(iterator))
                except mp.TimeoutError:
                    self.watchdog.check()
        return done

    def describe(self) -> dict[str, Any]:
        """How its workers were started (see :class:`Launcher`)."""
        return dict(self.notes)

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        if self.pool is None:
            raise RuntimeError("session is closed")
        done = self.run(self, chunks)
        for _, _, state in done:  # (partial, CPU seconds, GIL state if it changed)
            if state is not None:
                self._gil[state["pid"]] = state
        return MapResult([p for p, _, _ in done], sum(c for _, c, _ in done))

    def worker_gil_states(self) -> list[dict[str, Any]]:
        return list(getattr(self, "_gil", {}).values())

    def close(self, kill: bool = False) -> None:
        if self.watchdog is not None:  # first: the workers' exits are no crashes
            self.watchdog.close()
        pool, self.pool = self.pool, None
        if pool is not None:
            before = self._children_before
            if kill:
                finish_pool(pool.terminate, pool, self.procs, before, TERMINATE_GRACE_S)
            else:
                finish_pool(lambda: (pool.close(), pool.join()), pool, self.procs, before,
                            CLOSE_S)
        else:  # the Pool never came to be: kill what it may have forked
            kill_children([], self._children_before)
        if self.shared is not None:
            self.shared.close()
        self.launcher.close()


def finish_pool(call: Callable[[], Any], pool, procs: list, before: set | None,
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


def _notify(cond: threading.Condition) -> None:
    with cond:
        cond.notify_all()


# -- the variants -------------------------------------------------------------------------
# Pool.map is map_async(...).get(), and Pool.starmap starmap_async(...).get(): the same
# blocking get() here.
def _run_map(session: PoolSession, chunks):
    result = session.pool.map_async(worker_run, chunks)
    return session.get([result], f"run {len(chunks)} chunks")[0]


def _run_starmap(session: PoolSession, chunks):
    result = session.pool.starmap_async(_worker_run_args, list(enumerate(chunks)))
    return [done for _, done in session.get([result], f"run {len(chunks)} chunks")[0]]


def _run_imap(session: PoolSession, chunks):
    iterator = session.pool.imap(worker_run, chunks)
    return session.results(iterator, len(chunks), f"run {len(chunks)} chunks")


def _run_imap_unordered(session: PoolSession, chunks):
    iterator = session.pool.imap_unordered(_worker_run_indexed, list(enumerate(chunks)))
    done: list[tuple[Any, float, Any]] = [(None, 0.0, None)] * len(chunks)
    for index, result in session.results(iterator, len(chunks), f"run {len(chunks)} chunks"):
        done[index] = result
    return done


def _run_apply_async(session: PoolSession, chunks):
    results = [session.pool.apply_async(worker_run, (chunk,)) for chunk in chunks]
    return session.get(results, f"run {len(chunks)} chunks")


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


__all__ = ["CLOSE_S", "TERMINATE_GRACE_S", "PoolApplyAsyncStrategy", "PoolImapStrategy",
           "PoolImapUnorderedStrategy", "PoolStarmapStrategy", "PoolStrategy", "finish_pool"]
