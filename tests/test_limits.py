"""Absurd magnitudes are bad input: refused up front (exit 2, one line naming the limit),
by the plan and by the Python API with the same words, before anything runs."""

from __future__ import annotations

import collections

import pytest

from gilbench import KERNELS, PROFILES, RunSpec, build_plan, get_kernel, limits, measure
from gilbench.cli import main
from tests.test_cli import gilbench

HUGE = 99999999999999999999


def test_huge_size_is_one_error_up_front_naming_kernel_size_and_limit(tmp_path):
    # On a real process: before the cap, every run failed on its own, and montecarlo-pi
    # ran on for hours (the timeout below turns that into a failure).
    out = gilbench("run", "--size", str(HUGE), "--out", str(tmp_path / "res"), timeout=60)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    first = next(iter(KERNELS.values()))
    assert first.name in out.stderr and str(HUGE) in out.stderr
    assert f"limit of {first.max_size}" in out.stderr
    assert not (tmp_path / "res").exists()  # nothing ran, nothing was written


def test_huge_size_for_montecarlo_is_refused(capsys):
    assert main(["run", "--kernel", "montecarlo-pi", "--size", str(10**12)]) == 2
    err = capsys.readouterr().err
    assert "montecarlo-pi size 1000000000000 is above its limit of" in err


def test_worker_count_above_the_cap_is_refused_naming_the_cap(tmp_path):
    out = gilbench("run", "--kernel", "mandelbrot", "--strategy", "processes", "--workers",
                   "100000", "--out", str(tmp_path / "res"), timeout=60)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert f"cap of {limits.max_workers()}" in out.stderr and "100000" in out.stderr


def test_worker_cap_allows_every_profile_oversubscription_point():
    for name in PROFILES:
        build_plan(name)  # the full profile asks for 2x the usable cores
    cap = limits.max_workers()
    assert cap == limits.WORKERS_PER_CORE * limits.usable_cores()
    plan = build_plan("quick", kernels=["mandelbrot"], flavours=["cython-nogil"],
                      strategies=["threads"], workers=[cap])
    assert {s.workers for s in plan.specs} >= {cap}
    with pytest.raises(ValueError, match=f"cap of {cap}"):
        build_plan("quick", kernels=["mandelbrot"], workers=[cap + 1])


CAPPED = [
    (["--repeat", "5000"], f"cap of {limits.MAX_REPEATS}"),
    (["--timeout", "99999999999"], str(limits.MAX_TIMEOUT_S)),
    (["--chunks", "10000000"], f"cap of {limits.MAX_CHUNKS}"),
    (["--kernel", "primes", "--size", "1000", "--chunks", "5000"], "more than primes's size"),
    (["--kernel", "mandelbrot", "--size", "64", "--chunks", "5000"],
     "more than mandelbrot's 4096 chunks at size 64"),
    (["--seed", "-1"], "seed must be >= 0"),
]


@pytest.mark.parametrize(("extra", "named"), CAPPED, ids=[" ".join(a) for a, _ in CAPPED])
def test_absurd_settings_are_one_line_exit_2(extra, named, tmp_path, capsys):
    assert main(["run", *extra, "--out", str(tmp_path / "res")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err, err
    assert not (tmp_path / "res").exists()


def test_every_kernel_states_a_maximum_and_a_memory_estimate_its_profiles_fit():
    for kernel in KERNELS.values():
        if kernel.memory_bytes(1) is None:  # a user kernel from another test
            continue
        assert kernel.max_size < 2**63 - 1, kernel.name
        assert kernel.memory_bytes(kernel.max_size) > kernel.memory_bytes(1) > 0 or \
            kernel.name == "montecarlo-pi"
        for profile in PROFILES:
            for flavour in kernel.implementations:
                size = kernel.size_for(profile, flavour)
                assert size <= kernel.max_size, (kernel.name, profile, flavour)


@pytest.fixture
def memory(monkeypatch):
    """Pretend this machine has ``available`` bytes of memory available."""
    vm = collections.namedtuple("vm", "available")

    def set_available(available: int) -> None:
        monkeypatch.setattr(limits.psutil, "virtual_memory", lambda: vm(available))

    return set_available


def test_size_beyond_the_memory_is_refused(memory):
    kernel = get_kernel("reduction")
    memory(10 * 2**30)
    fits = int(10 * 2**30 * limits.MEMORY_FRACTION) // kernel.memory_bytes(1)
    assert kernel.check_size(fits) == fits
    with pytest.raises(ValueError, match=r"reduction size \d+ needs about .* of memory, "
                                         r"above the limit of 8\.0 GiB"):
        kernel.check_size(2 * fits)


def test_strategies_that_copy_the_problem_need_twice_the_memory(memory):
    kernel = get_kernel("reduction")
    memory(10 * 2**30)
    size = int(10 * 2**30 * limits.MEMORY_FRACTION) // kernel.memory_bytes(1) // 3 * 2
    plan = build_plan("quick", kernels=["reduction"], strategies=["serial", "threads"],
                      sizes=[size])
    assert plan.specs
    with pytest.raises(ValueError, match="2 copies of the problem") as plan_error:
        build_plan("quick", kernels=["reduction"], strategies=["serial", "processes"],
                   sizes=[size])
    # The Python API says the same, before any process starts.
    with pytest.raises(ValueError) as api_error:
        measure(RunSpec("reduction", "cython-nogil", "processes", 2, size, 4))
    assert str(api_error.value) == str(plan_error.value)


def test_python_api_refuses_what_the_plan_refuses():
    cap = limits.max_workers()
    with pytest.raises(ValueError, match=f"cap of {cap}"):
        RunSpec("mandelbrot", "python", "processes", cap + 1, 32, 2).validate()
    with pytest.raises(ValueError, match="above its limit of 32768"):
        measure(RunSpec("mandelbrot", "python", "serial", 1, HUGE, 2))
    with pytest.raises(ValueError, match="more than mandelbrot's 1024 chunks at size 32"):
        RunSpec("mandelbrot", "python", "serial", 1, 32, 1025).validate()
    RunSpec("mandelbrot", "python", "serial", 1, 32, 1024).validate()  # one pixel each
    with pytest.raises(ValueError, match=f"cap of {limits.MAX_REPEATS}"):
        measure(RunSpec("mandelbrot", "python", "serial", 1, 32, 2),
                repeats=limits.MAX_REPEATS + 1)
    with pytest.raises(ValueError, match="timeout"):
        measure(RunSpec("mandelbrot", "python", "serial", 1, 32, 2), timeout=1e12)


def test_default_chunk_counts_never_exceed_the_size():
    plan = build_plan("quick", kernels=["primes"], flavours=["cython-nogil"],
                      strategies=["threads"], workers=[2], sizes=[5])
    assert {s.chunks for s in plan.specs} == {5}  # 8 chunks per worker x 2, clamped


def test_resource_errors_name_the_limit():
    import errno

    text = limits.explain_resource_error(OSError(errno.EMFILE, "Too many open files"))
    assert text.startswith("Too many open files (the open-file limit (")
    assert "ulimit -n" in text
    assert "process limit" in limits.explain_resource_error(
        BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable"))
    assert limits.explain_resource_error(OSError(errno.EPERM, "nope")) == "nope"
