"""Findings about strategies' machinery (gilbench.analysis.overhead), from synthetic
documents whose strategies exist only as recorded traits: roles come from traits and
recorded counters, never from names."""

from __future__ import annotations

import pytest

from gilbench.analysis import analyse
from tests.test_analysis import run

SETTINGS = {
    "flavours": {
        "fastc": {"gil": "releases", "parallel_inside": False},
        "slowpy": {"gil": "holds", "parallel_inside": False, "interpreted": True},
    },
    "strategies": {
        "one-by-one": {"single_worker": True},
        "lanes": {"uses_threads": True},
        "wires": {"uses_threads": True},
        "forked-crew": {"uses_processes": True, "ipc": "queue", "returns": "pickled"},
        "piped-crew": {"uses_processes": True, "ipc": "pipe", "returns": "pickled"},
        "postal-crew": {"uses_processes": True, "ipc": "proxy", "returns": "proxy"},
        "tally-crew": {"uses_processes": True, "ipc": "queue", "returns": "shared"},
    },
}


def doc(*runs):
    return {"schema": 1, "machine": {}, "settings": SETTINGS, "runs": list(runs)}


def found(runs, kind):
    return [f for f in analyse(doc(*runs)).findings if f.kind == kind]


BASE = [run("fastc", "one-by-one", 1, 1.0)]


def noisy(r, *walls):
    """``r`` with repeats ``walls`` (its median's interval spans them)."""
    return {**r, "wall_s": list(walls)}


def test_thread_strategies_whose_intervals_overlap_tie():
    (f,) = found(BASE + [noisy(run("fastc", "lanes", 2, 0.50), 0.48, 0.49, 0.50, 0.51, 0.53),
                         noisy(run("fastc", "wires", 2, 0.51), 0.50, 0.50, 0.51, 0.52, 0.52)],
                 "strategy-overhead")
    assert f.verdict == "tie" and f.figure("fastest") == "lanes"
    assert "Thread strategies on fastc, 2 workers: all 2 within noise" in f.sentence
    assert f.figure("spread") == pytest.approx(0.02)


def test_a_place_is_claimed_only_where_the_intervals_separate():
    # 0.50 against 0.51 is 2% apart, but with repeats that never overlap it is a place.
    (f,) = found(BASE + [noisy(run("fastc", "lanes", 2, 0.50), 0.499, 0.50, 0.501),
                         noisy(run("fastc", "wires", 2, 0.51), 0.509, 0.51, 0.511)],
                 "strategy-overhead")
    assert f.verdict == "spread" and f.figure("tier_wires") == 2


def test_the_slowest_process_strategy_is_named_with_what_it_pays():
    (f,) = found(BASE + [run("fastc", "forked-crew", 2, 0.55),
                         run("fastc", "piped-crew", 2, 0.50),
                         run("fastc", "postal-crew", 2, 0.80)], "strategy-overhead")
    assert f.verdict == "spread" and f.figure("slowest") == "postal-crew"
    assert "the slowest, postal-crew, takes 300 ms more per execution" in f.sentence
    # Families are compared apart: threads are not in a process finding.
    assert all("lanes" not in r for r in f.runs)


def test_gil_free_flavours_speak_for_a_family():
    (f,) = found(BASE + [run("slowpy", "lanes", 2, 2.0), run("slowpy", "wires", 2, 3.0),
                         run("fastc", "lanes", 2, 0.5), run("fastc", "wires", 2, 0.6)],
                 "strategy-overhead")
    assert f.figure("flavour") == "fastc"


def test_proxy_round_trips_are_priced_against_a_strategy_without_proxies():
    (f,) = found(BASE + [run("fastc", "piped-crew", 2, 0.50),
                         run("fastc", "postal-crew", 2, 0.52,
                             extra={"proxy_round_trips": 22.0})], "proxy-cost")
    assert f.figure("baseline") == "piped-crew" and f.figure("round_trips") == 22
    assert f.figure("per_round_trip") == pytest.approx(0.02 / 22)
    assert "22 proxy round trips per execution" in f.sentence and "per round trip" in f.sentence


def test_lock_waits_of_a_shared_value_say_whether_it_is_contended():
    quiet, busy = (found(BASE + [run("fastc", "tally-crew", 2, 0.5,
                                     extra={"value_updates": 8.0, "lock_wait_s": wait})],
                         "shared-lock")[0] for wait in (1e-6, 0.05))
    assert quiet.verdict == "uncontended" and busy.verdict == "contended"
    assert busy.figure("share") == pytest.approx(0.1)


def test_start_methods_compare_start_up_and_warm_speed():
    runs = BASE + [{**run("fastc", "forked-crew", 2, t, startup_s=s), "start_method": m,
                    "extra": {"forkserver_started": m == "forkserver"}}
                   for m, s, t in (("fork", 0.02, 0.50), ("spawn", 0.40, 0.51),
                                   ("forkserver", 0.20, 0.50))]
    (f,) = found(runs, "start-method")
    assert f.verdict == "fork"
    assert f.figure("startup_spawn") == pytest.approx(0.40)
    assert "fork 20.0 ms, forkserver 200 ms (starting its server included), spawn 400 ms" \
        in f.sentence
    assert "within 2% of each other" in f.sentence


def test_one_start_method_makes_no_start_method_finding():
    assert not found(BASE + [{**run("fastc", "forked-crew", 2, 0.5, startup_s=0.02),
                              "start_method": "fork"}], "start-method")


def test_plot_markers_come_from_how_data_travels():
    from gilbench.analysis import Traits
    from gilbench.report.plots import strategy_style

    traits = Traits.from_settings(SETTINGS)
    assert strategy_style(traits, "lanes") == ("-", "o")
    assert {name: strategy_style(traits, name)[1] for name in
            ("forked-crew", "piped-crew", "postal-crew", "tally-crew")} == \
        {"forked-crew": "s", "piped-crew": "v", "postal-crew": "P", "tally-crew": "D"}
