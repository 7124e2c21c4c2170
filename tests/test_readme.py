"""The README's promises: its two first-screen commands, and its Python example runs."""

from __future__ import annotations

import re
from pathlib import Path

from gilbench import KERNELS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_first_screen_has_the_two_commands():
    text = README.read_text()
    first = re.search(r"```bash\n(.*?)```", text, re.S).group(1).strip().splitlines()
    assert first == [
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && '
        "gilbench run --profile quick",
        "pytest",
    ]


def test_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    try:
        for block in blocks:
            exec(compile(block, str(README), "exec"), {"__name__": "readme_example"})
    finally:
        KERNELS.pop("sum-of-squares", None)
    out = capsys.readouterr().out
    for strategy in ("serial", "threads", "processes"):
        assert strategy in out


def test_ci_runs_the_readme_commands_before_installing_anything_else():
    """CI once installed the extras before its first pytest, hiding a test that needed
    numba on a fresh machine. The README's commands must run first, verbatim."""
    readme = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1).splitlines()
    ci = [line.strip() for line in (README.parent / ".ci/run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith(("#", "echo", "export", "set ",
                                                             "cd ", "stage"))]
    assert ci[:2] == [readme[0].strip(), readme[1].strip()], ci[:3]
