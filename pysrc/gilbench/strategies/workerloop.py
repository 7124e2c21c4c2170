"""Hand-started worker processes, both ends of the wire: what runs inside a worker (the
serve loops, one task message in, one result message out) and what the parent keeps about
its workers (the group, the tally of one map's results, killing them).

Every chunk travels as ``(map number, index, chunk)`` pickled by the caller: an
unpicklable chunk raises there, where a Queue would have dropped it in its feeder thread
and left the map waiting. Every result travels back as ``(map number, index, ok, partial
or exception, CPU seconds, lock-wait seconds, GIL state or None)``, pickled by the worker
for the same reason; a chunk's exception reaches the caller as itself (type and message),
or, if it cannot be pickled, as :class:`RemoteChunkError` naming its type. The session's
watchdog sends a failure the same way (:func:`failure_message`).
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import time
from collections.abc import Callable
from multiprocessing.connection import wait as wait_connections
from multiprocessing.reduction import ForkingPickler
from typing import Any

from gilbench.strategies.base import WorkerCrashed
from gilbench.strategies.processes import (
    WORKER_STATE,
    call_chunk_function,
    describe_exit,
    gil_report,
    worker_init,
)

#: Seconds ``close`` gives workers to leave after being asked, before killing them.
JOIN_S = 5.0


class RemoteChunkError(RuntimeError):
    """A chunk raised an exception that could not travel back as itself (its type and
    message are in the text)."""


def dumps(obj: Any) -> bytes:
    """Pickle as multiprocessing does (its reducers included), into plain bytes."""
    return bytes(ForkingPickler.dumps(obj))


# -- worker side --------------------------------------------------------------------------
def _start_worker(init: tuple, ready) -> None:
    """The worker initialiser of :mod:`.processes`, then one release of ``ready``."""
    worker_init(*init)
    ready.release()


def execute(task: bytes) -> bytes:
    """Run one pickled task on this worker's workspace; the pickled result message."""
    number, index, chunk = pickle.loads(task)
    c0 = time.process_time()
    waited = 0.0
    try:
        partial = call_chunk_function(WORKER_STATE["workspace"], chunk)
        absorb = WORKER_STATE.get("absorb")
        if absorb is not None:  # shared-array: numeric partials go into a Value
            partial, waited = absorb(partial)
    except BaseException as exc:  # noqa: BLE001 - it travels to the caller
        return _failure(number, index, exc, time.process_time() - c0)
    cpu = time.process_time() - c0
    try:
        return dumps((number, index, True, partial, cpu, waited, gil_report()))
    except Exception as exc:  # noqa: BLE001 - any pickling failure
        return _failure(number, index, pickle.PicklingError(
            f"the partial of chunk {index} cannot be pickled: {type(exc).__name__}: {exc}"),
            cpu)


def failure_message(number: int, exc: BaseException) -> bytes:
    """A result message that fails map ``number`` with ``exc`` (sent by the watchdog)."""
    return _failure(number, 0, exc, 0.0)


def _failure(number: int, index: int, exc: BaseException, cpu: float) -> bytes:
    try:
        message = dumps((number, index, False, exc, cpu, 0.0, None))
        pickle.loads(message)  # an exception that pickles may still fail to unpickle
        return message
    except Exception:  # noqa: BLE001 - fall back to its type and text
        return dumps((number, index, False,
                      RemoteChunkError(f"{type(exc).__qualname__}: {exc}"), cpu, 0.0, None))


def serve_queue(init: tuple, ready, tasks, results) -> None:
    """A worker's life on a task Queue and a result Queue, until it takes None."""
    _start_worker(init, ready)
    for task in iter(tasks.get, None):
        results.put(execute(task))


def serve_joinable(init: tuple, ready, tasks, results) -> None:
    """A worker's life on a JoinableQueue: ``task_done()`` after each task's result is
    on the result Queue, and after the None that sends it home."""
    _start_worker(init, ready)
    while True:
        task = tasks.get()
        try:
            if task is None:
                return
            results.put(execute(task))
        finally:
            tasks.task_done()


def serve_pipe(init: tuple, ready, conn) -> None:
    """A worker's life on its end of a duplex Pipe, until an empty message or EOF."""
    _start_worker(init, ready)
    while True:
        try:
            task = conn.recv_bytes()
        except EOFError:
            return
        if not task:
            return
        conn.send_bytes(execute(task))


# -- parent side --------------------------------------------------------------------------
class WorkerGroup:
    """The started worker processes of one session, and what can be asked of them."""

    def __init__(self, context: mp.context.BaseContext) -> None:
        self.context = context
        self.procs: list[mp.process.BaseProcess] = []

    def start(self, target: Callable, args: tuple) -> None:
        """Start one more worker process, running ``target(*args)``."""
        proc = self.context.Process(target=target, args=args, daemon=True,
                                    name=f"gilbench-worker-{len(self.procs)}")
        self.procs.append(proc)
        proc.start()

    @property
    def sentinels(self) -> list[int]:
        """The workers' sentinels: each becomes ready when its worker exits."""
        return [p.sentinel for p in self.procs]

    def check(self, what: str, wait: float = 0.0) -> None:
        """WorkerCrashed naming the first worker that has exited, waiting up to ``wait``
        seconds for one to (after a channel saw EOF, the exit is on its way)."""
        if wait:
            ready = wait_connections(self.sentinels, timeout=wait)
            for proc in self.procs:
                if proc.sentinel in ready:
                    # Its sentinel closes as it exits, a moment before its exit status
                    # can be collected.
                    proc.join(wait)
        for proc in self.procs:
            if proc.exitcode is not None:
                raise exit_error(proc, what)

    def join(self, timeout: float) -> None:
        """Wait for every worker to exit, ``timeout`` seconds for all of them."""
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            proc.join(max(0.0, deadline - time.monotonic()))


def exit_error(proc: mp.process.BaseProcess, what: str) -> WorkerCrashed:
    """The failure of a map (or start-up) during which worker ``proc`` exited."""
    return WorkerCrashed(f"worker process {proc.pid} {describe_exit(proc.exitcode)} "
                         f"while the session tried to {what}")


class Tally:
    """The results of one map as they arrive."""

    def __init__(self, number: int, n: int) -> None:
        self.number = number
        self.partials: list[Any] = [None] * n
        self.left = n
        self.cpu_s = 0.0
        self.lock_wait_s = 0.0
        #: GIL states workers reported with their results (first result, then changes).
        self.gil_states: list[dict[str, Any]] = []

    def accept(self, message: bytes) -> None:
        """Store one result message; a chunk's exception is raised here, as itself."""
        number, index, ok, value, cpu, waited, gil = pickle.loads(message)
        if number != self.number:
            return  # a straggler of a map that failed
        if not ok:
            raise value
        if gil is not None:
            self.gil_states.append(gil)
        self.partials[index] = value
        self.cpu_s += cpu
        self.lock_wait_s += waited
        self.left -= 1


__all__ = ["JOIN_S", "RemoteChunkError", "Tally", "WorkerGroup", "dumps", "execute",
           "exit_error", "failure_message", "serve_joinable", "serve_pipe", "serve_queue"]
