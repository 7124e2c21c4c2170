"""The strategy contract: how the chunks of one problem are executed.

A strategy knows no kernel: it sees only the contract's data (a :class:`Problem`, a chunk
function, chunk descriptors, a :class:`Workspace`). :meth:`Strategy.open` builds a warm
:class:`Session` (pool started, workspace allocated, workers prepared) and reports the
cold start-up cost; :meth:`Session.map` runs a chunk function over chunks and is what the
harness times. Sessions are context managers and must release every thread, process and
shared-memory segment on close, including after errors and Ctrl-C.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from gilbench.flavours import Flavour
from gilbench.kernels.base import Chunk, Implementation, Problem, Workspace

#: Seconds any single wait on another thread or process may take before the run fails.
DEFAULT_TIMEOUT_S = 600.0


class RunTimeout(TimeoutError):
    """A wait on a worker exceeded the run's timeout."""


class WorkerCrashed(RuntimeError):
    """A worker process died (segfault, os._exit, killed) while running chunks."""


@dataclass(frozen=True)
class MapResult:
    """Partials in chunk order, plus CPU seconds spent in other processes (0 in-process)."""

    partials: list[Any]
    worker_cpu_s: float = 0.0


class Session(ABC):
    """A started executor bound to one problem and one chunk function."""

    #: The parent's view of the workspace (outputs are read from here by ``merge``).
    workspace: Workspace
    #: Seconds it took to start the executor and prepare workers, None if nothing starts.
    startup_s: float | None = None

    @abstractmethod
    def map(self, chunks: Sequence[Chunk]) -> MapResult:
        """Run the chunk function on every chunk; partials come back in chunk order."""

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

    Subclasses set ``name`` and ``description`` and the capability attributes below, and
    implement :meth:`open`.
    """

    name: ClassVar[str]
    description: ClassVar[str]
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
    #: Sends each chunk's inputs along with it, so it needs ``Kernel.payload`` and the
    #: harness passes ``payload=`` to :meth:`open`.
    ships_inputs: ClassVar[bool] = False
    #: Copies of the problem a run holds at once (2: it copies the problem into shared
    #: memory, or pickles its inputs to workers); sizes are checked against memory with it.
    memory_copies: ClassVar[int] = 1

    #: The capability attributes above: recorded in every results file, so that analysis,
    #: plans and plots choose roles from traits, never from strategy names.
    CAPABILITIES: ClassVar[tuple[str, ...]] = (
        "uses_processes", "uses_threads", "drives_parallel_flavours", "single_worker",
        "one_chunk", "ships_inputs")

    def capabilities(self) -> dict[str, Any]:
        """``{attribute: value}`` for every name in :attr:`CAPABILITIES`."""
        return {name: getattr(self, name) for name in self.CAPABILITIES}

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

    @abstractmethod
    def open(self, problem: Problem, impl: Implementation, workers: int, *,
             schedule: str = "static", timeout: float = DEFAULT_TIMEOUT_S,
             payload: Callable[[Chunk], tuple[Chunk, dict]] | None = None) -> Session:
        """Start a warm session for ``problem``; its ``startup_s`` is the cold cost.

        ``payload`` (only for strategies with ``ships_inputs``) maps a chunk to its
        self-contained form, see :meth:`Kernel.payload`.
        """
