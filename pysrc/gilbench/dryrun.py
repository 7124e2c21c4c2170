"""``gilbench run --dry-run``: the planned runs, grouped by kernel, axis and strategy,
with the time the cost model (:mod:`gilbench.estimate`) expects; nothing runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gilbench.calibration import REFERENCE_MACHINE
from gilbench.estimate import CostModel, Estimate
from gilbench.harness import RunSpec
from gilbench.terminal import skipped_lines


@dataclass
class Group:
    """The planned runs of one kernel x axis x strategy."""

    kernel: str
    axis: str
    strategy: str
    specs: list[RunSpec] = field(default_factory=list)
    seconds: float = 0.0
    unknown: int = 0

    def values(self, name: str) -> str:
        """The distinct values of a spec field, compactly: ``2, 6, 20 ... 20031 (9)``."""
        seen = list(dict.fromkeys(getattr(s, name) for s in self.specs))
        try:
            seen.sort()
        except TypeError:
            pass
        words = [str(v) for v in seen if v is not None] or ["-"]
        if len(words) > 6:
            return f"{', '.join(words[:3])} ... {words[-1]} ({len(words)})"
        return ", ".join(words)


def group_runs(specs: list[RunSpec], estimate: Estimate) -> list[Group]:
    """``specs`` grouped by (kernel, axis, strategy), in plan order, with their time."""
    groups: dict[tuple, Group] = {}
    for spec, seconds in zip(specs, estimate.per_spec, strict=True):
        key = (spec.kernel, spec.axis or "-", spec.strategy)
        group = groups.setdefault(key, Group(*key))
        group.specs.append(spec)
        if seconds is None:
            group.unknown += 1
        else:
            group.seconds += seconds
    return sorted(groups.values(), key=lambda g: (list(dict.fromkeys(
        s.kernel for s in specs)).index(g.kernel), g.axis != "-", g.axis))


def fmt_duration(seconds: float) -> str:
    """``45 s``, ``3 min 20 s``, ``1 h 05 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def cost_model(out_dir: str | Path | None = None) -> CostModel:
    """The cost model of a sweep into ``out_dir``: earlier results there (if any), the
    reference calibration, and the axes' work factors and repeats."""
    from gilbench.axes import registry as axes

    hooks = {"work_factor": axes.cost_factor, "run_settings": axes.measure_settings}
    return CostModel.for_folder(out_dir, **hooks) if out_dir else CostModel(**hooks)


def print_dry_run(console: Console, plan, out_dir: str | Path | None = None, *,
                  repeats: int | None = None, warmup: int | None = None) -> Estimate:
    """Print the plan's runs by group and the expected time; return the estimate.

    ``repeats`` None means the profile's (axes cap theirs, see ``Axis.max_repeats``).
    """
    model = cost_model(out_dir)
    explicit = repeats is not None
    repeats = plan.profile.repeats if repeats is None else repeats
    warmup = plan.profile.warmup if warmup is None else warmup
    estimate = model.estimate(plan.specs, repeats=repeats, warmup=warmup,
                              warmup_s=plan.profile.warmup_s, explicit_repeats=explicit)
    table = Table(title=f"Planned runs (profile {plan.profile.name}, {repeats} repeats): "
                        "nothing was run", title_justify="left")
    for col in ("kernel", "axis", "strategy", "runs", "flavours", "workers", "sizes",
                "chunks", "axis values", "estimate"):
        table.add_column(col, justify="right" if col in ("runs", "estimate") else "left")
    previous = None
    for g in group_runs(plan.specs, estimate):
        time = fmt_duration(g.seconds) + (f" (+{g.unknown} unknown)" if g.unknown else "")
        table.add_row(g.kernel if g.kernel != previous else "", g.axis, g.strategy,
                      str(len(g.specs)), g.values("flavour"), g.values("workers"),
                      g.values("size"), g.values("chunks"), g.values("axis_value"), time)
        previous = g.kernel
    console.print(table)
    parts = [f"{estimate.modelled} modelled"]
    if estimate.measured:
        parts.append(f"{estimate.measured} as long as the same runs took in {model.source}")
    if estimate.unknown:
        parts.append(f"{estimate.unknown} without calibration (user kernels), left out")
    scale = (f"; this machine ran {estimate.machine_scale:.2f}x the reference machine's "
             "serial times" if estimate.machine_scale != 1.0 else "")
    console.print(f"{len(plan.specs)} runs, about {fmt_duration(estimate.total_s)} "
                  f"({', '.join(parts)}; {fmt_duration(estimate.fixed_s)} of set-up, "
                  f"machine facts and report; reference: {REFERENCE_MACHINE}{scale}).",
                  highlight=False)
    for line in skipped_lines(plan.skipped):
        console.print(line, highlight=False, markup=False)
    return estimate


__all__ = ["Group", "cost_model", "fmt_duration", "group_runs", "print_dry_run"]
