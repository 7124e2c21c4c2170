"""A chunk function that does nothing: what a strategy costs per task besides the work
(:mod:`gilbench.dispatch`). Numpy-free, so subinterpreters can run it too."""

from __future__ import annotations

from typing import Any


def empty_task(workspace: Any, chunk: Any) -> None:
    """No work (module level: it pickles by reference)."""
    return None
