"""Studies: each runs at its tiny setting and produces its table; directions that physics
fixes (not speeds a busy machine can blur) are asserted; the command keeps its contract."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from gilbench.analysis import load_findings
from gilbench.cli import main
from gilbench.gilprobe import gil_enabled
from gilbench.studies import STUDIES, Study, StudyError, StudyResult, register_study
from gilbench.studies.children import kill_group, worker_processes
from gilbench.studies.gil_census import verdict
from gilbench.studies.report import load_folder, render_studies, write_result
from gilbench.studies.timing import ran_in_parallel
from tests.conftest import live_children

_RESULTS: dict[str, tuple[StudyResult, int]] = {}


def tiny(name: str) -> StudyResult:
    """The study's tiny run, measured once per test session (progress calls counted)."""
    if name not in _RESULTS:
        calls = []
        result = STUDIES[name].run("tiny", calls.append)
        _RESULTS[name] = (result, len(calls))
    return _RESULTS[name][0]


@pytest.mark.parametrize("name", list(STUDIES))
def test_each_study_runs_tiny_and_produces_its_table(name):
    study = STUDIES[name]
    result = tiny(name)
    assert _RESULTS[name][1] == study.steps(study.settings("tiny")), "progress bar total"
    tables = study.tables(result)
    assert tables and all(t.rows for t in tables)
    assert all(len(row) == len(t.header) for t in tables for row in t.rows)
    findings = study.findings(result)
    assert findings and all(f.kernel == name and f.sentence for f in findings)
    # Everything after the measurement works from the JSON document alone.
    again = StudyResult.from_document(json.loads(json.dumps(result.to_document())))
    assert study.findings(again) == findings
    assert study.markdown(again, findings, []) == study.markdown(result, findings, [])


def test_census_sleep_and_nogil_release_the_gil_and_a_cython_loop_holding_it_does_not():
    result = tiny("gil-census")
    ops = result.data["operations"]
    assert result.data["gil_enabled"] is gil_enabled()
    if not gil_enabled():
        # Nothing to hold or release: every row reads "no GIL", and so does the verdict.
        assert all(op.get("gil_free") is None for op in ops.values()), ops
        (headline,) = STUDIES["gil-census"].findings(result)
        assert headline.verdict == "no GIL" and "GIL was off" in headline.sentence
        return
    for name in ("time.sleep (1 ms)", "Cython with nogil (mandelbrot rows)",
                 "ctypes call (C mandelbrot rows)"):
        assert ops[name]["gil_free"] is not None, f"{name}: the probe could not judge"
        assert verdict(ops[name]["gil_free"]) == "releases", (name, ops[name])
    held = ops["Cython holding the GIL (mandelbrot rows)"]
    # On a busy machine a GIL-holding call can read up to ~0.3 (see the census notes), so
    # the physical claim is "does not release", not an exact reading.
    assert held["gil_free"] is not None and verdict(held["gil_free"]) != "releases", held


def test_costs_a_process_uses_more_memory_and_takes_longer_to_start_than_a_thread():
    d = tiny("costs").data
    thread_uss = sum(d["memory"]["thread"]["uss_bytes"]) / len(d["memory"]["thread"]["uss_bytes"])
    for method, m in d["memory"].items():
        if method != "thread":
            assert min(m["uss_bytes"]) > thread_uss, (method, m, thread_uss)
    thread = d["creation"]["thread"]["median_s"]
    assert all(c["median_s"] > thread for k, c in d["creation"].items() if k != "thread")


def test_costs_a_crashing_process_spares_its_parent_a_crashing_thread_does_not():
    crash = tiny("costs").data["crash"]
    assert crash["process-exit"]["worker_exitcode"] == 3
    assert crash["process-segfault"]["worker_exitcode"] == -signal.SIGSEGV
    assert crash["process-exit"]["parent_alive"] and crash["process-segfault"]["parent_alive"]
    assert crash["thread-segfault"]["returncode"] == -signal.SIGSEGV
    assert crash["thread-segfault"]["signal"] == "SIGSEGV"
    assert not crash["thread-segfault"]["parent_alive"]


def test_switch_interval_a_gil_holding_load_delays_the_responsive_thread():
    d = tiny("switch-interval").data
    gil, nogil = d["loads"]["gil-holding"]["points"], d["loads"]["nogil"]["points"]
    longest = max(p["interval_s"] for p in gil)
    at = {p["interval_s"]: p["latency"] for p in gil}[longest]
    free = {p["interval_s"]: p["latency"] for p in nogil}[longest]
    if not gil_enabled():
        # No GIL to wait for: pure-Python threads delay it no more than an interval.
        assert d["gil_enabled"] is False
        assert at["median_s"] < 0.5 * longest, at
        return
    # The waiting thread only gets the GIL once the holder is told to drop it, after one
    # interval; beside threads that release the GIL nothing makes it wait that long.
    assert at["p99_s"] > free["p99_s"], (at, free)
    assert at["median_s"] > 0.5 * longest, at


GIL_ENABLED = getattr(sys, "_is_gil_enabled", lambda: True)()


@pytest.mark.skipif(not GIL_ENABLED, reason="free-threaded build running without a GIL")
def test_pure_python_threads_take_turns_under_the_gil():
    # CPU seconds per wall second: one thread at a time, however many cores are free.
    cpu = tiny("contention").data["workloads"]["cpu-bound"]["threads"]["cpu_per_wall"]
    assert not ran_in_parallel(cpu), cpu
    for point in tiny("switch-interval").data["loads"]["gil-holding"]["points"]:
        assert not ran_in_parallel(point["cpu_per_wall"]), point


