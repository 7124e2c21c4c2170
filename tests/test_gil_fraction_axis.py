"""The gil-fraction axis: planned by trait, tagged per point, composed with the filters."""

from __future__ import annotations

import json

from gilbench.axes.gilfraction.plan import COARSE_FRACTIONS
from gilbench.axes.registry import AXES, Selection, get_axis
from gilbench.flavours import get_flavour
from gilbench.kernels import get_kernel
from gilbench.kernels.gilshare import GIL_FRACTIONS
from gilbench.limits import usable_cores
from gilbench.plan import baseline_of, build_plan
from gilbench.strategies import get_strategy


def test_the_axis_plans_every_f_for_the_tunable_flavour_on_each_role():
    plan = build_plan("quick", kernels=["mandelbrot"], axes=["gil-fraction"])
    specs = [s for s in plan.specs if s.axis == "gil-fraction"]
    assert specs and len(specs) == len(plan.specs)
    assert {get_flavour(s.flavour).tunable_gil_share for s in specs} == {True}
    assert sorted({s.axis_value for s in specs}) == list(GIL_FRACTIONS)
    assert len({(s.size, s.chunks) for s in specs}) == 1  # same problem, same chunks
    roles = {(get_strategy(s.strategy).single_worker, get_strategy(s.strategy).uses_processes)
             for s in specs}
    assert roles == {(True, False), (False, False), (False, True)}
    assert {s.workers for s in specs if not get_strategy(s.strategy).single_worker} == {
        usable_cores()}
    for spec in specs:  # every pool run's baseline is the serial run at the same f
        base = baseline_of(spec)
        assert base is None or (base in plan.specs and base.axis_value == spec.axis_value)


def test_the_axis_composes_with_the_filters():
    plan = build_plan("quick", kernels=["mandelbrot"], strategies=["threads"], workers=[3],
                      sizes=[64], chunks=[6], axes=["gil-fraction"])
    pools = [s for s in plan.specs if s.strategy == "threads"]
    assert {(s.workers, s.size, s.chunks) for s in pools} == {(3, 64, 6)}
    assert {s.strategy for s in plan.specs} == {"threads", "serial"}  # baselines return
    # Naming only flavours without a tunable GIL share leaves the axis nothing to run.
    assert not build_plan("quick", kernels=["mandelbrot"], flavours=["cython-nogil"],
                          axes=["gil-fraction"]).specs


def test_the_quick_profile_runs_a_coarse_grid_on_mandelbrot_by_default():
    plan = build_plan("quick")
    specs = [s for s in plan.specs if s.axis == "gil-fraction"]
    assert {s.kernel for s in specs} == {"mandelbrot"}
    assert sorted({s.axis_value for s in specs}) == list(COARSE_FRACTIONS)
    assert get_axis("gil-fraction").finders == ("gil-fraction-threshold",)


def test_kernels_without_a_tunable_share_say_why():
    axis = AXES["gil-fraction"]
    assert axis.unavailable_reason(get_kernel("mandelbrot")) is None
    assert "parameter" in axis.unavailable_reason(get_kernel("nbody"))
    plan = build_plan("quick", kernels=["nbody"], axes=["gil-fraction"])
    assert not plan.specs
    assert any("gil-fraction" in what for what, _ in plan.not_applicable)


def test_other_axes_leave_the_instrument_out_unless_named():
    for name in ("granularity",):
        plan = build_plan("quick", kernels=["mandelbrot"], axes=[name])
        assert "cython-mixed" not in {s.flavour for s in plan.specs}
    assert get_axis("gil-fraction").fractions(Selection.of("standard")) == GIL_FRACTIONS


def test_a_tiny_gil_fraction_sweep_through_the_cli(tmp_path):
    """The command runs the axis, records what the chunks measured, and the report's
    "When" section states the GIL-held fraction from the finding."""
    from tests.test_cli import gilbench

    out = tmp_path / "res"
    proc = gilbench("run", "--axis", "gil-fraction", "--kernel", "mandelbrot", "--size", "32",
                    "--workers", "2", "--repeat", "1", "--no-plots", "--quiet",
                    "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "results.json").read_text())
    runs = [r for r in doc["runs"] if r["axis"] == "gil-fraction"]
    assert len(runs) == 3 * len(GIL_FRACTIONS) and all(r["status"] == "ok" for r in runs)
    for r in runs:
        assert r["extra"]["pixels"] == 32 * 32
        assert abs(r["extra"]["held_pixels"] / 1024 - r["axis_value"]) < 0.1
    assert doc["settings"]["flavours"]["cython-mixed"]["tunable_gil_share"] is True
    findings = json.loads((out / "findings.json").read_text())["findings"]
    (threshold,) = [f for f in findings if f["kind"] == "gil-fraction-threshold"]
    assert len(threshold["runs"]) == len(runs)
    report = (out / "report.md").read_text()
    when = report[report.index("## When"):report.index("## GIL fraction")]
    assert f"| GIL-held fraction | {threshold['sentence']} |" in when
