"""gilbench advise: its parts (target, model, recommendation, rendering) and real advice
on small functions: a ctypes call that releases the GIL, a pure-Python loop."""

from __future__ import annotations

import json
import math

import pytest

from gilbench.advice import api, document, model, recommend
from gilbench.advice.costs import StrategyCosts
from gilbench.advice.profile import Profile, same, sample_indices
from gilbench.advice.target import BadAdviseInput, load_function, make_target
from gilbench.advice.verify import Measured
from gilbench.gilprobe import gil_enabled
from tests import advise_targets as targets

needs_gil = pytest.mark.skipif(not gil_enabled(), reason="reads a GIL this build runs without")


def profile(**kw) -> Profile:
    base = dict(items=100, sample=50, task_s=1e-3, task_low_s=1e-3, task_high_s=1e-3,
                task_mean_s=1e-3, cpu_share=1.0, gil_held_share=1.0, gil_method="GIL probe",
                gil_probe_share=1.0, gil_thread_share=1.0, bytes_in=20, bytes_out=20,
                pickle_s=2e-6, pickle_problem=None, subinterpreter_problem="n/a",
                deterministic=True)
    return Profile(**{**base, **kw})


COSTS = {name: StrategyCosts(strategy=name, workers=2, startup_s=start, per_task_s=task,
                             per_call_s=1e-4, per_byte_s=byte, source="measured")
         for name, start, task, byte in (("threads", 1e-3, 6e-6, 0.0),
                                         ("processes", 0.02, 8e-5, 1e-9),
                                         ("pool-map", 0.02, 3e-5, 1e-9))}


# -- target ------------------------------------------------------------------------------
@pytest.mark.parametrize(("fn", "items", "star", "words"), [
    ("not callable", [1], False, "fn must be callable"),
    (abs, [], False, "items is empty"),
    (abs, 42, False, "items must be an iterable"),
    (abs, "abc", False, "items must be an iterable"),
    (targets.add, [1, 2], True, "item 0 is not a tuple"),
])
def test_bad_targets_are_refused_with_what_was_got(fn, items, star, words):
    with pytest.raises(BadAdviseInput, match=words) as info:
        make_target(fn, items, star=star)
    assert "Got" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("spec", "words"), [
    ("no_colon", "must be MODULE:NAME"),
    ("gilbench_no_such_module:f", "does not import"),
    ("tests.advise_targets:nope", "has no 'nope'"),
    ("tests.advise_targets:NOT_CALLABLE", "is not callable"),
])
def test_bad_function_specs_say_what_is_wrong(spec, words):
    with pytest.raises(BadAdviseInput, match=words):
        load_function(spec)


def test_sample_indices_spread_over_the_items():
    assert sample_indices(5) == [0, 1, 2, 3, 4]
    picked = sample_indices(1000, 50)
    assert picked[0] == 0 and picked[-1] == 999 and len(picked) == 50


def test_results_compare_by_value_arrays_included():
    np = pytest.importorskip("numpy")
    assert same(np.arange(3), np.arange(3)) and not same(np.arange(3), np.zeros(3))
    assert same({"a": 1}, {"a": 1}) and not same([1], [2])


# -- model -------------------------------------------------------------------------------
def test_threads_follow_amdahl_with_the_gil_held_share():
    held = model.predict("threads", profile(gil_held_share=1.0), COSTS["threads"], n=100,
                         workers=2, calls=1)
    free = model.predict("threads", profile(gil_held_share=0.0), COSTS["threads"], n=100,
                         workers=2, calls=1)
    assert held.speedup < 1.0 < 1.8 < free.speedup < 2.0
    assert held.parts["work"] == pytest.approx(0.1)
    assert free.parts["work"] == pytest.approx(0.05)


def test_a_process_pools_start_up_is_amortised_over_calls():
    once = model.predict("processes", profile(), COSTS["processes"], n=20, workers=2, calls=1)
    often = model.predict("processes", profile(), COSTS["processes"], n=20, workers=2,
                          calls=100)
    assert once.speedup < 1.0 < often.speedup
    assert once.parts["startup"] == pytest.approx(100 * often.parts["startup"])


