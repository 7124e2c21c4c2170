"""gilbench compare: runs aligned across sweeps, interpreter labels, warnings about machines
and builds, the interpreter-comparison findings, the report files, and bad input."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gilbench.analysis import load_findings
from gilbench.compare import build_comparison, interpreter_label, load_inputs
from gilbench.results import load_results

#: Traits of flavours and strategies as a sweep records them.
SETTINGS = {
    "flavours": {"python": {"gil": "holds", "interpreted": True},
                 "cython-nogil": {"gil": "releases"}},
    "strategies": {"serial": {"single_worker": True}, "threads": {"uses_threads": True},
                   "processes": {"uses_processes": True}},
}


def machine(version="3.11.7", free_threaded=False, gil=True, cores=2, cpu="AMD EPYC",
            cflags="-O3", openmp=True, python_gil=None, commit="abc1234"):
    return {"hostname": "vm", "cpu_model": cpu, "cpu_count": cores, "usable_cores": cores,
            "python": f"{version} (main)", "python_implementation": "CPython",
            "versions": {"python": version},
            "gil": {"free_threaded_build": free_threaded, "gil_enabled": gil,
                    "python_gil_env": python_gil, "x_gil": None},
            "build": {"built": True, "openmp": openmp, "cflags": cflags},
            "compiler": "gcc", "git_commit": commit}


def run(flavour, strategy, workers, median, gil_enabled=True, kernel="mandelbrot"):
    return {"kernel": kernel, "flavour": flavour, "strategy": strategy, "workers": workers,
            "size": 256, "chunks": 4, "schedule": None, "wall_s": [median],
            "median_s": median, "cpu_s": median * workers, "startup_s": None,
            "gil_availability": None, "verified": True, "status": "ok",
            "gil_enabled": gil_enabled}


def sweep(machine_, python_serial, python_threads, nogil_serial=0.01, nogil_threads=0.005,
          gil_enabled=True, extra_runs=()):
    return {"schema": 1, "created": "2026-11-28T00:00:00+00:00", "settings": SETTINGS,
            "machine": machine_,
            "runs": [run("python", "serial", 1, python_serial, gil_enabled),
                     run("python", "threads", 2, python_threads, gil_enabled),
                     run("cython-nogil", "serial", 1, nogil_serial, gil_enabled),
                     run("cython-nogil", "threads", 2, nogil_threads, gil_enabled),
                     *extra_runs]}


@pytest.fixture
def four(tmp_path):
    """3.11, 3.13, 3.13t without and with its GIL: what tools/reference-interpreters.sh runs."""
    docs = {
        "py311": sweep(machine(), 1.0, 1.0),
        "py313": sweep(machine("3.13.5"), 0.9, 0.92),
        "py313t-gil0": sweep(machine("3.13.5", True, False, python_gil="0"), 1.17, 0.6,
                             gil_enabled=False),
        "py313t-gil1": sweep(machine("3.13.5", True, True, python_gil="1"), 1.2, 1.25),
    }
    paths = []
    for name, doc in docs.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(doc))
        paths.append(str(tmp_path / name))
    return paths


def test_inputs_are_labelled_by_their_interpreter(four):
    inputs = load_inputs(four)
    assert [i.label for i in inputs] == ["3.11.7", "3.13.5", "3.13.5t GIL off (PYTHON_GIL=0)",
                                         "3.13.5t GIL on (PYTHON_GIL=1)"]
    assert [i.gil_words() for i in inputs] == ["GIL on", "GIL on", "GIL off", "GIL on"]
    assert [i.label for i in load_inputs(four[:2], ["old", "new"])] == ["old", "new"]


def test_the_same_interpreter_twice_is_told_apart_by_its_commit(four, tmp_path):
    doc = load_results(four[0])
    doc["machine"]["git_commit"] = "fffffff"
    (tmp_path / "later.json").write_text(json.dumps(doc))
    labels = [i.label for i in load_inputs([four[0], str(tmp_path / "later.json")])]
    assert labels == ["3.11.7 @abc1234", "3.11.7 @fffffff"]


def test_runs_align_and_the_first_input_is_the_reference(four, tmp_path):
    doc = sweep(machine(), 1.0, 1.0, extra_runs=[run("python", "threads", 4, 1.0)])
    (tmp_path / "more.json").write_text(json.dumps(doc))
    comparison = build_comparison(load_inputs([str(tmp_path / "more.json"), four[2]]))
    complete = [a for a in comparison.aligned if a.complete]
    assert len(complete) == 4 and len(comparison.partial()) == 1
    python_threads = next(a for a in complete
                          if (a.field("flavour"), a.field("strategy")) == ("python", "threads"))
    first, ft = python_threads.rows
    assert (first.median_s, ft.median_s) == (1.0, 0.6)
    assert ft.speedup == pytest.approx(1.17 / 0.6)


def test_findings_give_the_single_thread_cost_and_the_scaling_per_flavour(four):
    from gilbench.analysis.interpreters import interpreter_findings

    found = {f.runs[0].split("/")[1]: f
             for f in interpreter_findings(build_comparison(load_inputs(four)))}
    assert {f.kind for f in found.values()} == {"interpreter-comparison"}
    py = found["python"]
    ft0, ft1 = "3.13.5t GIL off (PYTHON_GIL=0)", "3.13.5t GIL on (PYTHON_GIL=1)"
    assert py.figure("reference") == "3.11.7"
    assert py.figure(f"single_thread_cost:{ft0}") == pytest.approx(1.17)
    assert py.figure("single_thread_cost:3.13.5") == pytest.approx(0.9)
    # Against the default build of the same version: the fair single-thread baseline.
    assert py.figure(f"free_threading_cost:{ft0}") == pytest.approx(1.3)
    assert py.figure(f"free_threading_cost:{ft1}") == pytest.approx(1.2 / 0.9)
    assert py.figure(f"threads_speedup:{ft0}") == pytest.approx(1.95)
    assert py.figure(f"gil_enabled:{ft0}") is False
    assert py.figure(f"threads_speedup:{ft1}") == pytest.approx(1.2 / 1.25)
    assert "1.30x the time of 3.13.5 (same version, default build)" in py.sentence
    assert f"1.95x on {ft0}" in py.sentence
    assert dict(py.context) == {"size": 256, "chunks": 4}


def test_machine_and_build_differences_that_matter_are_warned_about(tmp_path):
    paths = []
    for name, m in (("a", machine()), ("b", machine(cores=16, cpu="Other CPU",
                                                    cflags="-O2", openmp=False))):
        (tmp_path / f"{name}.json").write_text(json.dumps(sweep(m, 1.0, 1.0)))
        paths.append(str(tmp_path / f"{name}.json"))
    warnings = build_comparison(load_inputs(paths, ["a", "b"])).warnings
    assert len(warnings) == 4, warnings
    joined = "\n".join(warnings)
    for what in ("usable cores 16", "CPU model 'Other CPU'", "compiler flags -O2",
                 "OpenMP no"):
        assert what in joined
    same = build_comparison(load_inputs([paths[0], paths[0]], ["x", "y"])).warnings
    assert same == ()


def test_interpreter_label_reads_a_mixed_gil():
    doc = sweep(machine("3.13.5", True, False), 1.0, 0.5, gil_enabled=False)
    doc["runs"][0]["gil_enabled"] = True
    assert interpreter_label(doc) == "3.13.5t GIL mixed"


# -- the command --------------------------------------------------------------------------
def gilbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gilbench", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})


def test_compare_writes_the_report_html_plot_and_findings(four, tmp_path):
    out_dir = tmp_path / "cmp"
    out = gilbench("compare", *four, "--out", str(out_dir))
    assert out.returncode == 0, out.stderr
    md = (out_dir / "compare.md").read_text()
    assert "| 3.13.5t GIL off (PYTHON_GIL=0) | 3.13.5 | free-threaded | GIL off |" in md
    assert "![mandelbrot" in md and (out_dir / "compare-mandelbrot.png").stat().st_size > 1000
    html = (out_dir / "compare.html").read_text()
    assert "data:image/png;base64," in html and "src=\"compare-" not in html
    findings = load_findings(out_dir)
    assert {f.kind for f in findings} == {"interpreter-comparison"}
    assert all(f.sentence in md for f in findings)
    assert "python: on one core" in out.stdout
    assert out.stderr == ""  # the same machine: no warning


def test_compare_labels_and_warnings_reach_the_terminal_and_the_report(four, tmp_path):
    doc = load_results(four[1])
    doc["machine"]["usable_cores"] = 8
    (tmp_path / "big.json").write_text(json.dumps(doc))
    out_dir = tmp_path / "cmp"
    out = gilbench("compare", four[0], str(tmp_path / "big.json"), "--label", "old,new",
                   "--out", str(out_dir), "--no-plots")
    assert out.returncode == 0, out.stderr
    line = "new has usable cores 8, old 2"
    assert line in out.stderr and line in (out_dir / "compare.md").read_text()
    assert not list(out_dir.glob("*.png"))


def test_a_real_sweep_compares_with_itself(tmp_path):
    out = gilbench("run", "--kernel", "mandelbrot", "--flavour", "python,cython-nogil",
                   "--strategy", "serial,threads", "--workers", "2", "--size", "32",
                   "--repeat", "1", "--no-plots", "--quiet", "--out", str(tmp_path / "a"))
    assert out.returncode == 0, out.stderr
    out = gilbench("compare", str(tmp_path / "a"), str(tmp_path / "a" / "results.json"),
                   "--label", "first,second", "--out", str(tmp_path / "cmp"), "--quiet")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "cmp" / "compare.md")
    (python,) = [f for f in load_findings(tmp_path / "cmp")
                 if f.runs[0].split("/")[1] == "python"]
    assert python.figure("single_thread_cost:second") == pytest.approx(1.0)


@pytest.mark.parametrize("case", ["one input", "not json", "old schema", "no runs in common",
                                  "labels", "out is a file", "out holds a sweep", "no ok runs"])
def test_bad_input_is_one_line_and_exit_2(four, tmp_path, case):
    bad = tmp_path / "bad.json"
    args = [four[0], str(bad)]
    if case == "one input":
        args = [four[0]]
    elif case == "not json":
        bad.write_text("{nope")
    elif case == "old schema":
        bad.write_text(json.dumps({**load_results(four[0]), "schema": 0}))
    elif case == "no runs in common":
        doc = load_results(four[0])
        for r in doc["runs"]:
            r["size"] = 999
        bad.write_text(json.dumps(doc))
    elif case == "labels":
        args = [*four[:2], "--label", "only-one"]
    elif case == "out is a file":
        bad.write_text("x")
        args = [*four[:2], "--out", str(bad)]
    elif case == "out holds a sweep":
        args = [*four[:2], "--out", four[2]]
    elif case == "no ok runs":
        doc = copy.deepcopy(load_results(four[0]))
        for r in doc["runs"]:
            r["status"] = "failed"
        bad.write_text(json.dumps(doc))
    out = gilbench("compare", *args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gilbench: error:"), out.stderr
    assert "Traceback" not in out.stderr
    if case == "out holds a sweep":
        assert sorted(p.name for p in Path(four[2]).iterdir()) == ["results.json"]


def test_each_axis_point_gets_a_row_that_names_it(tmp_path):
    # The gil-fraction axis runs the same (flavour, strategy, workers, size, chunks) at every
    # f: without the point, the table showed four identical-looking rows.
    from gilbench.compare import build_comparison
    from gilbench.report.compare import render_markdown

    points = [dict(run("cython-mixed", "threads", 2, 0.005 * (1 + f)), axis="gil-fraction",
                   axis_value=f) for f in (0.0, 0.5)]
    paths = []
    for name, version in (("a", "3.11.7"), ("b", "3.13.5")):
        doc = sweep(machine(version), 1.0, 0.9, extra_runs=points)
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(doc))
        paths.append(tmp_path / name)
    comparison = build_comparison(load_inputs(paths))
    md = render_markdown(comparison, [], {})
    assert "| cython-mixed | threads {gil-fraction 0.0} |" in md
    assert "| cython-mixed | threads {gil-fraction 0.5} |" in md
