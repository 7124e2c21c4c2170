"""Every run records the GIL it really ran with, in the parent and in every worker process,
and names the module whose import turned a free-threaded build's GIL back on."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import sysconfig
import textwrap
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from gilbench import KERNELS, gilwatch
from gilbench.strategies.processes import ProcessesStrategy
from tests.conftest import FREE_THREADED_BUILD

ROOT = Path(__file__).resolve().parent.parent
NEEDS_FT = pytest.mark.skipif(
    not FREE_THREADED_BUILD,
    reason="needs a free-threaded build (python3.13t; tools/build-freethreaded-python.sh)")

#: CPython 3.13's words when an import turns the GIL back on.
CPYTHON_WARNING = ("The global interpreter lock (GIL) has been enabled to load module "
                   "'{}', which has not declared that it can run safely without the GIL. "
                   "To override this behavior and keep the GIL disabled (at your own risk), "
                   "run with PYTHON_GIL=0 or -Xgil=0.")


@pytest.fixture
def fresh_record(monkeypatch):
    """A clean list of GIL-enabling modules, so tests do not leak names into each other."""
    monkeypatch.setattr(gilwatch, "_enabled_by", [])


def test_note_reads_the_module_from_cpythons_warning(fresh_record):
    assert gilwatch.note(CPYTHON_WARNING.format("pkg._speedups")) == "pkg._speedups"
    assert gilwatch.note("some other RuntimeWarning") is None
    gilwatch.note(CPYTHON_WARNING.format("pkg._speedups"))  # twice: recorded once
    assert gilwatch.enabled_by() == ["pkg._speedups"]


def test_watching_imports_records_and_still_lets_the_users_filters_decide(fresh_record):
    with pytest.warns(RuntimeWarning, match="has been enabled to load module 'ext_a'"):
        with gilwatch.watching_imports():
            warnings.warn(CPYTHON_WARNING.format("ext_a"), RuntimeWarning, stacklevel=1)
    assert gilwatch.enabled_by() == ["ext_a"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # -W error: the import must still fail loudly
        with pytest.raises(RuntimeWarning), gilwatch.watching_imports():
            warnings.warn(CPYTHON_WARNING.format("ext_b"), RuntimeWarning, stacklevel=1)
    assert gilwatch.enabled_by() == ["ext_a", "ext_b"]


def _state(enabled: bool, requested=None, names=(), pid=1) -> dict:
    return {"gil_enabled": enabled, "requested": requested, "enabled_by": list(names),
            "pid": pid}


def test_only_a_free_threaded_build_reports_what_was_asked_for(monkeypatch):
    # A default 3.13 build says sys.flags.gil == 1 whatever the environment asked.
    monkeypatch.setattr(gilwatch, "sys", SimpleNamespace(flags=SimpleNamespace(gil=1)))
    monkeypatch.setattr(gilwatch, "free_threaded_build", lambda: False)
    assert gilwatch.requested() is None
    monkeypatch.setattr(gilwatch, "free_threaded_build", lambda: True)
    assert gilwatch.requested() == 1
    monkeypatch.setattr(gilwatch, "sys", SimpleNamespace(flags=SimpleNamespace(gil=None)))
    assert gilwatch.requested() is None


def test_a_run_is_gil_free_only_if_the_parent_and_every_worker_were():
    on, extra = gilwatch.run_record(_state(False), [])
    assert on is False and extra == {"parent_gil_enabled": False}
    on, extra = gilwatch.run_record(_state(False), [_state(False, pid=2),
                                                    _state(True, names=["ext"], pid=3)])
    assert on is True
    assert extra["parent_gil_enabled"] is False
    assert extra["worker_gil_enabled"] == [False, True]
    assert extra["gil_enabled_by"] == ["ext"]
    on, extra = gilwatch.run_record(_state(True, requested=1), [_state(True, requested=1)])
    assert on is True and "gil_unexplained" not in extra
    assert extra["worker_gil_requested"] == [1]


def test_a_gil_nobody_asked_for_and_no_warning_named_is_marked(monkeypatch):
    monkeypatch.setattr(gilwatch, "free_threaded_build", lambda: True)
    _, extra = gilwatch.run_record(_state(True), [])
    assert extra["gil_unexplained"] is True
    _, extra = gilwatch.run_record(_state(True, names=["ext"]), [])
    assert "gil_unexplained" not in extra


def test_process_workers_report_their_gil_in_the_ready_handshake():
    kernel = KERNELS["mandelbrot"]
    problem = kernel.make_problem(kernel.test_size)
    with ProcessesStrategy().open(problem, kernel.implementations["python"], 2) as session:
        states = session.worker_gil_states()
        session.map(kernel.split(problem, 4))
        pids = {p.pid for p in session.pool._processes.values()}
    assert {s["pid"] for s in states} == pids
    assert all(s["gil_enabled"] == gilwatch.gil_enabled() for s in states)


def test_a_measured_run_records_the_parent_and_the_workers_gil():
    from gilbench import RunSpec, measure

    m = measure(RunSpec("mandelbrot", "python", "processes", 2, 32, 4), repeats=1,
                warmup_s=0.0, probe=False)
    assert m.extra["parent_gil_enabled"] == gilwatch.gil_enabled()
    assert m.extra["worker_gil_enabled"] == [gilwatch.gil_enabled()] * 2
    assert m.gil_enabled == gilwatch.gil_enabled()


def _own_process_strategies():
    from gilbench.strategies import STRATEGIES

    # gilbench's own worker processes (a library's or a remote cluster's are not its own).
    return [s.name for s in STRATEGIES.values()
            if s.uses_processes and not s.library and not s.remote
            and not s.unavailable_reason()]


@pytest.mark.parametrize("strategy", _own_process_strategies())
def test_every_process_strategy_reports_its_workers_gil(strategy):
    """Registry-wide, so a process strategy registered tomorrow must report it too."""
    from gilbench import RunSpec, measure

    # hashing has inputs to ship and outputs to bring back: every strategy can run it.
    m = measure(RunSpec("hashing", "stdlib", strategy, 2, 16, 4), repeats=1,
                warmup_s=0.0, probe=False)
    states = m.extra.get("worker_gil_enabled")
    assert states, f"{strategy}: no worker reported its GIL"
    assert all(state == gilwatch.gil_enabled() for state in states)


# -- free-threaded builds: a module that turns the GIL back on --------------------------
#: A single-phase-init extension: it cannot declare Py_mod_gil, so importing it on a
#: free-threaded build turns the GIL on (and CPython warns, naming it).
GIL_ON_C = """
#include <Python.h>
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "gilbench_test_gil_on", NULL, -1,
                                 NULL};
