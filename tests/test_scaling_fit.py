"""Scaling fits: known Amdahl and USL parameters are recovered; too few points refuse."""

from __future__ import annotations

import pytest

from gilbench.analysis import analyse
from gilbench.axes.workers.findings import (
    MIN_WORKER_COUNTS,
    amdahl_speedup,
    fit_amdahl,
    fit_usl,
    usl_speedup,
)
from gilbench.axes.workers.plot import scaling_fit_section
from gilbench.report.markdown import ReportContext

WORKERS = [1, 2, 4, 8, 16]


@pytest.mark.parametrize("serial", [0.0, 0.02, 0.1, 0.5])
def test_amdahl_recovers_the_serial_fraction(serial):
    fit = fit_amdahl(WORKERS, [amdahl_speedup(n, serial) for n in WORKERS])
    assert fit.param("serial") == pytest.approx(serial, abs=1e-9)
    assert max(map(abs, fit.residuals)) < 1e-9 and fit.dof == 3


@pytest.mark.parametrize(("sigma", "kappa"), [(0.0, 0.0), (0.05, 0.0), (0.03, 0.002),
                                              (0.2, 0.01)])
def test_usl_recovers_sigma_and_kappa(sigma, kappa):
    fit = fit_usl(WORKERS, [usl_speedup(n, sigma, kappa) for n in WORKERS])
    assert fit.param("sigma") == pytest.approx(sigma, abs=1e-9)
    assert fit.param("kappa") == pytest.approx(kappa, abs=1e-9)
    assert fit.predict(64) == pytest.approx(usl_speedup(64, sigma, kappa))
    assert fit.dof == 2


def test_usl_peak_is_where_the_retrograde_curve_turns():
    fit = fit_usl(WORKERS, [usl_speedup(n, 0.03, 0.002) for n in WORKERS])
    peak = fit.peak_workers
    assert peak == pytest.approx((0.97 / 0.002) ** 0.5)
    assert usl_speedup(peak, 0.03, 0.002) > usl_speedup(peak * 1.2, 0.03, 0.002)
    assert fit_usl([1, 2, 4], [1, 2, 4]).peak_workers is None


def test_noisy_points_leave_residuals_that_add_up_to_the_misfit():
    speedups = [1.0, 1.95, 3.5, 5.6, 9.9]
    fit = fit_amdahl(WORKERS, speedups)
    assert 0 < fit.param("serial") < 0.1
    fitted = [amdahl_speedup(n, fit.param("serial")) for n in WORKERS]
    assert fit.residuals == pytest.approx([s - f for s, f in zip(speedups, fitted, strict=True)])
    assert fit.rms > 0.01


def test_superlinear_points_pin_the_parameters_at_zero():
    # Faster than linear (cache effects) would need a negative serial fraction.
    assert fit_amdahl([1, 2, 4], [1.0, 2.1, 4.4]).param("serial") == 0.0
    usl = fit_usl([1, 2, 4], [1.0, 2.1, 4.4])
    assert usl.param("sigma") == 0.0 and usl.param("kappa") == 0.0


@pytest.mark.parametrize("fit", [fit_amdahl, fit_usl])
def test_two_points_constrain_nothing(fit):
    with pytest.raises(ValueError, match=f"at least {MIN_WORKER_COUNTS} worker counts"):
        fit([1, 2], [1.0, 1.9])


@pytest.mark.parametrize(("workers", "speedups", "message"), [
    ([1, 2, 2], [1.0, 1.9, 1.8], "distinct"),
    ([1, 2, 4], [1.0, 0.0, 3.0], "> 0"),
    ([1, 2], [1.0, 1.9, 3.0], "same length"),
])
def test_bad_points_are_refused(workers, speedups, message):
    with pytest.raises(ValueError, match=message):
        fit_amdahl(workers, speedups)


# -- the finder, on synthetic documents ----------------------------------------------------
SETTINGS = {"flavours": {"fastc": {"gil": "releases"}},
            "strategies": {"one-by-one": {"single_worker": True}, "lanes": {"uses_threads": True}}}


def run(strategy, workers, median):
    return {"kernel": "toy", "flavour": "fastc", "strategy": strategy, "workers": workers,
            "size": 100, "chunks": 32, "wall_s": [median], "median_s": median,
            "cpu_s": median, "startup_s": None, "gil_availability": None, "verified": True}


def document(workers, speedup, cores):
    runs = [run("one-by-one", 1, 1.0)] + [run("lanes", n, 1.0 / speedup(n)) for n in workers]
    return {"schema": 1, "machine": {"usable_cores": cores}, "settings": SETTINGS,
            "runs": runs}


def fits(doc):
    return [f for f in analyse(doc).findings if f.kind == "scaling-fit"]


def test_two_usable_cores_say_why_and_project_nothing():
    (f,) = fits(document([2, 4], lambda n: 1.9, cores=2))
    assert f.verdict == "unconstrained"
    assert "only 2 worker count(s) (1, 2)" in f.sentence and "nothing is projected" in f.sentence
    assert not [fig for fig in f.figures if "projected" in fig.name]


def test_a_many_core_curve_is_fitted_and_projected_from_its_points_only():
    # Measured on 16 cores, plus an oversubscribed point at 32 that must not be fitted.
    doc = document([2, 4, 8, 16, 32], lambda n: usl_speedup(min(n, 16), 0.03, 0.002) * (
        0.5 if n > 16 else 1.0), cores=16)
    (f,) = fits(doc)
    assert f.verdict == "fitted"
    assert f.figure("usl_sigma") == pytest.approx(0.03, abs=1e-6)
    assert f.figure("usl_kappa") == pytest.approx(0.002, abs=1e-7)
    assert f.figure("usl_projected_64") == pytest.approx(usl_speedup(64, 0.03, 0.002), rel=1e-5)
    assert f.figure("inputs").endswith("16: 8.29x") and "32:" not in f.figure("inputs")
    assert f.figure("usl_residual_16") == pytest.approx(0, abs=1e-6)
    assert "Projected, not measured" in f.sentence
    assert not any("workers=32" in r for r in f.runs)
    a = analyse(doc)
    lines = scaling_fit_section(ReportContext(a, doc))
    assert lines[0] == "## Scaling fits (projections, not measurements)"
    row = next(line for line in lines if line.startswith("| toy |"))
    assert "fastc + lanes" in row and "| 0.030 | 0.0020 |" in row
    assert "16: -0.96" in row  # Amdahl cannot bend down: its residual shows it
