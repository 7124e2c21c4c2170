"""dask.distributed: a LocalCluster of threads or processes, or an existing cluster.

``dask-threads`` starts a LocalCluster whose one worker runs ``workers`` threads in this
process, over the parent's workspace. ``dask-processes`` starts one single-threaded worker
process per worker (each with its nanny); they share no memory with the parent, so each
chunk travels with its inputs and brings back what it wrote. ``dask-remote`` does the same
on an existing cluster (``gilbench run --scheduler tcp://HOST:PORT``), whose workers may
run on other machines. Clusters are started (and every worker prepared) before timing;
the start-up is measured. Needs the ``[distributed]`` extra.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from gilbench.interrupts import deferred
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

#: Seconds to wait for an existing scheduler to answer before giving up on it.
CONNECT_TIMEOUT_S = 10.0
#: Seconds a cluster may take to close before its worker processes are killed.
CLOSE_TIMEOUT_S = 10.0

#: dask settings of the clusters gilbench starts (see DaskSession._start_local).
_LOCAL_CONFIG = {
    "distributed.scheduler.allowed-failures": 0,
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": False,
}

# In-process workers (dask-threads) find the parent's workspace here by token: a task's
# arguments are serialised even in-process, and a copy of the workspace would be written
# instead of the parent's.
_LOCAL: dict[int, tuple[Any, Workspace]] = {}
_tokens = itertools.count()


def _clusters():
    """dask's own set of the clusters alive in this process (``SpecCluster._instances``)."""
    from distributed.deploy.spec import SpecCluster

    return SpecCluster._instances


def _run_local(token: int, chunk: Chunk) -> Any:
    fn, ws = _LOCAL[token]
    return fn(ws, chunk)


def _prepare(prepare) -> str:
    """On every worker before timing: the flavour's preparation, and gilbench's version
    (a remote worker with another gilbench would run other code)."""
    from gilbench.version import __version__

    if prepare is not None:
        prepare()
    return __version__


def check_scheduler(address: str, timeout: float | None = None) -> str | None:
    """None when a dask scheduler answers at ``address``, else a one-line reason."""
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    reason = missing_extra("distributed", "distributed")
    if reason:
        return reason
    from distributed import Client

    try:
        with Client(address, timeout=f"{timeout}s") as client:
            workers = client.scheduler_info().get("workers", {})
    except Exception as exc:  # noqa: BLE001 - whatever the failure, the address is unusable
        return f"no dask scheduler answered at {address} within {timeout:g} s ({exc})"
    if not workers:
        return f"the dask scheduler at {address} has no workers"
    return None


