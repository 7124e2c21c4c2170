"""gilbench's own overhead stays out of free-threaded figures: threads get objects of their
own, its pure-Python flavours load with immortal constants, and the python flavour on
threads through the harness runs as fast as the same function on bare threads."""

from __future__ import annotations

import json
import marshal
import os
import statistics
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest

from gilbench import KERNELS, RunSpec, bytecode, measure
from gilbench.gilwatch import gil_enabled
from gilbench.kernels.base import Workspace
from gilbench.strategies import get_strategy
from tests.conftest import FREE_THREADED_BUILD

NEEDS_NO_GIL = pytest.mark.skipif(
    not FREE_THREADED_BUILD or gil_enabled(),
    reason="needs a free-threaded build running without its GIL (python3.13t, PYTHON_GIL "
           "unset or 0)")


def test_each_pool_thread_runs_on_a_workspace_of_its_own():
    """Objects the chunk function touches belong to its thread; the memory is shared."""
    kernel = KERNELS["mandelbrot"]
    problem = kernel.make_problem(kernel.test_size)
    seen = []
    barrier = threading.Barrier(2)

    def spy(ws, chunk):
        barrier.wait(10)  # both threads hold a chunk at once: two threads, surely
        seen.append((threading.get_ident(), ws, ws.params["dx"], ws.arrays["counts"]))

    from gilbench.kernels.base import Implementation

    with get_strategy("threads").open(problem, Implementation(spy), 2) as session:
        session.map([(0, 1), (1, 2)])
        parent = session.workspace
    assert len({ident for ident, *_ in seen}) == 2
    (_, ws_a, dx_a, out_a), (_, ws_b, dx_b, out_b) = seen
    assert ws_a is not ws_b and ws_a is not parent
    assert dx_a is not dx_b and dx_a == dx_b == problem.params["dx"]
    assert out_a is not out_b and out_a is not parent.arrays["counts"]
    assert np.shares_memory(out_a, parent.arrays["counts"])
    assert np.shares_memory(out_b, parent.arrays["counts"])


def test_a_private_workspace_keeps_read_only_inputs_read_only():
    ws = Workspace({"n": 3.5}, {"x": np.arange(4.0)})
    ws.arrays["x"].flags.writeable = False
    mine = ws.for_this_thread()
    assert not mine.arrays["x"].flags.writeable
    assert mine.params == ws.params and mine.params["n"] is not ws.params["n"]


@pytest.mark.skipif(not FREE_THREADED_BUILD, reason="only free-threaded builds share "
                    "objects between threads that run at once (python3.13t)")
@pytest.mark.parametrize("kernel", sorted(k for k in KERNELS
                                          if "python" in KERNELS[k].implementations))
def test_pure_python_flavours_load_with_immortal_constants(kernel):
    """Compiled from source in this process, CPython 3.13t would leave their float
    literals mortal, and threads would contend on their reference counts. (conftest.py
    installs the bytecode finder first, as the gilbench command does.)"""
    assert bytecode.installed()
    fn = KERNELS[kernel].implementations["python"].fn
    assert bytecode.constants_immortal(fn) in (True, None), kernel


#: Imported by ``gilbench list --import``: what the command loaded, as the command did.
PROBE_MODULE = """
import json, sys
from gilbench import KERNELS, bytecode
print(json.dumps({"installed": bytecode.installed(), "immortal": {
    name: bytecode.constants_immortal(k.implementations["python"].fn)
    for name, k in KERNELS.items() if "python" in k.implementations}}), file=sys.stderr)
"""


def test_the_command_installs_the_bytecode_finder_before_the_kernels_load(tmp_path):
    """``import gilbench`` installs nothing; the command installs the finder before it
    imports the kernels, so that compiled from source (PYTHONDONTWRITEBYTECODE) their
    constants are immortal all the same on a free-threaded build."""
    (tmp_path / "gilbench_probe_bytecode.py").write_text(PROBE_MODULE)
    package_dir = Path(bytecode.__file__).resolve().parents[1]  # this gilbench's
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(package_dir)])}
    out = subprocess.run([sys.executable, "-m", "gilbench", "list", "--json", "--import",
                          "gilbench_probe_bytecode"], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stderr.strip().splitlines()[-1])
    assert probe["installed"] is FREE_THREADED_BUILD
    assert probe["immortal"], "no kernel has a python flavour to check"
    for kernel, immortal in probe["immortal"].items():
        assert immortal in ((True, None) if FREE_THREADED_BUILD else (None,)), kernel


#: Mandelbrot side for the overhead test: ~40 ms per chunk of pure Python on 3.13t.
SIZE = 96
CHUNKS = 4


def _private_function(fn):
    """A copy of ``fn`` with code of its own (loaded through marshal, as from a .pyc)."""
    code = marshal.loads(marshal.dumps(fn.__code__))
    return types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__,
                              fn.__closure__)


def _bare_threads_wall() -> float:
    """Two bare threads, each with a problem and a copy of the chunk function it made
    itself (nothing shared but the module's globals), running half the chunks each."""
    kernel = KERNELS["mandelbrot"]
    go = threading.Barrier(2)
    spans: list[tuple[float, float]] = []

    def worker(chunks):
        fn = _private_function(kernel.implementations["python"].fn)
        ws = Workspace.local(kernel.make_problem(SIZE))
        go.wait(10)
        start = time.perf_counter()
        for chunk in chunks:
            fn(ws, chunk)
        spans.append((start, time.perf_counter()))

    chunks = kernel.split(kernel.make_problem(SIZE), CHUNKS)
    threads = [threading.Thread(target=worker, args=(chunks[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return max(end for _, end in spans) - min(start for start, _ in spans)


@NEEDS_NO_GIL
def test_python_on_threads_through_the_harness_keeps_up_with_bare_threads():
    """The python flavour through the harness (2 threads) reaches >= 90% of the speed of
    the same loop on bare threads with private data and code: gilbench shares nothing the
    threads would contend on. A serial run comes first, as in a sweep (with shared
    constants, the main thread having run the code made the threads contend). Measured in
    pairs, back to back; the median of the pairs decides, since the machine may be shared
    and a lucky moment should not."""
    spec = RunSpec("mandelbrot", "python", "threads", 2, SIZE, CHUNKS)
    measure(RunSpec("mandelbrot", "python", "serial", 1, SIZE, CHUNKS), repeats=2,
            warmup_s=0.0, probe=False)
    for _attempt in range(3):
        ratios = []
        for _ in range(3):
            bare = min(_bare_threads_wall() for _ in range(2))
            m = measure(spec, repeats=3, warmup_s=0.05, probe=False)
            assert m.gil_enabled is False
            ratios.append(bare / m.min_s)
        if statistics.median(ratios) >= 0.9:
            return
    pytest.fail(f"the harness ran at {statistics.median(ratios):.0%} of the speed of bare "
                f"threads (pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
