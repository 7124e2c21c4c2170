"""Chunks shipped to workers that share no memory: every kernel that can be shipped gets
the reference result from payload() and outputs_of() alone (no executor involved)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from gilbench import FLAVOURS, KERNELS, STRATEGIES
from gilbench.compat import incompatible_reason
from gilbench.kernels import ArraySpec, Implementation, Problem, Workspace, output_part
from gilbench.kernels.base import write_outputs
from gilbench.plan import representative_flavour
from gilbench.strategies.shipping import Shipper, run_shipped
from tests.userkernel import SumOfCubes

SHIPPABLE = [k.name for k in KERNELS.values()
             if (k.supports_payload or not k.has_inputs) and k.supports_outputs]


def test_every_builtin_kernel_but_nbody_can_be_shipped():
    # n-body's steps read what the previous step wrote everywhere: not self-contained.
    assert set(KERNELS) - set(SHIPPABLE) == {"nbody"}


@pytest.mark.parametrize("kernel_name", SHIPPABLE)
@pytest.mark.parametrize("chunks", [1, 3, 7])
def test_shipped_chunks_rebuild_the_reference(kernel_name, chunks):
    kernel = KERNELS[kernel_name]
    flavour = representative_flavour(kernel)
    problem = kernel.make_problem(kernel.test_size, 3)
    shipper = Shipper(problem, kernel.implementations[flavour].fn,
                      lambda c: kernel.payload(problem, c),
                      lambda c: kernel.outputs_of(problem, c))
    workspace = Workspace.local(problem)
    results = []
    for phase in kernel.phases(problem, chunks):
        # Through pickle, as to another process: nothing may refer to the parent's arrays.
        results += [pickle.loads(pickle.dumps(run_shipped(pickle.loads(pickle.dumps(
            shipper.pack(chunk)))))) for chunk in phase]
    mapped = shipper.unpack(workspace, results)
    result = kernel.merge(problem, workspace, mapped.partials)
    assert kernel.compare(result, kernel.reference(problem)) is None
    assert mapped.worker_cpu_s >= 0


@pytest.mark.parametrize("kernel_name", ["mandelbrot", "hashing"])
def test_outputs_of_covers_each_output_exactly_once(kernel_name):
    kernel = KERNELS[kernel_name]
    problem = kernel.make_problem(kernel.test_size)
    for name, spec in problem.outputs.items():
        hits = np.zeros(spec.shape, dtype=np.int64)
        for chunk in kernel.split(problem, 5):
            output_part(hits, kernel.outputs_of(problem, chunk)[name])[...] += 1
        assert (hits == 1).all(), name


def _no_output_hook_kernel():
    class Writes(SumOfCubes):
        name = "writes-without-hook"
        supports_outputs = False
        implementations = {"python": Implementation(lambda ws, chunk: None)}

        def make_problem(self, size, seed=0):
            return Problem(self.name, size, seed,
                           outputs={"out": ArraySpec((size,), "int64")})

    return Writes()


def test_strategies_that_bring_outputs_back_refuse_kernels_without_the_hook():
    kernel = _no_output_hook_kernel()
    shipping = [s for s in STRATEGIES.values() if s.ships_outputs]
    assert shipping, "no registered strategy ships outputs"
    for strategy in shipping:
        reason = incompatible_reason(kernel, FLAVOURS["python"], strategy)
        assert reason and "outputs_of" in reason, strategy.name
    with pytest.raises(NotImplementedError, match="where a chunk writes"):
        kernel.outputs_of(kernel.make_problem(4), (0, 4))


def test_a_kernel_without_inputs_is_not_shipped_by_a_copy_only_strategy():
    # processes-pickle measures copying inputs; with none, it would measure processes.
    copy_only = [s for s in STRATEGIES.values() if s.ships_inputs and not s.ships_outputs]
    for strategy in copy_only:
        reason = incompatible_reason(KERNELS["mandelbrot"], FLAVOURS["cython-nogil"], strategy)
        assert reason and "no inputs to ship" in reason


def test_shipper_needs_both_hooks():
    kernel = KERNELS["mandelbrot"]
    problem = kernel.make_problem(8)
    with pytest.raises(ValueError, match="payload"):
        Shipper(problem, kernel.implementations["python"].fn, None, None)


def test_a_pixel_range_comes_back_as_a_flat_range_of_the_2d_output():
    kernel = KERNELS["mandelbrot"]
    problem = kernel.make_problem(10)
    index = kernel.outputs_of(problem, (15, 37))  # from mid-row 1 to mid-row 3
    grid = np.arange(100).reshape(10, 10)
    assert output_part(grid, index["counts"]).tolist() == list(range(15, 37))
    workspace = Workspace.local(problem)
    write_outputs(workspace, {"counts": (index["counts"], np.full(22, 7, np.int32))})
    written = workspace.arrays["counts"].reshape(-1)
    assert (written[15:37] == 7).all() and written[:15].sum() == written[37:].sum() == 0
    with pytest.raises(ValueError, match="C-contiguous"):
        output_part(grid.T, index["counts"])  # a copy would swallow the writes
