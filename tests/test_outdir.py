"""The output folder: refused in one line when unusable, locked while a sweep writes it,
and an earlier sweep set aside (named by its time) instead of replaced."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from gilbench import outdir
from gilbench.cli import main
from gilbench.results import load_results
from tests.test_cli import gilbench

#: A sweep of two runs that takes well under a second.
TINY = ["run", "--kernel", "mandelbrot", "--flavour", "cython-nogil", "--strategy",
        "serial,threads", "--workers", "2", "--size", "32", "--repeat", "1", "--quiet",
        "--no-plots"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_an_uncreatable_folder_is_one_line_exit_2():
    out = gilbench(*TINY, "--out", "/proc/forbidden", timeout=60)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "cannot create output folder '/proc/forbidden'" in out.stderr


def test_a_file_as_the_folder_is_one_line_exit_2(tmp_path, capsys):
    a_file = tmp_path / "results.txt"
    a_file.write_text("not a folder")
    assert main([*TINY, "--out", str(a_file)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"gilbench: error: output folder {str(a_file)!r} exists and is not a folder"
    assert a_file.read_text() == "not a folder"


def test_report_checks_its_folder_too(tmp_path, capsys):
    res = tmp_path / "res"
    assert main([*TINY, "--out", str(res)]) == 0
    a_file = tmp_path / "taken"
    a_file.write_text("")
    capsys.readouterr()
    assert main(["report", str(res), "--out", str(a_file), "--no-plots"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not a folder" in err


def test_a_second_run_sets_the_first_sweep_aside(tmp_path, capsys):
    res = tmp_path / "res"
    assert main([*TINY, "--out", str(res)]) == 0
    first = load_results(res)
    (res / "mandelbrot.png").write_bytes(b"a plot of the first sweep")
    (res / "notes.txt").write_text("mine")  # not a sweep file: stays where it is
    capsys.readouterr()
    assert main([*TINY, "--out", str(res)]) == 0
    err = capsys.readouterr().err
    stamp = first["created"][:19].replace(":", "-")
    kept = res / "previous" / stamp
    assert f"its files are now in {kept}/" in err
    assert load_results(kept) == first
    assert (kept / "report.md").exists() and (kept / "mandelbrot.png").exists()
    assert load_results(res)["created"] >= first["created"]  # the new sweep is in place
    assert (res / "report.md").exists() and not (res / "mandelbrot.png").exists()
    assert (res / "notes.txt").read_text() == "mine"
    assert not (res / outdir.LOCK_NAME).exists()


def test_sweeps_created_in_the_same_second_do_not_collide(tmp_path):
    doc = {"created": "2026-11-27T23:10:05+00:00"}
    for expected in ("2026-11-27T23-10-05", "2026-11-27T23-10-05-2"):
        (tmp_path / "results.json").write_text(json.dumps(doc))
        assert outdir.set_aside_previous(tmp_path) == tmp_path / "previous" / expected
    assert outdir.set_aside_previous(tmp_path) is None  # nothing left to set aside


def test_a_live_sweep_holds_the_folder(tmp_path, capsys):
    res = tmp_path / "res"
    live = subprocess.Popen(
        [sys.executable, "-m", "gilbench", "run", "--kernel", "montecarlo-pi", "--flavour",
         "cython-nogil", "--strategy", "serial", "--size", "20000000", "--repeat", "1000",
         "--out", str(res), "--quiet", "--no-plots"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (res / "results.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (res / outdir.LOCK_NAME).exists(), "the live sweep took no lock"
        mine = (res / "results.json").read_text()
        assert main([*TINY, "--out", str(res)]) == 2
        err = capsys.readouterr().err.strip()
        assert err == (f"gilbench: error: output folder {str(res)!r} is in use by gilbench "
                       f"(pid {live.pid}); wait for it to finish or choose another --out")
        assert main(["report", str(res), "--no-plots"]) == 2  # nor while it writes there
        assert not (res / "previous").exists()  # nothing of the live sweep was moved
        assert json.loads((res / "results.json").read_text())["created"] == \
            json.loads(mine)["created"]
    finally:
        live.send_signal(signal.SIGTERM)  # the lock goes with the process, even so
        live.communicate(timeout=60)
    assert live.returncode == 143
    assert not (res / outdir.LOCK_NAME).exists()
    assert main([*TINY, "--out", str(res)]) == 0


def test_a_lock_file_left_by_a_dead_process_does_not_block(tmp_path, capsys):
    res = tmp_path / "res"
    res.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (res / outdir.LOCK_NAME).write_text(f"{dead.pid}\n")
    assert main([*TINY, "--out", str(res)]) == 0, capsys.readouterr().err
    assert not (res / outdir.LOCK_NAME).exists()


def test_the_lock_names_its_holder_and_is_released(tmp_path):
    with outdir.FolderLock(tmp_path):
        with pytest.raises(outdir.FolderBusy, match=f"pid {os.getpid()}"):
            outdir.FolderLock(tmp_path).acquire()
    with outdir.FolderLock(tmp_path):  # free again
        pass
    assert list(tmp_path.iterdir()) == []
