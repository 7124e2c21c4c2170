"""joblib's ways of running work, kept warm in one ``Parallel`` context per session.

``joblib-threads`` is its threading backend: chunks run on threads of this process over
the parent's workspace, so only flavours that drop the GIL scale. ``joblib-loky`` is its
default backend, loky's process pool: each chunk travels with its inputs and brings back
what it wrote (joblib memory-maps large input slices by itself), as a joblib user's
``Parallel(n_jobs)(delayed(f)(x) ...)`` does. Both need the ``[distributed]`` extra.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from gilbench.interrupts import detach_worker
from gilbench.kernels.base import Chunk, Implementation, Problem, Workspace
from gilbench.strategies.base import (
    MapResult,
    Outputs,
    Payload,
    RunTimeout,
    Session,
    Strategy,
    WorkerCrashed,
    missing_extra,
)
from gilbench.strategies.shipping import Shipper, run_shipped

#: Seconds a warm-up task of a process worker lasts, so that every worker gets one.
_WARM_TASK_S = 0.02


def _loky_worker_init(parent_pid: int) -> None:
    # As for every process strategy: Ctrl-C and SIGTERM are the parent's to handle, and
    # a worker must not outlive the parent.
    detach_worker(parent_pid)


def _warm_process(prepare) -> int:
    """In a worker process: prepare the flavour (imports, JIT) and say who ran it."""
    if prepare is not None:
        prepare()
    time.sleep(_WARM_TASK_S)
    return os.getpid()


class JoblibSession(Session):
    """A ``joblib.Parallel`` entered once, so its pool stays warm across repeats."""

    def __init__(self, problem: Problem, impl: Implementation, workers: int, timeout: float,
                 *, backend: str, shipper: Shipper | None = None) -> None:
        import joblib

        self.workspace = Workspace.local(problem)
        self.fn = impl.fn
        self.timeout = timeout
        self.shipper = shipper
        self.parallel: Any = None
        self._executor: Any = None
        self._version = joblib.__version__
        t0 = time.perf_counter()
        try:
            options: dict[str, Any] = {}
            if backend == "loky":
                options = {"initializer": _loky_worker_init, "initargs": (os.getpid(),)}
            # Backend options reach the backend through the active config (joblib's API).
            # With one worker joblib runs everything in this process, whatever the backend
            # (its SequentialBackend, which has no timeout): describe() records which ran.
            # Kept: joblib's retrieval loop polls (sleep(0.01)) whether or not a timeout is
            # set; the timeout only adds a clock comparison to it, so what a joblib user
            # gets is what is measured.
            with joblib.parallel_config(backend=backend, n_jobs=workers, **options):
                self.parallel = joblib.Parallel(timeout=timeout if workers > 1 else None)
                self.parallel.__enter__()
            # loky's executor is reusable across Parallel calls (that is its point); this
            # session owns it and shuts it down on close, so the next start-up is cold too.
            self._executor = getattr(getattr(self.parallel, "_backend", None), "_workers", None)
            if backend == "loky":
                self._warm_processes(workers, impl)
            else:
                self._warm_threads(workers, impl)
        except BaseException:
            self.close(kill=True)
            raise
        self.startup_s = time.perf_counter() - t0

    def _warm_threads(self, workers: int, impl: Implementation) -> None:
        import joblib

        # The pool's threads start lazily; a barrier of `workers` parties proves they exist.
        barrier = threading.Barrier(workers)
        self._call([joblib.delayed(barrier.wait)(self.timeout) for _ in range(workers)],
                   "start the threads")
        if impl.prepare is not None:
            impl.prepare()

    def _warm_processes(self, workers: int, impl: Implementation) -> None:
        import joblib

        # No barrier spans loky's processes: rounds of short tasks until each has run one.
        deadline = time.monotonic() + self.timeout
        seen: set[int] = set()
        while len(seen) < workers:
            if time.monotonic() > deadline:
                raise RunTimeout(f"joblib's loky workers did not all start within "
                                 f"{self.timeout:g} s")
            seen.update(self._call([joblib.delayed(_warm_process)(impl.prepare)
                                    for _ in range(workers)], "start the workers"))

    def _call(self, tasks: list, what: str) -> list:
        from joblib.externals.loky.process_executor import TerminatedWorkerError

        try:
            return self.parallel(tasks)
        except TerminatedWorkerError as exc:
            raise WorkerCrashed(f"a joblib worker process died while trying to {what} "
                                f"({exc})") from None
        except (TimeoutError, multiprocessing.TimeoutError):  # the latter is not the former
            raise RunTimeout(f"joblib workers did not {what} within {self.timeout:g} s") \
                from None

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        import joblib

        if self.parallel is None:
            raise RuntimeError("session is closed")
        what = f"run {len(chunks)} chunks"
        if self.shipper is None:
            fn, ws = self.fn, self.workspace
            return MapResult(self._call([joblib.delayed(fn)(ws, c) for c in chunks], what))
        tasks = [joblib.delayed(run_shipped)(self.shipper.pack(c)) for c in chunks]
        return self.shipper.unpack(self.workspace, self._call(tasks, what))

    def describe(self) -> dict[str, Any]:
        backend = getattr(self.parallel, "_backend", None)
        return {"library_version": self._version,
                "backend": type(backend).__name__ if backend is not None else None}

    def close(self, kill: bool = False) -> None:
        parallel, self.parallel = self.parallel, None
        executor, self._executor = self._executor, None
        if parallel is not None:
            parallel.__exit__(None, None, None)
        if executor is not None:
            executor.shutdown(wait=True, kill_workers=kill)


class JoblibThreadsStrategy(Strategy):
    name = "joblib-threads"
    display = "joblib (threading)"
    description = ("joblib.Parallel with its threading backend: threads over the shared "
                   "workspace, scheduled by joblib (auto-batching included)")
    uses_threads = True
    library = "joblib"
    default_sweep = False
    session_class = JoblibSession

    def unavailable_reason(self) -> str | None:
        return missing_extra("joblib", "distributed")

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        return {"backend": "threading"}


class JoblibLokyStrategy(Strategy):
    name = "joblib-loky"
    display = "joblib (loky)"
    description = ("joblib.Parallel with its default loky process pool: each chunk's inputs "
                   "travel with it and its outputs come back, as a joblib user's would")
    uses_processes = True
    ships_inputs = True
    ships_outputs = True
    library = "joblib"
    default_sweep = False
    memory_copies = 2
    session_class = JoblibSession

    def unavailable_reason(self) -> str | None:
        return missing_extra("joblib", "distributed")

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        return {"backend": "loky", "shipper": Shipper(problem, impl.fn, payload, outputs)}
