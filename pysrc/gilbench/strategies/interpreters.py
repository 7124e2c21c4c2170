"""The ``subinterpreters`` strategy: one isolated interpreter per worker, each with its own
GIL, driven by one thread of this process (PEP 684, PEP 734).

Each worker thread creates its interpreter, bootstraps it (gilbench's numpy-free modules,
see :mod:`gilbench.isolated`) and binds the parent's workspace arrays into it as shared
memoryviews: no copy and no shared-memory segment, the memory is this process's. A chunk
crosses as a pickle, runs the flavour's ``Implementation.isolated`` chunk function there,
and its partial (or exception) comes back pickled. Python 3.13 offers the low-level
``_interpreters`` and ``_interpqueues`` modules; 3.14 the public ``concurrent.interpreters``.
"""

from __future__ import annotations

import pickle
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gilbench.kernels.base import Chunk, Implementation, Problem, Workspace
from gilbench.strategies.base import MapResult, RunTimeout, Session, Strategy
from gilbench.strategies.watchdog import Watchdog, future_results

#: The first Python whose subinterpreters can be driven from Python code with their own GIL.
MIN_VERSION = (3, 13)
#: The folder that holds the ``gilbench`` package (its parent goes on sys.path there).
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])

# Run first in every new interpreter. gilbench's package __init__ loads the registries and
# numpy with them, which an isolated interpreter refuses (numpy issue 24755): a bare
# package module stands in for it, so that only gilbench.isolated and gilbench._native
# modules load there. _interpreters must be imported before memoryviews can be bound.
_BOOTSTRAP = """
import sys, types
sys.path[:0] = [p for p in {paths!r} if p not in sys.path]
if "gilbench" not in sys.modules:
    _package = types.ModuleType("gilbench")
    _package.__path__ = [{package!r}]
    sys.modules["gilbench"] = _package
import _interpreters
from gilbench.isolated import worker as _gilbench_worker
"""
_SETUP = ("_gilbench_worker.setup(_gilbench_fn, _gilbench_params, _gilbench_names, "
          "_gilbench_views, _gilbench_layout)")


#: How long a failed session waits for its running chunks before it leaves their
#: interpreters alone (seconds).
_KILL_GRACE_S = 5.0


class InterpreterFailed(RuntimeError):
    """Code failed inside a subinterpreter outside any chunk (bootstrap, setup)."""


def unavailable_reason() -> str | None:
    """None when this Python can run isolated subinterpreters, else why not."""
    if sys.version_info < MIN_VERSION:
        return (f"needs Python {'.'.join(map(str, MIN_VERSION))}+ (interpreters with their "
                f"own GIL); this is {sys.version.split()[0]}")
    try:
        if sys.version_info >= (3, 14):
            import concurrent.interpreters  # noqa: F401
        else:
            import _interpqueues  # noqa: F401
            import _interpreters  # noqa: F401
    except ImportError as exc:
        return f"this Python was built without subinterpreter support ({exc})"
    return None


class _Interpreter313:
    """One isolated interpreter through 3.13's ``_interpreters``; results via a queue."""

    def __init__(self) -> None:
        import _interpqueues
        import _interpreters

        self._interpreters, self._queues = _interpreters, _interpqueues
        self.id = _interpreters.create()  # the "isolated" config: own GIL, own allocator
        try:
            self.queue = _interpqueues.create(0, 0, 1)  # unbounded, shared data, remove
        except BaseException:
            _interpreters.destroy(self.id)
            raise
        self._run = compile("_interpqueues.put(_gilbench_queue, _gilbench_worker.run("
                            "_gilbench_task), 0, 1)", "<gilbench>", "exec")

    def exec(self, code: str, **shared: Any) -> None:
        # A dict, even an empty one: 3.13.5 refuses None (3.13.0 took either).
        snapshot = self._interpreters.exec(self.id, code, dict(shared))
        if snapshot is not None:
            raise InterpreterFailed(f"{snapshot.type.__name__}: {snapshot.msg}")

    def bind(self, **names: Any) -> None:
        self._interpreters.set___main___attrs(self.id, names)

    def run(self, task: bytes) -> bytes:
        self.exec(self._run, _gilbench_task=task)
        return self._queues.get(self.queue)[0]

    def prepare_results(self) -> None:
        self.exec("import _interpqueues")
        self.bind(_gilbench_queue=self.queue)

    def running(self) -> bool:
        return self._interpreters.is_running(self.id)

    def close(self) -> None:
        self._interpreters.destroy(self.id)
        self._queues.destroy(self.queue)


class _Interpreter314:
    """One isolated interpreter through 3.14's ``concurrent.interpreters``."""

    def __init__(self) -> None:
        from concurrent import interpreters

        self._module = interpreters
        self.interp = interpreters.create()

    def exec(self, code: str, **shared: Any) -> None:
        if shared:
            self.bind(**shared)
        try:
            self.interp.exec(code)
        except self._module.ExecutionFailed as exc:
            raise InterpreterFailed(str(exc).splitlines()[0]) from None

    def bind(self, **names: Any) -> None:
        self.interp.prepare_main(names)

    def run(self, task: bytes) -> bytes:
        from gilbench.isolated import worker

        return self.interp.call(worker.run, task)

    def prepare_results(self) -> None:
        return None  # call() returns the result itself

    def running(self) -> bool:
        return self.interp.is_running()

    def close(self) -> None:
        self.interp.close()


