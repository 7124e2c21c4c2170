"""Thread strategies besides the ThreadPoolExecutor: raw ``threading.Thread`` workers on a
``queue.Queue``, and ``asyncio.to_thread`` gathered on one warm event loop.

Both run chunks on threads of this process, so they scale only where the chunk function
releases the GIL, as ``threads`` does; what differs is the machinery around each chunk.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gilbench.kernels.base import Chunk, Implementation, Problem, Workspace
from gilbench.strategies.base import MapResult, RunTimeout, Session, Strategy
from gilbench.strategies.watchdog import Watchdog

#: Seconds ``close`` waits for each idle thread to leave (threads cannot be killed).
JOIN_S = 5.0


def _prepared(impl: Implementation) -> None:
    if impl.prepare is not None:
        impl.prepare()


class QueueThreadSession(Session):
    """``workers`` threading.Thread workers pulling ``(map, index, chunk)`` from a task
    queue and putting ``(map, index, ok, partial or exception)`` on a result queue.

    Messages carry the number of the map they belong to, so that a chunk still running
    when an earlier map failed cannot pass for one of the next map's.
    """

    def __init__(self, problem: Problem, impl: Implementation, workers: int,
                 timeout: float) -> None:
        self.workspace = Workspace.local(problem)
        self.timeout = timeout
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self.maps = 0
        self.watchdog = Watchdog(self._timeout_error)
        t0 = time.perf_counter()
        # Start-up: the barrier's timeout keeps every party from waiting forever for a
        # thread that never comes (no chunk is measured through it).
        ready = threading.Barrier(workers + 1)
        # Daemon threads: one stuck in a chunk past the timeout must not keep the
        # interpreter from exiting.
        self.threads = [threading.Thread(target=self._serve, args=(impl, ready),
                                         name=f"gilbench-thread-{i}", daemon=True)
                        for i in range(workers)]
        for thread in self.threads:
            thread.start()
        try:
            ready.wait(timeout)
        except threading.BrokenBarrierError:
            self.close(kill=True)
            raise RunTimeout(f"{workers} threads did not start within {timeout:g} s") from None
        _prepared(impl)
        self.startup_s = time.perf_counter() - t0

    def _serve(self, impl: Implementation, ready: threading.Barrier) -> None:
        fn, ws = impl.fn, self.workspace
        try:
            ready.wait(self.timeout)
        except threading.BrokenBarrierError:
            return
        while True:
            task = self.tasks.get()
            if task is None:
                return
            number, index, chunk = task
            try:
                self.results.put((number, index, True, fn(ws, chunk)))
            except BaseException as exc:  # noqa: BLE001 - the caller re-raises it
                self.results.put((number, index, False, exc))

    def _timeout_error(self, what: str) -> RunTimeout:
        return RunTimeout(f"threads did not {what} within {self.timeout:g} s")

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        self.maps += 1
        number = self.maps

        def wake(failure: BaseException, attempt: int) -> None:
            if attempt == 0:  # a failure message of this map, like a chunk's
                self.results.put((number, 0, False, failure))

        for index, chunk in enumerate(chunks):
            self.tasks.put((number, index, chunk))
        partials: list[Any] = [None] * len(chunks)
        left = len(chunks)
        with self.watchdog.arm(self.timeout, f"finish {len(chunks)} chunks", wake):
            while left:
                got, index, ok, value = self.results.get()  # blocking
                if got != number:
                    continue  # a straggler of a map that failed
                if not ok:
                    self._drain()
                    raise value
                partials[index] = value
                left -= 1
        return MapResult(partials)

    def _drain(self) -> None:
        """Drop the chunks nobody has started: a failed map leaves no work queued."""
        try:
            while True:
                self.tasks.get_nowait()
        except queue.Empty:
            pass

    def close(self, kill: bool = False) -> None:
        self.watchdog.close()
        threads, self.threads = getattr(self, "threads", []), []
        self._drain()
        for _ in threads:
            self.tasks.put(None)
        for thread in threads:
            thread.join(JOIN_S)


class ThreadStrategy(Strategy):
    name = "thread"
    display = "threading.Thread + queue"
    description = ("threading.Thread workers taking chunks from a queue.Queue: threads "
                   "without an executor")
    uses = "threading.Thread + queue.Queue"
    core = False  # one of the tutorial's components: standard and full sweeps
    uses_threads = True
    session_class = QueueThreadSession


class AsyncioSession(Session):
    """One event loop, kept across maps, whose default executor has ``workers`` threads:
    ``asyncio.gather`` over ``asyncio.to_thread(fn, workspace, chunk)``.

    ``to_thread`` runs on the loop's default executor, which asyncio would otherwise size
    at ``min(32, cpu_count + 4)`` threads: set to ``workers`` so that runs compare.
    """

    def __init__(self, problem: Problem, impl: Implementation, workers: int,
                 timeout: float) -> None:
        self.workspace = Workspace.local(problem)
        self.fn = impl.fn
        self.timeout = timeout
        t0 = time.perf_counter()
        self.loop = asyncio.new_event_loop()
        self.executor = ThreadPoolExecutor(max_workers=workers,
                                           thread_name_prefix="gilbench-asyncio")
        self.loop.set_default_executor(self.executor)
        self.watchdog = Watchdog(self._timeout_error)
        # Threads start lazily; a barrier of `workers` parties proves they all exist.
        barrier = threading.Barrier(workers)
        try:
            self._run(lambda: asyncio.gather(*[asyncio.to_thread(barrier.wait, timeout)
                                               for _ in range(workers)]), "start the threads")
        except BaseException:
            self.close(kill=True)
            raise
        _prepared(impl)
        self.startup_s = time.perf_counter() - t0

    def _timeout_error(self, what: str) -> RunTimeout:
        return RunTimeout(f"asyncio.to_thread did not {what} within {self.timeout:g} s")

    def _run(self, make: Callable[[], Awaitable[Any]], what: str) -> Any:
        """Run ``make()`` (built inside the loop, which owns its futures) to completion.

        Awaited as it is, as asyncio code does (``asyncio.wait_for`` would add a timer,
        a future and a loop iteration per map); the watchdog cancels it past the timeout.
        """
        async def run():
            return await make()

        task = self.loop.create_task(run())

        def wake(failure: BaseException, attempt: int) -> None:
            if attempt == 0:
                self.loop.call_soon_threadsafe(task.cancel)

        with self.watchdog.arm(self.timeout, what, wake):
            try:
                return self.loop.run_until_complete(task)
            except asyncio.CancelledError:
                self.watchdog.check()
                raise

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        fn, ws = self.fn, self.workspace
        partials = self._run(lambda: asyncio.gather(*[asyncio.to_thread(fn, ws, chunk)
                                                      for chunk in chunks]),
                             f"run {len(chunks)} chunks")
        return MapResult(list(partials))

    def close(self, kill: bool = False) -> None:
        loop = getattr(self, "loop", None)
        if loop is None or loop.is_closed():
            return
        self.watchdog.close()
        # A map cut short (timeout, Ctrl-C) leaves tasks behind: cancel them, then let the
        # loop see the cancellations, so that none is destroyed while pending.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        # Like `threads`: queued chunks are cancelled, running ones are waited for.
        self.executor.shutdown(wait=True, cancel_futures=True)
        loop.close()


class AsyncioToThreadStrategy(Strategy):
    name = "asyncio-to-thread"
    display = "asyncio.to_thread"
    description = ("asyncio.gather over asyncio.to_thread on one warm event loop: how "
                   "asyncio code gets parallel CPU work from a nogil kernel")
    uses = "asyncio.to_thread + asyncio.gather"
    core = False  # one of the tutorial's components: standard and full sweeps
    uses_threads = True
    session_class = AsyncioSession
