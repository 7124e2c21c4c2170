"""Start methods of worker processes: which exist here, which one a run uses, and forking
after an OpenMP team.

GNU libgomp is not fork-safe: a child forked after its parent ran an OpenMP team inherits
the team's bookkeeping without its threads, and hangs as soon as it starts a team of its
own with more than one thread (loky's ``test_compatibility_openmp``; reproduced here: one
thread in the child runs, two hang). gilbench avoids the hang three ways: its process
workers cap native thread pools at one thread (threadpoolctl, in the worker initialiser),
plans run every self-parallel (OpenMP) run after the process runs, and a session that
forks after a team records it (``notes["fork_after_openmp"]``) and names the cure in its
timeout message. ``forkserver`` and ``spawn`` workers do not inherit the team at all.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

__all__ = ["START_METHODS", "check_start_method", "choose", "default_start_method",
           "fork_hazard", "note_openmp_team", "started_forkserver", "stop_forkserver"]

#: The start methods this platform offers, in multiprocessing's order (default first).
START_METHODS: tuple[str, ...] = tuple(mp.get_all_start_methods())

#: Threads of the largest OpenMP team this process has run (0: none yet).
_team_threads = 0


def check_start_method(name: Any) -> str:
    """``name`` if it is a start method of this platform, else ValueError listing them."""
    if name not in START_METHODS:
        raise ValueError(f"unknown start method {name!r}; valid choices here: "
                         f"{', '.join(START_METHODS)}")
    return name


def default_start_method() -> str:
    """multiprocessing's default here (``fork`` on Linux before Python 3.14, then
    ``forkserver``; ``spawn`` on macOS and Windows), or what the program set."""
    return mp.get_start_method(allow_none=True) or START_METHODS[0]


def note_openmp_team(threads: int) -> None:
    """Record that this process is about to run a self-parallel team of ``threads``
    (sessions of strategies that drive such flavours call this)."""
    global _team_threads
    _team_threads = max(_team_threads, threads)


def fork_hazard() -> str | None:
    """Why forking now may hang a worker that starts an OpenMP team (None: no reason)."""
    if _team_threads > 1:
        return (f"this process ran an OpenMP team of {_team_threads} threads before forking; "
                "a forked worker that starts a team of its own hangs (GNU libgomp is not "
                "fork-safe), so workers cap native thread pools at 1 thread")
    return None


def choose(requested: str | None) -> tuple[str, dict[str, Any]]:
    """The start method a session uses, and the notes its run records about the choice."""
    method = check_start_method(requested) if requested else default_start_method()
    notes: dict[str, Any] = {}
    if requested is None:
        notes["start_method_chosen_by"] = "multiprocessing's default"
    if method == "fork":
        hazard = fork_hazard()
        if hazard:
            notes["fork_after_openmp"] = hazard
    return method, notes


# -- forkserver ---------------------------------------------------------------------------
def _forkserver_running() -> bool:
    from multiprocessing import forkserver

    return getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None) is not None


def started_forkserver() -> bool:
    """Start multiprocessing's fork server unless it runs; False if it already ran (the
    program's own, left alone, and not stopped either).

    The server imports gilbench's worker side first, so that workers forked from it start
    with numpy and the kernel contract already imported. It starts in the background:
    the first worker waits for it, so a session's start-up includes it.
    """
    from multiprocessing import forkserver

    if _forkserver_running():
        return False
    forkserver.set_forkserver_preload(["gilbench.strategies.processes"])
    forkserver.ensure_running()
    return True


def stop_forkserver() -> None:
    """Stop the fork server a session started: it is a child process, and a run leaves
    none behind. (CPython's own tests stop it the same way.)"""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if stop is not None and _forkserver_running():
        stop()