def _new_interpreter():
    return _Interpreter314() if sys.version_info >= (3, 14) else _Interpreter313()


def _shared_arrays(workspace: Workspace) -> tuple[tuple[str, ...], tuple[memoryview, ...],
                                                  dict[str, tuple[str, tuple, bool]]]:
    """The workspace's arrays as memoryviews to bind, and how to cast each one there."""
    names = tuple(workspace.arrays)
    views = tuple(memoryview(workspace.arrays[n]) for n in names)
    layout = {n: (workspace.arrays[n].dtype.char, tuple(workspace.arrays[n].shape),
                  not workspace.arrays[n].flags.writeable) for n in names}
    return names, views, layout


class InterpreterSession(Session):
    """``workers`` threads, each driving an isolated interpreter of its own."""

    def __init__(self, problem: Problem, impl: Implementation, workers: int,
                 timeout: float) -> None:
        if impl.isolated is None:
            raise ValueError("this flavour has no numpy-free chunk function to run in a "
                             "subinterpreter (Implementation.isolated)")
        self.workspace = Workspace.local(problem)
        self.timeout = timeout
        self._local = threading.local()
        self._interpreters: list[Any] = []
        self._lock = threading.Lock()
        self._busy: set[int] = set()  # id()s of the interpreters a thread is inside now
        self._idle = threading.Condition(self._lock)
        names, views, layout = _shared_arrays(self.workspace)
        setup = {"_gilbench_fn": pickle.dumps(impl.isolated),
                 "_gilbench_params": pickle.dumps(dict(problem.params)),
                 "_gilbench_names": names, "_gilbench_views": views,
                 "_gilbench_layout": pickle.dumps(layout)}
        bootstrap = _BOOTSTRAP.format(paths=[p for p in sys.path if p],
                                      package=_PACKAGE_DIR)
        t0 = time.perf_counter()
        self.pool = ThreadPoolExecutor(max_workers=workers,
                                       thread_name_prefix="gilbench-interp")
        self.watchdog = Watchdog(self._timeout_error)
        try:
            # The barrier puts each start on its own thread; each thread then creates and
            # prepares its interpreter, all in parallel.
            barrier = threading.Barrier(workers)
            starts = [self.pool.submit(self._start, barrier, bootstrap, setup)
                      for _ in range(workers)]
            self._wait(starts, "start the interpreters")
        except BaseException:
            self.close(kill=True)
            raise
        self.startup_s = time.perf_counter() - t0

    def _start(self, barrier: threading.Barrier, bootstrap: str, setup: dict) -> None:
        # Start-up, in the pool's threads: a thread that never comes must not leave the
        # others waiting forever (the map's waits are the watchdog's).
        barrier.wait(self.timeout)
        interp = _new_interpreter()
        with self._lock:
            self._interpreters.append(interp)
            self._busy.add(id(interp))
        try:
            interp.exec(bootstrap)
            interp.prepare_results()
            interp.bind(**setup)
            interp.exec(_SETUP)
        finally:
            self._leave(interp)
        self._local.interp = interp

    def _leave(self, interp: Any) -> None:
        with self._idle:
            self._busy.discard(id(interp))
            self._idle.notify_all()

    def _run(self, chunk: Chunk) -> Any:
        interp = self._local.interp
        with self._lock:
            self._busy.add(id(interp))
        try:
            ok, value = pickle.loads(interp.run(pickle.dumps(chunk)))
        finally:
            self._leave(interp)
        if not ok:
            raise value
        return value

    def _timeout_error(self, what: str) -> RunTimeout:
        return RunTimeout(f"subinterpreters did not {what} within {self.timeout:g} s")

    def _wait(self, futures: list, what: str) -> list:
        try:
            return future_results(self.watchdog, futures, self.timeout, what)
        except RunTimeout:
            for f in futures:
                f.cancel()
            raise

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        return MapResult(self._wait([self.pool.submit(self._run, c) for c in chunks],
                                    f"run {len(chunks)} chunks"))

    def describe(self) -> dict[str, Any]:
        return {"interpreters": len(self._interpreters)}

    def close(self, kill: bool = False) -> None:
        pool, self.pool = getattr(self, "pool", None), None
        if pool is None:
            return
        self.watchdog.close()
        # A thread inside a chunk cannot be stopped, nor its interpreter destroyed while the
        # thread is in it (3.13 aborts the whole process: "Py_EndInterpreter: not the last
        # thread"); cancelling queued chunks bounds the wait to the running ones. After a
        # failure (kill) the chunks still running get a short grace, and an interpreter still
        # in use after it is left to the process's exit rather than destroyed under a thread.
        pool.shutdown(wait=not kill, cancel_futures=True)
        with self._idle:
            self._idle.wait_for(lambda: not self._busy, timeout=_KILL_GRACE_S if kill else None)
            busy = set(self._busy)
        for interp in self._interpreters:
            if id(interp) not in busy and not interp.running():
                interp.close()
        self._interpreters.clear()


class SubinterpretersStrategy(Strategy):
    name = "subinterpreters"
    display = "subinterpreters"
    description = ("one isolated interpreter per worker thread, each with its own GIL "
                   "(Python 3.13+): Python code runs in parallel without processes")
    uses_threads = True
    own_gil_per_worker = True
    session_class = InterpreterSession

    def unavailable_reason(self) -> str | None:
        return unavailable_reason()
