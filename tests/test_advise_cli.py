"""``gilbench advise`` from the command line: its files, before and after, the bad-input
contract (one line, exit 2, nothing left behind) and SIGTERM in the middle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from gilbench.cli import main
from gilbench.interrupts import UNWIND_DEADLINE_S
from tests.conftest import kill_processes

TARGETS = "tests/advise_targets.py"
ROOT = Path(__file__).resolve().parents[1]


def gilbench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command in a subprocess, from the repository's root."""
    return subprocess.run([sys.executable, "-m", "gilbench", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize(("argv", "words"), [
    (["gilbench_no_such_module:f", "--items", "tests.advise_targets:NUMBERS"],
     "does not import"),
    (["tests.advise_targets:NOT_CALLABLE", "--items", "tests.advise_targets:NUMBERS"],
     "is not callable"),
    ([f"{TARGETS}:add", "--items", "tests.advise_targets:EMPTY"], "items is empty"),
    (["tests.advise_targets:add", "--items", "tests.advise_targets:NOT_ITERABLE"],
     "must be an iterable"),
    (["tests.advise_targets:add", "--items", "tests.advise_targets:NUMBERS", "--star"],
     "is not a tuple"),
    (["tests.advise_targets:fails_on_three", "--items", "tests.advise_targets:numbers"],
     "ValueError on item 3"),
    (["tests.advise_targets:slow", "--items", "tests.advise_targets:NUMBERS", "--budget", "1"],
     "extrapolated"),
    (["tests.advise_targets:add", "--items", "tests.advise_targets:PAIRS", "--workers",
      "100000"], "above the cap"),
    (["tests.advise_targets:add", "--items", "tests.advise_targets:PAIRS", "--calls", "0"],
     "must be >= 1"),
    (["a:f", "b:g", "c:h", "--items", "tests.advise_targets:PAIRS"], "one function, or two"),
])
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(argv, words, capsys, tmp_path,
                                                         monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "advice"
    assert main(["advise", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gilbench: error: "), err
    assert words in err and "Traceback" not in err
    assert not out.exists()


def test_one_function_writes_its_advice_with_the_recommendation_first(tmp_path):
    out = tmp_path / "advice"
    done = gilbench("advise", f"{TARGETS}:primes_nogil", "--items",
                    f"{TARGETS}:PRIMES", "--calls", "5", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Recommendation for tests/advise_targets.py:primes_nogil:")
    assert "Why: " in done.stdout.splitlines()[1]
    assert {p.name for p in out.iterdir()} == {"advice.json", "advice.md", "advice.html",
                                               "advice.png"}
    doc = json.loads((out / "advice.json").read_text())
    assert doc["calls"] == 5 and doc["recommendation"]["strategy"] in (
        "serial", "threads", "processes", "pool-map")
    html = (out / "advice.html").read_text()
    assert "Content-Security-Policy" in html and "<script" not in html
    assert (out / "advice.md").read_text().startswith("# gilbench advise:")


def test_before_and_after_side_by_side_with_check(tmp_path):
    out = tmp_path / "pair"
    done = gilbench("advise", f"{TARGETS}:add", "tests.advise_targets:add", "--items",
                    "tests.advise_targets:PAIRS", "--star", "--check", "--quiet",
                    "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "before-after.md").is_file() and (out / "after" / "advice.png").is_file()
    pair = json.loads((out / "before-after.json").read_text())
    assert [a["function"] for a in pair["advice"]] == [f"{TARGETS}:add",
                                                      "tests.advise_targets:add"]
    checks = [c["check"] for c in pair["advice"][0]["candidates"] if c["check"]]
    assert checks and all(c == "same results as serial" for c in checks)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_while_measuring_leaves_no_worker(tmp_path):
    out = tmp_path / "advice-sigterm-marker"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gilbench", "advise", f"{TARGETS}:long_task", "--items",
         f"{TARGETS}:LONG", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    workers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not workers:
            try:
                workers = [c for c in parent.children(recursive=True)
                           if "resource_tracker" not in " ".join(c.cmdline())]
            except psutil.NoSuchProcess:
                break
            time.sleep(0.02)
        assert workers, "advise never started a worker process"
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        # Within the command's own unwind deadline (it exits by itself after it).
        _, err = proc.communicate(timeout=UNWIND_DEADLINE_S + 30)
        assert "still cleaning up" not in err, err  # it met the deadline, not beat it
        assert proc.returncode == 143, err
        assert "Traceback" not in err, err
        gone, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive, f"workers left: {[p.pid for p in alive]}"
        assert not out.exists()
    finally:
        if proc.poll() is None:  # failed above: leave no process to the next tests
            try:
                left = parent.children(recursive=True)
            except psutil.Error:
                left = []
            kill_processes([*left, parent])
            proc.communicate()