PyMODINIT_FUNC PyInit_gilbench_test_gil_on(void) { return PyModule_Create(&def); }
"""

#: A kernel whose chunk functions import that extension in the workers only: once from
#: ``prepare`` (worker start-up), once lazily in the first chunk.
GIL_ON_KERNEL = '''
from gilbench import Implementation, Kernel, Problem
from gilbench.kernels import even_ranges


def load():
    import gilbench_test_gil_on  # noqa: F401


def count(ws, chunk):
    return chunk[1] - chunk[0]


def count_importing(ws, chunk):
    import gilbench_test_gil_on  # noqa: F401
    return chunk[1] - chunk[0]


class GilOn(Kernel):
    name = "gil-on"
    summary = "imports an extension that turns the GIL back on"
    sizes = {"quick": 100, "standard": 100, "full": 100}
    implementations = {"python": Implementation(count, prepare=load),
                       "numpy": Implementation(count_importing)}

    def make_problem(self, size, seed=0):
        return Problem(self.name, self.check_size(size), seed)

    def split(self, problem, chunks):
        return even_ranges(problem.size, chunks)

    def merge(self, problem, workspace, partials):
        return sum(partials)

    def reference(self, problem):
        return problem.size
'''

RUN_IT = '''
import json, sys
from gilbench import RunSpec, measure, register_kernel, register_strategy
from gilbench.strategies.processes import ProcessesStrategy
import gil_on_kernel

register_kernel(gil_on_kernel.GilOn)


class Spawned(ProcessesStrategy):
    name = "processes-spawn-test"


register_strategy(Spawned("spawn"))
out = {}
for flavour in ("python", "numpy"):
    for strategy in ("processes", "processes-spawn-test"):
        m = measure(RunSpec("gil-on", flavour, strategy, 2, 100, 4), repeats=1,
                    warmup_s=0.0, probe=False)
        out[f"{flavour}/{strategy}"] = {"gil_enabled": m.gil_enabled, **m.extra}
out["parent_now"] = sys._is_gil_enabled()
print(json.dumps(out))
'''


def _build_gil_on_extension(where: Path) -> None:
    src = where / "gil_on.c"
    src.write_text(GIL_ON_C)
    target = where / f"gilbench_test_gil_on{sysconfig.get_config_var('EXT_SUFFIX')}"
    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")
    out = subprocess.run([*cc, "-shared", "-fPIC", "-I", sysconfig.get_paths()["include"],
                          str(src), "-o", str(target)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, f"could not build the test extension: {out.stderr}"


@NEEDS_FT
def test_an_extension_that_turns_the_gil_on_in_workers_is_named_in_the_run(tmp_path):
    _build_gil_on_extension(tmp_path)
    (tmp_path / "gil_on_kernel.py").write_text(GIL_ON_KERNEL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    env.pop("PYTHON_GIL", None)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(RUN_IT)], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    runs = json.loads(out.stdout.splitlines()[-1])
    assert runs.pop("parent_now") is False, "the parent must never have imported it"
    for what, run in runs.items():
        # prepare (worker start-up) or the first chunk imported it: in workers only.
        assert run["parent_gil_enabled"] is False, what
        if what.startswith("python/"):  # prepare: every worker imported it
            assert run["worker_gil_enabled"] == [True, True], what
        else:  # a worker that was never handed a chunk never imported it
            assert True in run["worker_gil_enabled"], what
        assert run["gil_enabled_by"] == ["gilbench_test_gil_on"], what
        assert run["gil_enabled"] is True, what


PROBE_WORKERS = '''
import json, sys
from gilbench import KERNELS
from gilbench.strategies.processes import ProcessesStrategy

kernel = KERNELS["mandelbrot"]
problem = kernel.make_problem(16)
out = {}
for method in ("fork", "spawn", "forkserver"):
    with ProcessesStrategy(method).open(problem, kernel.implementations["python"], 2) as s:
        out[method] = [(st["gil_enabled"], st["requested"]) for st in s.worker_gil_states()]
print(json.dumps(out))
'''


@NEEDS_FT
@pytest.mark.parametrize("how", ["PYTHON_GIL=1", "-X gil=1", "PYTHON_GIL=0"])
def test_the_gil_request_reaches_workers_under_every_start_method(how):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHON_GIL", None)
    args = [sys.executable]
    if how.startswith("-X"):
        args += ["-X", "gil=1"]
    else:
        env["PYTHON_GIL"] = how.split("=")[1]
    out = subprocess.run([*args, "-c", PROBE_WORKERS], capture_output=True, text=True,
                         timeout=300, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    want = how.endswith("1")
    for method, workers in json.loads(out.stdout.splitlines()[-1]).items():
        assert workers == [[want, int(want)]] * 2, f"{how} under {method}: {workers}"
