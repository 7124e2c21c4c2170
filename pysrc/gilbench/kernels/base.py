"""The kernel contract: how a CPU-bound task family makes, splits, merges and checks work.

A kernel never knows which strategy runs it. It describes a **problem** as small picklable
``params`` plus named numpy arrays (``inputs`` to read, ``outputs`` to fill), and offers one
**chunk function** per flavour with the signature ``fn(workspace, chunk) -> partial``. A
strategy builds the :class:`Workspace` (plain arrays in-process, shared memory across
processes), calls the chunk function on every chunk, and hands the partials to ``merge``.
"""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from gilbench import limits, native
from gilbench.isolated.passes import RepeatedChunk

Chunk = Any
ChunkFunction = Callable[["Workspace", Chunk], Any]


@dataclass(frozen=True)
class ArraySpec:
    """Shape and dtype of an output array, allocated (zeroed) by the strategy."""

    shape: tuple[int, ...]
    dtype: str

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True, eq=False)
class Problem:
    """A seeded, deterministic instance of a kernel at one size."""

    kernel: str
    size: int
    seed: int
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, np.ndarray] = field(default_factory=dict)
    outputs: Mapping[str, ArraySpec] = field(default_factory=dict)
    #: How ``merge`` combines the chunk partials, where a strategy may act on it: ``"sum"``
    #: when they are numbers that merge only adds up (in any order, within the tolerance),
    #: so a strategy may add them where they land (a shared Value under its lock) and hand
    #: merge their total alone; None when the partials are opaque.
    combine: str | None = None

    @property
    def input_bytes(self) -> int:
        return sum(int(a.nbytes) for a in self.inputs.values())


@dataclass
class Workspace:
    """What a chunk function sees: params, input arrays (read-only) and output arrays.

    ``threads`` and ``schedule`` matter only to flavours that parallelise themselves
    (``cython-prange``, ``numba-parallel``): the ``openmp`` strategy sets them.
    """

    params: Mapping[str, Any]
    arrays: dict[str, np.ndarray]
    threads: int = 1
    schedule: str = "static"

    def reset(self, outputs: Sequence[str]) -> None:
        """Zero the named output arrays (between repeats, outside the timed region)."""
        for name in outputs:
            self.arrays[name].fill(0)

    def for_this_thread(self) -> Workspace:
        """A copy whose Python objects belong to the calling thread: the same array memory
        through views of its own, params re-created (a pickle round trip, as process
        workers get them).

        A free-threaded CPython counts references to an object from the thread that
        created it without atomics; every other thread's references go to one shared,
        atomically updated counter. Threads sharing one workspace would all hammer the
        counters of its params (a float read per pixel) and arrays, a cost that belongs
        to the harness, not to the code measured.
        """
        params = pickle.loads(pickle.dumps(dict(self.params), pickle.HIGHEST_PROTOCOL))
        arrays = {name: arr.view() for name, arr in self.arrays.items()}
        return Workspace(params, arrays, self.threads, self.schedule)

    @classmethod
    def local(cls, problem: Problem) -> Workspace:
        """An in-process workspace: inputs shared read-only, outputs freshly zeroed."""
        arrays: dict[str, np.ndarray] = {}
        for name, arr in problem.inputs.items():
            view = arr.view()
            view.flags.writeable = False
            arrays[name] = view
        for name, spec in problem.outputs.items():
            arrays[name] = np.zeros(spec.shape, dtype=spec.dtype)
        return cls(dict(problem.params), arrays)


@dataclass(frozen=True)
class Implementation:
    """One flavour's chunk function for a kernel, and what it needs to be importable."""

    fn: ChunkFunction
    #: Module names (or "clib") beyond the flavour's own requirements.
    requires: tuple[str, ...] = ()
    #: Called once per worker before timing (e.g. to JIT-compile), never inside a repeat.
    prepare: Callable[[], None] | None = None
    #: For chunk functions that measure themselves (time spent waiting for the GIL, say):
    #: turns one execution's partials into named figures, which the harness records in the
    #: run's ``extra`` (median over the timed repeats). A module-level function.
    figures: Callable[[list[Any]], Mapping[str, float]] | None = None
    #: The same computation for an *isolated* interpreter (a subinterpreter with its own
    #: GIL), where numpy cannot load (numpy issue 24755) and extensions with module-level
    #: state are refused: a chunk function ``fn(workspace, chunk)`` whose workspace arrays
    #: are :class:`memoryview` objects (C-contiguous, cast to each array's shape and
    #: format), defined in a module that imports no numpy (see :mod:`gilbench.isolated`).
    #: None: this flavour cannot run in a subinterpreter.
    isolated: ChunkFunction | None = None


