"""A user's task over a batch of items, inside a subinterpreter: the chunk function that
``gilbench advise`` hands the ``subinterpreters`` strategy (numpy-free, like the rest of
this package)."""

from __future__ import annotations

from typing import Any


def run_batch(ws: Any, chunk: tuple[Any, list[Any]]) -> list[Any]:
    """``[task(x) for x in batch]`` for ``chunk = (task, batch)``; the workspace is unused."""
    task, batch = chunk
    return [task(x) for x in batch]
