"""pytest-benchmark both ways: its JSON rendered as a gilbench report, and gilbench
results exported so that pytest-benchmark's own ``compare`` command lists every run."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gilbench.analysis import analyse, load_findings
from gilbench.cli import main
from gilbench.gilprobe import gil_enabled
from gilbench.pytest_benchmark import benchmark_name, from_results, load_document
from gilbench.results import load_results

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "docs" / "results" / "2cpu-xeon-quick" / "results.json"


def gilbench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gilbench", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "COLUMNS": "200"})


def compare_command() -> list[str]:
    """pytest-benchmark's own command line (its console script, as a user types it)."""
    for name in ("pytest-benchmark", "py.test-benchmark"):
        script = Path(sys.executable).parent / name
        if script.exists():
            return [str(script)]
    return [sys.executable, "-m", "pytest_benchmark"]


@pytest.fixture(scope="module")
def suite_json(tmp_path_factory) -> Path:
    """The benchmark suite for mandelbrot (python and cython-nogil, every strategy), at the
    kernel's test size, written with --benchmark-json exactly as the README says."""
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks", "--benchmark-only",
         "--benchmark-json", str(out), "-k", "test_mandelbrot and (python- or cython-nogil-)",
         "-q", "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "GILBENCH_BENCH_PROFILE": "test"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


def test_the_suite_records_what_the_analysis_needs(suite_json):
    raw = json.loads(suite_json.read_text())
    assert raw["machine_info"]["gilbench"]["copy_bandwidth_gbs"] > 0
    assert raw["gilbench"]["settings"]["strategies"]["processes"]["uses_processes"] is True
    doc = load_document(suite_json)
    runs = doc["runs"]
    combos = {(r["flavour"], r["strategy"], r["workers"]) for r in runs}
    assert {("python", "serial", 1), ("cython-nogil", "threads", 2),
            ("cython-nogil", "processes", 2)} <= combos
    for r in runs:
        assert r["status"] == "ok" and r["verified"] is True, r
        assert len(r["wall_s"]) == 5 and r["median_s"] > 0
        assert r["cpu_s"] > 0 and r["first_s"] > 0 and r["warmup"] >= 1
        if r["strategy"] != "serial":
            assert r["startup_s"] > 0, r
    # The probe reads "no GIL" (None) where a free-threaded build runs without one.
    assert any(r["gil_availability"] is not None for r in runs) == gil_enabled()