def with_passes(implementations: Mapping[str, Implementation],
                param: str) -> dict[str, Implementation]:
    """``implementations`` whose chunk functions make ``params[param]`` passes (see
    :class:`RepeatedChunk`), the isolated ones included: the wrapper imports no numpy, so a
    subinterpreter makes the same passes."""
    return {name: replace(impl, fn=RepeatedChunk(impl.fn, param),
                          isolated=None if impl.isolated is None
                          else RepeatedChunk(impl.isolated, param))
            for name, impl in implementations.items()}


class Kernel(ABC):
    """A CPU-bound task family.

    Subclasses provide the class attributes ``name``, ``summary`` (what the kernel stresses
    and why it is in the suite), ``sizes`` (default size per profile), ``implementations``
    (flavour name -> :class:`Implementation`) and optionally ``not_applicable`` (flavour name
    -> why that flavour does not fit) and ``tolerance`` (relative, 0 for exact); and the
    methods :meth:`make_problem`, :meth:`split`, :meth:`merge` and :meth:`reference`.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    sizes: ClassVar[Mapping[str, int]]
    #: A size small enough for unit tests of every flavour (pure Python included).
    test_size: ClassVar[int] = 64
    #: Per-flavour overrides of ``sizes`` (flavour -> profile -> size), for a flavour too
    #: slow to run at the others' size. Only for kernels that define :meth:`work_units`,
    #: so that reports compare flavours by time per unit of work.
    flavour_sizes: ClassVar[Mapping[str, Mapping[str, int]]] = {}
    implementations: ClassVar[Mapping[str, Implementation]]
    not_applicable: ClassVar[Mapping[str, str]] = {}
    #: Relative tolerance of the reference check; 0.0 means bit-identical.
    tolerance: ClassVar[float] = 0.0
    #: What ``size`` counts, for messages and reports ("grid side", "samples", ...).
    size_unit: ClassVar[str] = "size"
    #: Default chunk count = this x the largest worker count of the sweep. Few chunks
    #: keep process IPC small; irregular kernels want more for load balance.
    chunks_per_worker: ClassVar[int] = 2
    #: The largest ``size`` this kernel accepts: what its dtypes hold and what its fastest
    #: flavour computes on one core in minutes, not hours. The default is the int64 range
    #: that chunk descriptors are passed to native code in.
    max_size: ClassVar[int] = 2**63 - 1

    # -- problem life cycle -------------------------------------------------------------
    @abstractmethod
    def make_problem(self, size: int, seed: int = 0) -> Problem:
        """A deterministic problem of ``size`` (validated by :meth:`check_size`)."""

    @abstractmethod
    def split(self, problem: Problem, chunks: int) -> list[Chunk]:
        """At most ``chunks`` small picklable chunk descriptors covering the problem."""

    def phases(self, problem: Problem, chunks: int) -> list[list[Chunk]]:
        """Chunk lists run one after another with a barrier between (default: one phase).

        Kernels whose steps depend on all of the previous step (n-body time steps)
        return one list per step.
        """
        return [self.split(problem, chunks)]

    @abstractmethod
    def merge(self, problem: Problem, workspace: Workspace, partials: list[Any]) -> Any:
        """Combine the chunk partials (and/or the output arrays) into the result."""

    @abstractmethod
    def reference(self, problem: Problem) -> Any:
        """The expected result, from an implementation independent of the flavours."""

    # -- checks -------------------------------------------------------------------------
    def check_size(self, size: object, copies: int = 1) -> int:
        """Return ``size`` as an int or raise ValueError/TypeError naming it and the limit.

        The limits are :attr:`max_size` and the available memory, against
        :meth:`memory_bytes` times ``copies`` (the copies of the problem a strategy holds).
        """
        return limits.check_size(self, size, copies)

    def max_chunks(self, size: int) -> int:
        """The most chunks a problem of ``size`` splits into (default: ``size``, one item
        each; mandelbrot splits pixels, ``size`` squared)."""
        return size

    def memory_bytes(self, size: int) -> int | None:
        """Estimated peak bytes of a run at ``size``: problem, outputs, reference and the
        flavours' temporaries (None: unknown, and then not checked)."""
        return None

    def compare(self, result: Any, expected: Any) -> str | None:
        """None when ``result`` matches ``expected`` (within ``tolerance``), else what differs."""
        return compare_values(result, expected, self.tolerance)

    # -- flavours -----------------------------------------------------------------------
    def chunk_function(self, flavour: str) -> ChunkFunction:
        """The chunk function for ``flavour``, or ValueError saying why there is none."""
        reason = self.flavour_unavailable_reason(flavour)
        if reason:
            raise ValueError(f"{self.name} x {flavour}: {reason}")
        return self.implementations[flavour].fn

    def flavour_unavailable_reason(self, flavour: str) -> str | None:
        """None when this kernel can run ``flavour`` here, else a one-line reason."""
        from gilbench.flavours import get_flavour  # kernels may be imported before flavours

        spec = get_flavour(flavour)
        if flavour not in self.implementations:
            return self.not_applicable.get(flavour, f"no {flavour} implementation")
        reason = spec.unavailable_reason()
        if reason:
            return reason
        for req in self.implementations[flavour].requires:
            reason = native.unavailable_reason(req)
            if reason:
                return reason
        return None

    #: Whether problems carry input arrays. Without them (params alone define the work, as
    #: in mandelbrot) every chunk is self-contained already and :meth:`payload` ships
    #: nothing: strategies whose workers share no memory with the parent need no more.
    has_inputs: ClassVar[bool] = True
    #: Whether :meth:`payload` is implemented (strategies that pickle inputs need it).
    supports_payload: ClassVar[bool] = False
    #: Whether :meth:`outputs_of` is implemented, or the kernel writes no output arrays:
    #: strategies whose workers share no memory with the parent (another machine, a dask
    #: or loky process) need it to bring back what each chunk wrote.
    supports_outputs: ClassVar[bool] = False

    def payload(self, problem: Problem, chunk: Chunk) -> tuple[Chunk, dict[str, np.ndarray]]:
        """What ``chunk`` reads, self-contained: ``(rebased chunk, {input name: slice})``.

        Strategies that ship inputs with every chunk (pickled, instead of shared memory)
        call this inside the timed region, so copying costs what it costs. The chunk
        function then sees the slices under the input names and the rebased chunk; outputs
        stay whole (in shared memory), so a kernel that writes outputs by index keeps the
        original offset in the rebased chunk (``hashing`` uses ``(start, stop, base)``).
        """
        if not self.has_inputs:
            return chunk, {}
        raise NotImplementedError(f"kernel {self.name!r} cannot ship per-chunk inputs")

    def outputs_of(self, problem: Problem, chunk: Chunk) -> dict[str, OutputIndex]:
        """Where ``chunk`` writes: ``{output name: index into that array}``, a tuple of
        slices (basic indexing) or a :class:`FlatRange` (see :func:`output_part`).

        The output side of :meth:`payload`, for workers that share no memory with the
        parent: such a worker runs the chunk on outputs of its own, sends back
        that part (:func:`output_part`) for each entry, and the parent writes them in place with
        :func:`write_outputs`. ``chunk`` is the original one (not rebased). A chunk must
        write every element of its slices, so that zeros elsewhere in the worker's copy
        never matter. Kernels without outputs return ``{}``.
        """
        if not problem.outputs:
            return {}
        raise NotImplementedError(f"kernel {self.name!r} cannot say where a chunk writes "
                                  "its outputs")

    #: Axes that set a problem parameter (axis name -> ``params`` key), e.g. a kernel whose
    #: chunks hold the GIL for a tunable share of their work maps ``"gil-fraction"`` to the
    #: parameter its chunk functions read. Axes not listed leave the problem as it is.
    axis_params: ClassVar[Mapping[str, str]] = {}

    def at_axis_point(self, problem: Problem, axis: str, value: Any) -> Problem:
        """``problem`` at one point of ``axis``: the mapped parameter set to ``value``.

        Every strategy sees it, since params travel to every worker with the workspace.
        """
        param = self.axis_params.get(axis)
        if param is None:
            return problem
        return replace(problem, params={**problem.params, param: value})

    def size_for(self, profile: str, flavour: str) -> int:
        """The default size of ``flavour`` in ``profile`` (usually ``sizes[profile]``)."""
        return self.flavour_sizes.get(flavour, self.sizes)[profile]

    def work_units(self, size: int) -> float | None:
        """Units of work in a problem of ``size`` when work is proportional to them (e.g.
        samples), so that time per unit compares runs of different sizes; else None."""
        return None

    def work_bytes(self, problem: Problem) -> int | None:
        """Bytes a run must stream through memory (for GB/s), or None if not meaningful."""
        return None


