"""Chunks that carry what they read and bring back what they wrote.

For workers that share no memory with the parent (a dask or loky worker process, a worker
on another machine): the parent packs each chunk with its inputs (``Kernel.payload``) and
the places it writes (``Kernel.outputs_of``) into a :class:`ShippedChunk`; the worker runs
it on arrays of its own with :func:`run_shipped`; the parent writes the returned slices
into its workspace with :func:`unpack`. Packing and unpacking happen inside the timed
region, so copying costs what it costs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gilbench.kernels.base import (
    Chunk,
    ChunkFunction,
    OutputIndex,
    Problem,
    Workspace,
    output_part,
    write_outputs,
)
from gilbench.strategies.base import MapResult, Outputs, Payload


@dataclass(frozen=True)
class ShippedChunk:
    """One chunk, self-contained: everything a worker anywhere needs to run it (picklable).

    ``outputs`` gives each output array's shape and dtype, ``writes`` the index of the
    part of it this chunk fills (what comes back).
    """

    fn: ChunkFunction
    params: Mapping[str, Any]
    chunk: Chunk
    inputs: Mapping[str, np.ndarray]
    outputs: Mapping[str, tuple[tuple[int, ...], str]]
    writes: Mapping[str, OutputIndex]


def run_shipped(task: ShippedChunk) -> tuple[Any, dict[str, tuple[tuple, np.ndarray]], float]:
    """Run a shipped chunk in a worker: ``(partial, {output: (index, values)}, CPU s)``."""
    c0 = time.process_time()
    arrays = dict(task.inputs)
    for name, (shape, dtype) in task.outputs.items():
        # Zeroed by calloc: only the pages of this chunk's own slice are ever touched.
        arrays[name] = np.zeros(shape, dtype)
    partial = task.fn(Workspace(task.params, arrays), task.chunk)
    written = {name: (index, output_part(arrays[name], index))
               for name, index in task.writes.items()}
    return partial, written, time.process_time() - c0


class Shipper:
    """The parent's side: packs chunks of one problem and unpacks what comes back."""

    def __init__(self, problem: Problem, fn: ChunkFunction, payload: Payload | None,
                 outputs: Outputs | None) -> None:
        if payload is None or outputs is None:
            raise ValueError("a strategy whose workers share no memory needs the kernel's "
                             "payload() and outputs_of() functions")
        self.fn = fn
        self.params = dict(problem.params)
        self.payload = payload
        self.outputs = outputs
        self.shapes = {name: (tuple(spec.shape), spec.dtype)
                       for name, spec in problem.outputs.items()}

    def pack(self, chunk: Chunk) -> ShippedChunk:
        """``chunk`` with its input slices and the places it writes."""
        rebased, inputs = self.payload(chunk)
        return ShippedChunk(self.fn, self.params, rebased, inputs, self.shapes,
                            self.outputs(chunk))

    def unpack(self, workspace: Workspace, results: Sequence[tuple]) -> MapResult:
        """Write every chunk's returned slices into ``workspace``; partials in order."""
        partials, cpu = [], 0.0
        for partial, written, cpu_s in results:
            write_outputs(workspace, written)
            partials.append(partial)
            cpu += cpu_s
        return MapResult(partials, cpu)
