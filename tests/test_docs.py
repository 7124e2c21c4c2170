"""The guide's code runs: every fenced code block of the site's own pages (the decision
page, docs/guide/, docs/reference/) is executed by sybil, or skipped with a reason by a
``% skip: next if(...)`` line whose condition is one of the switches below. A block in a
language nothing runs, or a skip without a reason, fails. The figures the pages include
are generated from committed results (tools/docs_figures.py), and every include resolves.

Skipped, saying why, without the [docs] extra (sybil).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from unittest import SkipTest

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDE = DOCS / "guide"
#: The pages whose code blocks are the guide's (docs/*.md's python blocks run in
#: tests/test_readme.py).
PAGES = [DOCS / "index.md", *sorted(GUIDE.glob("*.md")), *sorted((DOCS / "reference").glob("*.md"))]
#: Fenced blocks that are code (``{directive}`` fences are MyST directives, not code).
RUNNABLE = ("python", "bash")

sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))
from gilbench_docs import ADVISE_REASON, advise_available  # noqa: E402

sybil = pytest.importorskip("sybil", reason="needs the [docs] extra (pip install -e '.[docs]')")
from sybil.evaluators.skip import Skipper  # noqa: E402
from sybil.parsers.myst import CodeBlockParser, PythonCodeBlockParser, SkipParser  # noqa: E402


def switches() -> dict[str, object]:
    """The names a page's skip conditions may use: one switch per optional requirement."""
    interpreters = importlib.util.find_spec("_interpreters") is not None
    return {
        "NEEDS_ADVISE": not advise_available(), "ADVISE_REASON": ADVISE_REASON,
        "NEEDS_313": sys.version_info < (3, 13) or not interpreters,
        "PY313_REASON": "needs Python >= 3.13 (subinterpreters with their own GIL)",
        "NEEDS_NUMBA": importlib.util.find_spec("numba") is None,
        "NUMBA_REASON": "needs numba (the [peers] extra)",
        "NEEDS_CFFI": importlib.util.find_spec("cffi") is None,
        "NO_AFFINITY": not hasattr(os, "sched_setaffinity"),
    }


