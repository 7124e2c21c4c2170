"""The strategy contract: how the chunks of one problem are executed.

A strategy knows no kernel: it sees only the contract's data (a :class:`Problem`, a chunk
function, chunk descriptors, a :class:`Workspace`). :meth:`Strategy.open` builds a warm
:class:`Session` (pool started, workspace allocated, workers prepared) and reports the
cold start-up cost; :meth:`Session.map` runs a chunk function over chunks and is what the
harness times. Sessions are context managers and must release every thread, process and
shared-memory segment on close, including after errors and Ctrl-C.

Every strategy is opened alike: the same :meth:`Strategy.open` signature, the same
arguments from every caller. A strategy names its session class (``session_class``) and
the extras its sessions take (:meth:`Strategy.session_args`); it overrides ``open`` only
to add something around the session's construction, and then calls ``super().open``.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from gilbench.flavours import Flavour
from gilbench.kernels.base import Chunk, Implementation, OutputIndex, Problem, Workspace

#: Seconds any single wait on another thread or process may take before the run fails.
DEFAULT_TIMEOUT_S = 600.0

#: ``chunk -> (rebased chunk, {input name: slice})``: ``Kernel.payload`` of one problem.
Payload = Callable[[Chunk], tuple[Chunk, dict[str, np.ndarray]]]
#: ``chunk -> {output name: index}``: ``Kernel.outputs_of`` of one problem.
Outputs = Callable[[Chunk], dict[str, OutputIndex]]


def missing_extra(module: str, extra: str) -> str | None:
    """Why a strategy that needs ``module`` (from the optional ``extra``) cannot run here,
    or None when it is installed (found without importing it: listing stays fast)."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return None
    return (f"needs {module}, from the optional extra [{extra}] "
            f"(pip install 'gilbench[{extra}]')")


class RunTimeout(TimeoutError):
    """A wait on a worker exceeded the run's timeout."""


class WorkerCrashed(RuntimeError):
    """A worker process died (segfault, os._exit, killed) while running chunks."""


@dataclass(frozen=True)
class MapResult:
    """Partials in chunk order, plus CPU seconds spent in other processes (0 in-process).

    ``counters`` are events a strategy counts per map, such as proxy round trips or the
    seconds workers waited for a lock; the harness records their per-execution median in
    the run's ``extra``.
    """

    partials: list[Any]
    worker_cpu_s: float = 0.0
    counters: Mapping[str, float] = field(default_factory=dict)


class Session(ABC):
    """A started executor bound to one problem and one chunk function.

    A strategy constructs its session as ``session_class(problem, impl, workers, timeout,
    **extras)``, the extras being what :meth:`Strategy.session_args` returns: every
    subclass takes these four first (``workers`` threads or processes, ``timeout`` seconds
    for any one wait on them), then its own extras by keyword.
    """

    #: The parent's view of the workspace (outputs are read from here by ``merge``).
    workspace: Workspace
    #: Seconds it took to start the executor and prepare workers, None if nothing starts.
    startup_s: float | None = None
    #: The start method the worker processes were started with (None: no processes).
    start_method: str | None = None

    @abstractmethod
    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        """Run the chunk function on every chunk; partials come back in chunk order."""

    def describe(self) -> dict[str, Any]:
        """Facts about this session worth keeping with the run (recorded in its ``extra``),
        e.g. the cluster it ran on; empty by default."""
        return {}

    def worker_gil_states(self) -> list[dict[str, Any]]:
        """The GIL state of every worker process that ran chunks (``gilwatch.state()``
        of each, as of its last chunk); empty when chunks run in this process.

        A session whose workers are other interpreters must override this, so that each
        run records whether a free-threaded worker ran with the GIL.
        """
        return []

    def close(self, kill: bool = False) -> None:
        """Release threads, processes and shared memory (idempotent).

        ``kill`` is set when leaving on an error or Ctrl-C: do not wait for workers politely.
        """
        return None  # in-process sessions without a pool own nothing to release

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(kill=exc_type is not None)


