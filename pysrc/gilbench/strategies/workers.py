"""Worker processes started by hand: ``multiprocessing.Process`` workers fed through a
Queue, a JoinableQueue or one Pipe each (``process-queue``, ``joinable-queue``, ``pipe``),
and the session they share with ``shared-array`` and ``manager``.

What the workers run, and the messages they exchange with the session, are in
:mod:`.workerloop`. Every wait polls the workers' exit codes, so a worker that dies fails
the map within :data:`~.workerloop.POLL_S`, and ends at the run's timeout at the latest.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait as wait_connections
from typing import Any

from gilbench.interrupts import deferred
from gilbench.kernels.base import Chunk, Implementation, Problem
from gilbench.plugins import worker_imports
from gilbench.strategies.base import (
    MapResult,
    RunTimeout,
    Session,
    WorkerCrashed,
)
from gilbench.strategies.processes import (
    Launcher,
    ProcessStrategy,
    SharedWorkspace,
    fork_hint,
    starting_workers,
)
from gilbench.strategies.workerloop import (
    JOIN_S,
    POLL_S,
    Tally,
    WorkerGroup,
    dumps,
    kill_children,
    serve_joinable,
    serve_pipe,
    serve_queue,
)


class WorkerSession(Session):
    """``workers`` hand-started processes over a shared workspace; subclasses provide the
    channels (:meth:`_open_channels`, :meth:`_worker_args`), the worker loop (``serve``),
    and how tasks and results move (:meth:`_dispatch`, :meth:`_receive`, :meth:`_stop`)."""

    serve: Callable[..., None]

    def __init__(self, problem: Problem, impl: Implementation, workers: int, timeout: float,
                 *, launcher: Launcher) -> None:
        self.timeout = timeout
        self.workers = workers
        self.launcher = launcher
        self.start_method, self.notes = launcher.method, launcher.notes
        self.group: WorkerGroup | None = None
        self.shared: Any = None
        self.maps = 0
        self._closed = False
        #: Each worker's GIL state by pid, as its results reported it.
        self._gil: dict[int, dict[str, Any]] = {}
        self._children_before: set[mp.process.BaseProcess] | None = None
        t0 = time.perf_counter()
        with starting_workers(self, workers):
            launcher.start()
            context = launcher.context
            init = self._share(problem, impl)
            self._open_channels(context, workers)
            ready = context.Semaphore(0)
            self.group = WorkerGroup(context)
            with deferred():  # no interruption half-way through forking a worker
                for i in range(workers):
                    self.group.start(type(self).serve, (init, ready, *self._worker_args(i)))
            self._started()
            deadline = time.monotonic() + timeout
            for _ in range(workers):
                self._await(lambda t: ready.acquire(timeout=t) or _empty(),
                            "start the workers", deadline)
        self.startup_s = time.perf_counter() - t0

    # -- what subclasses change -----------------------------------------------------------
    def _share(self, problem: Problem, impl: Implementation) -> tuple:
        """Build the workspace; the worker initialiser's arguments."""
        self.shared = SharedWorkspace(problem)
        self.workspace = self.shared.workspace
        return (self.shared.layout, dict(problem.params), impl.fn, impl.prepare, None,
                os.getpid(), worker_imports())

    def _open_channels(self, context: mp.context.BaseContext, workers: int) -> None:
        raise NotImplementedError

    def _worker_args(self, i: int) -> tuple:
        raise NotImplementedError

    def _started(self) -> None:
        """After every worker has been started (e.g. close the workers' pipe ends)."""

    def _dispatch(self, tasks: list[bytes]) -> None:
        raise NotImplementedError

    def _receive(self, timeout: float) -> bytes:
        """One result message; queue.Empty when none came within ``timeout``."""
        raise NotImplementedError

    def _stop(self) -> None:
        """Ask every worker to leave (the polite way)."""
        raise NotImplementedError

    def _close_channels(self) -> None:
        """Release queues and pipes (after the workers are gone); called again after
        a polite close, so it must be idempotent."""

    # -- shared machinery -----------------------------------------------------------------
    def _await(self, attempt: Callable[[float], Any], what: str, deadline: float) -> Any:
        """``attempt(timeout)`` until it returns, looking at the workers between tries."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunTimeout(f"worker processes did not {what} within {self.timeout:g} s"
                                 + self._hint())
            try:
                return attempt(min(POLL_S, remaining))
            except queue.Empty:
                if self.group is not None:
                    self.group.check(what)

    def _hint(self) -> str:
        return fork_hint(self.notes)

    def describe(self) -> dict[str, Any]:
        """How its workers were started (see :class:`Launcher`)."""
        return dict(self.notes)

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        if self._closed:
            raise RuntimeError("session is closed")
        self.maps += 1
        # Pickled here, so that an unpicklable chunk raises in the caller.
        tasks = [dumps((self.maps, i, chunk)) for i, chunk in enumerate(chunks)]
        what = f"run {len(chunks)} chunks"
        deadline = time.monotonic() + self.timeout
        self._dispatch(tasks)
        self._dispatched(what, deadline)
        return self._collect(len(chunks), what, deadline)

    def _dispatched(self, what: str, deadline: float) -> None:
        """Called once the chunks are handed out, before their results are collected
        (a session whose channel has a completion protocol waits on it here)."""

    def _collect(self, n: int, what: str, deadline: float) -> MapResult:
        tally = Tally(self.maps, n)
        while tally.left:
            tally.accept(self._await(self._receive, what, deadline))
        return self._finish(tally)

    def _result(self, tally: Tally) -> MapResult:
        return MapResult(tally.partials, tally.cpu_s)

    def _finish(self, tally: Tally) -> MapResult:
        """A complete map: keep the GIL states its workers reported, then its result."""
        for state in tally.gil_states:
            self._gil[state["pid"]] = state
        return self._result(tally)

    def worker_gil_states(self) -> list[dict[str, Any]]:
        return list(self._gil.values())

    def close(self, kill: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        group = self.group
        procs = group.procs if group is not None else []
        if group is not None and not kill:
            try:
                self._stop()
                group.join(JOIN_S)
                self._close_channels()  # politely too (a Manager shuts its server down)
            except (OSError, ValueError, EOFError):  # a channel is broken: kill instead
                pass
        kill_children(procs, self._children_before)
        self._close_channels()
        if self.shared is not None:
            self.shared.close()
        self.launcher.close()


def _empty():
    raise queue.Empty


def _retire(q) -> None:
    """Close a multiprocessing queue without waiting on its feeder thread, which would
    hang on a pipe that no live worker reads any more."""
    if q is not None:
        q.cancel_join_thread()
        q.close()


class QueueSession(WorkerSession):
    """A task Queue and a result Queue shared by every worker."""

    serve = staticmethod(serve_queue)
    tasks: Any = None
    results: Any = None

    def _open_channels(self, context, workers):
        self.tasks, self.results = context.Queue(), context.Queue()

    def _worker_args(self, i):
        return self.tasks, self.results

    def _dispatch(self, tasks):
        for task in tasks:
            self.tasks.put(task)

    def _receive(self, timeout):
        return self.results.get(timeout=timeout)

    def _stop(self):
        for _ in range(self.workers):
            self.tasks.put(None)

    def _close_channels(self):
        _retire(self.tasks)
        _retire(self.results)
        self.tasks = self.results = None


class JoinableQueueSession(QueueSession):
    """The producer (this process) puts every chunk on a JoinableQueue and ``join()``s it;
    consumers call ``task_done()`` after putting each result on the result Queue.

    ``JoinableQueue.join`` takes no timeout, so it runs on a helper thread that this
    session waits for with the run's timeout, looking at the workers meanwhile; after a
    failure, ``task_done`` calls for the chunks nobody will finish release it.
    """

    serve = staticmethod(serve_joinable)

    def _open_channels(self, context, workers):
        self.tasks, self.results = context.JoinableQueue(), context.Queue()

    def _dispatched(self, what: str, deadline: float) -> None:
        joined = threading.Thread(target=self.tasks.join, name="gilbench-join", daemon=True)
        joined.start()

        def attempt(timeout: float) -> None:
            joined.join(timeout)
            if joined.is_alive():
                raise queue.Empty

        try:
            self._await(attempt, what, deadline)
        except BaseException:
            self._release(joined)
            raise
        # Every chunk is done; its result may still be on its way through the pipe.

    def _release(self, joined) -> None:
        """Unblock a ``join()`` that waits for chunks no worker will finish."""
        while joined.is_alive():
            try:
                self.tasks.task_done()
            except ValueError:  # called more often than items were put: all released
                break
            joined.join(0.01)


class PipeSession(WorkerSession):
    """One duplex Pipe per worker; each worker has at most one chunk at a time, the next
    going to whichever answers first."""

    serve = staticmethod(serve_pipe)

    def _open_channels(self, context, workers):
        self.conns, self.worker_conns = [], []
        for _ in range(workers):
            mine, theirs = context.Pipe(duplex=True)
            self.conns.append(mine)
            self.worker_conns.append(theirs)

    def _worker_args(self, i):
        return (self.worker_conns[i],)

    def _started(self):
        # The workers hold their ends: closing ours lets EOF tell each side the other left.
        for conn in self.worker_conns:
            conn.close()
        self.worker_conns = []

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        if self._closed:
            raise RuntimeError("session is closed")
        self.maps += 1
        pending = deque(dumps((self.maps, i, chunk)) for i, chunk in enumerate(chunks))
        what = f"run {len(chunks)} chunks"
        deadline = time.monotonic() + self.timeout
        tally = Tally(self.maps, len(chunks))
        idle = list(self.conns)
        busy: set = set()
        sentinels = set(self.group.sentinels)
        while tally.left:
            while pending and idle:
                conn = idle.pop()
                try:
                    conn.send_bytes(pending.popleft())
                except OSError:  # its worker is gone
                    self.group.check(what, wait=1.0)
                    raise
                busy.add(conn)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunTimeout(f"worker processes did not {what} within {self.timeout:g} s"
                                 + self._hint())
            # Short waits: a Ctrl-C that another thread of this process received is only
            # raised once the main thread runs Python again.
            ready = wait_connections([*busy, *sentinels], timeout=min(POLL_S, remaining))
            for conn in ready:
                if conn in busy:
                    try:
                        message = conn.recv_bytes()
                    except EOFError:
                        self.group.check(what, wait=1.0)
                        raise WorkerCrashed(f"a worker closed its pipe while the session "
                                            f"tried to {what}") from None
                    busy.discard(conn)
                    idle.append(conn)
                    tally.accept(message)
            if sentinels.intersection(ready):
                self.group.check(what, wait=1.0)  # a worker exited: raises
        return self._finish(tally)

    def _stop(self):
        for conn in self.conns:
            conn.send_bytes(b"")

    def _close_channels(self):
        for conn in self.conns:
            conn.close()
        self.conns = []


class QueueStrategy(ProcessStrategy):
    """multiprocessing.Process workers with a task Queue and a result Queue."""

    name = "process-queue"
    display = "Process + Queue"
    description = ("multiprocessing.Process workers taking chunks from a task Queue and "
                   "putting results on a result Queue")
    uses = "multiprocessing.Process + Queue"
    core = False  # one of the tutorial's components: standard and full sweeps
    session_class = QueueSession



class JoinableQueueStrategy(QueueStrategy):
    name = "joinable-queue"
    display = "Process + JoinableQueue"
    description = ("this process produces chunks on a JoinableQueue and join()s it; "
                   "consumer processes task_done() each")
    uses = "multiprocessing.Process + JoinableQueue"
    session_class = JoinableQueueSession


class PipeStrategy(QueueStrategy):
    name = "pipe"
    display = "Process + Pipe"
    description = "multiprocessing.Process workers, one duplex Pipe each, one chunk at a time"
    uses = "multiprocessing.Process + Pipe"
    ipc = "pipe"
    session_class = PipeSession


__all__ = ["JoinableQueueSession", "JoinableQueueStrategy", "PipeSession", "PipeStrategy",
           "QueueSession", "QueueStrategy", "WorkerSession"]
