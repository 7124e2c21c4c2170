"""Data-sharing strategies: ``shared-array`` (the workspace in ``multiprocessing.Array``,
sums through a ``Value`` under its lock) and ``manager`` (chunks and partials through the
proxies of a ``multiprocessing.Manager``).

Both run hand-started ``multiprocessing.Process`` workers (see :mod:`.workers`) and know no
kernel: ``shared-array`` maps any workspace array onto an Array of bytes viewed with the
array's dtype, and adds a partial into a Value only where the problem declares that its
merge adds partials up (``Problem.combine == "sum"``: an int goes into a ``'q'`` Value, a
float into a ``'d'`` one); other partials travel back pickled. ``manager`` keeps the
workspace in shared memory like ``processes`` (a Manager holds Python objects, not
buffers a chunk function could write into), and moves everything else through proxies:
each call is a round trip to the Manager's server process, which is what it measures.
"""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.managers import SyncManager
from typing import Any

import numpy as np

from gilbench.interrupts import deferred, detach_worker
from gilbench.kernels.base import Chunk, Implementation, Problem, Workspace
from gilbench.plugins import worker_imports
from gilbench.strategies.base import MapResult, WorkerCrashed
from gilbench.strategies.processes import (
    WORKER_STATE,
    ProcessStrategy,
    call_chunk_function,
    gil_report,
    worker_init,
)
from gilbench.strategies.workerloop import RemoteChunkError, Tally, execute
from gilbench.strategies.workers import QueueSession, WorkerSession


# -- shared-array -------------------------------------------------------------------------
@dataclass(frozen=True)
class Added:
    """What a worker sends back for a partial it added into the ``kind`` ("int"/"float")
    Value instead."""

    kind: str


def _view(raw: Any, shape: tuple[int, ...], dtype: str, readonly: bool) -> np.ndarray:
    dt = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    arr = np.frombuffer(raw, dtype=dt, count=count).reshape(shape)
    if readonly:
        arr.flags.writeable = False
    return arr


