"""The calls axis's plan: the runs that map it (see the package docstring)."""

from __future__ import annotations

from gilbench.axes.base import Axis, Selection
from gilbench.axes.calls import INFO
from gilbench.harness import RunSpec
from gilbench.kernels import Kernel


class CallsAxis(Axis):
    """Start-up amortisation: how many calls before a cold pool beats serial and threads."""

    info = INFO

    def plan(self, kernel: Kernel, selection: Selection) -> list[RunSpec]:
        return []  # build_plan plans the plain sweep, which the finder reads


#: The instance gilbench.axes.registry registers.
AXIS = CallsAxis()
