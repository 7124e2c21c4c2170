"""The GIL of this process as it runs: on or off, what asked for it, which import turned it on.

A free-threaded CPython (3.13t, 3.14t) starts without a GIL, but importing an extension
that does not declare itself free-threading compatible turns the GIL back on for the whole
process; CPython then warns with a RuntimeWarning naming the module. This module records
those names (:func:`watching_imports` around the imports gilbench makes, and a
``warnings.showwarning`` hook for the rest), and :func:`state` reports it all, in the
parent and in every worker process, so that each run records the GIL it really ran with.
Nothing here imports the rest of gilbench.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["GIL_WARNING", "gil_enabled", "enabled_by", "install", "note", "requested",
           "run_record", "state", "watching_imports"]

#: CPython's warning when an import turns the GIL back on (3.13+); group 1 is the module.
GIL_WARNING = re.compile(r"global interpreter lock \(GIL\) has been enabled to load "
                         r"module '([^']+)'")

_lock = threading.Lock()
_enabled_by: list[str] = []
#: Set on gilbench's ``warnings.showwarning`` hook, so that :func:`install` knows it.
_HOOK_MARK = "_gilbench_gilwatch_hook"


def gil_enabled() -> bool:
    """Whether this interpreter runs with a GIL now: always on a default build; on a
    free-threaded one unless PYTHON_GIL=0/-X gil=0, or an imported extension that does not
    declare itself free-threading compatible, has turned it on again."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return bool(is_enabled()) if is_enabled else True


def requested() -> int | None:
    """What PYTHON_GIL or ``-X gil`` asked for (0 or 1; ``-X gil`` wins), None when neither
    did or the build has no such switch (a default 3.13 build reports ``sys.flags.gil``
    as 1 whatever was asked: it always has its GIL)."""
    value = getattr(sys.flags, "gil", None)
    return None if value is None or not free_threaded_build() else int(value)


def note(message: object) -> str | None:
    """Record the module named by a GIL warning ``message``; returns it (None: not one)."""
    match = GIL_WARNING.search(str(message))
    if not match:
        return None
    with _lock:
        if match.group(1) not in _enabled_by:
            _enabled_by.append(match.group(1))
    return match.group(1)


def enabled_by() -> list[str]:
    """Modules whose import turned the GIL on in this process, in import order."""
    with _lock:
        return list(_enabled_by)


@contextmanager
def watching_imports() -> Iterator[None]:
    """Record the GIL warnings raised inside, then re-emit every warning caught, so the
    user's filters (``-W error`` included) still decide what happens to them.

    ``warnings.catch_warnings`` is process-wide: use it only where no other thread of
    this process imports or warns (module import, worker start-up).
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:  # an import that failed half-way may still have turned the GIL on
        for w in caught:
            note(w.message)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                                   source=w.source)


def install() -> None:
    """Hook ``warnings.showwarning`` so that a GIL warning shown later, from an import
    gilbench does not wrap (a chunk function's first call), is recorded.

    Idempotent: the hook goes in only where ``warnings.showwarning`` is not it already.
    What measures calls this when it starts (the ``gilbench`` command, :func:`measure`,
    the sweep), so a ``warnings.catch_warnings`` block that ended since, restoring an
    earlier ``showwarning``, does not leave later runs unhooked.
    """
    with _lock:
        shown = warnings.showwarning
        if getattr(shown, _HOOK_MARK, False):
            return

        def showwarning(message, category, filename, lineno, file=None, line=None):
            note(message)
            return shown(message, category, filename, lineno, file, line)

        setattr(showwarning, _HOOK_MARK, True)
        warnings.showwarning = showwarning


def state() -> dict[str, Any]:
    """This process's GIL now: ``gil_enabled``, ``requested`` (PYTHON_GIL/-X gil),
    ``enabled_by`` (modules that turned it on) and ``pid``."""
    return {"gil_enabled": gil_enabled(), "requested": requested(),
            "enabled_by": enabled_by(), "pid": os.getpid()}


def run_record(parent: Mapping[str, Any], workers: Sequence[Mapping[str, Any]]
               ) -> tuple[bool, dict[str, Any]]:
    """(run-level ``gil_enabled``, fields for a run's ``extra``) from the states of the
    parent and of the worker processes that ran chunks.

    The run counts as GIL-free only if the parent and every worker ran without the GIL.
    ``gil_enabled_by`` names every module that turned it on in any of them;
    ``gil_unexplained`` marks a GIL that is on although nothing asked for it and no
    warning named a module (an import before gilbench could watch, or a silenced warning).
    """
    states = [parent, *workers]
    names = list(dict.fromkeys(n for s in states for n in s.get("enabled_by", ())))
    enabled = any(bool(s.get("gil_enabled")) for s in states)
    extra: dict[str, Any] = {"parent_gil_enabled": bool(parent.get("gil_enabled"))}
    if workers:
        extra["worker_gil_enabled"] = [bool(s.get("gil_enabled")) for s in workers]
        extra["worker_gil_requested"] = [s.get("requested") for s in workers]
    if names:
        extra["gil_enabled_by"] = names
    if free_threaded_build() and any(
            s.get("gil_enabled") and s.get("requested") != 1 and not s.get("enabled_by")
            for s in states):
        extra["gil_unexplained"] = True
    return enabled, extra


def free_threaded_build() -> bool:
    """Whether this CPython was built with ``--disable-gil`` (``Py_GIL_DISABLED``)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
