"""Imports flow one way (DESIGN.md): no module imports back a module that imports it.

A lazy import inside a function hides a cycle from ``python -c "import X"`` until that
function runs, so the graph is read from the source: every ``import`` anywhere in a
module counts. A package's ``__init__`` always runs before its submodules, so a submodule
naming its own package (``from gilbench import native``) is an edge to ``native`` only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pysrc" / "gilbench"


def modules() -> tuple[dict[str, Path], set[str]]:
    """Every gilbench module name -> its file, and which of them are packages."""
    found: dict[str, Path] = {}
    packages: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
            packages.add(".".join(parts))
        found[".".join(parts)] = path
    return found, packages


def import_graph() -> dict[str, set[str]]:
    """Module -> the gilbench modules it imports, at module level or inside functions."""
    found, packages = modules()
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        here = name if name in packages else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                subs = {f"{base}.{a.name}" for a in node.names} & found.keys()
                targets.update(subs)
                if len(subs) < len(node.names):  # names defined in the module itself
                    targets.add(base)
        graph[name] = {t for t in targets if t in found and t != name
                       and not (t in packages and name.startswith(t + "."))}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_lazy_imports():
    graph = import_graph()
    # kernels/__init__ imports flavours inside register_kernel() only.
    assert "gilbench.flavours" in graph["gilbench.kernels"]
    assert "gilbench.kernels.reduction" in graph["gilbench.kernels"]
    assert graph["gilbench.harness"] >= {"gilbench.allocator", "gilbench.kernels"}


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_machine_and_allocator_do_not_reach_the_harness():
    """Metadata and allocator tuning sit below kernels (reduction sizes itself from the
    cache size), so they must not import the harness, even lazily."""
    graph = import_graph()
    for start in ("gilbench.machine", "gilbench.allocator"):
        seen, todo = set(), [start]
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(graph[module])
        assert "gilbench.harness" not in seen, start
    assert not {m for m in graph["gilbench.allocator"] if m.startswith("gilbench")}


@pytest.mark.parametrize("first", ["gilbench.machine", "gilbench.kernels.reduction",
                                   "gilbench.allocator"])
def test_the_modules_of_the_old_cycle_import_first_in_a_fresh_interpreter(first):
    """The cycle was harness -> kernels -> reduction -> machine -> (lazily) harness:
    collecting metadata right after importing any of them must work."""
    code = (f"import {first}\n"
            "from gilbench.machine import collect_machine_metadata\n"
            "assert collect_machine_metadata()['versions']['gilbench']\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr


def _fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_importing_gilbench_changes_nothing_in_the_process():
    """No import hook, no warnings hook: what measures installs those (the command first
    thing, measure() and the sweep when they start)."""
    out = _fresh("import sys, warnings; before=(warnings.showwarning, list(sys.meta_path)); "
                 "import gilbench; "
                 "assert (warnings.showwarning, list(sys.meta_path)) == before")
    assert out.returncode == 0, out.stderr


def test_importing_the_command_loads_nothing_else_of_gilbench():
    """The command installs its hooks before the rest of gilbench loads (on a
    free-threaded build the bytecode finder sees every module after it), so importing
    gilbench or gilbench.cli must not load the registries; the public names still do."""
    out = _fresh("import sys; import gilbench.cli; "
                 "print(sorted(m for m in sys.modules if m.startswith('gilbench'))); "
                 "from gilbench import KERNELS, PROFILES, measure; import gilbench.plan; "
                 "assert PROFILES is gilbench.plan.PROFILES and KERNELS and measure")
    assert out.returncode == 0, out.stderr
    # gilbench.version: __version__, which holds no code a thread runs.
    assert out.stdout.split() == ["['gilbench',", "'gilbench.cli',", "'gilbench.version']"]


def test_the_package_names_every_public_name():
    import gilbench

    for name in gilbench.__all__:
        assert getattr(gilbench, name) is not None, name
        assert name in dir(gilbench)
    with pytest.raises(AttributeError, match="no_such_name"):
        gilbench.no_such_name  # noqa: B018