@dataclass(frozen=True)
class FlatRange:
    """Elements [start, stop) of an array in row-major (C) order: where a chunk writes when
    its range may begin or end inside a row (mandelbrot's pixel ranges), which no tuple of
    slices into the n-D array can say. An index for :meth:`Kernel.outputs_of`."""

    start: int
    stop: int

    def of(self, array: np.ndarray) -> np.ndarray:
        """The range as a 1-D view of ``array`` (writing to it writes ``array``)."""
        if not array.flags.c_contiguous:
            # reshape(-1) would copy, and writes into the copy would be lost.
            raise ValueError("a flat range needs a C-contiguous array")
        return array.reshape(-1)[self.start:self.stop]


#: Where a chunk writes in one output array: basic indexing, or a :class:`FlatRange`.
OutputIndex = tuple | FlatRange


def output_part(array: np.ndarray, index: OutputIndex) -> np.ndarray:
    """The part of ``array`` that ``index`` (from :meth:`Kernel.outputs_of`) selects."""
    return index.of(array) if isinstance(index, FlatRange) else array[index]


def write_outputs(workspace: Workspace,
                  written: Mapping[str, tuple[OutputIndex, Any]]) -> None:
    """Copy what a remote chunk wrote (``{name: (index, values)}``) into ``workspace``."""
    for name, (index, values) in written.items():
        if isinstance(index, FlatRange):
            index.of(workspace.arrays[name])[...] = values
        else:
            workspace.arrays[name][index] = values


