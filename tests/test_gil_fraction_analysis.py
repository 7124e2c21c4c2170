"""The gil-fraction finder, table and plot, on synthetic documents (traits, not names)."""

from __future__ import annotations

import pytest

from gilbench.analysis import analyse, run_id
from gilbench.axes.gilfraction.findings import amdahl, fraction_curves
from gilbench.axes.gilfraction.plot import gil_fraction_section
from gilbench.kernels.gilshare import GIL_FRACTIONS
from gilbench.report import render_report
from gilbench.report.markdown import ReportContext

GRID = GIL_FRACTIONS
SETTINGS = {
    "flavours": {
        "dial": {"gil": "partial", "parallel_inside": False, "tunable_gil_share": True},
        "plainc": {"gil": "releases", "parallel_inside": False},
    },
    "strategies": {
        "one-by-one": {"single_worker": True},
        "lanes": {"uses_threads": True},
        "forked-crew": {"uses_processes": True},
    },
}
MACHINE = {"gil": {"switch_interval_s": 0.005}, "usable_cores": 2}


def run(strategy, f, median, *, flavour="dial", workers=2, **extra):
    return {"kernel": "toy", "flavour": flavour, "strategy": strategy, "workers": workers,
            "size": 100, "chunks": 8, "wall_s": [median], "median_s": median,
            "cpu_s": median, "startup_s": None, "gil_availability": None, "verified": True,
            "axis": "gil-fraction", "axis_value": f, "extra": extra}


def handoffs(f, wait_s=0.0, release_s=0.0, preempted_s=0.0):
    """What a mixed chunk reports: 0.5 s of compute, held for a share f, 100 stretches;
    the chunks' wall time adds the hand-offs and the time other work took the CPU."""
    held, free = 0.5 * f, 0.5 * (1 - f)
    return {"gil_held_s": held, "gil_free_s": free, "gil_wait_s": wait_s,
            "gil_release_s": release_s, "gil_reacquires": 100 if f < 1 else 0,
            "gil_held_stretches": 100 if f > 0 else 0, "gil_longest_held_s": 20e-6,
            "held_share_time": f, "held_share_work": f,
            "chunk_wall_s": 0.5 + wait_s + release_s + preempted_s, "chunk_cpu_s": 0.5}


def document(threads_speedups, processes_speedup=2.0, thread_extra=None):
    runs = []
    for f, speedup in zip(GRID, threads_speedups, strict=True):
        runs += [run("one-by-one", f, 1.0, workers=1, **handoffs(f)),
                 run("forked-crew", f, 1.0 / processes_speedup, **handoffs(f)),
                 run("lanes", f, 1.0 / speedup,
                     **handoffs(f, **(thread_extra or {}).get(f, {})))]
    return {"schema": 1, "machine": MACHINE, "settings": SETTINGS, "runs": runs}


CURVE = (2.0, 1.98, 1.93, 1.85, 1.4, 1.2, 0.9)


def threshold(doc):
    (finding,) = [f for f in analyse(doc).findings if f.kind == "gil-fraction-threshold"]
    return finding


def test_threshold_is_the_last_f_where_threads_keep_95_percent_of_processes():
    f = threshold(document(CURVE))
    assert f.verdict == "threshold"
    assert f.figure("threshold_f") == 0.05 and f.figure("first_below_f") == 0.1
    # ratios 0.965 at 0.05 and 0.925 at 0.1: 95% is crossed 3/8 of the way.
    assert f.figure("interpolated_f") == pytest.approx(0.05 + 0.375 * 0.05)
    # The sentence states the interpolated threshold and the last point; the gap to
    # Amdahl is explained in the finding's detail, so the sentence fits a table cell.
    assert "up to f = 0.07" in f.sentence and "at f = 1: 0.90x against 2.00x" in f.sentence
    assert len(f.sentence) <= 250
    assert run_id(run("lanes", 0.25, 0)) in f.runs
    assert run_id(run("forked-crew", 0.25, 0)) in f.runs
    assert dict(f.context)["axis"] == "gil-fraction"


def test_a_later_point_back_above_95_percent_does_not_extend_the_threshold():
    f = threshold(document((2.0, 1.98, 1.8, 1.95, 1.4, 1.1, 0.9)))
    assert f.figure("threshold_f") == 0.01 and f.figure("first_below_f") == 0.05


def test_never_and_always():
    never = threshold(document((1.5,) * 7))
    assert never.verdict == "never" and never.figure("threshold_f") is None
    always = threshold(document((2.0,) * 7))
    assert always.verdict == "always" and always.figure("threshold_f") == 1.0


