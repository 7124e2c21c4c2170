"""Findings on subinterpreters and library executors, from traits alone (synthetic docs)."""

from __future__ import annotations

import pytest

from gilbench.analysis import analyse

SETTINGS = {
    "flavours": {
        "slowpy": {"gil": "holds", "parallel_inside": False, "interpreted": True},
        "fastc": {"gil": "releases", "parallel_inside": False},
    },
    "strategies": {
        "one-by-one": {"single_worker": True},
        "lanes": {"uses_threads": True},
        "forked-crew": {"uses_processes": True},
        "rooms": {"uses_threads": True, "own_gil_per_worker": True},
        "hired-lanes": {"uses_threads": True, "library": "acme"},
        "hired-crew": {"uses_processes": True, "ships_inputs": True, "ships_outputs": True,
                       "library": "acme"},
    },
}


def run(flavour, strategy, workers, median, *, chunks=4, **extra):
    return {"kernel": "toy", "flavour": flavour, "strategy": strategy, "workers": workers,
            "size": 100, "chunks": chunks, "wall_s": [median], "median_s": median,
            "cpu_s": median, "startup_s": extra.pop("startup_s", None),
            "gil_availability": None, "verified": True, **extra}


def analysed(*runs):
    return analyse({"schema": 1, "machine": {}, "settings": SETTINGS, "runs": list(runs)})


def kinds(analysis, kind):
    return [f for f in analysis.findings if f.kind == kind]


def test_own_gil_workers_are_not_a_thread_pool_sharing_one_gil():
    a = analysed(run("slowpy", "one-by-one", 1, 1.0), run("slowpy", "lanes", 2, 1.0),
                 run("slowpy", "rooms", 2, 0.52, startup_s=0.09),
                 run("slowpy", "forked-crew", 2, 0.55, startup_s=0.03))
    # The GIL finding judges the thread pool, not the interpreters.
    assert [f.figure("speedup") for f in kinds(a, "gil-serialises")] == [pytest.approx(1.0)]
    (f,) = kinds(a, "subinterpreters")
    assert f.verdict == "scales"
    assert f.figure("speedup") == pytest.approx(1 / 0.52)
    assert f.figure("threads_speedup") == pytest.approx(1.0)
    assert f.figure("processes_speedup") == pytest.approx(1 / 0.55)
    assert "holds the GIL run in parallel" in f.sentence and "rooms" in f.sentence


def test_subinterpreters_that_do_not_spread_are_called_so():
    a = analysed(run("slowpy", "one-by-one", 1, 1.0), run("slowpy", "rooms", 2, 0.98))
    (f,) = kinds(a, "subinterpreters")
    assert f.verdict == "serialised"


def test_a_library_executor_is_set_against_the_standard_pool_of_its_kind():
    a = analysed(run("fastc", "one-by-one", 1, 1.0, chunks=100),
                 run("fastc", "lanes", 2, 0.01, chunks=100, startup_s=0.001),
                 run("fastc", "forked-crew", 2, 0.03, chunks=100, startup_s=0.05),
                 run("fastc", "hired-lanes", 2, 0.05, chunks=100, startup_s=0.02),
                 run("fastc", "hired-crew", 2, 0.2, chunks=100, startup_s=2.0,
                     extra={"tasks": 100}))
    found = {f.figure("reference"): f for f in kinds(a, "distributed-overhead")}
    assert set(found) == {"lanes", "forked-crew"}
    crew = found["forked-crew"]
    assert crew.figure("library") == "acme"
    assert crew.figure("per_task") == pytest.approx(0.2 / 100)
    assert crew.figure("overhead_per_task") == pytest.approx((0.2 - 0.03) / 100)
    assert "hired-crew (acme): 2.00 ms per task" in crew.sentence
    assert found["lanes"].figure("overhead_per_task") == pytest.approx((0.05 - 0.01) / 100)
    # Its copying is the scheduler's business here, not a copy-cost finding of its own.
    assert not kinds(a, "copy-cost")


def test_per_task_counts_every_phase_recorded_by_the_harness():
    a = analysed(run("fastc", "forked-crew", 2, 0.04, extra={"tasks": 16}),
                 run("fastc", "hired-crew", 2, 0.08, extra={"tasks": 16}))
    (f,) = kinds(a, "distributed-overhead")
    assert f.figure("tasks") == 16 and f.figure("per_task") == pytest.approx(0.005)
