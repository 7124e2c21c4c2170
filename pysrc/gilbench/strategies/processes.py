"""The ``processes`` strategy: a warm ProcessPoolExecutor over a shared-memory workspace,
and what every process strategy shares: the workspace, the worker initialiser, the
launcher that applies a start method, and the base class.

Inputs are copied once into ``multiprocessing.shared_memory`` blocks and outputs are
allocated there, so workers write their rows in place and only chunk descriptors and small
partials are pickled. Start-up (segments, spawning, importing, attaching) is measured
separately from the timed repeats.
"""

from __future__ import annotations

import atexit
import errno
import itertools
import multiprocessing as mp
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing import resource_tracker, shared_memory
from pathlib import Path
from typing import Any

import numpy as np

from gilbench import gilwatch
from gilbench.interrupts import deferred, detach_worker, signals_blocked
from gilbench.kernels.base import Chunk, ChunkFunction, Implementation, Problem, Workspace
from gilbench.limits import explain_resource_error, format_bytes
from gilbench.plugins import WorkerImports, import_in_worker, worker_imports
from gilbench.strategies.base import (
    MapResult,
    Outputs,
    Payload,
    RunTimeout,
    Session,
    Strategy,
    WorkerCrashed,
)
from gilbench.strategies.startmethod import (
    START_METHODS,
    choose,
    started_forkserver,
    stop_forkserver,
)
from gilbench.strategies.watchdog import Watchdog, future_results

SEGMENT_PREFIX = "gilbench_"
#: Where Linux keeps POSIX shared memory (a tmpfs, often small in containers).
SHM_DIR = Path("/dev/shm")
_segments = itertools.count()


class PoolStartFailed(RuntimeError):
    """The workers or their shared memory could not be started (a limit ran out)."""


@contextmanager
def starting_workers(session: Any, workers: int) -> Iterator[None]:
    """The start-up of ``session``'s worker processes, whatever the strategy.

    Before: the resource tracker runs (SharedMemory registers a new segment with it after
    creating it, and does not unlink the segment if that fails), and the children alive
    now are noted in ``session._children_before``, so that workers forked but not yet in a
    pool's table when an interruption lands are found by ``close(kill=True)``. On any
    failure the session is closed, its workers killed; an OSError (fork, pipes,
    semaphores, memory or segments: a limit ran out) becomes :class:`PoolStartFailed`
    with a one-line reason.
    """
    try:
        if os.name == "posix":
            with signals_blocked():
                resource_tracker.ensure_running()
        session._children_before = set(mp.active_children())
        yield
    except (RunTimeout, WorkerCrashed):  # a TimeoutError is an OSError: not a start limit
        session.close(kill=True)
        raise
    except OSError as exc:
        session.close(kill=True)
        raise PoolStartFailed(f"could not start {workers} worker processes: "
                              f"{explain_resource_error(exc)}") from exc
    except BaseException:
        session.close(kill=True)
        raise


def segment_name() -> str:
    """A fresh segment name that says which process created it (``gilbench_<pid>_...``),
    so a leak can be traced to its owner; short enough for macOS's 31-character limit."""
    return f"{SEGMENT_PREFIX}{os.getpid()}_{next(_segments)}_{secrets.token_hex(3)}"


@dataclass(frozen=True)
class SharedArray:
    """Where a workspace array lives: picklable, so workers can attach to it."""

    segment: str
    shape: tuple[int, ...]
    dtype: str
    readonly: bool


def _attach(segment: str) -> shared_memory.SharedMemory:
    if sys.version_info >= (3, 13):
        # Only the creator tracks (and unlinks) a segment.
        return shared_memory.SharedMemory(name=segment, track=False)
    return shared_memory.SharedMemory(name=segment)


def _view(shm: shared_memory.SharedMemory, spec: SharedArray) -> np.ndarray:
    arr = np.ndarray(spec.shape, dtype=spec.dtype, buffer=shm.buf)
    if spec.readonly:
        arr.flags.writeable = False
    return arr