def test_the_gap_to_amdahl_is_explained_from_the_measured_handoffs():
    # At f = 0.25 threads (1.4x) fall furthest below Amdahl (1.6x); their chunks report
    # 0.3 s of waiting and 0.1 s of giving the GIL up over 100 re-acquires.
    f = threshold(document(CURVE, thread_extra={0.25: {"wait_s": 0.3, "release_s": 0.1}}))
    assert f.figure("explained_f") == 0.25
    assert f.figure("explained_amdahl") == pytest.approx(amdahl(0.25, 2))
    thread_time = 2 / 1.4
    assert f.figure("handoff_share") == pytest.approx(0.4 / thread_time)
    assert f.figure("compute_share") == pytest.approx(0.5 / thread_time)
    assert f.figure("preempted_share") == 0
    assert f.figure("outside_share") == pytest.approx(1 - 0.9 / thread_time)
    assert f.figure("wait_per_reacquire") == pytest.approx(3e-3)
    assert f.figure("release_per_handoff") == pytest.approx(1e-3)
    assert f.figure("held_stretch") == pytest.approx(0.125 / 100)
    # Without the hand-off time each thread's share of the wall shrinks by 0.4 / 2.
    assert f.figure("speedup_without_handoffs") == pytest.approx(1 / (1 / 1.4 - 0.2))
    assert f.figure("switch_interval") == 0.005
    assert "hand-offs took 28% of the threads' time" in f.detail
    assert "under the 5 ms switch interval" in f.detail
    assert "Caution" not in f.detail


def test_time_taken_by_other_work_is_told_apart_from_handoffs():
    extra = {0.25: {"wait_s": 0.3, "release_s": 0.1, "preempted_s": 0.04}}
    f = threshold(document(CURVE, thread_extra=extra))
    thread_time = 2 / 1.4
    assert f.figure("handoff_share") == pytest.approx(0.4 / thread_time)
    assert f.figure("preempted_share") == pytest.approx(0.04 / thread_time)
    # 0.04 s of 0.94 s in the chunks: under the 5% that makes a run "busy".
    assert f.figure("busiest_off_cpu_share") is None and "Caution" not in f.detail


def test_flavours_without_a_tunable_share_are_not_curves():
    doc = document(CURVE)
    for r in doc["runs"]:
        r["flavour"] = "plainc"
    assert not [f for f in analyse(doc).findings if f.kind == "gil-fraction-threshold"]


def test_the_table_has_one_row_per_f_with_amdahl_and_both_pools():
    doc = document(CURVE, thread_extra={0.25: {"wait_s": 0.3, "release_s": 0.1}})
    a = analyse(doc)
    (curve,) = fraction_curves(a.kernels[0])
    assert [p.f for p in curve.points] == list(GRID)
    lines = gil_fraction_section(ReportContext(a, doc))
    row = next(line for line in lines if line.startswith("| 0.25 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:7] == ["0.25", "25.0%", "1.40x", "1.60x", "1.60x", "2.00x", "0.70"]
    assert cells[7:] == ["100", "3000.0 µs", "1000.0 µs", "28.0%", "0.0%"]
    assert any("Cutting the held share from f = 0.25 to 0.05" in line for line in lines)
    assert any("waited 3000.0 µs on average at worst (f = 0.25, 1 other" in line
               for line in lines)


def test_the_report_draws_the_curve(tmp_path):
    doc = document(CURVE)
    md = render_report(doc, tmp_path).read_text()
    png = "toy-gil-fraction-dial-100-8.png"
    assert (tmp_path / png).stat().st_size > 10_000
    assert f"]({png})" in md and "## GIL fraction" in md


def test_a_free_threaded_interpreter_is_named_as_the_reason():
    doc = document((2.0,) * 7)
    for r in doc["runs"]:
        r["gil_enabled"] = False
    f = threshold(doc)
    assert f.verdict == "always" and f.figure("gil_enabled") is False
    assert "free-threaded build" in f.detail
    assert "free-threaded" not in threshold(document((2.0,) * 7)).sentence


def test_the_explanation_prefers_a_point_other_work_left_alone():
    # f = 0.25 has the widest gap but other work took 30% of its chunks' time: the next
    # widest gap, at f = 0.5 (1.2x against 1.33x), is explained instead.
    extra = {0.25: {"preempted_s": 0.3}}
    f = threshold(document(CURVE, thread_extra=extra))
    assert f.figure("explained_f") == 0.5
    assert f.figure("busiest_off_cpu_share") == pytest.approx(0.3 / 0.8)
    assert "Caution: other work took the CPU for 38% of the chunk time" in f.detail
    assert "axis_value" not in f.detail  # a run is named in words, not by its id
