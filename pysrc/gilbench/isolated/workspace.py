"""The workspace a chunk function sees in a subinterpreter: memoryviews, no numpy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class IsolatedWorkspace:
    """Like :class:`gilbench.kernels.Workspace`: ``params``, ``arrays`` (memoryviews cast to
    each array's shape and format; inputs read-only), ``threads`` and ``schedule``."""

    __slots__ = ("arrays", "params", "schedule", "threads")

    def __init__(self, params: Mapping[str, Any], arrays: dict[str, memoryview]) -> None:
        self.params = params
        self.arrays = arrays
        self.threads = 1
        self.schedule = "static"


def as_array(shared: memoryview, fmt: str, shape: tuple[int, ...],
             readonly: bool) -> memoryview:
    """A memoryview shared from the parent, cast to ``fmt`` and ``shape``."""
    view = memoryview(shared).cast("B").cast(fmt, shape)
    return view.toreadonly() if readonly else view