class SharedWorkspace:
    """Owns the shared-memory segments of one problem; the parent unlinks them on close.

    With ``share_inputs=False`` only outputs go to shared memory: inputs then travel
    pickled with each chunk (the ``processes-pickle`` strategy).
    """

    def __init__(self, problem: Problem, share_inputs: bool = True) -> None:
        self.segments: list[shared_memory.SharedMemory] = []
        self.layout: dict[str, SharedArray] = {}
        self._outputs = set(problem.outputs)
        arrays: dict[str, np.ndarray] = {}
        _check_shm_space((problem.input_bytes if share_inputs else 0)
                         + sum(spec.nbytes for spec in problem.outputs.values()))
        try:
            for name, arr in (problem.inputs.items() if share_inputs else ()):
                arrays[name] = self._allocate(name, arr.shape, arr.dtype.str)
                arrays[name][...] = arr
                arrays[name].flags.writeable = False
            for name, spec in problem.outputs.items():
                arrays[name] = self._allocate(name, spec.shape, np.dtype(spec.dtype).str)
                arrays[name].fill(0)
        except BaseException:
            self.close()
            raise
        self.workspace = Workspace(dict(problem.params), arrays)

    def _allocate(self, name: str, shape: tuple[int, ...], dtype: str) -> np.ndarray:
        nbytes = max(1, int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize)
        shm = shared_memory.SharedMemory(name=segment_name(), create=True, size=nbytes)
        self.segments.append(shm)
        # Workers see inputs read-only; the parent's view stays writable to fill them.
        self.layout[name] = SharedArray(shm.name, tuple(shape), dtype,
                                        readonly=name not in self._outputs)
        return _view(shm, replace(self.layout[name], readonly=False))

    def close(self) -> None:
        """Unlink every segment (idempotent). Memory is freed when the last view dies."""
        if hasattr(self, "workspace"):
            self.workspace.arrays.clear()
        for shm in self.segments:
            try:
                shm.close()
            except BufferError:
                pass  # a caller still holds a view; unlinking below is what prevents leaks
            try:
                shm.unlink()
            except FileNotFoundError:
                pass
        self.segments.clear()


def _check_shm_space(nbytes: int) -> None:
    """OSError(ENOSPC) when /dev/shm cannot hold ``nbytes``: filling a tmpfs past its size
    kills the writer with SIGBUS instead of raising."""
    try:
        st = os.statvfs(SHM_DIR)
    except OSError:  # no /dev/shm (macOS): nothing to measure
        return
    free = st.f_bavail * st.f_frsize
    if nbytes > free:
        raise OSError(errno.ENOSPC, f"the problem needs {format_bytes(nbytes)} of shared "
                                    f"memory and {SHM_DIR} has {format_bytes(free)} free")


# -- worker side (module globals live in each worker process) ---------------------------
#: This worker process's state: its workspace, chunk function, segments, GIL record
#: (empty in the parent).
WORKER_STATE: dict[str, Any] = {}


def worker_init(layout: dict[str, SharedArray], params: dict[str, Any],
                fn: ChunkFunction, prepare, barrier, parent_pid: int,
                imports: WorkerImports | None = None) -> None:
    """Initialise a worker process: attach to the shared workspace ``layout``, import the
    user's modules, and load the chunk function into :data:`WORKER_STATE`."""
    # The parent decides what Ctrl-C, SIGTERM and SIGHUP mean; workers must not die
    # half-way through a chunk, and must not outlive the parent.
    detach_worker(parent_pid)
    # The user's modules (--import, entry points): a spawned worker starts from a fresh
    # interpreter, and their registrations and module state must exist here too.
    gilwatch.install()
    # Whatever this worker imports may turn a free-threaded build's GIL back on: record it.
    with gilwatch.watching_imports():
        import_in_worker(imports)
        from threadpoolctl import threadpool_limits

        # One process per core already: native thread pools inside workers would
        # oversubscribe.
        WORKER_STATE["limits"] = threadpool_limits(limits=1)
        segments = {name: _attach(spec.segment) for name, spec in layout.items()}
        arrays = {name: _view(segments[name], spec) for name, spec in layout.items()}
        WORKER_STATE.update(segments=segments, fn=fn, barrier=barrier,
                            workspace=Workspace(params, arrays))
        atexit.register(_worker_detach)
        if prepare is not None:
            prepare()
    WORKER_STATE["gil"] = gilwatch.gil_enabled()


def _worker_detach() -> None:
    ws = WORKER_STATE.pop("workspace", None)
    if ws is not None:
        ws.arrays.clear()
    for shm in WORKER_STATE.pop("segments", {}).values():
        try:
            shm.close()
        except BufferError:
            pass


