"""A chunk function repeated over the same chunk (the ``payload`` axis's passes), kept free
of numpy so that the same wrapper can run in an isolated subinterpreter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RepeatedChunk:
    """A chunk function run ``workspace.params[param]`` times over the same chunk, returning
    the last partial: the compute per byte of input grows with the parameter while the
    inputs, the result and what a strategy ships stay the same (the ``payload`` axis sets
    it; every pass computes the same partial, so verification is unchanged)."""

    fn: Callable[[Any, Any], Any]
    param: str

    def __call__(self, workspace: Any, chunk: Any) -> Any:
        result = None
        for _ in range(workspace.params.get(self.param, 1)):
            result = self.fn(workspace, chunk)
        return result