def _absorb(totals: tuple[Any, Any], value: Any) -> tuple[Any, float]:
    """Add a numeric partial into its Value under the Value's lock: ``(Added, seconds
    spent waiting for the lock)``; any other partial is returned as it is."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return value, 0.0
    whole = isinstance(value, numbers.Integral)
    total = totals[0 if whole else 1]
    t0 = time.perf_counter()
    with total.get_lock():
        waited = time.perf_counter() - t0
        total.value += int(value) if whole else float(value)
    return Added("int" if whole else "float"), waited


def _serve_shared(init: tuple, ready, tasks, results, arrays: dict, totals) -> None:
    worker_init(*init)
    WORKER_STATE["workspace"].arrays.update(
        {name: _view(*spec) for name, spec in arrays.items()})
    if totals is not None:
        WORKER_STATE["absorb"] = partial(_absorb, totals)
    ready.release()
    for task in iter(tasks.get, None):
        results.put(execute(task))


class ArrayWorkspace:
    """A problem's arrays in ``multiprocessing.Array`` blocks (sharedctypes, inherited or
    passed to workers when they start), with a numpy view of each."""

    def __init__(self, problem: Problem, context) -> None:
        #: name -> (the Array, shape, dtype, read-only): what a worker builds its view from.
        self.specs: dict[str, tuple[Any, tuple[int, ...], str, bool]] = {}
        arrays: dict[str, np.ndarray] = {}
        for name, arr in problem.inputs.items():
            arrays[name] = self._allocate(context, name, arr.shape, arr.dtype.str, True)
            arrays[name][...] = arr
        for name, spec in problem.outputs.items():  # an Array starts zeroed
            arrays[name] = self._allocate(context, name, spec.shape,
                                          np.dtype(spec.dtype).str, False)
        self.workspace = Workspace(dict(problem.params), arrays)

    def _allocate(self, context, name, shape, dtype, readonly) -> np.ndarray:
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        # Bytes, whatever the dtype: any array maps onto them. No lock: chunks write
        # disjoint parts, and a lock would only serialise them.
        raw = context.Array("B", max(1, nbytes), lock=False)
        self.specs[name] = (raw, tuple(shape), dtype, readonly)
        return _view(raw, shape, dtype, False)  # the parent fills the inputs

    def close(self) -> None:
        self.workspace.arrays.clear()
        self.specs.clear()  # the Arrays' memory returns to multiprocessing's heap


class SharedArraySession(QueueSession):
    """Workers on a task and a result Queue, the workspace in Arrays, sums in Values."""

    serve = staticmethod(_serve_shared)

    def _share(self, problem: Problem, impl: Implementation) -> tuple:
        context = self.launcher.context
        self.shared = ArrayWorkspace(problem, context)
        self.workspace = self.shared.workspace
        self.totals = ((context.Value("q", 0), context.Value("d", 0.0))
                       if problem.combine == "sum" else None)
        return ({}, dict(problem.params), impl.fn, impl.prepare, None, os.getpid(),
                worker_imports())

    def _worker_args(self, i):
        return self.tasks, self.results, self.shared.specs, self.totals

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        if self.totals is not None:
            for total in self.totals:
                with total.get_lock():
                    total.value = 0
        return super().map(chunks)

    def _result(self, tally: Tally) -> MapResult:
        partials = [p for p in tally.partials if not isinstance(p, Added)]
        kinds = {p.kind for p in tally.partials if isinstance(p, Added)}
        # The totals stand for every partial added into them ("sum": merge only adds).
        partials += [total.value for kind, total in zip(("int", "float"), self.totals or (),
                                                       strict=False) if kind in kinds]
        added = len(tally.partials) - len([p for p in tally.partials
                                           if not isinstance(p, Added)])
        return MapResult(partials, tally.cpu_s,
                         {"value_updates": added, "lock_wait_s": tally.lock_wait_s})


class SharedArrayStrategy(ProcessStrategy):
    name = "shared-array"
    display = "Process + Array/Value"
    description = ("multiprocessing.Process workers over a workspace in multiprocessing."
                   "Array; partials that add up go into a Value under its lock")
    uses = "multiprocessing.Array + Value (+ Queue for chunks)"
    core = False  # one of the tutorial's components: standard and full sweeps
    returns = "shared"
    session_class = SharedArraySession



# -- manager ------------------------------------------------------------------------------
def _manager_init(parent_pid: int) -> None:
    # Like a worker: signals are the parent's to handle, and it dies with the parent.
    detach_worker(parent_pid)


def _serve_manager(init: tuple, ready, tasks, partials, done) -> None:
    worker_init(*init)
    ready.release()
    ws = WORKER_STATE["workspace"]
    while True:
        task = tasks.get()  # a round trip, blocked in the server until a chunk comes
        if task is None:
            return
        number, index, chunk = task
        c0 = time.process_time()
        error = None
        try:
            partials[index] = (number, call_chunk_function(ws, chunk))  # a round trip
        except BaseException as exc:  # noqa: BLE001 - it travels to the caller
            error = exc
        cpu = time.process_time() - c0
        gil = gil_report()  # this worker's GIL: first time, then when a chunk changed it
        try:
            done.put((number, index, error, cpu, gil))  # a round trip
        except Exception:  # noqa: BLE001 - the error did not pickle: its type and text
            done.put((number, index, RemoteChunkError(f"{type(error).__qualname__}: "
                                                      f"{error}"), cpu, gil))


class ManagerSession(WorkerSession):
    """Chunks on a Manager Queue, partials into a Manager list, completions on a second
    Manager Queue: three round trips per chunk in the workers, two in this process, and
    two per map."""

    serve = staticmethod(_serve_manager)
    manager: SyncManager | None = None

    def _open_channels(self, context, workers):
        t0 = time.perf_counter()
        self.manager = SyncManager(ctx=context)
        # It forks (or spawns) the server process, then waits for its address: no timeout,
        # but a server that dies closes the pipe (EOFError). On the main thread: Linux ties
        # the server's parent-death signal (see detach_worker) to the forking thread.
        with deferred():
            self.manager.start(initializer=_manager_init, initargs=(os.getpid(),))
        self.tasks, self.done, self.partials = (self.manager.Queue(), self.manager.Queue(),
                                                self.manager.list())
        self.notes["manager_start_s"] = time.perf_counter() - t0

    def _worker_args(self, i):
        return self.tasks, self.partials, self.done

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        if self._closed:
            raise RuntimeError("session is closed")
        self.maps += 1
        what = f"run {len(chunks)} chunks"
        calls = 0
        try:
            with self._arm(what):
                self.partials[:] = [None] * len(chunks)
                for i, chunk in enumerate(chunks):
                    self.tasks.put((self.maps, i, chunk))
                cpu = 0.0
                left = len(chunks)
                while left:
                    # Blocking: the watchdog puts the failure on this queue to end it.
                    number, index, error, chunk_cpu, gil = self.done.get()
                    calls += 1
                    if number != self.maps:
                        continue  # a straggler of a map that failed
                    if error is not None:
                        raise error
                    if gil is not None:
                        self._gil[gil["pid"]] = gil
                    cpu += chunk_cpu
                    left -= 1
                stored = self.partials[:]
        except (EOFError, ConnectionError) as exc:
            self.group.check(what)
            raise WorkerCrashed(f"the Manager's server process went away while the session "
                                f"tried to {what} ({type(exc).__name__})") from None
        partials = [p if p is None else p[1] for p in stored]
        # This process: the list reset, one put per chunk, one get per completion, the read;
        # each worker: a get, a list store and a completion per chunk.
        trips = 2 + len(chunks) + calls + 3 * len(chunks)
        return MapResult(partials, cpu, {"proxy_round_trips": trips})

    def _wake(self, number, failure, attempt):
        if attempt == 0:  # through a connection of the watchdog's thread (proxies are per thread)
            self.done.put((number, 0, failure, 0.0, None))

    def _stop(self):
        for _ in range(self.workers):
            self.tasks.put(None)

    def _close_channels(self):
        manager, self.manager = self.manager, None
        self.tasks = self.done = self.partials = None  # proxies: released before shutdown
        if manager is not None:
            manager.shutdown()


class ManagerStrategy(ProcessStrategy):
    name = "manager"
    display = "Manager proxies"
    description = ("multiprocessing.Process workers that take chunks from a Manager().Queue "
                   "and store partials in a Manager().list: every access a proxy round trip")
    uses = "multiprocessing.Manager (Queue, list proxies)"
    core = False  # one of the tutorial's components: standard and full sweeps
    ipc = "proxy"
    returns = "proxy"
    session_class = ManagerSession



__all__ = ["ManagerStrategy", "SharedArrayStrategy"]
