"""The gilbench command: list, info, run, report, and its error contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gilbench import FLAVOURS, KERNELS, STRATEGIES
from gilbench.analysis import load_findings
from gilbench.cli import main
from gilbench.results import load_results
from gilbench.uncertainty import ADAPTIVE_FACTOR
from tests.conftest import FREE_THREADED_BUILD


def gilbench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real command in a subprocess (so exit codes and tracebacks are real)."""
    return subprocess.run([sys.executable, "-m", "gilbench", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "COLUMNS": "200"})


def test_list_shows_every_registered_name():
    out = gilbench("list")
    assert out.returncode == 0, out.stderr
    for name in [*KERNELS, *FLAVOURS, *STRATEGIES]:
        assert name in out.stdout


def test_list_json_explains_what_is_not_applicable():
    out = gilbench("list", "--json")
    data = json.loads(out.stdout)
    assert set(data["kernels"]) == set(KERNELS)
    assert data["flavours"]["cython-nogil"]["gil"] == "releases"
    mandel = data["kernels"]["mandelbrot"]["flavours"]
    assert mandel["cython-nogil"] == "available"
    assert mandel["stdlib"] != "available" and len(mandel["stdlib"]) > 10
    from gilbench.axes.registry import AXES

    assert set(data["axes"]) == set(AXES)
    assert data["axes"]["granularity"]["kernels"]["mandelbrot"] == "applies"
    assert "Kernel.payload" in data["axes"]["payload"]["kernels"]["mandelbrot"]


def test_info_json_has_the_machine_facts():
    out = gilbench("info", "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    for key in ("cpu_model", "cpu_count", "affinity", "python", "gil", "versions", "build",
                "start_method"):
        assert key in info
    assert info["build"]["built"] is True
    assert info["versions"]["numpy"]
    assert info["gil"]["free_threaded_build"] is FREE_THREADED_BUILD


def _info_gil(*python_args: str, **env: str) -> dict:
    out = subprocess.run([sys.executable, *python_args, "-m", "gilbench", "info", "--json"],
                         capture_output=True, text=True, timeout=120,
                         env={**{k: v for k, v in os.environ.items() if k != "PYTHON_GIL"},
                              **env})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["gil"]


def test_info_records_the_gil_state_and_what_asked_for_it():
    """PYTHON_GIL=1 and -X gil=1 are valid on every build (a default build has a GIL
    anyway); the GIL read is the run-time state, and both requests are recorded."""
    assert _info_gil() == {"free_threaded_build": FREE_THREADED_BUILD,
                           "gil_enabled": not FREE_THREADED_BUILD, "python_gil_env": None,
                           "x_gil": None, "enabled_by": [],
                           "switch_interval_s": pytest.approx(0.005)}
    on = _info_gil(PYTHON_GIL="1")
    assert on["gil_enabled"] is True and on["python_gil_env"] == "1"
    if FREE_THREADED_BUILD:
        off = _info_gil(PYTHON_GIL="0")
        assert off["gil_enabled"] is False and off["python_gil_env"] == "0"
        # -X gil wins over the variable, and both are on record.
        both = _info_gil("-X", "gil=1", PYTHON_GIL="0")
        assert both["gil_enabled"] is True and (both["x_gil"], both["python_gil_env"]) == \
            ("1", "0")