def worker_ready(timeout: float) -> dict[str, Any]:
    """The ready handshake: wait for every worker (at most ``timeout``: start-up, in a
    worker), then report this one's GIL state."""
    WORKER_STATE["barrier"].wait(timeout)
    return gilwatch.state()


def _gil_change() -> dict[str, Any] | None:
    """This worker's GIL state if a chunk turned the GIL on (or off) since it last said."""
    now = gilwatch.gil_enabled()
    if now == WORKER_STATE.get("gil"):
        return None
    WORKER_STATE["gil"] = now
    return gilwatch.state()


def gil_report() -> dict[str, Any] | None:
    """This worker's GIL state the first time it is asked (for strategies without a ready
    handshake that carries it), then only when a chunk changed it."""
    if not WORKER_STATE.get("gil_reported"):
        WORKER_STATE["gil_reported"] = True
        WORKER_STATE["gil"] = gilwatch.gil_enabled()
        return gilwatch.state()
    return _gil_change()


def call_chunk_function(ws: Workspace, chunk: Chunk) -> Any:
    """This worker's chunk function on ``chunk`` over ``ws``, its partial returned."""
    if WORKER_STATE.get("ran"):
        return WORKER_STATE["fn"](ws, chunk)
    # The first chunk (a warm-up, untimed) may import lazily: record what turns the GIL on.
    with gilwatch.watching_imports():
        partial = WORKER_STATE["fn"](ws, chunk)
    WORKER_STATE["ran"] = True
    return partial


def worker_run(chunk: Chunk) -> tuple[Any, float, dict[str, Any] | None]:
    """One chunk on this worker's workspace: (partial, CPU seconds, GIL change or None)."""
    c0 = time.process_time()
    partial = call_chunk_function(WORKER_STATE["workspace"], chunk)
    return partial, time.process_time() - c0, _gil_change()


def _worker_run_shipped(shipped: tuple[Chunk, dict[str, np.ndarray]]
                        ) -> tuple[Any, float, dict[str, Any] | None]:
    c0 = time.process_time()
    chunk, inputs = shipped
    base = WORKER_STATE["workspace"]
    ws = Workspace(base.params, {**base.arrays, **inputs}, base.threads, base.schedule)
    partial = call_chunk_function(ws, chunk)
    return partial, time.process_time() - c0, _gil_change()


class Launcher:
    """How one session starts its worker processes: the start method (chosen by
    :func:`~gilbench.strategies.startmethod.choose`), its context, and the fork server the
    session may have to start (``notes["forkserver_started"]``) and stop again when it
    closes."""

    def __init__(self, requested: str | None) -> None:
        self.method, self.notes = choose(requested)
        self.context = mp.get_context(self.method)
        self._own_server = False

    def start(self) -> None:
        """Start what the method needs before any worker (the fork server)."""
        if self.method == "forkserver":
            # Blocked signals are inherited: the server, like the resource tracker, must
            # not die of a terminal's SIGHUP before gilbench has stopped its workers.
            with signals_blocked():
                self._own_server = started_forkserver()
            # Stopped again when the session closes, so every run pays its server's start.
            self.notes["forkserver_started"] = self._own_server

    def close(self) -> None:
        """Stop the fork server this launcher started (after the workers are gone)."""
        if self._own_server:
            self._own_server = False
            stop_forkserver()


class ProcessStrategy(Strategy):
    """Base of the strategies that run chunks in worker processes over a shared workspace.

    ``start_method`` (see :meth:`Strategy.configured`) is None for multiprocessing's
    default here, or one of :data:`~gilbench.strategies.startmethod.START_METHODS`.
    """

    uses_processes = True
    memory_copies = 2
    supports_start_method = True
    ipc = "queue"
    returns = "pickled"

    def __init__(self, start_method: str | None = None) -> None:
        # A strategy registered with its own start method (a plugin's spawn pool, say);
        # configured() makes copies with others.
        self.start_method = start_method

    def launcher(self) -> Launcher:
        """A launcher for one session, with this strategy's start method."""
        return Launcher(self.start_method)

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        """A new :class:`Launcher` for the session's worker processes."""
        return {"launcher": self.launcher()}

    def unavailable_reason(self) -> str | None:
        if self.start_method is not None and self.start_method not in START_METHODS:
            return (f"start method {self.start_method!r} does not exist here (this platform "
                    f"has {', '.join(START_METHODS)})")
        return None