def test_short_tasks_get_a_batched_candidate_above_the_crossover():
    p = profile(task_s=5e-6, task_mean_s=5e-6, task_low_s=5e-6, task_high_s=5e-6)
    found = model.candidates(p, COSTS, n=2000, workers=2, calls=1)
    batched = [c for c in found if c.strategy == "processes" and c.chunksize > 1]
    assert batched, "no batched process candidate for 5 µs tasks"
    assert batched[0].chunksize * 5e-6 >= COSTS["processes"].per_task_s / model.OVERHEAD_SHARE
    assert found[0].strategy == "serial"  # 10 ms of work cannot pay a 20 ms start-up


def test_pool_maps_default_chunksize_is_multiprocessings():
    assert model.pool_map_chunksize(200, 2) == math.ceil(200 / 8)


# -- recommendation ----------------------------------------------------------------------
def measured(strategy, warm, spread=0.01, chunksize=1, startup=0.0):
    return Measured(strategy=strategy, workers=1 if strategy == "serial" else 2,
                    chunksize=chunksize, start_method=None, startup_s=startup, cold_s=warm,
                    warm_s=warm, warm_low_s=warm * (1 - spread), warm_high_s=warm * (1 + spread),
                    repeats=4, calls=1)


def table(ms):
    preds = [model.Prediction(strategy=m.strategy, workers=m.workers, chunksize=m.chunksize,
                              seconds=m.warm_s, speedup=1.0, parts={"work": m.warm_s})
             for m in ms]
    return recommend.rows(preds, ms, profile())


def test_a_simpler_pool_that_ties_with_the_fastest_is_recommended():
    ms = [measured("serial", 1.0), measured("threads", 0.52), measured("processes", 0.51)]
    assert recommend.choose(table(ms), ms).strategy == "threads"


def test_serial_is_recommended_when_no_pool_clears_the_tie_band():
    ms = [measured("serial", 1.0, 0.2), measured("processes", 0.9, 0.2)]
    assert recommend.choose(table(ms), ms).strategy == "serial"


@pytest.mark.parametrize(("strategy", "chunksize", "star"), [
    ("serial", 1, False), ("threads", 1, False), ("threads", 8, True),
    ("processes", 4, False), ("pool-map", 25, True)])
def test_the_snippet_is_python_that_runs(strategy, chunksize, star, tmp_path):
    row = recommend.Row(strategy=strategy, display=strategy, workers=2, chunksize=chunksize,
                        predicted_speedup=1.0, parts={}, start_method="fork")
    code = recommend.snippet(row, "tests.advise_targets:add" if star else "math:sqrt", star)
    items = [(1, 2), (3, 4)] * 5 if star else [1.0, 4.0] * 5
    scope = {"items": items, "__name__": "__main__"}
    exec(compile(code, "<snippet>", "exec"), scope)  # noqa: S102 - the snippet under test
    expected = [a + b for a, b in items] if star else [math.sqrt(x) for x in items]
    assert scope["results"] == expected


# -- real advice -------------------------------------------------------------------------
@needs_gil
def test_a_ctypes_call_that_releases_the_gil_is_predicted_for_threads():
    advice = api.advise(targets.primes_nogil, targets.PRIMES, calls=20, progress=False,
                        sweep=None, budget=30)
    assert advice.profile.gil_held_share < 0.3, advice.profile
    best = max((r for r in advice.rows if r.strategy != "serial"),
               key=lambda r: r.predicted_speedup)
    assert best.strategy == "threads", advice.rows
    _check_document(advice.to_dict())


@needs_gil
def test_a_pure_python_loop_is_predicted_for_processes():
    advice = api.advise(targets.python_loop, targets.LOOPS, calls=20, progress=False,
                        sweep=None, budget=30)
    assert advice.profile.gil_held_share > 0.7, advice.profile
    best = max((r for r in advice.rows if r.strategy != "serial"),
               key=lambda r: r.predicted_speedup)
    # one GIL per worker: processes, or on 3.13+ subinterpreters, which also qualify
    assert best.strategy in ("processes", "pool-map", "subinterpreters"), advice.rows
    threads = next(r for r in advice.rows if r.strategy == "threads")
    assert threads.predicted_speedup < 1.1
    assert advice.released and "released the GIL" in advice.released


