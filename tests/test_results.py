"""results.json: stable fields, atomic writes, validation of what is read back."""

from __future__ import annotations

import json
import statistics

import pytest

from gilbench.gilprobe import gil_enabled
from gilbench.harness import RunSpec, measure
from gilbench.results import REQUIRED_RUN_FIELDS, SCHEMA, ResultsStore, load_results
from gilbench.uncertainty import ADAPTIVE_FACTOR


@pytest.fixture(scope="module")
def measurement():
    return measure(RunSpec("mandelbrot", "cython-nogil", "threads", 2, 64, 4), repeats=5,
                   warmup=1, warmup_s=0)


def test_measurement_has_the_stable_fields(measurement, tmp_path):
    store = ResultsStore(tmp_path / "results.json", {"cpu_count": 2}, {"profile": "test"})
    store.add(measurement)
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["schema"] == SCHEMA and doc["machine"] == {"cpu_count": 2}
    (run,) = doc["runs"]
    for field in REQUIRED_RUN_FIELDS:
        assert field in run
    # 5 asked for, more (up to ADAPTIVE_FACTOR x) while the median's interval is wide
    assert 5 <= len(run["wall_s"]) <= 5 * ADAPTIVE_FACTOR
    assert all(t > 0 for t in run["wall_s"])
    assert run["median_s"] == statistics.median(run["wall_s"])
    low, high = run["median_ci_s"]
    assert low <= run["median_s"] <= high and 0 < run["median_ci_level"] <= 1
    assert run["min_s"] == min(run["wall_s"])
    # The probe's reading, or null where the interpreter ran without a GIL ("no GIL").
    assert run["gil_enabled"] is gil_enabled()
    if run["gil_enabled"]:
        assert 0 <= run["gil_availability"] <= 1
    else:
        assert run["gil_availability"] is None
    assert run["startup_s"] > 0 and run["cpu_s"] > 0 and run["verified"] is True
    assert run["iqr_s"] >= 0 and run["cv"] >= 0


def test_serial_has_no_startup():
    m = measure(RunSpec("mandelbrot", "cython-nogil", "serial", 1, 32, 2), repeats=5,
                warmup=0, warmup_s=0, probe=False)
    assert m.startup_s is None and m.gil_availability is None


def test_store_writes_atomically(measurement, tmp_path):
    path = tmp_path / "sub" / "results.json"
    store = ResultsStore(path, {}, {})
    assert json.loads(path.read_text())["runs"] == []
    store.add(measurement)
    store.add(measurement)
    assert len(load_results(path.parent)["runs"]) == 2
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no temp files


@pytest.mark.parametrize(("content", "message"), [
    ("{", "cannot read"),
    ("[]", "JSON object"),
    ('{"schema": 99, "machine": {}, "runs": []}', "unsupported schema"),
    ('{"schema": 1, "machine": {}, "runs": [{"kernel": "x"}]}', "lacks field"),
])
def test_bad_results_files_are_rejected(tmp_path, content, message):
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_results(path)
