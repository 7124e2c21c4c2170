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