def _check_document(doc):
    rec = doc["recommendation"]
    assert rec["strategy"] in ("serial", "threads", "processes", "pool-map")
    assert isinstance(rec["workers"], int) and isinstance(rec["chunksize"], int)
    assert isinstance(rec["speedup"], float)
    prof = doc["profile"]
    for key in ("task_s", "gil_held_share"):
        assert isinstance(prof[key], float)
    for key in ("bytes_in", "bytes_out"):
        assert isinstance(prof[key], int) and prof[key] > 0
    assert doc["candidates"] and {"strategy", "workers", "chunksize", "predicted_speedup",
                                  "measured_speedup"} <= set(doc["candidates"][0])
    assert any(c["measured_speedup"] is not None for c in doc["candidates"])
    json.dumps(doc)  # plain JSON


def test_unpicklable_results_leave_threads_judged_and_say_why_processes_are_out():
    advice = api.advise(targets.returns_lock, targets.NUMBERS, progress=False, sweep=None)
    assert {r.strategy for r in advice.rows} <= {"serial", "threads"}
    assert any("Process pools are out" in n and "pickle" in n for n in advice.notes)


def test_a_function_raising_on_an_item_is_named_with_its_index():
    with pytest.raises(BadAdviseInput, match="ValueError on item 3"):
        api.advise(targets.fails_on_three, targets.NUMBERS, progress=False, sweep=None)


def test_before_and_after_side_by_side_with_a_hostile_name():
    hostile = "<script>alert(1)</script>|x"
    advices = api.compare([targets.add, targets.add], targets.PAIRS, star=True,
                          names=[hostile, "tests.advise_targets:add"], progress=False,
                          sweep=None)
    assert [a.function for a in advices] == [hostile, "tests.advise_targets:add"]
    page = advices[0]._repr_html_()
    assert "<script" not in page.lower() and "&lt;script&gt;" in page
    assert "<table>" in page and "data:image/png;base64," in page
    md = document.markdown(advices[0])
    assert "<script" not in md and "\\|x" in md
    pair = document.pair_text(advices)
    assert hostile in pair and "GIL held" in pair


# -- costs and pools ---------------------------------------------------------------------
def test_per_task_costs_come_from_a_sweep_of_this_machine_only(tmp_path):
    from gilbench.advice.costs import sweep_per_task

    doc = {"machine": {"hostname": "here", "usable_cores": 2, "granularity": {"dispatch": {
        "threads": {"2": {"per_task_s": 6e-6}}, "processes": {"4": {"per_task_s": 1e-4}}}}}}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    assert sweep_per_task(path, 2, 2, "here") == {"threads": 6e-6}
    assert sweep_per_task(path, 2, 2, "elsewhere") == {}
    assert sweep_per_task(path, 2, 4, "here") == {}
    assert sweep_per_task(tmp_path / "missing.json", 2, 2, "here") == {}


@pytest.mark.parametrize("kind", ["threads", "processes", "pool-map"])
def test_every_pool_maps_in_order_in_batches(kind):
    from gilbench.advice.pools import opened

    with opened(kind, 2) as ex:
        assert ex.startup_s > 0
        assert ex.map(abs, list(range(-10, 0)), 3) == list(range(10, 0, -1))


def test_subinterpreters_run_a_users_task_where_python_has_them():
    from gilbench.advice.pools import opened
    from gilbench.strategies.interpreters import unavailable_reason

    why = unavailable_reason()
    if why:
        pytest.skip(why)
    with opened("subinterpreters", 2) as ex:
        assert ex.map(targets.python_loop, [10, 20, 30], 2) == [
            targets.python_loop(n) for n in (10, 20, 30)]


def test_a_microsecond_task_is_left_serial_and_says_why():
    advice = api.advise(targets.tiny, list(range(200)), progress=False, sweep=None)
    assert advice.recommendation.strategy == "serial"
    assert "too short for a pool to pay" in advice.why
    assert advice.snippet.endswith("results = [tiny(item) for item in items]")


def test_check_flags_pools_whose_results_differ_and_never_recommends_them():
    advice = api.advise(targets.which_process, list(range(50)), check=True, progress=False,
                        sweep=None)
    checked = {r.strategy: r.check for r in advice.rows if r.check}
    assert checked["threads"] == "same results as serial"
    assert any(s in checked and checked[s].endswith("differs from serial")
               for s in ("processes", "pool-map"))
    assert advice.recommendation.strategy in ("serial", "threads")


def test_results_that_differ_from_call_to_call_are_reported():
    advice = api.advise(targets.random_result, list(range(30)), progress=False, sweep=None)
    assert not advice.profile.deterministic
    assert any("differ from one call to the next" in n for n in advice.notes)