def test_contention_threads_and_asyncio_overlap_waits():
    w = tiny("contention").data["workloads"]
    for name in ("I/O: time.sleep", "I/O: loopback socket"):
        serial = w[name]["serial"]["median_s"]
        for variant in ("threads", "asyncio"):
            assert w[name][variant]["median_s"] < serial / 2, (name, variant, w[name])


def test_sync_a_hand_off_costs_more_than_a_lone_round_trip():
    rows = tiny("sync").data["primitives"]
    for name in ("Event", "Barrier"):
        for flavour in ("threading", "multiprocessing"):
            r = rows[name][flavour]
            assert r["contended"]["per_round_s"] > r["uncontended_s"], (name, flavour, r)


def test_report_covers_every_study_in_the_folder(tmp_path):
    for name in STUDIES:
        write_result(tiny(name), tmp_path)
    path = render_studies(tmp_path)
    text = path.read_text()
    assert [r.study for r in load_folder(tmp_path)] == list(STUDIES)
    findings = load_findings(tmp_path)
    assert {f.kernel for f in findings} == set(STUDIES)
    for finding in findings:
        assert finding.sentence in text
    for name in STUDIES:
        assert f"`gilbench study {name}`" in text
        if name == "gil-census" and not gil_enabled():
            assert not (tmp_path / f"study-{name}.png").exists()  # no readings to plot
            continue
        assert f"(study-{name}.png)" in text and (tmp_path / f"study-{name}.png").is_file()
    html = (tmp_path / "studies.html").read_text()
    assert "<title>gilbench studies</title>" in html and 'src="data:image/png;base64,' in html


def gilbench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gilbench", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "COLUMNS": "200"})


def test_study_command_writes_results_findings_and_report(tmp_path):
    # Plots are drawn (and checked) by the report test; here the command's own work.
    out = gilbench("study", "contention", "sync", "--tiny", "--no-plots", "--out",
                   str(tmp_path))
    assert out.returncode == 0, out.stderr
    for name in ("contention.json", "sync.json", "findings.json", "studies.md",
                 "studies.html"):
        assert (tmp_path / name).is_file(), name
    doc = json.loads((tmp_path / "sync.json").read_text())
    assert doc["preset"] == "tiny" and doc["machine"]["cpu_count"] and doc["elapsed_s"] > 0
    terminal = " ".join(out.stdout.split())
    for finding in load_findings(tmp_path):
        assert " ".join(finding.sentence.split()) in terminal


def test_study_list_names_every_study():
    out = gilbench("study", "--list")
    assert out.returncode == 0, out.stderr
    for name in STUDIES:
        assert name in out.stdout


@pytest.mark.parametrize(("argv", "named"), [
    (["study", "nope"], "nope"),
    (["study"], "all"),
    (["study", "costs", "--out", "/proc/version"], "/proc/version"),
    (["study", "costs", "--out", "/proc/version/sub"], "/proc/version/sub"),
])
def test_study_bad_input_is_one_line_exit_2(argv, named, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err and "Traceback" not in err, err


def test_unknown_study_lists_the_valid_ones(capsys):
    assert main(["study", "nope"]) == 2
    err = capsys.readouterr().err
    assert all(name in err for name in STUDIES)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_interrupted_study_exits_cleanly_and_leaves_no_process(tmp_path, sig, code):
    proc = subprocess.Popen([sys.executable, "-m", "gilbench", "study", "costs", "--out",
                             str(tmp_path), "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    me = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    descendants: list[psutil.Process] = []
    while time.monotonic() < deadline and len(descendants) < 2:
        time.sleep(0.05)  # wait until it is creating worker processes
        descendants = me.children(recursive=True)
    assert descendants, "the study never started a process"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert ("terminated" if sig == signal.SIGTERM else "interrupted") in err
    assert "Traceback" not in err
    gone, alive = psutil.wait_procs(descendants, timeout=10)
    assert not alive, f"left behind: {[p.pid for p in alive]}"


#: A parent that starts two children and waits: what a stuck standalone script looks like.
FAMILY = ("import subprocess, sys, time\n"
          "kids = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
          "        for _ in range(2)]\n"
          "time.sleep(60)\n")


def test_kill_group_ends_a_script_and_everything_it_started():
    proc = subprocess.Popen([sys.executable, "-c", FAMILY], start_new_session=True)
    me = psutil.Process(proc.pid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(me.children(recursive=True)) < 2:
        time.sleep(0.02)
    family = me.children(recursive=True)
    assert len(family) == 2
    kill_group(proc)
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive and proc.returncode == -signal.SIGKILL


def test_a_lingering_worker_process_is_killed_and_reported():
    import multiprocessing as mp

    t0 = time.monotonic()
    with pytest.raises(StudyError, match="did not finish within 0.3 s"):
        with worker_processes(mp.get_context(), time.sleep, [(30,)], timeout=0.3):
            pass
    assert time.monotonic() - t0 < 10
    assert not live_children()


def test_leaving_on_an_error_kills_the_workers_at_once():
    import multiprocessing as mp

    t0 = time.monotonic()
    with pytest.raises(KeyError):
        with worker_processes(mp.get_context(), time.sleep, [(30,), (30,)], timeout=60):
            raise KeyError("boom")
    assert time.monotonic() - t0 < 10
    assert not live_children()


def test_a_study_must_declare_default_and_tiny_presets():
    class Half(Study):
        name, title, claim = "half", "half", "half"
        presets = {"default": object()}

        def steps(self, settings):
            return 0

        def measure(self, settings, progress):
            return {}

        def findings(self, result):
            return []

        def tables(self, result):
            return []

        def plot(self, result, out_dir):
            return []

    with pytest.raises(ValueError, match="tiny"):
        register_study(Half())
    assert "half" not in STUDIES
