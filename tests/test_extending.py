"""CONTRIBUTING.md's examples, run as written: a throw-away axis, finding, plot and strategy,
registered from this test module, reach the plan, findings.json and the report.

Each addition is one piece of code and one registration call; nothing in gilbench is
edited for them, which is the point of the feature-in-one-place layout.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gilbench.analysis import FINDERS, load_findings
from gilbench.axes.registry import unregister_axis
from gilbench.plan import build_plan
from gilbench.report.plots import PLOTTERS
from gilbench.roles import THREAD_POOL
from gilbench.strategies import STRATEGIES

CONTRIBUTING = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


@pytest.fixture(scope="module")
def examples():
    """CONTRIBUTING.md's blocks executed in one namespace (they build on each other);
    everything they registered is removed afterwards."""
    blocks = python_blocks(CONTRIBUTING.read_text())
    assert len(blocks) == 4, "CONTRIBUTING.md shows an axis, a finding, a plot, a strategy"
    namespace: dict = {"__name__": "contributing_examples"}
    try:
        for block in blocks:
            exec(compile(block, str(CONTRIBUTING), "exec"), namespace)
        yield namespace
    finally:
        unregister_axis(namespace.get("TOY_AXIS", "toy-chunks"))
        FINDERS.pop(namespace.get("TOY_KIND", "toy-chunks-speedup"), None)
        PLOTTERS.pop(namespace.get("TOY_AXIS", "toy-chunks"), None)
        STRATEGIES.pop("executor-map", None)


def test_the_axis_plans_its_runs_and_their_baselines(examples):
    plan = build_plan("quick", kernels=["primes"], axes=[examples["TOY_AXIS"]])
    toy = [s for s in plan.specs if s.axis == examples["TOY_AXIS"]]
    assert sorted((s.strategy, s.chunks) for s in toy) == [
        ("serial", 2), ("serial", 8), ("threads", 2), ("threads", 8)]


def test_the_axis_finding_and_plot_reach_findings_json_and_the_report(examples, tmp_path):
    from gilbench.cli import main

    out = tmp_path / "toy"
    assert main(["run", "--axis", examples["TOY_AXIS"], "--kernel", "primes",
                 "--out", str(out), "--quiet"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert {r["status"] for r in doc["runs"]} == {"ok"} and len(doc["runs"]) == 4
    (finding,) = [f for f in load_findings(out) if f.kind == examples["TOY_KIND"]]
    assert finding.kernel == "primes" and len(finding.runs) == 2
    report = (out / "report.md").read_text()
    when = report[report.index("## When"):report.index("\n## primes")]
    assert "| chunks per call |" in when and finding.sentence in when
    assert "(primes-toy-chunks.png)" in when
    assert (out / "primes-toy-chunks.png").stat().st_size > 1000


def test_the_strategy_runs_every_chunk_and_plays_its_declared_role(examples, tmp_path):
    from gilbench.cli import main

    assert STRATEGIES["executor-map"].role == THREAD_POOL
    out = tmp_path / "executor"
    assert main(["run", "--kernel", "primes", "--flavour", "cython-nogil", "--strategy",
                 "executor-map", "--workers", "2", "--out", str(out), "--quiet",
                 "--no-plots"]) == 0
    doc = json.loads((out / "results.json").read_text())
    mine = [r for r in doc["runs"] if r["strategy"] == "executor-map"]
    # Verified against the kernel's reference by the harness, like every strategy's run.
    assert mine and all(r["status"] == "ok" and r["verified"] for r in mine)
    assert doc["settings"]["strategies"]["executor-map"]["uses_threads"] is True
