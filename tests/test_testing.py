"""GIL assertions (gilbench.testing) and the ``gil`` fixture (gilbench.pytest_gil): the
project's own cython-nogil flavour passes assert_releases_gil and cython-gil fails it, a
failure says what was measured, and without a GIL nothing pretends to have measured."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gilbench import KERNELS, testing
from gilbench.gilwatch import gil_enabled
from gilbench.kernels import Workspace
from gilbench.testing import (
    GilNotEnabled,
    assert_holds_gil,
    assert_releases_gil,
    gil_held_share,
    measure_gil,
)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "testing.md"
#: Mandelbrot side whose single-chunk compiled call takes a few ms.
SIZE = 150
#: A short reading is enough where the two sides are 0 and 1 apart.
SHORT = 0.1

needs_gil = pytest.mark.skipif(not gil_enabled(), reason="this interpreter runs without a "
                               "GIL (tests/test_testing.py::test_without_a_gil_* cover it)")


def flavour_call(flavour: str):
    """The mandelbrot ``flavour``'s chunk function and its one-chunk arguments."""
    kernel = KERNELS["mandelbrot"]
    problem = kernel.make_problem(SIZE)
    (chunk,) = kernel.split(problem, 1)
    return kernel.chunk_function(flavour), Workspace.local(problem), chunk


def python_loop(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


@needs_gil
def test_cython_nogil_passes_assert_releases_gil():
    fn, ws, chunk = flavour_call("cython-nogil")
    assert assert_releases_gil(fn, ws, chunk) <= 0.1


@needs_gil
def test_cython_gil_fails_assert_releases_gil_saying_what_it_measured():
    fn, ws, chunk = flavour_call("cython-gil")
    with pytest.raises(AssertionError) as failed:
        assert_releases_gil(fn, ws, chunk, min_time=SHORT)
    message = str(failed.value)
    assert message.startswith(f"{fn!r} holds the GIL"), message  # a chunk's repr names it
    match = re.search(r"holds the GIL for (\d+)% of its run \(measured over "
                         r"(\d+\.\d\d) s, (\d+) calls; (\d+)% on a second try\); "
                         r"expected at most 10%$", message)
    assert match, message
    held, seconds, calls, second = match.groups()
    assert int(held) > 50 and int(second) > 50
    assert float(seconds) >= SHORT and int(calls) >= 1


@needs_gil
def test_cython_gil_passes_assert_holds_gil_and_nogil_fails_it():
    fn, ws, chunk = flavour_call("cython-gil")
    assert assert_holds_gil(fn, ws, chunk, min_time=SHORT) >= 0.5
    fn, ws, chunk = flavour_call("cython-nogil")
    with pytest.raises(AssertionError, match=r"holds the GIL for only \d+% of its run .*"
                       r"expected at least 50%"):
        assert_holds_gil(fn, ws, chunk, min_time=SHORT)


@needs_gil
def test_pure_python_holds_the_gil_and_sleep_releases_it():
    assert gil_held_share(python_loop, 20_000, min_time=SHORT) > 0.5
    assert_holds_gil(python_loop, n=20_000, min_time=SHORT)  # keywords reach fn
    assert_releases_gil(time.sleep, 0.001, min_time=SHORT)
    with pytest.raises(AssertionError, match=r"^sleep holds the GIL for only"):
        assert_holds_gil(time.sleep, 0.001, min_time=SHORT)


@needs_gil
def test_a_reading_lasts_at_least_min_time_and_counts_its_calls():
    calls = []
    reading = measure_gil(calls.append, None, min_time=0.05)
    assert reading.seconds >= 0.05
    assert reading.calls == len(calls) - 1  # the warm-up call is not counted
    assert 0.0 <= reading.held_share <= 1.0


@needs_gil
def test_an_exception_of_fn_propagates_and_stops_the_probe():
    def broken():
        raise KeyError("bad item")

    with pytest.raises(KeyError, match="bad item"):
        assert_releases_gil(broken)
    assert not [t for t in threading.enumerate() if t.name == "gilbench-probe"]


class StarvedProbe:
    """A GIL probe whose ticker never got a CPU: it cannot judge the GIL."""

    availability = None
    method = "schedstat"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@needs_gil
def test_a_probe_starved_of_cpu_is_retried_then_reported(monkeypatch):
    monkeypatch.setattr(testing, "GilProbe", StarvedProbe)
    calls = []
    with pytest.raises(RuntimeError, match=r"^could not measure the GIL held by list.append: the "
                       r"probe's thread got almost no CPU in 3 tries of 0.01 s"):
        gil_held_share(calls.append, None, min_time=0.01)
    assert len(calls) > 3  # the warm-up call, then at least one call per try


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: assert_releases_gil(time.sleep, 0, max_held=10), ValueError,
     "max_held must be a share between 0 and 1. Got 10 instead."),
    (lambda: assert_holds_gil(time.sleep, 0, min_held=-0.5), ValueError,
     "min_held must be a share between 0 and 1. Got -0.5 instead."),
    (lambda: gil_held_share(time.sleep, 0, min_time=0), ValueError,
     "min_time must be a positive number of seconds. Got 0 instead."),
    (lambda: gil_held_share("sleep"), TypeError, "fn must be callable. Got 'sleep' instead."),
], ids=["max_held", "min_held", "min_time", "fn"])
def test_bad_arguments_get_a_one_line_error(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message


def no_gil(monkeypatch):
    """Make gilbench.testing see an interpreter running without its GIL."""
    monkeypatch.setattr(testing, "gil_enabled", lambda: False)


def test_without_a_gil_the_share_is_refused_with_the_reason(monkeypatch):
    no_gil(monkeypatch)
    calls = []
    with pytest.raises(GilNotEnabled, match=r"^no GIL to measure: .*\(PYTHON_GIL=1 turns it on"):
        gil_held_share(calls.append, None)
    assert not calls  # nothing ran that could pass for a measurement


def test_without_a_gil_the_assertions_skip_a_pytest_test(monkeypatch):
    no_gil(monkeypatch)
    with pytest.raises(pytest.skip.Exception, match="^no GIL to measure"):
        assert_releases_gil(time.sleep, 0)
    with pytest.raises(pytest.skip.Exception, match="^no GIL to measure"):
        testing.GilAssertions().held_share(time.sleep, 0)


def test_without_a_gil_the_assertions_raise_outside_pytest(monkeypatch):
    no_gil(monkeypatch)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    with pytest.raises(GilNotEnabled, match="^no GIL to measure"):
        assert_holds_gil(time.sleep, 0)


@pytest.mark.skipif(gil_enabled(), reason="needs a free-threaded build running without its "
                    "GIL (the free-threaded venv of .ci/run)")
def test_without_a_gil_on_a_free_threaded_build():
    with pytest.raises(GilNotEnabled):
        gil_held_share(time.sleep, 0)
    with pytest.raises(pytest.skip.Exception):
        assert_releases_gil(time.sleep, 0)


def doc_example(marker: str) -> str:
    """The ```python block of docs/testing.md that contains ``marker``."""
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)
    (block,) = [b for b in blocks if marker in b]
    return block


