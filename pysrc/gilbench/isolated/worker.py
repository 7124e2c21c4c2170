"""The subinterpreter side of the ``subinterpreters`` strategy: set up once, run chunks.

Everything crosses the interpreter boundary as bytes (pickles) or shared memoryviews, the
only objects both sides can hold; exceptions come back pickled, so the original type and
message reach the parent.
"""

from __future__ import annotations

import pickle
from typing import Any

from gilbench.isolated.workspace import IsolatedWorkspace, as_array

_STATE: dict[str, Any] = {}


def setup(fn: bytes, params: bytes, names: tuple[str, ...], views: tuple[memoryview, ...],
          layout: bytes) -> None:
    """Load the chunk function and build the workspace over the parent's memory."""
    shapes = pickle.loads(layout)
    arrays = {name: as_array(view, *shapes[name]) for name, view in zip(names, views, strict=True)}
    _STATE["fn"] = pickle.loads(fn)
    _STATE["ws"] = IsolatedWorkspace(pickle.loads(params), arrays)


def run(task: bytes) -> bytes:
    """Run one pickled chunk: the pickled ``(True, partial)`` or ``(False, exception)``."""
    try:
        return pickle.dumps((True, _STATE["fn"](_STATE["ws"], pickle.loads(task))))
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent
        try:
            return pickle.dumps((False, exc))
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