def run_bash(example) -> None:
    """A ``bash`` block runs as a script in a fresh folder (what it writes goes there), with
    this Python's ``gilbench`` on PATH and the guide's examples.py importable."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    pythonpath = os.pathsep.join([str(GUIDE), str(ROOT / "pysrc"),
                                  os.environ.get("PYTHONPATH", "")])
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", example.parsed], cwd=cwd,
                              env={**os.environ, "PATH": path, "PYTHONPATH": pythonpath},
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"


def setup(namespace: dict) -> None:
    namespace.update(switches())
    namespace["__name__"] = "docs_example"
    sys.path.insert(0, str(GUIDE))


def teardown(namespace: dict) -> None:
    if str(GUIDE) in sys.path:
        sys.path.remove(str(GUIDE))


SYBIL = sybil.Sybil(parsers=[PythonCodeBlockParser(), CodeBlockParser("bash", run_bash),
                             SkipParser()], setup=setup, teardown=teardown)


def fenced_blocks(text: str) -> list[tuple[int, str]]:
    """(line, language) of each fenced code block of a MyST page (directives excluded)."""
    blocks, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"^(`{3,})(.*)$", line)
        if not match:
            continue
        if fence is None:
            fence = match[1]
            info = match[2].strip()
            if not info.startswith("{"):
                blocks.append((number, info.split()[0] if info else ""))
        elif match[1] == fence and not match[2].strip():
            fence = None
    return blocks


@dataclass
class PageRun:
    blocks: int = 0
    ran: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    unrunnable: list[tuple[int, str]] = field(default_factory=list)
    #: Skip lines without a condition and reason: sybil then skips silently.
    silent: list[int] = field(default_factory=list)


@functools.cache
def run_page(page: Path) -> PageRun:
    """Evaluate every example of ``page`` in order (one namespace per page)."""
    blocks = fenced_blocks(page.read_text())
    result = PageRun(blocks=len(blocks),
                     unrunnable=[(n, lang) for n, lang in blocks if lang not in RUNNABLE])
    document = SYBIL.parse(page)
    setup(document.namespace)
    try:
        for example in document:
            is_skip = isinstance(example.region.evaluator, Skipper)
            if is_skip and example.parsed[0] in ("next", "start") and not example.parsed[1]:
                result.silent.append(example.line)
            try:
                example.evaluate()
            except SkipTest as skip:
                result.skipped.append((example.line, str(skip)))
                continue
            if not is_skip:
                result.ran.append(example.line)
    finally:
        teardown(document.namespace)
    return result


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_code_block_runs_or_skips_with_its_reason(page):
    run = run_page(page)
    assert not run.unrunnable, (
        f"{page.name}: code blocks in a language the doc tests do not run (use python or "
        f"bash): {run.unrunnable}")
    assert not run.silent, f"{page.name}: skips without a reason at lines {run.silent}"
    assert all(reason.strip() for _, reason in run.skipped), run.skipped
    assert len(run.ran) + len(run.skipped) == run.blocks, (
        f"{page.name}: {run.blocks} code blocks, {len(run.ran)} ran, "
        f"{len(run.skipped)} skipped: some block was neither run nor skipped with a reason")


def test_the_count_of_code_blocks_run_and_skipped(capsys):
    runs = {p: run_page(p) for p in PAGES}
    total = sum(r.blocks for r in runs.values())
    ran = sum(len(r.ran) for r in runs.values())
    skipped = [(p.relative_to(DOCS), line, reason) for p, r in runs.items()
               for line, reason in r.skipped]
    with capsys.disabled():
        print(f"\ndoc code blocks: {total} in all, {ran} executed, {len(skipped)} skipped")
        for where, line, reason in skipped:
            print(f"  skipped {where}:{line}: {reason}")
    assert total and ran + len(skipped) == total
    # Only the documented switches may skip a block.
    allowed = {v for k, v in switches().items() if k.endswith("_REASON")} | {
        "needs cffi (pip install cffi)", "needs os.sched_setaffinity (Linux)",
        "needs taskset (Linux)"}
    assert {reason for *_, reason in skipped} <= allowed


def test_the_counter_catches_a_silent_skip_and_a_block_nothing_runs(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n```\n\n% skip: next\n\n```python\nraise SystemExit\n```"
                    "\n\n```text\noutput\n```\n\n% skip: next if(True, reason='why')\n\n"
                    "```bash\nexit 3\n```\n")
    run = run_page(page)
    # sybil counts the silently skipped block (line 7) as evaluated: only `silent` tells.
    assert run.blocks == 4 and run.ran == [1, 7] and run.silent == [5]
    assert run.unrunnable == [(11, "text")] and run.skipped == [(17, "why")]


# -- the figures --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """docs/_generated as the build writes it, from the committed results, in a tmp dir."""
    import docs_figures
    from docs_snippets import SNIPPETS

    out = tmp_path_factory.mktemp("generated")
    assert len(docs_figures.generate(out)) == len(SNIPPETS)
    return out


def test_every_include_of_a_generated_snippet_is_generated_from_committed_results(generated):
    from docs_snippets import SNIPPETS

    tmp_path = generated
    included = set()
    for page in PAGES:
        for target in re.findall(r"```\{include\} (\S*_generated/\S+)\.md", page.read_text()):
            name = target.split("_generated/", 1)[1]
            if name.startswith("reference/"):  # written by the Sphinx extension
                continue
            included.add(name)
            text = (tmp_path / f"{name}.md").read_text()
            assert text.startswith(("*Measured on ", "*On the reference machine: ",
                                    "*No committed gilbench result")), name
            for folder in re.findall(r"docs/results/([\w./-]+) <", text):
                assert (DOCS / "results" / folder).is_dir(), folder
            for image in re.findall(r"/_generated/(img/\S+\.png)", text):
                assert (tmp_path / image).stat().st_size > 1000, image
    assert included == set(SNIPPETS), set(SNIPPETS) ^ included


def test_each_technique_page_quotes_committed_results_or_says_there_are_none(generated,
                                                                            capsys):
    """Every guide page but advise includes generated snippets; a page none of whose
    snippets found a committed measurement is listed (the figures it still lacks)."""
    unmeasured = []
    for page in sorted(GUIDE.glob("*.md")):
        if page.name == "advise.md":
            continue
        names = re.findall(r"_generated/(\S+)\.md", page.read_text())
        assert names, f"{page.name} includes no figure generated from committed results"
        texts = [(generated / f"{n}.md").read_text() for n in names]
        if not any("*Measured on " in t for t in texts):
            unmeasured.append(page.name)
    with capsys.disabled():
        print(f"\nguide pages with no committed measurement yet: {unmeasured or 'none'}")


def test_the_reference_folder_is_the_first_committed_one():
    import docs_figures

    ref = docs_figures.reference()
    first = next(n for n in docs_figures.REFERENCE if (DOCS / "results" / n).is_dir())
    assert ref.name == first
    assert ref.machine["cpu_model"] in docs_figures.source_line(ref)


def test_the_advise_switch_follows_the_build():
    import gilbench

    has_advise = callable(getattr(gilbench, "advise", None))
    has_testing = importlib.util.find_spec("gilbench.testing") is not None
    assert advise_available() is (has_advise and has_testing)