def test_the_fixture_runs_the_docs_example_and_reports_a_failure(pytester):
    pytester.makepyfile(test_doc=doc_example("(gil)"), test_failing="""
        import time

        def test_sleep_holds_the_gil(gil):
            gil.assert_holds(time.sleep, 0.001, min_time=0.1)
        """)
    result = pytester.runpytest_subprocess("-p", "gilbench.pytest_gil", "-p", "no:cacheprovider",
                                           "-rs")
    if not gil_enabled():
        result.assert_outcomes(skipped=3)
        result.stdout.fnmatch_lines(["*no GIL to measure*"])
        return
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["E*AssertionError: sleep holds the GIL for only *% of its "
                                 "run (measured over * s, * calls; *% on a second try); "
                                 "expected at least 50%"])


def test_the_declared_entry_point_gives_every_pytest_run_the_fixture(pytester, monkeypatch):
    """pyproject.toml's pytest11 entry point, installed as pip writes it (a dist-info on
    the path), gives a plain ``pytest`` the fixture; ``-p no:NAME`` takes it away."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs 3.11+")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["entry-points"]["pytest11"]
    assert declared == {"gilbench.pytest_gil": "gilbench.pytest_gil"}  # -p takes either
    info = pytester.path / "site" / "gilbench_fixture_check-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gilbench-fixture-check\n"
                                   "Version: 0\n")
    (info / "entry_points.txt").write_text(
        "[pytest11]\n" + "".join(f"{k} = {v}\n" for k, v in declared.items()))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(info.parent), os.environ.get("PYTHONPATH", "")]))
    pytester.makepyfile(test_uses_it="""
        import time

        def test_sleep_releases_the_gil(gil):
            assert gil.held_share(time.sleep, 0.001, min_time=0.05) < 0.5
        """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(**({"passed": 1} if gil_enabled() else {"skipped": 1}))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "-p", "no:gilbench.pytest_gil")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'gil' not found*"])


def test_loading_the_plugin_imports_nothing_that_measures():
    """pytest loads the plugin in every run of every project: it must cost nothing there."""
    code = ("import sys, gilbench.pytest_gil; "
            "print(sorted(m for m in sys.modules if m.startswith(('gilbench', 'numpy'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.split() == ["['gilbench',", "'gilbench.pytest_gil',",
                                  "'gilbench.version']"]
