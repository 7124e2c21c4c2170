"""The README's promises: its two first-screen commands, its Python example runs, it stays a
front door, and its links (and those of the docs/ pages) lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gilbench import KERNELS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: The topic pages the README links to (docs/results/ holds committed sweeps, not pages).
PAGES = sorted((ROOT / "docs").glob("*.md"))
#: The most lines the README may have: a front door; the detail lives in docs/.
README_MAX_LINES = 300


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


def test_readme_is_a_front_door():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines, more than {README_MAX_LINES}: move the detail "
        "into a page under docs/ and link it")


def prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code, where brackets are code."""
    text = re.sub(r"^ *```.*?^ *```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def links(text: str) -> list[str]:
    """The targets of the Markdown links ``[text](target)`` in ``text``'s prose."""
    return re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", prose(text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    words = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return words.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of ``path``'s headings (inline code counts as its text)."""
    text = re.sub(r"^ *```.*?^ *```", "", path.read_text(), flags=re.S | re.M)
    return {slug(h.replace("`", "")) for h in re.findall(r"^#+ (.*)$", text, flags=re.M)}


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files_that_exist(page):
    broken = []
    for target in links(page.read_text()):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target} (no file {dest})")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target} (no heading #{anchor} in {dest.name})")
    assert not broken, f"{page.name}: broken links: {broken}"


def test_readme_links_every_docs_page():
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in links(README.read_text())}
    missing = [p.name for p in PAGES if p.resolve() not in linked]
    assert PAGES and not missing, f"README.md links no page for {missing}"


@pytest.mark.parametrize("page", [p for p in PAGES if "```python" in p.read_text()],
                         ids=lambda p: p.name)
def test_docs_python_examples_run(page, capsys):
    """Every ```python block of a docs page runs as written (one namespace per page)."""
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.S | re.M)
    namespace = {"__name__": "docs_example"}
    try:
        for block in blocks:
            exec(compile(block, str(page), "exec"), namespace)
    finally:
        KERNELS.pop("sum-of-squares", None)
    assert capsys.readouterr().out


def test_the_readme_rules_of_thumb_are_a_committed_reports():
    # The README quotes no figure by hand: its table is the one a committed report holds
    # (tools/readme_excerpt.py copies it; rerun it after committing new results).
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "readme_excerpt", README.parent / "tools" / "readme_excerpt.py")
    excerpt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(excerpt)
    match = excerpt.MARKED.search(README.read_text())
    assert match is not None
    report = (README.parent / match["source"]).read_text()
    assert match["body"] == excerpt.rules_table(report)
    assert match["body"].count("\n") >= 3  # a header, its rule and at least one row