def test_run_quick_then_report_rerenders(tmp_path):
    out_dir = tmp_path / "res"
    out = gilbench("run", "--profile", "quick", "--kernel", "mandelbrot", "--flavour",
                   "python,cython-gil,cython-nogil,cython-prange", "--out", str(out_dir))
    assert out.returncode == 0, out.stderr
    doc = load_results(out_dir)
    runs = doc["runs"]
    combos = {(r["flavour"], r["strategy"], r["workers"]) for r in runs}
    assert ("cython-nogil", "threads", 2) in combos or os.cpu_count() == 1
    assert ("cython-prange", "openmp", 1) in combos
    assert all(r["verified"] and r["status"] == "ok" for r in runs)
    # adaptive: up to ADAPTIVE_FACTOR x on noise, within the profile's budget
    assert all(5 <= len(r["wall_s"]) <= 5 * ADAPTIVE_FACTOR for r in runs)
    report = (out_dir / "report.md").read_text()
    assert "# gilbench report" in report and "## mandelbrot" in report
    # findings.json beside the results, every finding in the report; the terminal ends on
    # the answer (At a glance, then the rules of thumb), the tables are in report.md.
    findings = load_findings(out_dir)
    assert {f.kind for f in findings} >= {"threads-vs-processes", "gil-serialises"}
    for finding in findings:
        assert finding.sentence in report
    terminal = out.stdout
    assert 0 <= terminal.index("At a glance") < terminal.index("Rules of thumb")
    assert "mandelbrot" in terminal[terminal.index("At a glance"):]
    assert "median" not in terminal  # no run table without --verbose
    assert (out_dir / "mandelbrot.png").stat().st_size > 1000
    html = (out_dir / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html
    assert 'src="data:image/png;base64,' in html  # self-contained: plots inlined
    # Re-render elsewhere without running anything.
    again = gilbench("report", str(out_dir / "results.json"), "--out", str(tmp_path / "r2"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "r2" / "report.md").read_text() == report


BAD_INPUT = [
    (["run", "--kernel", "nope"], "nope"),
    (["run", "--flavour", "fortran"], "fortran"),
    (["run", "--strategy", "carrier-pigeon"], "carrier-pigeon"),
    (["run", "--size", "0"], "'0'"),
    (["run", "--size", "-1"], "'-1'"),
    (["run", "--size", "abc"], "'abc'"),
    (["run", "--workers", "0"], "'0'"),
    (["run", "--workers", "1,,2"], "1,,2"),
    (["run", "--repeat", "0"], "'0'"),
    (["run", "--profile", "huge"], "huge"),
    (["run", "--flavour", "cython-prange", "--strategy", "processes"], "openmp"),
    (["report", "/no/such/results.json"], "/no/such/results.json"),
]


@pytest.mark.parametrize(("argv", "named"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_exit_2(argv, named, capsys):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert named in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("argv", "valid"), [
    (["run", "--kernel", "nope"], sorted(KERNELS)),
    (["run", "--flavour", "fortran"], sorted(FLAVOURS)),
    (["run", "--strategy", "carrier-pigeon"], sorted(STRATEGIES)),
])
def test_unknown_names_list_the_valid_choices(argv, valid, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    for name in valid:
        assert name in err


def test_bad_input_in_a_real_process_has_no_traceback():
    out = gilbench("run", "--size", "abc")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_help_explains_the_commands():
    out = gilbench("--help")
    assert out.returncode == 0
    for word in ("list", "info", "run", "report"):
        assert word in out.stdout
    run_help = gilbench("run", "--help").stdout
    for flag in ("--profile", "--kernel", "--flavour", "--strategy", "--workers", "--size",
                 "--repeat", "--out", "--quiet"):
        assert flag in run_help


def test_start_method_is_checked_and_named_in_the_help():
    out = gilbench("run", "--start-method", "teleport", "--kernel", "primes")
    assert out.returncode == 2 and "unknown start method 'teleport'" in out.stderr
    assert "Traceback" not in out.stderr
    out = gilbench("run", "--help")
    assert "--start-method" in out.stdout


def test_list_shows_what_each_strategy_uses_and_its_capabilities():
    data = json.loads(gilbench("list", "--json").stdout)["strategies"]
    assert data["pipe"]["uses"] == "multiprocessing.Process + Pipe"
    assert data["pipe"]["capabilities"]["ipc"] == "pipe"
    assert data["manager"]["capabilities"]["returns"] == "proxy"
    assert data["threads"]["core"] and not data["thread"]["core"]


def test_the_run_defaults_are_the_sweep_defaults_resuming_compares():
    """``--resume`` tells named sweep options from defaults by SWEEP_DEFAULTS: the parser
    must declare exactly those defaults."""
    from gilbench.cli import build_parser
    from gilbench.runcommand import SWEEP_DEFAULTS

    defaults = vars(build_parser().parse_args(["run"]))
    assert {k: defaults[k] for k in SWEEP_DEFAULTS} == dict(SWEEP_DEFAULTS)


@pytest.mark.parametrize(("command", "out", "quiet"), [
    ("run", "gilbench-results", True), ("report", None, False),
    ("compare", "compare-results", True), ("study", "gilbench-results/studies", True)])
def test_the_output_options_are_the_same_everywhere(command, out, quiet):
    from gilbench.cli import build_parser

    argv = {"report": ["report", "x"], "compare": ["compare", "a", "b"]}.get(command, [command])
    args = vars(build_parser().parse_args(argv))
    assert args["out"] == out and args["no_plots"] is False
    assert ("quiet" in args) is quiet
