"""The layers (CONTRIBUTING.md) hold: import-linter's contracts pass, a forbidden import breaks
them, and at run time a reader loads no runner (the axes' findings and plots are loaded
by name, where a static checker cannot follow)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "pysrc" / "gilbench"

pytest.importorskip("importlinter", reason="optional extra [lint]: import-linter is not "
                    "installed (pip install -e '.[lint]')")


def lint_imports(src: Path, config: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the gilbench package found under ``src``."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True))")
    return subprocess.run([sys.executable, "-c", code, str(config)], cwd=src,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})


def test_the_layer_contracts_hold():
    done = lint_imports(SOURCE.parent, ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") >= 3


@pytest.mark.parametrize(("module", "line", "contract"), [
    # A reader reaching for a runner, and the core reaching up.
    ("analysis/verdicts.py", "import gilbench.harness", "Readers"),
    ("axes/granularity/plot.py", "import gilbench.kernels", "Readers"),
    ("roles.py", "import gilbench.strategies", "Core"),
    ("kernels/base.py", "import gilbench.sweep", "Layers"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line, contract):
    copy = tmp_path / "src" / "gilbench"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{line}  # the forbidden import\n")
    done = lint_imports(copy.parent, ROOT / "pyproject.toml")
    assert done.returncode != 0
    broken = [ln for ln in done.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(contract in ln for ln in broken), done.stdout


def _modules_loaded_by(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\n"
                          "print('\\n'.join(m for m in sys.modules if m.startswith('gilbench')))"],
                         capture_output=True, text=True, timeout=120, check=True)
    return set(out.stdout.split())


RUNNERS = ("gilbench.harness", "gilbench.kernels", "gilbench.strategies", "gilbench.sweep",
           "gilbench.plan", "gilbench.flavours", "gilbench.axes.registry",
           "gilbench.axes.base", "gilbench._native")


def test_a_report_renders_without_loading_a_runner(tmp_path):
    results = ROOT / "docs" / "results" / "2cpu-xeon-standard" / "results.json"
    loaded = _modules_loaded_by(
        "import json; from gilbench.report import render_report\n"
        f"render_report(json.load(open({str(results)!r})), {str(tmp_path)!r}, plots=False)")
    assert "gilbench.report" in loaded and "gilbench.axes.granularity.findings" in loaded
    assert not [m for m in loaded if m.startswith(RUNNERS)], sorted(loaded)
    assert not [m for m in loaded if m.endswith(".plan")]


def test_an_axis_identity_imports_nothing_else_of_gilbench():
    # Every layer imports the axes' identities (gilbench.axes.<name>): they stay light.
    loaded = _modules_loaded_by("import gilbench.axes as a\n"
                                "for info in a.infos(): pass")
    assert loaded <= {"gilbench", "gilbench.version", "gilbench.axes",
                      *(f"gilbench.axes.{p}" for p in
                        ("workers", "granularity", "gilfraction", "payload", "calls"))}, loaded
