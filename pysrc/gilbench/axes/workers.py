"""The ``workers`` axis: the plain sweep itself, 1 worker up to 2x the usable cores."""

from __future__ import annotations

from gilbench.axes.base import Axis, Selection
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel


class WorkersAxis(Axis):
    """Scaling with the worker count: the plain sweep, tagged, with the oversubscribed
    point (2x the usable cores) unless ``--workers`` names the counts."""

    name = "workers"
    description = ("the plain sweep over worker counts, 1 up to 2x the usable cores "
                   "(runs tagged axis=workers)")
    condition = "workers"
    finders = ("threads-vs-processes",)
    plotters = ("scaling",)
    plain_sweep = "tag"
    oversubscribe = True

    def plan(self, kernel: Kernel, selection: Selection) -> list[RunSpec]:
        return []  # build_plan plans the plain sweep and tags it