def even_ranges(n: int, chunks: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into at most ``chunks`` contiguous, non-empty, balanced ranges."""
    if chunks < 1:
        raise ValueError(f"chunks must be >= 1. Got {chunks} instead.")
    chunks = max(1, min(chunks, n))
    bounds = [n * i // chunks for i in range(chunks + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(chunks) if bounds[i] < bounds[i + 1]]


def compare_values(result: Any, expected: Any, tolerance: float) -> str | None:
    """Exact (tolerance 0) or relative comparison of scalars, arrays or tuples of them."""
    if isinstance(expected, tuple):
        if not isinstance(result, tuple) or len(result) != len(expected):
            return f"expected a tuple of {len(expected)} values, got {result!r}"
        for i, (r, e) in enumerate(zip(result, expected, strict=True)):
            msg = compare_values(r, e, tolerance)
            if msg:
                return f"item {i}: {msg}"
        return None
    res = np.asarray(result)
    exp = np.asarray(expected)
    if res.shape != exp.shape:
        return f"shape {res.shape} differs from the reference shape {exp.shape}"
    if tolerance == 0.0:
        bad = res != exp
    else:
        bad = ~np.isclose(res, exp, rtol=tolerance, atol=0.0)
    if not bad.any():
        return None
    where = np.argwhere(bad)[0] if res.ndim else ()
    idx = tuple(int(i) for i in where)
    got, want = res[idx], exp[idx]
    tol = "exactly" if tolerance == 0.0 else f"within rtol={tolerance:g}"
    return (f"{int(bad.sum())} of {bad.size} values differ from the reference ({tol}); "
            f"first at {idx}: got {got!r}, expected {want!r}")
