"""Long sweeps: ``gilbench run --resume DIR`` continues an interrupted sweep without
repeating a finished run, refuses another plan or machine, and the progress bar's ETA."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gilbench.analysis import run_id
from gilbench.cli import main
from gilbench.eta import RunTimes, format_eta
from gilbench.harness import RunSpec
from gilbench.outdir import PREVIOUS_DIR
from gilbench.results import load_results
from gilbench.uncertainty import ADAPTIVE_FACTOR
from tests.conftest import shm_segments

SMALL = ["run", "--kernel", "mandelbrot", "--flavour", "cython-nogil", "--strategy",
         "serial,threads", "--workers", "2", "--size", "64", "--repeat", "2", "--no-plots"]


def gilbench(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gilbench", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def recorded(folder: Path) -> list[dict]:
    path = folder / "results.json"
    return json.loads(path.read_text())["runs"] if path.exists() else []


def test_an_interrupted_sweep_resumes_without_repeating_a_finished_run(tmp_path):
    out_dir = tmp_path / "res"
    before = shm_segments()
    proc = gilbench("run", "--kernel", "mandelbrot", "--flavour", "python,cython-nogil",
                    "--strategy", "serial,threads,processes", "--workers", "2", "--size", "150",
                    "--repeat", "20", "--out", str(out_dir), "--quiet")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not recorded(out_dir):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    doc = load_results(out_dir)
    kept = doc["runs"]
    plan = [run_id(spec) for spec in doc["settings"]["plan"]]
    assert 1 <= len(kept) < len(plan) == 6, "interrupt the sweep between its first and last run"

    resumed = gilbench("run", "--resume", str(out_dir))  # no sweep options: the recorded ones
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert f"{len(kept)} of {len(plan)} runs are recorded and kept, " \
           f"{len(plan) - len(kept)} to run" in err
    after = load_results(out_dir)
    ids = [run_id(r) for r in after["runs"]]
    # Every run of the plan once: the finished ones as they were, the others measured now.
    assert sorted(ids) == sorted(plan)
    assert after["runs"][:len(kept)] == kept
    new = ids[len(kept):]
    assert len(new) == len(plan) - len(kept) and not set(new) & {run_id(r) for r in kept}
    assert all(r["status"] == "ok" for r in after["runs"])
    assert len(after["settings"]["resumed"]) == 1
    assert after["created"] == doc["created"]
    # It continued the sweep in its folder: nothing was set aside.
    assert not (out_dir / PREVIOUS_DIR).exists()
    assert (out_dir / "report.md").is_file() and (out_dir / "findings.json").is_file()
    assert shm_segments() == before


AXIS = ["run", "--profile", "standard", "--axis", "gil-fraction", "--kernel", "mandelbrot",
        "--workers", "2", "--size", "48", "--no-plots", "--quiet"]


def test_an_axis_sweep_resumes_with_its_points_and_repeats(tmp_path, capsys):
    out_dir = tmp_path / "axis"
    assert main([*AXIS, "--out", str(out_dir)]) == 0
    path = out_dir / "results.json"
    doc = json.loads(path.read_text())
    plan = [run_id(spec) for spec in doc["settings"]["plan"]]
    assert len(plan) == 21 and {s["axis"] for s in doc["settings"]["plan"]} == {"gil-fraction"}
    # As an interrupted sweep leaves it: the first runs on disk, the rest missing.
    kept = doc["runs"][:8]
    doc["runs"] = kept
    path.write_text(json.dumps(doc))
    capsys.readouterr()

    assert main(["run", "--resume", str(out_dir), "--dry-run"]) == 0  # what is left
    assert "13 runs" in capsys.readouterr().out
    assert main(["run", "--resume", str(out_dir)]) == 0  # the recorded plan and settings
    after = load_results(out_dir)
    assert sorted(run_id(r) for r in after["runs"]) == sorted(plan)
    assert after["runs"][:8] == kept
    for run in after["runs"][8:]:
        assert run["status"] == "ok" and run["axis"] == "gil-fraction"
        # standard repeats 7 times; an axis run at most 5 unless --repeat says otherwise
        # (then more while its interval is wide, up to ADAPTIVE_FACTOR times as many)
        assert 5 <= len(run["wall_s"]) <= 5 * ADAPTIVE_FACTOR
        assert run["gil_availability"] is None
    assert "gil-fraction-threshold" in (out_dir / "findings.json").read_text()
    # The same options again make the recorded plan: accepted, nothing left to run.
    assert main([*AXIS, "--resume", str(out_dir)]) == 0
    assert main([*AXIS, "--axis", "granularity", "--resume", str(out_dir)]) == 2
    assert "the plan differs" in capsys.readouterr().err


@pytest.fixture
def finished(tmp_path) -> Path:
    out_dir = tmp_path / "res"
    assert main([*SMALL, "--out", str(out_dir), "--quiet"]) == 0
    return out_dir


def test_resuming_a_finished_sweep_runs_nothing(finished, capsys):
    runs = load_results(finished)["runs"]
    # The same sweep options may be given again: the plan they make is the recorded one.
    assert main([*SMALL, "--resume", str(finished)]) == 0
    assert f"{len(runs)} of {len(runs)} runs are recorded and kept, 0 to run" \
        in capsys.readouterr().err
    assert load_results(finished)["runs"] == runs


@pytest.mark.parametrize(("change", "says"), [
    (["--repeat", "3"], "repeats 3 differs from the recorded 2"),
    (["--size", "65"], "the plan differs from the recorded one"),
    (["--seed", "1"], "seed 1 differs from the recorded 0"),
])
def test_resume_refuses_another_plan(finished, change, says, capsys):
    runs = load_results(finished)["runs"]
    assert main([*SMALL, *change, "--resume", str(finished)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err, err
    assert load_results(finished)["runs"] == runs  # untouched


def test_resume_refuses_another_machine(finished, capsys):
    path = finished / "results.json"
    doc = json.loads(path.read_text())
    doc["machine"]["cpu_count"] += 1
    doc["runs"] = doc["runs"][:1]
    path.write_text(json.dumps(doc))
    assert main(["run", "--resume", str(finished)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "the machine differs from the recorded one (cpu_count:" in err
    assert len(recorded(finished)) == 1


@pytest.mark.parametrize("case", ["no-folder", "no-plan", "other-out"])
def test_resume_bad_input_is_one_line_exit_2(finished, case, tmp_path, capsys):
    argv = ["run", "--resume", str(finished)]
    if case == "no-folder":
        argv = ["run", "--resume", str(tmp_path / "nowhere")]
    elif case == "no-plan":  # written before sweeps recorded their plan
        doc = json.loads((finished / "results.json").read_text())
        del doc["settings"]["plan"]
        (finished / "results.json").write_text(json.dumps(doc))
    else:
        argv += ["--out", str(tmp_path / "elsewhere")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert {"no-folder": "no results.json there", "no-plan": "records no plan",
            "other-out": "names another folder"}[case] in err


def test_the_progress_bar_shows_an_eta(tmp_path):
    proc = gilbench(*SMALL, "--out", str(tmp_path / "res"),
                    env={**os.environ, "COLUMNS": "200"})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "ETA 0:00" in err  # learned from the runs so far; none left at the end


def spec(kernel="k", flavour="python", strategy="serial", size=100, workers=1) -> RunSpec:
    return RunSpec(kernel, flavour, strategy, workers, size, 4)


def test_run_times_predict_from_the_most_similar_finished_runs():
    times = RunTimes()
    assert times.remaining_s([spec()]) is None  # nothing learned yet
    times.observe(spec(flavour="python"), 4.0)
    times.observe(spec(flavour="python", strategy="threads", workers=2), 2.0)
    times.observe(spec(flavour="cython"), 0.1)
    assert times.predict(spec(flavour="python")) == 4.0  # same kernel/flavour/strategy/size
    assert times.predict(spec(flavour="python", strategy="processes")) == 3.0  # same flavour
    assert times.predict(spec(flavour="cython", size=200)) == 0.1  # same kernel and flavour
    assert times.predict(spec(flavour="numba")) == pytest.approx(6.1 / 3)  # same kernel
    assert times.predict(spec(kernel="other")) == pytest.approx(6.1 / 3)  # any run
    assert times.remaining_s([spec(flavour="python"), spec(flavour="cython")]) == 4.1
    times.observe(spec(), None)  # a run that recorded no time teaches nothing
    assert times.predict(spec()) == 4.0


def test_run_times_learn_from_a_results_document():
    times = RunTimes()
    times.observe_recorded([{"kernel": "k", "flavour": "python", "strategy": "serial",
                             "workers": 1, "size": 100, "chunks": 4, "elapsed_s": 2.5},
                            {"kernel": "k", "flavour": "python", "strategy": "serial",
                             "workers": 1, "size": 100, "chunks": 4, "status": "failed"}])
    assert times.predict(spec()) == 2.5


@pytest.mark.parametrize(("seconds", "text"), [(None, "ETA ?"), (0.4, "ETA 0:00"),
                                               (65, "ETA 1:05"), (3725, "ETA 1:02:05")])
def test_format_eta(seconds, text):
    assert format_eta(seconds) == text
