"""The ``workers`` axis: the plain sweep itself, 1 worker up to 2x the usable cores."""

from __future__ import annotations

from gilbench.axes.base import Axis, Selection
from gilbench.axes.workers import INFO
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel


class WorkersAxis(Axis):
    """Scaling with the worker count: the plain sweep, tagged, with the oversubscribed
    point (2x the usable cores) unless ``--workers`` names the counts."""

    info = INFO
    oversubscribe = True

    def plan(self, kernel: Kernel, selection: Selection) -> list[RunSpec]:
        return []  # build_plan plans the plain sweep and tags it


#: The instance gilbench.axes.registry registers.
AXIS = WorkersAxis()