def test_report_renders_a_pytest_benchmark_file_like_a_sweep(suite_json, tmp_path):
    out = gilbench("report", str(suite_json), "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    findings = load_findings(tmp_path)
    # The same engine, on the converted document, as for a sweep.
    assert [f.sentence for f in findings] == \
        [f.sentence for f in analyse(load_document(suite_json)).findings]
    kinds = {f.kind: f for f in findings}
    assert {"threads-vs-processes", "gil-serialises", "one-gil-per-process",
            "compiled-vs-python"} <= set(kinds)
    # Figures the suite had to record: CPU (CPU/wall), start-up and the cold first call.
    assert kinds["gil-serialises"].figure("cpu_per_wall") is not None
    assert "n/a" not in kinds["threads-vs-processes"].sentence
    report = (tmp_path / "report.md").read_text()
    assert "## mandelbrot" in report
    for finding in findings:
        assert finding.sentence in report
    assert (tmp_path / "mandelbrot.png").stat().st_size > 1000


def test_a_pytest_benchmark_file_without_run_fields_is_one_line_exit_2(tmp_path, capsys):
    foreign = {"machine_info": {"node": "x"}, "commit_info": {}, "datetime": "2026-01-01",
               "version": "5.1.0", "benchmarks": [
                   {"group": None, "name": "test_sort", "fullname": "t.py::test_sort",
                    "extra_info": {"kernel": "sort"},
                    "stats": {"min": 1.0, "median": 1.0, "data": [1.0]}}]}
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(foreign))
    assert main(["report", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "'t.py::test_sort'" in err and "flavour, strategy, workers, size, chunks" in err


def compare_rows(exported: Path, cwd: Path) -> tuple[list[dict], str]:
    """Run ``pytest-benchmark compare`` on ``exported``: (its CSV rows, its terminal table)."""
    out = subprocess.run([*compare_command(), "compare", str(exported), "--csv",
                          str(cwd / "compared"), "--columns", "min,median,rounds"],
                         cwd=cwd, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COLUMNS": "250"})
    assert out.returncode == 0, out.stderr
    assert "Failed to load" not in out.stdout + out.stderr, out.stdout + out.stderr
    (written,) = cwd.glob("compared*.csv")
    with written.open() as fh:
        return list(csv.DictReader(fh)), out.stdout


def test_export_round_trip_compare_lists_every_run(tmp_path):
    doc = load_results(COMMITTED)
    ok = [r for r in doc["runs"] if r["status"] == "ok"]
    exported = tmp_path / "exported.json"
    assert main(["export", "--format", "pytest-benchmark", str(exported),
                 str(COMMITTED)]) == 0
    rows, table = compare_rows(exported, tmp_path)
    # pytest-benchmark's own command read the file and lists every run, once.
    assert len(rows) == len(ok) == len(doc["runs"]) > 100
    # (compare names a benchmark by its fullname: gilbench::<kernel>[<run>])
    by_name = {f"gilbench::{benchmark_name(r)[0]}": r for r in ok}
    assert sorted(row["name"] for row in rows) == sorted(by_name)
    for row in rows:
        run = by_name[row["name"]]
        assert float(row["median"]) == pytest.approx(run["median_s"])
        assert int(row["rounds"]) == len(run["wall_s"])
        assert benchmark_name(run)[0] in table  # the table shows the short name
    # Back again: the exported file renders the same findings as the original.
    assert [f.sentence for f in analyse(load_document(exported)).findings] == \
        [f.sentence for f in analyse(doc).findings]


def test_export_leaves_out_failed_runs_and_says_so(tmp_path, capsys):
    doc = load_results(COMMITTED)
    doc["runs"][3] = {**doc["runs"][3], "status": "failed", "error": "boom", "wall_s": [],
                      "median_s": None}
    source = tmp_path / "results.json"
    source.write_text(json.dumps(doc))
    exported = tmp_path / "out" / "exported.json"
    assert main(["export", "--format", "pytest-benchmark", str(exported), str(source)]) == 0
    assert "left out 1 failed run" in capsys.readouterr().err
    assert len(json.loads(exported.read_text())["benchmarks"]) == len(doc["runs"]) - 1


@pytest.mark.parametrize("case", ["no-results", "out-is-a-folder", "bad-format"])
def test_export_bad_input_is_one_line_exit_2(case, tmp_path, capsys):
    argv = {"no-results": ["--format", "pytest-benchmark", str(tmp_path / "o.json"),
                           str(tmp_path / "missing.json")],
            "out-is-a-folder": ["--format", "pytest-benchmark", str(tmp_path), str(COMMITTED)],
            "bad-format": ["--format", "asv", str(tmp_path / "o.json"), str(COMMITTED)]}[case]
    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err


def test_from_results_without_pytest_benchmark_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pytest_benchmark", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "pytest_benchmark.stats", None)
    with pytest.raises(ValueError, match="pip install pytest-benchmark"):
        from_results(load_results(COMMITTED))


def test_the_benchmarks_do_not_time_or_verify_with_their_own_code():
    """One harness: the suites execute, warm up, verify and probe through
    gilbench.harness.prepare, and leave the timing loop to pytest-benchmark."""
    text = (REPO / "benchmarks" / "conftest.py").read_text()
    assert "prepare(" in text and ".warm_up(" in text and ".verify(" in text
    for own in ("execute(kernel", "kernel.compare(", "strategy.open(", "perf_counter() -"):
        assert own not in text, own