class Strategy(ABC):
    """A way of running chunks.

    Subclasses set ``name``, ``description`` and ``uses``, the capability attributes
    below and ``session_class``; when their sessions take more than ``(problem, impl,
    workers, timeout)`` they return the rest from :meth:`session_args`. They do not change
    the signature of :meth:`open`: a strategy that must do something when a session opens
    overrides it with the same signature and calls ``super().open``. A registered
    strategy is an instance; its settings (the start method of its worker processes) are
    instance attributes, and :meth:`configured` returns a copy with other settings, so the
    registry holds one instance per name and a run asks it for the configuration it needs.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    #: The :class:`Session` that :meth:`open` constructs.
    session_class: ClassVar[type[Session]]
    #: The Python component it is built on, for ``gilbench list`` and the README.
    uses: ClassVar[str] = ""
    #: Runs in every profile's default sweep (with ``default_sweep``), with every flavour.
    #: False for the strategies of one component each of threading, asyncio and
    #: multiprocessing: they join the standard and full profiles with one representative
    #: flavour per kernel (what differs is their machinery), and run whenever named.
    core: ClassVar[bool] = True
    #: Chunks run in other processes (so the workspace lives in shared memory).
    uses_processes: ClassVar[bool] = False
    #: Chunks run on several threads of this process (the GIL matters).
    uses_threads: ClassVar[bool] = False
    #: Runs only flavours that parallelise themselves; ``workers`` is their thread count.
    drives_parallel_flavours: ClassVar[bool] = False
    #: Runs everything on one worker whatever ``workers`` says (serial).
    single_worker: ClassVar[bool] = False
    #: Runs the whole problem as one chunk by default: the flavour splits the work itself
    #: (by its schedule), and every extra chunk would add a fork/join barrier.
    one_chunk: ClassVar[bool] = False
    #: Sends each chunk's inputs along with it, so its sessions use the ``payload=`` of
    #: :meth:`open` (``Kernel.payload``).
    ships_inputs: ClassVar[bool] = False
    #: Workers share no memory with the parent (a cluster's processes, other machines):
    #: each chunk's inputs travel with it (``ships_inputs``) and what it wrote comes back
    #: (``Kernel.outputs_of``), so kernels need both hooks.
    ships_outputs: ClassVar[bool] = False
    #: Workers may run on other machines (an existing cluster the user points at).
    remote: ClassVar[bool] = False
    #: Each worker is an interpreter of its own, with its own GIL, inside this process
    #: (subinterpreters): code that holds the GIL runs in parallel without processes. It
    #: runs a flavour's ``Implementation.isolated`` chunk function (no numpy there).
    own_gil_per_worker: ClassVar[bool] = False
    #: The third-party library that schedules the chunks ("dask", "joblib"), None for the
    #: standard library: analysis sets its per-task cost against the standard pools'.
    library: ClassVar[str | None] = None
    #: Runs in a sweep that names no strategy. Library executors (dask, joblib) measure
    #: their scheduler more than the cores, and start clusters that take seconds: they run
    #: when named (``--strategy dask-processes``), so the default sweeps stay short.
    default_sweep: ClassVar[bool] = True
    #: Copies of the problem a run holds at once (2: it copies the problem into shared
    #: memory, or pickles its inputs to workers); sizes are checked against memory with it.
    memory_copies: ClassVar[int] = 1
    #: Its worker processes can be started by any multiprocessing start method
    #: (``fork``, ``spawn``, ``forkserver``): ``configured(start_method=...)`` picks one.
    supports_start_method: ClassVar[bool] = False
    #: How chunks reach the workers: ``in-process`` (a call), ``queue`` (a pickled message
    #: on a multiprocessing queue), ``pipe`` (one connection per worker) or ``proxy`` (a
    #: round trip through a Manager's server process).
    ipc: ClassVar[str] = "in-process"
    #: How partials come back: ``in-process`` (a return value), ``pickled`` (a message),
    #: ``shared`` (added into shared memory under a lock) or ``proxy`` (a Manager proxy).
    returns: ClassVar[str] = "in-process"

    #: The capability attributes above: recorded in every results file, so that analysis,
    #: plans and plots choose roles from traits, never from strategy names.
    #: The name a person reads ("ThreadPoolExecutor", "Pool.map"); the id when empty.
    display: ClassVar[str] = ""
    #: The pool a user reaches for first in its role (ThreadPoolExecutor,
    #: ProcessPoolExecutor): the headline verdict compares the reference pools of the
    #: thread and process roles, never the fastest of several.
    reference_pool: ClassVar[bool] = False

    CAPABILITIES: ClassVar[tuple[str, ...]] = (
        "uses_processes", "uses_threads", "drives_parallel_flavours", "single_worker",
        "one_chunk", "ships_inputs", "ships_outputs", "remote", "own_gil_per_worker",
        "library", "supports_start_method", "ipc", "returns", "display", "reference_pool")

    #: Settings a registered instance carries (see :meth:`configured`).
    start_method: str | None = None

    def capabilities(self) -> dict[str, Any]:
        """``{attribute: value}`` for every name in :attr:`CAPABILITIES`."""
        return {name: getattr(self, name) for name in self.CAPABILITIES}

    @property
    def role(self) -> str:
        """What this strategy is for the comparisons (:func:`gilbench.roles.role_of`)."""
        from gilbench.roles import role_of

        return role_of(self.capabilities())

    def configured(self, *, start_method: str | None = None) -> Strategy:
        """A copy of this strategy with other settings; ValueError for a setting that does
        not apply (a start method for a strategy that starts no processes) or is unknown.

        ``start_method`` None means: chosen when the session opens (see
        :func:`gilbench.strategies.startmethod.choose`).
        """
        if start_method is not None:
            from gilbench.strategies.startmethod import check_start_method

            if not self.supports_start_method:
                raise ValueError(f"strategy {self.name!r} starts no worker processes: a start "
                                 f"method ({start_method!r}) does not apply to it")
            check_start_method(start_method)
        clone = copy.copy(self)
        clone.start_method = start_method
        return clone

    def unavailable_reason(self) -> str | None:
        """None when usable on this machine and Python, else a one-line reason."""
        return None

    def incompatible_reason(self, flavour: Flavour) -> str | None:
        """None when this strategy can run ``flavour``, else why not."""
        if self.drives_parallel_flavours and not flavour.parallel_inside:
            return (f"strategy {self.name!r} drives flavours that parallelise themselves; "
                    f"{flavour.name!r} does not")
        if flavour.parallel_inside and not self.drives_parallel_flavours:
            return (f"{flavour.name!r} parallelises itself; run it with the 'openmp' strategy, "
                    f"not {self.name!r} (that would oversubscribe the cores)")
        return None

    def session_args(self, problem: Problem, impl: Implementation, workers: int, *,
                     schedule: str, payload: Payload | None,
                     outputs: Outputs | None) -> dict[str, Any]:
        """The keyword arguments :meth:`open` passes ``session_class`` after ``(problem,
        impl, workers, timeout)``: this strategy's extras (a launcher, a backend, the
        payload it ships); ValueError when one it needs is missing. Empty by default."""
        return {}

    def open(self, problem: Problem, impl: Implementation, workers: int, *,
             schedule: str = "static", timeout: float = DEFAULT_TIMEOUT_S,
             payload: Payload | None = None, outputs: Outputs | None = None) -> Session:
        """Start a warm session for ``problem``; its ``startup_s`` is the cold cost.

        ``workers`` threads or processes run the chunks (their thread count, for a flavour
        that parallelises itself); ``schedule`` is that flavour's loop schedule; no wait
        on a worker lasts more than ``timeout`` seconds. ``payload`` maps a chunk to its
        self-contained form (see :meth:`Kernel.payload`) and ``outputs`` says where a
        chunk writes (see :meth:`Kernel.outputs_of`): every caller may pass both, and only
        strategies that ship inputs (``ships_inputs``) or bring outputs back
        (``ships_outputs``) use them.
        """
        extras = self.session_args(problem, impl, workers, schedule=schedule,
                                   payload=payload, outputs=outputs)
        return self.session_class(problem, impl, workers, timeout, **extras)
