"""Kernel bindings: chunk functions built from args functions pickle by reference and run in
spawned processes, which receive them pickled and look the native code up again."""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import pickle
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np
import pytest

from gilbench import FLAVOURS, KERNELS
from gilbench.kernels import Workspace
from gilbench.kernels.bindings import (
    CFunction,
    CtypesChunk,
    CythonChunk,
    NumbaChunk,
    ctypes_flavour,
    cython_flavours,
    numba_flavours,
)

#: Flavours that come from an optional extra; only these may be skipped, with the reason.
OPTIONAL = {"numba": "numba", "numba-parallel": "numba"}


def implementations():
    for kernel in KERNELS.values():
        for flavour, impl in kernel.implementations.items():
            yield pytest.param(kernel.name, flavour, impl, id=f"{kernel.name}-{flavour}")


@pytest.mark.parametrize(("kernel_name", "flavour", "impl"), list(implementations()))
def test_every_chunk_function_pickles_by_reference(kernel_name, flavour, impl):
    fn = pickle.loads(pickle.dumps(impl.fn))
    assert fn == impl.fn
    assert type(fn) is type(impl.fn)
    if impl.prepare is not None:
        prepare = pickle.loads(pickle.dumps(impl.prepare))
        if isinstance(prepare, partial):
            assert prepare.func is impl.prepare.func and prepare.args == impl.prepare.args
        else:
            assert prepare is impl.prepare


def one_kernel_per_flavour(optional: bool) -> list[tuple[str, str]]:
    """(flavour, the first kernel implementing it), for required or optional flavours."""
    pairs = []
    for flavour in FLAVOURS:
        if (flavour in OPTIONAL) != optional:
            continue
        for kernel in KERNELS.values():
            if flavour in kernel.implementations:
                pairs.append((flavour, kernel.name))
                break
    return pairs


def run_all_chunks(kernel_name: str, fn, prepare, threads: int):
    """In the worker: the problem at test size, one chunk per phase, merged."""
    kernel = KERNELS[kernel_name]
    if prepare is not None:
        prepare()
    problem = kernel.make_problem(kernel.test_size, 0)
    ws = Workspace.local(problem)
    ws.threads = threads
    partials = [fn(ws, chunk) for phase in kernel.phases(problem, 1) for chunk in phase]
    return kernel.merge(problem, ws, partials)


@pytest.mark.parametrize("optional", [False, True], ids=["required", "optional"])
def test_a_spawned_worker_runs_one_kernel_per_flavour(optional):
    """One spawn pool per test (the leak check wants none left over), every flavour in it:
    the chunk function and its prepare hook travel pickled, as process strategies send them."""
    pairs = one_kernel_per_flavour(optional)
    assert pairs
    for flavour, kernel_name in pairs:
        reason = KERNELS[kernel_name].flavour_unavailable_reason(flavour)
        if reason and optional:
            pytest.importorskip(OPTIONAL[flavour], reason=f"optional extra [peers]: {reason}")
        assert reason is None, f"{kernel_name} x {flavour}: {reason}"
    wrong = []
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
        futures = {}
        for flavour, kernel_name in pairs:
            impl = KERNELS[kernel_name].implementations[flavour]
            threads = 2 if FLAVOURS[flavour].parallel_inside else 1
            futures[flavour, kernel_name] = pool.submit(run_all_chunks, kernel_name, impl.fn,
                                                        impl.prepare, threads)
        for (flavour, kernel_name), future in futures.items():
            kernel = KERNELS[kernel_name]
            expected = kernel.reference(kernel.make_problem(kernel.test_size, 0))
            mismatch = kernel.compare(future.result(timeout=300), expected)
            if mismatch:
                wrong.append(f"{kernel_name} x {flavour}: {mismatch}")
    assert not wrong


# -- the helpers themselves ---------------------------------------------------------------
def _reduction_args(ws, chunk):
    return (ws.arrays["x"], *chunk)


def _workspace(n: int = 100) -> Workspace:
    return Workspace({}, {"x": np.arange(n, dtype=np.float64)})


def test_cython_flavours_name_three_functions_of_one_extension():
    impls = cython_flavours("reduction", "sum_squares", _reduction_args)
    assert list(impls) == ["cython-gil", "cython-nogil", "cython-prange"]
    assert [impl.fn.function for impl in impls.values()] == [
        "sum_squares_gil", "sum_squares_nogil", "sum_squares_prange"]
    assert all(impl.requires == ("gilbench._native.reduction",) for impl in impls.values())
    assert [impl.fn.parallel for impl in impls.values()] == [False, False, True]
    expected = float(np.sum(np.arange(10, 90, dtype=np.float64) ** 2))
    for impl in impls.values():
        assert impl.fn(_workspace(), (10, 90)) == expected


def test_the_prange_binding_passes_threads_and_schedule():
    fn = cython_flavours("reduction", "sum_squares", _reduction_args)["cython-prange"].fn
    ws = _workspace()
    ws.threads, ws.schedule = 0, "static"
    with pytest.raises(ValueError, match="n_threads"):
        fn(ws, (0, 10))
    ws.threads, ws.schedule = 2, "sometimes"
    with pytest.raises(ValueError, match="unknown schedule 'sometimes'"):
        fn(ws, (0, 10))


def test_ctypes_binding_declares_the_signature_and_calls_the_c():
    def args(ws, chunk):  # local on purpose: this test does not pickle
        x = ws.arrays["x"]
        return (x.ctypes.data, *chunk)

    fn = CFunction("gb_reduction_sum_squares", ctypes.c_double,
                   (ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64))
    impls = ctypes_flavour(fn, args)
    assert list(impls) == ["c-ctypes"] and isinstance(impls["c-ctypes"].fn, CtypesChunk)
    assert impls["c-ctypes"].fn(_workspace(), (0, 4)) == 0.0 + 1.0 + 4.0 + 9.0
    assert CFunction("gb_reduction_block", ctypes.c_int64, ())() == 4096


def test_ctypes_binding_names_a_missing_symbol():
    with pytest.raises(AttributeError, match="gb_no_such_symbol"):
        CFunction("gb_no_such_symbol", ctypes.c_int, ())()


def _fake_factory(parallel: bool):
    return (lambda *args: ("parallel" if parallel else "serial", args))


def test_numba_flavours_pass_parallel_to_the_factory_and_prepare():
    impls = numba_flavours(_fake_factory, _reduction_args)
    assert list(impls) == ["numba", "numba-parallel"]
    assert isinstance(impls["numba"].fn, NumbaChunk) and not impls["numba"].fn.parallel
    assert impls["numba"].fn(_workspace(3), (0, 2))[0] == "serial"
    assert impls["numba"].prepare()(1)[0] == "serial"
    assert impls["numba-parallel"].prepare()(1)[0] == "parallel"


def test_chunk_functions_compare_by_value():
    a = CythonChunk("reduction", "sum_squares_gil", _reduction_args)
    assert a == CythonChunk("reduction", "sum_squares_gil", _reduction_args)
    assert a != CythonChunk("reduction", "sum_squares_nogil", _reduction_args)
