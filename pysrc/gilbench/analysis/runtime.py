"""The GIL a run really ran with, in words, and the finding that says when it was not the
GIL the interpreter started with.

A flavour's ``gil`` trait describes its code (``holds``, ``releases``, ``partial``); what
a run found is recorded separately (``gil_enabled`` per run, the parent's and each
worker's state in ``extra``, and the modules that turned the GIL back on). Finders word
their verdicts from the recorded state, so "the GIL is off" is never mistaken for "the
code released it".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row

#: The kinds of finding this module makes.
GIL_RUNTIME = "gil-runtime"


def free_threaded(machine: Mapping[str, Any]) -> bool:
    """Whether the results come from a free-threaded build (its GIL can be off)."""
    return bool(machine.get("gil", {}).get("free_threaded_build"))


def requested_words(machine: Mapping[str, Any]) -> str | None:
    """``PYTHON_GIL=1`` / ``-X gil=1``: what asked for the GIL state, or None."""
    gil = machine.get("gil", {})
    if gil.get("x_gil") is not None:  # -X gil wins over the variable
        return f"-X gil={gil['x_gil']}"
    if gil.get("python_gil_env") is not None:
        return f"PYTHON_GIL={gil['python_gil_env']}"
    return None


def why_gil_on(row: Row, machine: Mapping[str, Any]) -> str | None:
    """On a free-threaded build, why this run had a GIL (None: it had none, or the build
    always has one)."""
    if row.gil_enabled is not True or not free_threaded(machine):
        return None
    names = row.get("gil_enabled_by") or []
    where = _where_on(row)
    if names:
        return f"importing {', '.join(names)} turned it on{where}"
    asked = requested_words(machine)
    if asked and asked.endswith("=1"):
        return f"{asked} turned it on"
    return f"something turned it on{where} that no warning named"


def _where_on(row: Row) -> str:
    parent = row.get("parent_gil_enabled")
    workers = row.get("worker_gil_enabled") or []
    if workers and parent is False:
        return f" in {sum(workers)} of {len(workers)} worker processes"
    return ""


def gil_off_words(flavour_gil: str | None) -> str:
    """Why threads of a run without a GIL can run at once, by what the code does."""
    if flavour_gil == "holds":
        return ("the GIL is off in this interpreter (a free-threaded build), not released: "
                "this code would hold it where there is one")
    return "the GIL is off in this interpreter (a free-threaded build)"


@register_finder(GIL_RUNTIME,
                 "runs whose GIL was not the one the interpreter started with, and why")
def gil_runtime(view: KernelView) -> Iterator[Finding]:
    """On a free-threaded build: the runs that ran with a GIL although the interpreter
    did not ask for one (an import turned it on, in the parent or in workers)."""
    if not free_threaded(view.machine):
        return
    asked = requested_words(view.machine)
    if asked and asked.endswith("=1"):
        return  # the GIL was asked for: every run has it, and the machine table says so
    on = [r for r in view.rows if r.gil_enabled is True]
    if not on:
        return
    names = list(dict.fromkeys(n for r in on for n in (r.get("gil_enabled_by") or [])))
    in_workers = [r for r in on if r.get("parent_gil_enabled") is False]
    where = (f" (in the worker processes of {len(in_workers)} of them)" if in_workers
             else "")
    what = (f"importing {', '.join(names)} turned it on" if names else
            "something turned it on that no warning named (an import before gilbench "
            "watched, or a silenced RuntimeWarning)")
    yield Finding(
        kernel=view.kernel, kind=GIL_RUNTIME,
        sentence=(f"{len(on)} of {len(view.rows)} runs ran with the GIL although this "
                  f"free-threaded interpreter started without it{where}: {what}; those runs "
                  f"measured a GIL."),
        runs=tuple(r.id for r in on),
        figures=(Figure("runs_with_gil", len(on)), Figure("runs", len(view.rows)),
                 Figure("enabled_by", ", ".join(names) or None)),
        verdict="gil-reenabled")
