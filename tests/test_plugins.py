"""User kernels from the command line: entry points, --import, spawned workers, and the
errors of a user's module or kernel.

The plugin is a separate package, ``tests/plugin/gbplugin``, written against gilbench's
public API only. It is installed the way pip leaves an installed package: the package
folder on the path, beside a ``gbplugin-0.1.dist-info`` whose ``entry_points.txt``
declares a ``gilbench.kernels`` entry point (what importlib.metadata reads).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gilbench import FLAVOURS, KERNELS, STRATEGIES, plugins
from gilbench.harness import RunError, RunSpec, measure
from gilbench.results import load_results

PLUGIN_ROOT = Path(__file__).resolve().parent / "plugin"


def install(site: Path, entry_points: str) -> Path:
    """A dist-info for gbplugin in ``site``, as pip writes it, declaring ``entry_points``."""
    info = site / "gbplugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gbplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[gilbench.kernels]\n{entry_points}\n")
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return install(tmp_path_factory.mktemp("site"),
                   "plugin-cubes = gbplugin.kernels:SumOfCubes")


def gilbench(site: Path | None, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command in a fresh interpreter that sees the installed plugin."""
    path = [str(PLUGIN_ROOT)] + ([str(site)] if site else [])
    env = {**os.environ, "COLUMNS": "200",
           "PYTHONPATH": os.pathsep.join(path + [os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "gilbench", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def listing(site: Path | None, *args: str) -> dict:
    out = gilbench(site, "list", "--json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_an_entry_point_kernel_is_listed_and_runs(site, tmp_path):
    assert "plugin-cubes" not in listing(None)["kernels"]  # not installed: not there
    assert "plugin-cubes" in listing(site)["kernels"]
    out = gilbench(site, "run", "--kernel", "plugin-cubes", "--strategy",
                   "serial,threads,processes", "--workers", "2", "--size", "20000",
                   "--repeat", "2", "--no-plots", "--quiet", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    runs = load_results(tmp_path)["runs"]
    assert {(r["kernel"], r["strategy"]) for r in runs} == {
        ("plugin-cubes", "serial"), ("plugin-cubes", "threads"), ("plugin-cubes", "processes")}
    assert all(r["status"] == "ok" and r["verified"] for r in runs)


def test_import_registers_kernels_flavours_and_strategies(site):
    before = listing(site)
    after = listing(site, "--import", "gbplugin.register")
    assert "plugin-squares" not in before["kernels"]
    assert "plugin-squares" in after["kernels"]
    assert after["flavours"]["plugin-lut"]["gil"] == "holds"
    assert "plugin-spawn-pool" in after["strategies"]
    assert after["kernels"]["plugin-squares"]["flavours"]["plugin-lut"] == "available"
    text = gilbench(site, "list", "--import", "gbplugin.register")
    assert text.returncode == 0 and "plugin-squares" in text.stdout


def test_spawned_workers_import_the_same_modules(site, tmp_path):
    """The pool starts its workers with spawn: fresh interpreters, which must import
    gbplugin.register themselves (its chunk functions need the state it sets)."""
    out = gilbench(site, "run", "--import", "gbplugin.register", "--kernel", "plugin-squares",
                   "--strategy", "serial,plugin-spawn-pool", "--workers", "2", "--size",
                   "20000", "--repeat", "2", "--no-plots", "--quiet", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    runs = load_results(tmp_path)["runs"]
    pool = [r for r in runs if r["strategy"] == "plugin-spawn-pool"]
    assert {r["flavour"] for r in pool} == {"python", "plugin-lut"}
    assert all(r["status"] == "ok" and r["verified"] for r in runs), \
        [r["error"] for r in runs if r["error"]]


@pytest.fixture
def register_in_process(monkeypatch):
    """Import gbplugin.register here as plain Python would (not through --import), and
    undo its registrations afterwards."""
    monkeypatch.syspath_prepend(str(PLUGIN_ROOT))  # spawned workers get the parent's path
    monkeypatch.setattr(plugins, "_IMPORTED", [])
    importlib.import_module("gbplugin.register")
    yield
    KERNELS.pop("plugin-squares", None)
    FLAVOURS.pop("plugin-lut", None)
    STRATEGIES.pop("plugin-spawn-pool", None)
    for name in [m for m in sys.modules if m == "gbplugin" or m.startswith("gbplugin.")]:
        del sys.modules[name]


def test_workers_import_what_was_imported_for_the_user(register_in_process):
    spec = RunSpec("plugin-squares", "python", "plugin-spawn-pool", 2, 2000, 4)
    # Imported behind gilbench's back: a spawned worker knows nothing of it.
    with pytest.raises(RunError, match="gbplugin.register was not imported in this worker"):
        measure(spec, repeats=1, warmup=0, warmup_s=0, probe=False, timeout=120)
    plugins.import_modules(["gbplugin.register"])  # what --import does
    m = measure(spec, repeats=1, warmup=0, warmup_s=0, probe=False, timeout=120)
    assert m.status == "ok" and m.verified


@pytest.mark.parametrize("command", [["list"], ["run", "--kernel", "mandelbrot"],
                                     ["report", "nowhere.json"]])
@pytest.mark.parametrize(("module", "says"), [
    ("no_such_module_here", "ModuleNotFoundError: No module named 'no_such_module_here'"),
    ("gbplugin.raises", "RuntimeError: the plugin is broken on purpose"),
])
def test_a_module_that_fails_to_import_is_one_line_exit_2(command, module, says):
    out = gilbench(None, *command, "--import", module)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"cannot import module {module!r}" in out.stderr and says in out.stderr


def test_kernels_that_break_the_contract_fail_their_runs_and_the_others_go_on(site, tmp_path):
    out = gilbench(site, "run", "--import", "gbplugin.broken", "--kernel",
                   "plugin-split-nothing,plugin-merge-raises,plugin-cubes", "--strategy",
                   "serial,threads", "--workers", "2", "--size", "2000", "--repeat", "2",
                   "--no-plots", "--quiet", "--out", str(tmp_path))
    assert out.returncode == 1, out.stderr
    runs = load_results(tmp_path)["runs"]
    by_kernel: dict[str, list[dict]] = {}
    for r in runs:
        by_kernel.setdefault(r["kernel"], []).append(r)
    assert len(by_kernel["plugin-split-nothing"]) == len(by_kernel["plugin-merge-raises"]) == 2
    for r in by_kernel["plugin-split-nothing"]:
        assert r["status"] == "failed"
        assert "'plugin-split-nothing': split(problem, 4) returned None" in r["error"]
    for r in by_kernel["plugin-merge-raises"]:
        assert r["status"] == "failed"
        assert "merge raised ZeroDivisionError" in r["error"]
    assert [r["status"] for r in by_kernel["plugin-cubes"]] == ["ok", "ok"]
    assert "plugin-merge-raises/python/serial" in out.stderr  # named on the terminal too


def test_a_broken_entry_point_warns_in_one_line_and_the_rest_runs(tmp_path):
    broken = install(tmp_path / "site", "plugin-bad = gbplugin.raises:Nothing")
    out = gilbench(broken, "list", "--json")
    assert out.returncode == 0
    assert "entry point 'plugin-bad'" in out.stderr and "broken on purpose" in out.stderr
    assert out.stderr.count("\n") == 1, out.stderr
    assert "mandelbrot" in json.loads(out.stdout)["kernels"]


def test_import_finds_a_module_in_the_current_folder(tmp_path):
    """As the README says: ./mykernels.py is --import mykernels, even where the current
    folder is not on the path (the console script; -I here)."""
    (tmp_path / "mykernels.py").write_text(
        "from gilbench import register_kernel\n"
        "from tests_userkernel_copy import SumOfCubes\n"
        "register_kernel(SumOfCubes)\n")
    (tmp_path / "tests_userkernel_copy.py").write_text(
        (Path(__file__).parent / "userkernel.py").read_text())
    out = subprocess.run([sys.executable, "-I", "-m", "gilbench", "list", "--json",
                          "--import", "mykernels"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "sum-of-cubes" in json.loads(out.stdout)["kernels"]
