"""``gilbench list``: the registries as plain data (``--json``), and that data as tables.

:func:`registry_listing` reads kernels, flavours, strategies, axes and profiles into dicts
and lists that JSON can hold; :func:`print_listing` renders only that data, so the text
and ``--json`` cannot say different things.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from gilbench.axes.registry import AXES
from gilbench.flavours import FLAVOURS
from gilbench.kernels import KERNELS
from gilbench.profiles import PROFILES
from gilbench.strategies import STRATEGIES

__all__ = ["capability_words", "print_listing", "registry_listing"]

#: A registered thing that can run here: its status in the listing.
AVAILABLE = "available"


def registry_listing() -> dict[str, Any]:
    """Every registered kernel, flavour, strategy, axis and profile, with whether it can run
    here and why not, as JSON-ready dicts keyed by name (in registration order)."""
    kernels = {
        k.name: {"summary": k.summary, "sizes": dict(k.sizes), "flavours": {
            f: k.flavour_unavailable_reason(f) or AVAILABLE for f in FLAVOURS},
            "implemented": list(k.implementations),
            "flavour_sizes": {f: dict(sizes) for f, sizes in k.flavour_sizes.items()}}
        for k in KERNELS.values()}
    flavours = {f.name: {"description": f.description, "gil": f.gil,
                         "parallel_inside": f.parallel_inside,
                         "status": f.unavailable_reason() or AVAILABLE}
                for f in FLAVOURS.values()}
    strategies = {s.name: {"description": s.description, "uses": s.uses, "core": s.core,
                           "default_sweep": s.default_sweep,
                           "capabilities": s.capabilities(),
                           "status": s.unavailable_reason() or AVAILABLE}
                  for s in STRATEGIES.values()}
    axes = {a.name: {"description": a.description, "condition": a.condition,
                     "findings": list(a.finders),
                     "kernels": {k.name: a.unavailable_reason(k) or "applies"
                                 for k in KERNELS.values()},
                     "default_in": {p: list(ks) for p, ks in a.default_in.items()},
                     "plain_sweep": a.plain_sweep}
            for a in AXES.values()}
    # plain data: a tuple (the schedules) as the list JSON would make of it
    profiles = {name: {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(p).items()}
                for name, p in PROFILES.items()}
    return {"kernels": kernels, "flavours": flavours, "strategies": strategies,
            "axes": axes, "profiles": profiles}


def print_listing(console: Console, data: dict[str, Any]) -> None:
    """Print :func:`registry_listing`'s ``data`` as ``gilbench list``'s tables."""
    _print_flavours(console, data["flavours"])
    _print_strategies(console, data["strategies"])
    _print_axes(console, data["axes"])
    _print_kernels(console, data["kernels"], list(data["flavours"]), list(data["profiles"]))


def _print_flavours(console: Console, flavours: dict[str, Any]) -> None:
    table = Table(title="Flavours", title_justify="left")
    for col in ("flavour", "GIL", "status", "what it is"):
        table.add_column(col)
    for name, f in flavours.items():
        table.add_row(name, f["gil"] + (", parallel inside" if f["parallel_inside"] else ""),
                      _status(f["status"]), f["description"])
    console.print(table)


def _print_strategies(console: Console, strategies: dict[str, Any]) -> None:
    table = Table(title="Strategies (* in every profile's sweep; + in the standard and full "
                        "sweeps, one flavour per kernel; the others when named)",
                  title_justify="left")
    for col in ("strategy", "status", "uses", "capabilities", "what it is"):
        table.add_column(col)
    for name, s in strategies.items():
        mark = "" if not s["default_sweep"] else "*" if s["core"] else "+"
        table.add_row(name + mark, _status(s["status"]), s["uses"],
                      capability_words(s["capabilities"]), s["description"])
    console.print(table)


def _print_axes(console: Console, axes: dict[str, Any]) -> None:
    table = Table(title="Axes (gilbench run --axis NAME)", title_justify="left")
    for col in ("axis", "finding", "in profiles by default", "what it varies"):
        table.add_column(col)
    for name, a in axes.items():
        defaults = "; ".join(f"{p}: {', '.join(ks)}" for p, ks in a["default_in"].items())
        if a["plain_sweep"]:  # the plain sweep is (or feeds) this axis
            defaults = "every sweep (the plain runs)"
        table.add_row(name, ", ".join(a["findings"]), defaults or "-", a["description"])
    console.print(table)


def _print_kernels(console: Console, kernels: dict[str, Any], flavours: list[str],
                   profiles: list[str]) -> None:
    table = Table(title="Kernels x flavours (✓ runs here, ✗ implemented but unavailable "
                        "here, - not applicable)", title_justify="left")
    table.add_column("kernel")
    for f in flavours:
        table.add_column(f, justify="center")
    table.add_column("quick/standard/full size")
    notes = []
    for name, k in kernels.items():
        marks = []
        for f, status in k["flavours"].items():
            if status == AVAILABLE:
                marks.append("[green]✓[/green]")
                continue
            marks.append("[red]✗[/red]" if f in k["implemented"] else "-")
            notes.append(f"{name} x {f}: {status}")
        sizes = "/".join(str(k["sizes"][p]) for p in profiles)
        for f, fs in k["flavour_sizes"].items():
            sizes += f"\n{f}: " + "/".join(str(fs[p]) for p in profiles)
        table.add_row(name, *marks, sizes)
    console.print(table)
    for name, k in kernels.items():
        console.print(f"  [bold]{name}[/bold]: {k['summary']}", highlight=False)
    if notes:
        console.print("[bold]Why not:[/bold]")
        for note in notes:
            console.print(f"  {note}", highlight=False)


def capability_words(caps: dict) -> str:
    """A strategy's declared capabilities in a few words (``gilbench list``)."""
    words = [word for flag, word in (
        ("uses_threads", "threads"), ("uses_processes", "processes"),
        ("drives_parallel_flavours", "drives self-parallel flavours"),
        ("single_worker", "one worker"), ("one_chunk", "one chunk"),
        ("ships_inputs", "ships inputs"), ("ships_outputs", "ships outputs"),
        ("remote", "remote"), ("own_gil_per_worker", "own GIL per worker"),
        ("supports_start_method", "start methods"))
        if caps.get(flag)]
    if caps.get("library"):
        words.append(f"library {caps['library']}")
    if caps.get("ipc") not in (None, "in-process"):
        words.append(f"chunks by {caps['ipc']}")
    if caps.get("returns") not in (None, "in-process"):
        words.append(f"partials {caps['returns']}")
    return ", ".join(words)


def _status(text: str) -> str:
    return "[green]available[/green]" if text == AVAILABLE else f"[red]{text}[/red]"
