"""--dry-run and its cost model; a tiny real --axis granularity run through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gilbench.analysis import load_findings
from gilbench.calibration import REFERENCE_SERIAL, power_law, reference_seconds
from gilbench.cli import main
from gilbench.estimate import CostModel
from gilbench.harness import RunSpec
from gilbench.plan import build_plan
from gilbench.results import load_results, run_id

REFERENCE_RESULTS = Path(__file__).parent.parent / "docs" / "results"


def test_reference_calibration_is_what_the_committed_results_measured():
    """REFERENCE_SERIAL must be re-derivable from the reference sweeps it cites."""
    derived: dict[str, dict[str, dict[int, float]]] = {}
    for profile in ("quick", "standard"):
        doc = json.loads((REFERENCE_RESULTS / f"2cpu-epyc-{profile}" / "results.json")
                         .read_text())
        for r in doc["runs"]:
            # The plain sweep's serial runs (an axis re-chunks or re-parametrises them).
            if r["strategy"] == "serial" and r.get("status", "ok") == "ok" \
                    and r.get("axis") in (None, "workers"):
                derived.setdefault(r["kernel"], {}).setdefault(r["flavour"], {})[r["size"]] = \
                    r["median_s"]
    assert set(derived) == set(REFERENCE_SERIAL)
    for kernel, flavours in REFERENCE_SERIAL.items():
        assert set(flavours) == set(derived[kernel]), kernel
        for flavour, points in flavours.items():
            for size, seconds in points:
                assert seconds == pytest.approx(derived[kernel][flavour][size], rel=1e-3)


def test_power_law_goes_through_both_points():
    points = ((256, 0.01), (640, 0.0625))
    assert power_law(points, 256) == pytest.approx(0.01)
    assert power_law(points, 640) == pytest.approx(0.0625)
    assert power_law(points, 512) == pytest.approx(0.04)  # exponent 2: mandelbrot's pixels
    assert reference_seconds("mandelbrot", "cython-nogil", 512) == pytest.approx(
        4 * 0.008725, rel=0.02)
    assert reference_seconds("user-kernel", "python", 10) is None


def test_model_counts_executions_and_parallelism():
    model = CostModel(cores=2)
    serial = RunSpec("mandelbrot", "cython-nogil", "serial", 1, 512, 4)
    threads = RunSpec("mandelbrot", "cython-nogil", "threads", 2, 512, 4)
    held = RunSpec("mandelbrot", "cython-gil", "threads", 2, 512, 4)
    t = model.execution_s(serial)
    assert model.execution_s(threads) == pytest.approx(t / 2, rel=0.05)
    assert model.execution_s(held) == pytest.approx(t, rel=0.05)  # the GIL serialises it
    run = model.run_s(serial, repeats=5, warmup=1, warmup_s=0.1)
    # at least the warm-up time, five repeats and one probe execution
    assert run >= 0.1 + 6 * t


def test_earlier_results_in_the_folder_are_used_run_for_run():
    spec = RunSpec("mandelbrot", "cython-nogil", "serial", 1, 256, 4)
    ref = reference_seconds("mandelbrot", "cython-nogil", 256)
    doc = {"machine": {}, "runs": [{**{k: getattr(spec, k) for k in (
        "kernel", "flavour", "strategy", "workers", "size", "chunks")},
        "median_s": 2 * ref, "elapsed_s": 1.234, "status": "ok"}]}
    model = CostModel.from_results(doc, "earlier")
    assert model.machine_scale == pytest.approx(2.0)  # this machine: half the speed
    assert model.run_s(spec, repeats=5, warmup=1, warmup_s=0.1) == 1.234
    other = RunSpec("mandelbrot", "cython-nogil", "serial", 1, 512, 4)
    assert model.serial_s(other) == pytest.approx(2 * reference_seconds(
        "mandelbrot", "cython-nogil", 512))
    estimate = model.estimate([spec, other], repeats=5, warmup=1, warmup_s=0.1)
    assert (estimate.measured, estimate.modelled, estimate.unknown) == (1, 1, 0)
    assert run_id(doc["runs"][0]) == spec.label


def test_dry_run_prints_groups_and_an_estimate_and_runs_nothing(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", "--kernel", "mandelbrot,reduction", "--axis", "granularity,payload",
                 "--dry-run", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    plan = build_plan("quick", kernels=["mandelbrot", "reduction"],
                      axes=["granularity", "payload"])
    assert f"{len(plan.specs)} runs, about " in text
    for words in ("Planned runs", "nothing was run", "granularity", "payload", "serial",
                  "threads", "processes-pickle", "mandelbrot", "reduction", "modelled"):
        assert words in text, words
    assert not out.exists()  # the output folder is not even created


def test_dry_run_refuses_bad_input_like_a_run(tmp_path, capsys):
    assert main(["run", "--axis", "granularity,warp", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown axis 'warp'" in err


def test_a_tiny_granularity_run_through_the_cli(tmp_path):
    """--axis composes with the filters; the runs, the empty-task costs, the finding, the
    plot and the When section all come out of one real run."""
    out = tmp_path / "res"
    code = main(["run", "--kernel", "mandelbrot", "--flavour", "cython-nogil", "--axis",
                 "granularity", "--size", "64", "--chunks", "2,16,128", "--workers", "2",
                 "--repeat", "2", "--out", str(out), "--quiet"])
    assert code == 0
    doc = load_results(out)
    runs = doc["runs"]
    assert {r["axis"] for r in runs} == {"granularity"}
    assert {r["chunks"] for r in runs} == {2, 16, 128}
    assert {r["strategy"] for r in runs} == {"serial", "threads", "processes"}
    assert all(r["verified"] and r["tasks"] == r["chunks"] for r in runs)
    dispatch = doc["machine"]["granularity"]["dispatch"]
    assert set(dispatch) == {"serial", "threads", "processes"}
    assert dispatch["processes"]["2"]["per_task_s"] > 0
    (finding,) = [f for f in load_findings(out) if f.kind == "granularity-crossover"]
    assert len(finding.runs) == 9
    # 2 to 128 tasks of the same work: durations 64x apart, give or take the noise of
    # two serial medians on a shared machine.
    assert 16 < finding.figure("longest_task") / finding.figure("shortest_task") < 256
    report = (out / "report.md").read_text()
    assert report.index("## When do GIL-free threads rival") < report.index("## mandelbrot")
    assert (out / "mandelbrot-granularity.png").stat().st_size > 1000


def test_model_knows_every_registered_strategy_and_skips_unknown_ones():
    from gilbench.strategies import STRATEGIES

    model = CostModel(cores=2)
    plain = model.run_s(RunSpec("mandelbrot", "cython-nogil", "processes", 2, 256, 4),
                        repeats=5, warmup=1, warmup_s=0.1)
    for name, strategy in STRATEGIES.items():
        flavour = "cython-prange" if strategy.drives_parallel_flavours else "cython-nogil"
        spec = RunSpec("mandelbrot", flavour, name, 2, 256, 4)
        seconds = model.run_s(spec, repeats=5, warmup=1, warmup_s=0.1)
        assert seconds is not None and seconds > 0, name
        if strategy.library and strategy.uses_processes:  # a cluster or a loky pool
            assert seconds > plain + 0.1, name
    # A strategy this gilbench does not know (a plugin's, in older results): counted, left
    # out of the total, no crash.
    estimate = model.estimate([RunSpec("mandelbrot", "cython-nogil", "teleport", 2, 256, 4)],
                              repeats=5, warmup=1, warmup_s=0.1)
    assert (estimate.unknown, estimate.per_spec) == (1, [None])


def test_interpreters_with_their_own_gil_run_gil_holding_code_in_parallel():
    model = CostModel(cores=2)
    serial = model.execution_s(RunSpec("mandelbrot", "python", "serial", 1, 256, 4))
    own = model.execution_s(RunSpec("mandelbrot", "python", "subinterpreters", 2, 256, 4))
    shared = model.execution_s(RunSpec("mandelbrot", "python", "threads", 2, 256, 4))
    assert own == pytest.approx(serial / 2, rel=0.05)
    assert shared == pytest.approx(serial, rel=0.05)
