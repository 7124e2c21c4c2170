"""A run's names are looked up and checked once (:func:`gilbench.harness.resolve`); the
harness takes the resolved run and never climbs back to the registries."""

from __future__ import annotations

import dataclasses

import pytest

from gilbench import FLAVOURS, KERNELS, STRATEGIES, harness
from gilbench.harness import Measurement, RunSpec, as_resolved, failed, measure, prepare, resolve
from gilbench.strategies.startmethod import START_METHODS

QUICK = {"repeats": 1, "warmup": 0, "warmup_s": 0, "probe": False}


def test_resolve_holds_the_registered_objects_the_spec_names():
    spec = RunSpec("mandelbrot", "cython-nogil", "threads", 2, 32, 4)
    run = resolve(spec)
    assert run.spec is spec and run.label == spec.label
    assert run.kernel is KERNELS["mandelbrot"] and run.flavour is FLAVOURS["cython-nogil"]
    assert run.strategy is STRATEGIES["threads"]
    assert run.impl is KERNELS["mandelbrot"].implementations["cython-nogil"]
    assert run.workers == 2
    assert as_resolved(run) is run
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.workers = 3  # type: ignore[misc]


def test_resolve_configures_the_strategy_and_leaves_the_registry_alone():
    method = START_METHODS[-1]
    run = resolve(RunSpec("mandelbrot", "cython-nogil", "processes", 2, 32, 4,
                          start_method=method))
    assert run.strategy.start_method == method and run.strategy.name == "processes"
    assert STRATEGIES["processes"].start_method is None


def test_a_serial_run_has_one_worker_whatever_the_spec_says():
    assert resolve(RunSpec("mandelbrot", "python", "serial", 4, 32, 4)).workers == 1


def test_resolve_refuses_what_validate_refuses_with_the_same_words():
    bad = [RunSpec("nope", "python", "serial", 1, 32, 2),
           RunSpec("mandelbrot", "python", "serial", 1, 32, 1025),
           RunSpec("mandelbrot", "cython-nogil", "thread", 2, 32, 4,
                   start_method=START_METHODS[0])]
    for spec in bad:
        with pytest.raises(ValueError) as by_resolve:
            resolve(spec)
        with pytest.raises(ValueError) as by_validate:
            spec.validate()
        assert str(by_resolve.value) == str(by_validate.value)


def test_measure_and_prepare_of_a_resolved_run_look_no_name_up(monkeypatch):
    spec = RunSpec("mandelbrot", "cython-nogil", "threads", 2, 32, 4)
    run = resolve(spec)

    def looked_up(name):
        raise AssertionError(f"{name!r} looked up again")

    for getter in ("get_kernel", "get_flavour", "get_strategy"):
        monkeypatch.setattr(harness, getter, looked_up)
    m = measure(run, **QUICK)
    assert m.verified and m.spec == spec
    with prepare(run) as prepared:
        assert prepared.run is run and prepared.spec is spec


def test_measure_of_a_spec_and_of_its_resolved_run_agree():
    spec = RunSpec("mandelbrot", "python", "serial", 1, 32, 2)
    by_spec, by_run = measure(spec, **QUICK), measure(resolve(spec), **QUICK)
    assert by_spec.spec == by_run.spec == spec and by_spec.verified and by_run.verified


def test_measurements_are_built_by_keyword():
    with pytest.raises(TypeError):
        Measurement("mandelbrot", "python", "serial", 1, 32, 2, None, "ok")  # type: ignore
    m = failed(RunSpec("mandelbrot", "python", "serial", 1, 32, 2, axis="workers",
                       axis_value=1), "boom")
    assert (m.status, m.error, m.axis, m.axis_value) == ("failed", "boom", "workers", 1)
    # The results schema keeps its field order.
    assert list(m.to_dict())[:9] == ["kernel", "flavour", "strategy", "workers", "size",
                                     "chunks", "schedule", "status", "error"]
