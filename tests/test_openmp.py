"""OpenMP is really enabled when the build was asked to require it."""

from __future__ import annotations

import os

import pytest

from gilbench import native
from gilbench._native import buildinfo

REQUIRED = os.environ.get("GILBENCH_REQUIRE_OPENMP", "").lower() in {"1", "true", "yes", "on"}


def test_extension_reports_its_build():
    info = native.build_info()
    assert info["built"] is True
    assert isinstance(info["cflags"], str) and info["cflags"]
    assert info["clib"] == "loaded"


@pytest.mark.skipif(not REQUIRED and not buildinfo.OPENMP,
                    reason="built without OpenMP and GILBENCH_REQUIRE_OPENMP is not set")
def test_openmp_runs_a_real_team():
    assert buildinfo.OPENMP, "GILBENCH_REQUIRE_OPENMP is set but the build has no OpenMP"
    assert buildinfo.OPENMP_SPEC >= 200805
    assert buildinfo.openmp_team_size(3) == 3
    assert "openmp" in buildinfo.CFLAGS.lower()


def test_ci_requires_openmp():
    """CI sets GILBENCH_REQUIRE_OPENMP=1; there a build without OpenMP must fail tests."""
    if os.environ.get("CI"):
        assert REQUIRED, ".ci/run must export GILBENCH_REQUIRE_OPENMP=1"
        assert buildinfo.OPENMP


def test_team_size_rejects_bad_input():
    with pytest.raises(ValueError):
        buildinfo.openmp_team_size(0)


def test_every_pyx_declares_freethreading_compatible():
    from pathlib import Path

    ext = Path(__file__).resolve().parents[1] / "ext"
    pyx = sorted(ext.glob("*.pyx"))
    assert pyx
    for path in pyx:
        head = path.read_text().splitlines()[0]
        assert "freethreading_compatible=True" in head, f"{path.name}: {head!r}"


needs_openmp = pytest.mark.skipif(not buildinfo.OPENMP,
                                  reason="built without OpenMP: prange has no runtime schedule")


@needs_openmp
@pytest.mark.parametrize(("schedule", "chunk", "seen"), [
    ("static", 0, ("static", 0)),
    ("static", 64, ("static", 0)),  # static always cuts one block per thread
    ("dynamic", 0, ("dynamic", 1)),  # below 1 means OpenMP's default of one iteration
    ("dynamic", 4096, ("dynamic", 4096)),
    ("guided", 256, ("guided", 256)),
])
def test_runtime_schedule_reaches_the_whole_team(schedule, chunk, seen):
    assert buildinfo.openmp_schedule_seen(schedule, chunk, 3) == {seen}


@needs_openmp
def test_runtime_schedule_is_per_calling_thread():
    """Python threads that run pranges with different schedules at once do not mix them up.

    libgomp keeps the run-sched-var ICV in the calling thread's implicit task, so each
    thread's omp_set_schedule reaches only its own teams. The spin between setting the
    schedule and starting the loop (with the GIL released) gives the other threads every
    chance to overwrite a process-wide setting.
    """
    import threading

    cases = [("dynamic", 4096), ("guided", 256), ("static", 0), ("dynamic", 1)]
    start = threading.Barrier(len(cases))
    wrong: list = []

    def hammer(schedule: str, chunk: int) -> None:
        start.wait(timeout=30)
        for _ in range(300):
            seen = buildinfo.openmp_schedule_seen(schedule, chunk, 2, spin=20_000)
            if seen != {(schedule, chunk)}:
                wrong.append((schedule, chunk, seen))

    threads = [threading.Thread(target=hammer, args=case) for case in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread did not finish within 60 s"
    assert not wrong, wrong[:3]


def test_schedule_probe_rejects_bad_input():
    with pytest.raises(ValueError, match="valid choices: dynamic, guided, static"):
        buildinfo.openmp_schedule_seen("auto", 0, 2)
    with pytest.raises(ValueError, match="n_threads"):
        buildinfo.openmp_schedule_seen("static", 0, 0)
    with pytest.raises(ValueError, match="spin"):
        buildinfo.openmp_schedule_seen("static", 0, 1, spin=-1)