class DaskSession(Session):
    """A dask Client on a LocalCluster started for this session, or on an existing one."""

    def __init__(self, problem: Problem, impl: Implementation, workers: int, timeout: float,
                 *, processes: bool, address: str | None = None,
                 shipper: Shipper | None = None) -> None:
        import dask
        import distributed

        self.workspace = Workspace.local(problem)
        self.timeout = timeout
        self.shipper = shipper
        self.address = address
        self.client: Any = None
        self.cluster: Any = None
        self.targets: list[str] | None = None
        self.threads = workers
        self._version = dask.__version__
        self._token: int | None = None
        self._children_before = set(mp.active_children())
        self._clusters_before = {id(c) for c in _clusters()}
        t0 = time.perf_counter()
        try:
            if address is None:
                self._start_local(workers, processes, timeout)
            else:
                self.client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
                self._choose_workers(workers)
            if shipper is None:  # in-process workers: the flavour is prepared here, once
                self._token = next(_tokens)
                _LOCAL[self._token] = (impl.fn, self.workspace)
                if impl.prepare is not None:
                    impl.prepare()
            else:
                versions = self.client.run(_prepare, impl.prepare, workers=self.targets)
                self._check_versions(versions)
        except distributed.TimeoutError:
            self.close(kill=True)
            raise RunTimeout(f"the dask workers did not start within {timeout:g} s") from None
        except BaseException:
            self.close(kill=True)
            raise
        self.startup_s = time.perf_counter() - t0

    def _start_local(self, workers: int, processes: bool, timeout: float) -> None:
        import dask
        from distributed import Client, LocalCluster

        # A worker that dies fails the run at once (its chunk is not retried elsewhere),
        # as for every process strategy; no dashboard, no memory manager pausing or
        # killing workers mid-measurement, logs only for what is fatal. SIGTERM waits
        # until the cluster has started: half-started nannies cannot be closed cleanly.
        with deferred(), dask.config.set(_LOCAL_CONFIG):
            # Worker processes talk over TCP on loopback (random ports); in-process workers
            # over dask's in-memory transport.
            network = {"host": "127.0.0.1", "scheduler_port": 0} if processes else {}
            self.cluster = LocalCluster(
                n_workers=workers if processes else 1,
                threads_per_worker=1 if processes else workers, processes=processes,
                dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                memory_limit=0, silence_logs=logging.CRITICAL, **network)
        self.client = Client(self.cluster, timeout=f"{timeout}s")
        self.client.wait_for_workers(workers if processes else 1, timeout=timeout)

    def _choose_workers(self, workers: int) -> None:
        """On an existing cluster: enough of its workers for ``workers`` threads."""
        self.client.wait_for_workers(1, timeout=self.timeout)
        info = self.client.scheduler_info().get("workers", {})
        chosen, threads = [], 0
        for addr in sorted(info):
            if threads >= workers:
                break
            chosen.append(addr)
            threads += int(info[addr].get("nthreads", 1))
        if threads < workers:
            raise ValueError(f"the dask cluster at {self.address} has {threads} worker "
                             f"thread(s); this run asks for {workers}")
        self.targets, self.threads = chosen, threads

    def _check_versions(self, versions: dict[str, str]) -> None:
        from gilbench.version import __version__

        other = {addr: v for addr, v in versions.items() if v != __version__}
        if other:
            addr, version = next(iter(other.items()))
            raise RuntimeError(f"dask worker {addr} runs gilbench {version}, this is "
                               f"{__version__}: install the same gilbench on every worker")

    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        import distributed

        if self.client is None:
            raise RuntimeError("session is closed")
        try:
            if self.shipper is None:
                futures = self.client.map(_run_local, [self._token] * len(chunks),
                                          list(chunks), pure=False)
            else:  # packing the inputs is part of what this strategy measures
                futures = self.client.map(run_shipped, [self.shipper.pack(c) for c in chunks],
                                          pure=False, workers=self.targets)
        except TypeError as exc:  # dask pickles the tasks as it submits them
            cause = exc.__cause__ or exc.__context__ or exc
            raise TypeError(f"a chunk cannot be pickled for the dask workers ({cause})") \
                from None
        try:
            # Kept: dask's timeout runs on its event loop's thread, and this thread waits
            # for that loop the same way with or without one (a timed Event wait in
            # distributed.utils.sync), so it does not change what is measured.
            distributed.wait(futures, timeout=self.timeout)
            results = self.client.gather(futures)
        except distributed.TimeoutError:
            self.client.cancel(futures)
            raise RunTimeout(f"dask workers did not finish {len(chunks)} chunks within "
                             f"{self.timeout:g} s") from None
        except distributed.KilledWorker as exc:
            raise WorkerCrashed(f"a dask worker died while running a chunk ({exc})") \
                from None
        if self.shipper is None:
            return MapResult(list(results))
        return self.shipper.unpack(self.workspace, results)

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"library_version": self._version}
        if self.address is not None:
            facts.update(scheduler=self.address, cluster_workers=len(self.targets or ()),
                         cluster_threads=self.threads)
        return facts

    def close(self, kill: bool = False) -> None:
        client, self.client = self.client, None
        cluster, self.cluster = self.cluster, None
        if self._token is not None:
            _LOCAL.pop(self._token, None)
        # A cluster interrupted while starting never reached self.cluster: find it too.
        started = [c for c in _clusters() if id(c) not in self._clusters_before]
        for closing in (client, *dict.fromkeys([cluster, *started])):
            if closing is None:
                continue
            try:
                closing.close(timeout=CLOSE_TIMEOUT_S)
            except Exception:  # noqa: BLE001 - leftovers are killed below
                pass
        for closed in started:
            # Else dask's atexit hook closes it again, and prints why it cannot.
            _clusters().discard(closed)
        # Worker processes a cluster failed to stop (or started while being interrupted).
        leftovers = [p for p in mp.active_children() if p not in self._children_before]
        for proc in leftovers:
            proc.kill()
        for proc in leftovers:
            proc.join(timeout=5)


class DaskThreadsStrategy(Strategy):
    name = "dask-threads"
    display = "dask (threads)"
    description = ("a dask.distributed LocalCluster with one worker of N threads in this "
                   "process: dask's scheduler over the shared workspace")
    uses_threads = True
    library = "dask"
    default_sweep = False
    session_class = DaskSession

    def unavailable_reason(self) -> str | None:
        return missing_extra("distributed", "distributed")

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        return {"processes": False}


class DaskProcessesStrategy(Strategy):
    name = "dask-processes"
    display = "dask (processes)"
    description = ("a dask.distributed LocalCluster of N single-threaded worker processes: "
                   "each chunk's inputs travel with it and its outputs come back")
    uses_processes = True
    ships_inputs = True
    ships_outputs = True
    library = "dask"
    default_sweep = False
    memory_copies = 2
    session_class = DaskSession

    def unavailable_reason(self) -> str | None:
        return missing_extra("distributed", "distributed")

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        return {"processes": True, "shipper": Shipper(problem, impl.fn, payload, outputs)}


class DaskRemoteStrategy(Strategy):
    """An existing dask cluster at ``address`` (None: not configured, so unavailable)."""

    name = "dask-remote"
    display = "dask (a remote cluster)"
    description = ("an existing dask cluster (gilbench run --scheduler tcp://HOST:PORT), "
                   "maybe on other machines: chunks carry their inputs and outputs")
    uses_processes = True
    ships_inputs = True
    ships_outputs = True
    remote = True
    library = "dask"
    default_sweep = False
    memory_copies = 2
    session_class = DaskSession

    def __init__(self, address: str | None = None) -> None:
        self.address = address

    def unavailable_reason(self) -> str | None:
        if self.address is None:
            return "needs an existing dask cluster: gilbench run --scheduler tcp://HOST:PORT"
        return missing_extra("distributed", "distributed")

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        if self.address is None:
            raise ValueError(self.unavailable_reason())
        return {"processes": True, "address": self.address,
                "shipper": Shipper(problem, impl.fn, payload, outputs)}


@contextmanager
def use_scheduler(address: str) -> Iterator[DaskRemoteStrategy]:
    """Inside the block, ``dask-remote`` runs on the cluster at ``address``."""
    from gilbench.strategies import STRATEGIES, register_strategy

    previous = STRATEGIES.get(DaskRemoteStrategy.name)
    strategy = register_strategy(DaskRemoteStrategy(address), replace=True)
    try:
        yield strategy
    finally:
        if previous is not None:
            register_strategy(previous, replace=True)
