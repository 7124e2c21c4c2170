"""Worker processes started by hand: ``multiprocessing.Process`` workers fed through a
Queue, a JoinableQueue or one Pipe each (``process-queue``, ``joinable-queue``, ``pipe``),
and the session they share with ``shared-array`` and ``manager``.

What the workers run, and the messages they exchange with the session, are in
:mod:`.workerloop`. Every wait is the blocking call a user writes (``get()``, ``join()``,
``connection.wait``); a :class:`~.watchdog.Watchdog` watches the workers' sentinels and
the run's timeout, and wakes the wait with the failure: a worker that dies fails the map
as soon as its exit status is known.
"""

from __future__ import annotations

import multiprocessing as mp
import os
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
    kill_children,
    starting_workers,
)
from gilbench.strategies.watchdog import EXIT_STATUS_S, Watchdog
from gilbench.strategies.workerloop import (
    JOIN_S,
    Tally,
    WorkerGroup,
    dumps,
    exit_error,
    failure_message,
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
        self.watchdog: Watchdog | None = None
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
            # After the forks: a thread alive at fork time is a hazard for the child.
            self.watchdog = Watchdog(self._timeout_error, exit_error)
            self.watchdog.watch(self.group.procs)
            # Blocking acquires (start-up is measured too); a wake releases one.
            with self.watchdog.arm(timeout, "start the workers",
                                   lambda failure, attempt: ready.release()):
                for _ in range(workers):
                    ready.acquire()
                    self.watchdog.check()
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

    def _receive(self) -> bytes:
        """One result message (a blocking receive: the watchdog's wake ends it)."""
        raise NotImplementedError

    def _wake(self, number: int, failure: BaseException, attempt: int) -> None:
        """Wake this process, blocked in :meth:`_receive` (or :meth:`_dispatched`) on map
        ``number``, with ``failure`` (called by the watchdog's thread, see
        :data:`~.watchdog.Wake`)."""
        raise NotImplementedError

    def _stop(self) -> None:
        """Ask every worker to leave (the polite way)."""
        raise NotImplementedError

    def _close_channels(self) -> None:
        """Release queues and pipes (after the workers are gone); called again after
        a polite close, so it must be idempotent."""

    # -- shared machinery -----------------------------------------------------------------
    def _timeout_error(self, what: str) -> RunTimeout:
        return RunTimeout(f"worker processes did not {what} within {self.timeout:g} s"
                          + self._hint())

    def _arm(self, what: str):
        """Arm the watchdog for map number :attr:`maps`: ``with self._arm(what): ...``."""
        number = self.maps
        return self.watchdog.arm(self.timeout, what,
                                 lambda failure, attempt: self._wake(number, failure, attempt))

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
        with self._arm(f"run {len(chunks)} chunks"):
            self._dispatch(tasks)
            self._dispatched()
            return self._collect(len(chunks))

    def _dispatched(self) -> None:
        """Called once the chunks are handed out, before their results are collected
        (a session whose channel has a completion protocol waits on it here)."""

    def _collect(self, n: int) -> MapResult:
        tally = Tally(self.maps, n)
        while tally.left:
            tally.accept(self._receive())  # the watchdog's failure message raises here
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
        if self.watchdog is not None:  # first: the workers' polite exits are no crashes
            self.watchdog.close()
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


#: Wakes after which a Queue session that is still blocked looks for a jammed write lock.
_UNJAM_AT = 20


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

    def _receive(self):
        return self.results.get()

    def _wake(self, number, failure, attempt):
        # The failure travels as a result message of its map (see Tally), so that one
        # arriving after its map ended is dropped as a straggler.
        if attempt == 0:
            self.results.put(failure_message(number, failure))
        elif attempt == _UNJAM_AT:
            self._unjam()

    def _unjam(self) -> None:
        """Still not woken: a worker killed inside ``put()`` may hold the result queue's
        write lock, which the failure message is waiting for. Kill the workers (the map
        has failed), then give the lock back (a multiprocessing Lock has no owner)."""
        lock = getattr(self.results, "_wlock", None)
        if lock is None or lock.acquire(False):
            if lock is not None:
                lock.release()
            return  # not held: nothing is jammed
        kill_children(self.group.procs, None)
        lock.release()

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

    ``join()`` blocks in this thread, as a producer's does; on a failure the watchdog
    releases it with ``task_done`` calls for the chunks nobody will finish.
    """

    serve = staticmethod(serve_joinable)

    def _open_channels(self, context, workers):
        self.tasks, self.results = context.JoinableQueue(), context.Queue()

    def _dispatched(self) -> None:
        self.tasks.join()
        self.watchdog.check()  # released by the watchdog, not by the workers
        # Every chunk is done; its result may still be on its way through the pipe.

    def _wake(self, number, failure, attempt):
        # Unblock a join() that waits for chunks no worker will finish. At every attempt,
        # not only the first: the watchdog may fire while the chunks are still being put,
        # and those put after a release would hold join() for ever.
        try:
            while True:
                self.tasks.task_done()
        except ValueError:  # called more often than items were put: all released
            pass
        super()._wake(number, failure, attempt)


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
        tally = Tally(self.maps, len(chunks))
        idle = list(self.conns)
        busy: set = set()
        with self._arm(what):
            while tally.left:
                while pending and idle:
                    conn = idle.pop()
                    try:
                        conn.send_bytes(pending.popleft())
                    except OSError:  # its worker is gone
                        self._crashed(what)
                    busy.add(conn)
                # Blocking, as a user's connection.wait(); the watchdog's wake kills the
                # workers, whose pipes then read EOF.
                for conn in wait_connections(busy):
                    try:
                        message = conn.recv_bytes()
                    except (EOFError, OSError):
                        # EOF, or ECONNRESET: a duplex Pipe is a socket pair, and a worker
                        # killed with a chunk still unread in its end resets the connection.
                        self._crashed(what)
                    busy.discard(conn)
                    idle.append(conn)
                    tally.accept(message)
        return self._finish(tally)

    def _wake(self, number, failure, attempt):
        if attempt == 0:
            kill_children(self.group.procs, None)

    def _crashed(self, what: str) -> None:
        """A pipe broke: the watchdog's failure (a worker that exited, or the timeout that
        made it kill them), once it has the worker's exit status."""
        self.watchdog.check(wait=2 * EXIT_STATUS_S)
        raise WorkerCrashed(f"a worker closed its pipe while the session tried to {what}")

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