def fork_hint(notes) -> str:
    """What to add to a timeout message when the workers were forked after an OpenMP team
    (see :mod:`gilbench.strategies.startmethod`)."""
    if "fork_after_openmp" in notes:
        return (" (they were forked after this process ran an OpenMP team, which hangs a "
                "forked worker that starts one: try --start-method forkserver)")
    return ""


def describe_exit(exitcode: int | None) -> str:
    """``killed by SIGKILL`` or ``exited with code 3`` for a Process's exit code."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


class ProcessSession(Session):
    """A ProcessPoolExecutor whose workers are started and attached before timing."""

    def __init__(self, problem: Problem, impl: Implementation, workers: int,
                 timeout: float, *, launcher: Launcher, payload: Payload | None = None
                 ) -> None:
        self.timeout = timeout
        self.payload = payload
        self.pool: ProcessPoolExecutor | None = None
        self.shared: SharedWorkspace | None = None
        self.launcher = launcher
        self.start_method, self.notes = launcher.method, launcher.notes
        context = launcher.context
        #: Each worker's GIL state by pid: from the ready handshake, updated by chunks.
        self._gil: dict[int, dict[str, Any]] = {}
        self._children_before: set[mp.process.BaseProcess] | None = None
        self.watchdog: Watchdog | None = None
        t0 = time.perf_counter()
        with starting_workers(self, workers):
            launcher.start()
            self.shared = SharedWorkspace(problem, share_inputs=payload is None)
            self.workspace = self.shared.workspace
            barrier = context.Barrier(workers)
            self.pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=worker_init,
                initargs=(self.shared.layout, dict(problem.params), impl.fn, impl.prepare,
                          barrier, os.getpid(), worker_imports()))
            # Workers may spawn lazily; a barrier of `workers` parties proves all are up.
            # Submitting forks them: no interruption until the pool has recorded them all.
            with deferred():
                warm = [self.pool.submit(worker_ready, timeout) for _ in range(workers)]
            # After the forks (a thread at fork time is a hazard for the child); the pool
            # notices dead workers itself (BrokenProcessPool): this keeps the timeout.
            self.watchdog = Watchdog(self._timeout_error)
            for state in self._wait(warm, "start the workers"):
                self._gil[state["pid"]] = state
        self.startup_s = time.perf_counter() - t0

    def _timeout_error(self, what: str) -> RunTimeout:
        return RunTimeout(f"worker processes did not {what} within {self.timeout:g} s"
                          + fork_hint(self.notes))

    def _wait(self, futures: list, what: str) -> list:
        try:
            return future_results(self.watchdog, futures, self.timeout, what)
        except RunTimeout:
            self.close(kill=True)
            raise
        except BrokenProcessPool as exc:
            raise self._broken(exc, what) from None

    def _broken(self, exc: BrokenProcessPool, what: str) -> WorkerCrashed:
        """The pool is broken (a worker died): close it, and the error to raise."""
        self.close(kill=True)
        return WorkerCrashed(f"a worker process died while trying to {what} ({exc})")

    def describe(self) -> dict[str, Any]:
        """How its workers were started (see :class:`Launcher`)."""
        return dict(self.notes)

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        if self.pool is None:
            raise RuntimeError("session is closed")
        what = f"run {len(chunks)} chunks"
        try:
            if self.payload is None:
                futures = [self.pool.submit(worker_run, chunk) for chunk in chunks]
            else:  # slicing and pickling the inputs is part of what this variant measures
                futures = [self.pool.submit(_worker_run_shipped, self.payload(chunk))
                           for chunk in chunks]
        except BrokenProcessPool as exc:  # a worker died before the last chunk was sent
            raise self._broken(exc, what) from None
        done = self._wait(futures, what)
        for _, _, state in done:
            if state is not None:
                self._gil[state["pid"]] = state
        return MapResult([p for p, _, _ in done], sum(c for _, c, _ in done))

    def worker_gil_states(self) -> list[dict[str, Any]]:
        return list(self._gil.values())

    def close(self, kill: bool = False) -> None:
        if self.watchdog is not None:
            self.watchdog.close()
        pool, self.pool = self.pool, None
        if pool is not None:
            shutdown_executor(pool, kill=kill, before=self._children_before)
        if self.shared is not None:
            self.shared.close()
        self.launcher.close()


def kill_children(procs: Sequence[mp.process.BaseProcess],
                  before: set[mp.process.BaseProcess] | None) -> None:
    """SIGKILL ``procs`` and every child started since ``before`` was taken (a worker
    forked but not yet recorded when an interruption landed), then reap them."""
    victims = [p for p in procs if p.exitcode is None]
    if before is not None:
        victims += [p for p in mp.active_children() if p not in before and p not in victims]
    for proc in victims:
        try:
            proc.kill()
        except (OSError, AttributeError, ValueError):  # gone already, or never started
            pass
    for proc in victims:
        try:
            proc.join(timeout=5)  # reaped: not even a zombie outlives the run
        except (AssertionError, ValueError):  # never started
            pass


#: Seconds a killed ProcessPoolExecutor's thread gets to wind up on its own, and then again
#: after its last pipe ends are closed.
EXECUTOR_WIND_UP_S = 5.0


def shutdown_executor(pool: ProcessPoolExecutor, *, kill: bool,
                      before: set[mp.process.BaseProcess] | None = None) -> None:
    """Shut a ProcessPoolExecutor down and wait for it; with ``kill``, SIGKILL and reap its
    workers first (and every child started since ``before`` was taken: workers forked but
    not yet entered in the pool's table, interrupted half-way through starting it).

    A stuck or dead worker would make a polite shutdown wait for ever, and killing one
    has hazards of its own, each seen here after SIGTERM: the pool's thread may wait for
    the rest of a result a killed worker left half-written, and its queue feeder on a
    pipe no worker reads. This process holds the last ends of those pipes, so closing
    them ends both waits (EOF, EPIPE). Pending futures are cancelled by the pool's own
    thread (``cancel_futures``), never by the caller: on Python 3.11 that thread fails
    with InvalidStateError when it marks the pool broken and meets a future cancelled from
    outside (fixed in 3.12). What the pool's threads raise while it is being killed is
    expected and not printed."""
    if not kill:
        pool.shutdown(wait=True, cancel_futures=True)
        return
    # shutdown(wait=False) lets go of these: take them first.
    manager = getattr(pool, "_executor_manager_thread", None)
    results, calls = getattr(pool, "_result_queue", None), getattr(pool, "_call_queue", None)
    with _pool_thread_errors_hidden():
        kill_children(list((getattr(pool, "_processes", None) or {}).values()), before)
        pool.shutdown(wait=False, cancel_futures=True)
        if manager is not None:
            manager.join(EXECUTOR_WIND_UP_S)
            if manager.is_alive():
                for end in (getattr(results, "_writer", None), getattr(calls, "_reader", None)):
                    try:
                        if end is not None:
                            end.close()
                    except OSError:
                        pass
                manager.join(EXECUTOR_WIND_UP_S)
    if results is not None and not (manager is not None and manager.is_alive()):
        results.close()  # what shutdown(wait=True) would have closed


@contextmanager
def _pool_thread_errors_hidden() -> Iterator[None]:
    """Within the block, an exception that ends a ProcessPoolExecutor's management thread
    or a queue feeder thread is not printed (other threads' still are)."""
    from concurrent.futures import process as cf_process

    previous = threading.excepthook
    manager_type = getattr(cf_process, "_ExecutorManagerThread", ())

    def hook(args: Any) -> None:
        thread = args.thread
        if isinstance(thread, manager_type) or getattr(thread, "name", "") == \
                "QueueFeederThread":
            return
        previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


class ProcessesStrategy(ProcessStrategy):
    """Warm ProcessPoolExecutor over shared memory."""

    name = "processes"
    display = "ProcessPoolExecutor"
    reference_pool = True
    description = ("a warm ProcessPoolExecutor over shared memory: one interpreter (and GIL) "
                   "per worker; pays start-up and IPC")
    uses = "concurrent.futures.ProcessPoolExecutor"
    session_class = ProcessSession


class PickledInputsStrategy(ProcessesStrategy):
    """Like ``processes``, but each chunk's inputs are pickled to the worker every time."""

    name = "processes-pickle"
    display = "ProcessPoolExecutor, inputs pickled"
    description = ("warm process pool that pickles each chunk's input slice to the worker "
                   "instead of sharing memory: the cost of copying")
    ships_inputs = True

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        if payload is None:
            raise ValueError(f"strategy {self.name!r} needs the kernel's payload() function")
        return {**super().session_args(problem, impl, workers, schedule=schedule,
                                       payload=payload, outputs=outputs),
                "payload": payload}
