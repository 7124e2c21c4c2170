"""The findings engine: roles from declared traits, findings per context, one rendering.

Documents here are synthetic (strategies and flavours that exist only in ``settings``), so
the tests prove that analysis reads traits, not names, and never needs the kernel code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gilbench.analysis import FINDERS, Finding, analyse, load_findings, run_id, write_findings

#: Traits of strategies and flavours no registry knows: analysis must go by these alone.
SETTINGS = {
    "flavours": {
        "slowpy": {"gil": "holds", "parallel_inside": False, "interpreted": True},
        "fastc": {"gil": "releases", "parallel_inside": False},
        "heldc": {"gil": "holds", "parallel_inside": False},
    },
    "strategies": {
        "one-by-one": {"single_worker": True},
        "lanes": {"uses_threads": True},
        "forked-crew": {"uses_processes": True},
        "mailed-crew": {"uses_processes": True, "ships_inputs": True},
    },
}


def run(flavour, strategy, workers, median, *, size=100, chunks=4, **extra):
    return {"kernel": "toy", "flavour": flavour, "strategy": strategy, "workers": workers,
            "size": size, "chunks": chunks, "wall_s": [median], "median_s": median,
            "cpu_s": extra.pop("cpu_s", median), "startup_s": extra.pop("startup_s", None),
            "gil_availability": None, "verified": True, **extra}


def doc(*runs, machine=None):
    return {"schema": 1, "machine": machine or {}, "settings": SETTINGS, "runs": list(runs)}


def kinds(analysis, kind):
    return [f for f in analysis.findings if f.kind == kind]


def test_a_strategy_known_only_by_its_traits_takes_part_in_the_verdict():
    a = analyse(doc(run("fastc", "one-by-one", 1, 1.0),
                    run("fastc", "lanes", 2, 0.52),
                    run("fastc", "forked-crew", 2, 0.60, startup_s=0.02)))
    (f,) = kinds(a, "threads-vs-processes")
    assert f.headline and f.verdict == "win"
    assert f.figure("process_strategy") == "forked-crew"
    assert f.figure("thread_strategy") == "lanes"
    assert f.figure("threads_speedup") == pytest.approx(1 / 0.52)
    assert "warm forked-crew" in f.sentence and "1.15x faster than" in f.sentence
    assert set(f.runs) == {run_id(run("fastc", "lanes", 2, 0)),
                           run_id(run("fastc", "forked-crew", 2, 0))}


def test_the_reference_process_pool_speaks_for_processes_not_the_fastest_run():
    # A best-of-N pick turns noise into the verdict: the headline reads the reference
    # pool's run at the default start method, however fast another start method ran.
    runs = (run("fastc", "one-by-one", 1, 1.0), run("fastc", "lanes", 2, 0.5),
            {**run("fastc", "forked-crew", 2, 0.8), "start_method": "fork"},
            {**run("fastc", "forked-crew", 2, 0.55), "start_method": "spawn"})
    document = doc(*runs)
    (f,) = kinds(analyse(document), "threads-vs-processes")
    assert f.figure("processes_speedup") == pytest.approx(1 / 0.8)
    document["settings"] = {**document["settings"], "default_start_method": "spawn"}
    (f,) = kinds(analyse(document), "threads-vs-processes")
    assert f.figure("processes_speedup") == pytest.approx(1 / 0.55)


def test_findings_are_computed_per_size():
    a = analyse(doc(*[run("fastc", s, w, t * n, size=n)
                      for n, tp in ((100, 0.5), (10_000, 2.0))
                      for s, w, t in (("one-by-one", 1, 1.0), ("lanes", 2, 0.5),
                                      ("forked-crew", 2, tp))]))
    found = kinds(a, "threads-vs-processes")
    assert [dict(f.context)["size"] for f in found] == [100, 10_000]
    assert [f.verdict for f in found] == ["tie", "win"]
    assert found[1].context_label() == "problem size 10000, 4 chunks"


def test_gil_holding_flavours_are_judged_by_cpu_per_wall_too():
    a = analyse(doc(run("heldc", "one-by-one", 1, 1.0),
                    run("heldc", "lanes", 2, 1.02, cpu_s=1.02),
                    run("slowpy", "one-by-one", 1, 1.0),
                    run("slowpy", "lanes", 2, 1.15, cpu_s=2.2)))
    verdicts = {f.runs[0].split("/")[1]: f.verdict for f in kinds(a, "gil-serialises")}
    # CPU/wall 1.0: they took turns. CPU/wall 1.9 yet slower: not the GIL's doing.
    assert verdicts == {"heldc": "serialised", "slowpy": "contended"}


def test_with_the_gil_off_scaling_is_not_credited_to_releasing_it():
    free = {"gil": {"free_threaded_build": True, "gil_enabled": False}}
    a = analyse(doc(run("slowpy", "one-by-one", 1, 1.0),
                    run("slowpy", "lanes", 2, 0.52, cpu_s=1.03), machine=free))
    (f,) = kinds(a, "gil-serialises")
    assert f.verdict == "gil-off" and "GIL is off" in f.sentence
    # No GIL, no scaling: CPU/wall tells contention from serialisation.
    a = analyse(doc(run("slowpy", "one-by-one", 1, 1.0),
                    run("slowpy", "lanes", 2, 1.16, cpu_s=2.3),
                    run("heldc", "one-by-one", 1, 1.0),
                    run("heldc", "lanes", 2, 1.0, cpu_s=1.0), machine=free))
    verdicts = {f.runs[0].split("/")[1]: f.verdict for f in kinds(a, "gil-serialises")}
    assert verdicts == {"slowpy": "gil-off-contended", "heldc": "gil-off-serialised"}
    # A run's own record of the GIL wins over the machine's.
    a = analyse(doc(run("slowpy", "one-by-one", 1, 1.0),
                    run("slowpy", "lanes", 2, 1.0, gil_enabled=True), machine=free))
    assert kinds(a, "gil-serialises")[0].verdict == "serialised"


def test_with_the_gil_off_gil_holding_flavours_on_threads_meet_processes_too():
    """The flavour's trait (holds) and the run's GIL (off) are separate: its threads can
    rival processes, and the sentence says why (the GIL is off, not released)."""
    free = {"gil": {"free_threaded_build": True, "gil_enabled": False}}
    a = analyse(doc(run("fastc", "one-by-one", 1, 1.0), run("fastc", "lanes", 2, 0.51),
                    run("fastc", "forked-crew", 2, 0.55),
                    run("slowpy", "one-by-one", 1, 10.0), run("slowpy", "lanes", 2, 5.4),
                    run("slowpy", "forked-crew", 2, 5.2),
                    run("heldc", "one-by-one", 1, 1.0),
                    run("heldc", "lanes", 2, 0.52, gil_enabled=False),
                    run("heldc", "forked-crew", 2, 0.6), machine=free))
    found = kinds(a, "threads-vs-processes")
    assert [f.runs[0].split("/")[1] for f in found] == ["fastc", "slowpy", "heldc"]
    assert [f.headline for f in found] == [True, False, False]
    slowpy, heldc = found[1], found[2]
    assert slowpy.verdict == "tie" and heldc.verdict == "win"
    assert "GIL is off" in slowpy.sentence and "not released" in slowpy.sentence
    assert slowpy.figure("code_gil") == "holds" and slowpy.figure("gil_enabled") is False
    # No "processes only" headline: threads needed no GIL here.
    assert not [f for f in kinds(a, "one-gil-per-process") if f.headline]


def test_with_the_gil_on_gil_holding_flavours_stay_out_of_threads_vs_processes():
    a = analyse(doc(run("fastc", "one-by-one", 1, 1.0), run("fastc", "lanes", 2, 0.51),
                    run("fastc", "forked-crew", 2, 0.55),
                    run("slowpy", "one-by-one", 1, 1.0),
                    run("slowpy", "lanes", 2, 1.0, gil_enabled=True),
                    run("slowpy", "forked-crew", 2, 0.52)))
    assert [f.runs[0].split("/")[1] for f in kinds(a, "threads-vs-processes")] == ["fastc"]


def test_without_a_gil_free_flavour_but_no_gil_python_threads_are_the_headline():
    free = {"gil": {"free_threaded_build": True, "gil_enabled": False}}
    a = analyse(doc(run("slowpy", "one-by-one", 1, 1.0), run("slowpy", "lanes", 2, 0.53),
                    run("slowpy", "forked-crew", 2, 0.55), machine=free))
    (f,) = kinds(a, "threads-vs-processes")
    assert f.headline and f.verdict == "tie"
    assert not [g for g in kinds(a, "one-gil-per-process") if g.headline]


def test_a_gil_turned_back_on_is_found_and_explained():
    free = {"gil": {"free_threaded_build": True, "gil_enabled": False}}
    on_in_workers = {"gil_enabled": True, "extra": {
        "parent_gil_enabled": False, "worker_gil_enabled": [True, True],
        "gil_enabled_by": ["legacy_ext"]}}
    a = analyse(doc(run("heldc", "one-by-one", 1, 1.0, gil_enabled=False),
                    run("heldc", "lanes", 2, 1.0, gil_enabled=False),
                    run("heldc", "forked-crew", 2, 0.55, **on_in_workers), machine=free))
    (f,) = kinds(a, "gil-runtime")
    assert f.verdict == "gil-reenabled" and f.figure("runs_with_gil") == 1
    assert "importing legacy_ext turned it on" in f.sentence
    assert "worker processes" in f.sentence
    # Asked for with PYTHON_GIL=1: nothing to find, and a serialised verdict says why.
    asked = {"gil": {"free_threaded_build": True, "gil_enabled": True,
                     "python_gil_env": "1"}}
    a = analyse(doc(run("slowpy", "one-by-one", 1, 1.0),
                    run("slowpy", "lanes", 2, 1.0, cpu_s=1.0), machine=asked))
    assert not kinds(a, "gil-runtime")
    (g,) = kinds(a, "gil-serialises")
    assert g.verdict == "serialised" and "PYTHON_GIL=1 turned it on" in g.sentence
    # A default build has a GIL by design: nothing to report.
    a = analyse(doc(run("slowpy", "one-by-one", 1, 1.0), run("slowpy", "lanes", 2, 1.0)))
    assert not kinds(a, "gil-runtime")


def test_without_a_gil_free_flavour_processes_are_the_headline():
    a = analyse(doc(run("slowpy", "one-by-one", 1, 1.0), run("slowpy", "lanes", 2, 1.0),
                    run("slowpy", "forked-crew", 2, 0.55)))
    (f,) = kinds(a, "one-gil-per-process")
    assert f.headline and f.verdict == "processes only"
    assert not kinds(a, "threads-vs-processes")


def test_memory_bound_needs_the_machine_copy_bandwidth():
    rows = [run("fastc", "one-by-one", 1, 0.1, work_bytes=3_000_000_000),
            run("fastc", "lanes", 2, 0.098, work_bytes=3_000_000_000),
            run("fastc", "forked-crew", 2, 0.12, work_bytes=3_000_000_000)]
    with_bw = kinds(analyse(doc(*rows, machine={"copy_bandwidth_gbs": 25.0})),
                    "threads-vs-processes")
    without = kinds(analyse(doc(*rows)), "threads-vs-processes")
    assert with_bw[0].verdict == "memory-bound" and "30.0 GB/s" in with_bw[0].sentence
    assert without[0].verdict == "serial"


def test_copy_cost_pairs_the_shipping_strategy_with_a_shared_memory_one():
    a = analyse(doc(run("fastc", "one-by-one", 1, 1.0), run("fastc", "forked-crew", 2, 0.5),
                    run("fastc", "mailed-crew", 2, 5.0)))
    (f,) = kinds(a, "copy-cost")
    assert f.figure("ratio") == pytest.approx(10.0) and f.verdict == "lose"
    assert "mailed-crew" in f.sentence and "forked-crew" in f.sentence


def test_axis_runs_stay_out_of_the_plain_findings():
    a = analyse(doc(run("fastc", "one-by-one", 1, 1.0), run("fastc", "lanes", 2, 0.5),
                    run("fastc", "forked-crew", 2, 0.5),
                    run("fastc", "lanes", 2, 9.0, axis="granularity", axis_value=64),
                    run("fastc", "one-by-one", 1, 9.0, axis="granularity", axis_value=64)))
    (f,) = kinds(a, "threads-vs-processes")
    assert f.verdict == "tie"
    view = a.kernels[0]
    assert len(view.axis_rows("granularity")) == 2 and len(view.main_rows()) == 3


def test_every_finder_is_documented_and_registered_once():
    assert {"threads-vs-processes", "gil-serialises", "memory-bound", "schedule",
            "compiled-vs-python", "copy-cost", "noisy"} <= set(FINDERS)
    assert all(f.description for f in FINDERS.values())


def test_findings_round_trip_through_json(tmp_path):
    a = analyse(doc(run("fastc", "one-by-one", 1, 1.0), run("fastc", "lanes", 2, 0.5),
                    run("fastc", "forked-crew", 2, 0.7)))
    path = write_findings(tmp_path / "findings.json", a.findings, {"results": "x"})
    assert load_findings(path) == a.findings
    data = json.loads(path.read_text())
    assert data["findings"][0]["figures"]["workers"] == {"value": 2, "unit": ""}


@pytest.mark.parametrize("content", ["{", "[]", '{"schema": 9, "findings": []}',
                                     '{"schema": 1, "findings": [{"kind": "x"}]}'])
def test_bad_findings_files_are_rejected(tmp_path, content):
    (tmp_path / "findings.json").write_text(content)
    with pytest.raises(ValueError):
        load_findings(tmp_path)


REFERENCE = Path(__file__).resolve().parents[1] / "docs/results/2cpu-epyc-quick/results.json"


def test_terminal_prints_exactly_the_report_findings(tmp_path):
    """The terminal once analysed the runs without the machine metadata and called
    reduction 'too little to hand out' while report.md called it memory-bound."""
    from rich.console import Console

    from gilbench.report import render_report
    from gilbench.results import load_results
    from gilbench.runcommand import print_summary

    document = load_results(REFERENCE)
    report = render_report(document, tmp_path, plots=False).read_text()
    console = Console(width=100_000, record=True, file=open("/dev/null", "w"))
    print_summary(console, document, tmp_path, verbose=True)
    terminal = console.export_text()
    # The answer comes last, so that it is what stays on screen: At a glance after the
    # last run table, then the rules of thumb.
    glance = terminal.rindex("At a glance")
    assert glance > terminal.rindex("median ± IQR") and "Rules of thumb" in terminal[glance:]
    quiet = Console(width=100_000, record=True, file=open("/dev/null", "w"))
    print_summary(quiet, document, tmp_path)
    assert "median ± IQR" not in quiet.export_text()  # run tables only with --verbose
    bullets = [line[2:] for line in report.splitlines() if line.startswith("- ")
               and "/" not in line[:40]]
    findings = load_findings(tmp_path)
    assert len(findings) >= 8
    for finding in findings:
        assert finding.sentence in terminal
        assert finding.sentence in report
    assert "memory bandwidth is the limit" in terminal
    assert all(b in terminal for b in bullets if "GB/s" in b or "x on" in b)


def test_report_rerenders_identically_from_findings(tmp_path):
    from gilbench.report import render_report
    from gilbench.results import load_results

    document = load_results(REFERENCE)
    first = render_report(document, tmp_path / "a", plots=False).read_text()
    second = render_report(document, tmp_path / "b", plots=False).read_text()
    assert first == second
    assert isinstance(load_findings(tmp_path / "a")[0], Finding)


def test_the_report_says_no_gil_where_a_run_had_none(tmp_path):
    from gilbench.report import render_report

    free = {"gil": {"free_threaded_build": True, "gil_enabled": False,
                    "python_gil_env": "0", "x_gil": None}}
    report = render_report(doc(run("slowpy", "one-by-one", 1, 1.0, gil_enabled=False),
                               run("slowpy", "lanes", 2, 0.52, gil_enabled=False),
                               run("heldc", "one-by-one", 1, 1.0, gil_enabled=True,
                                   gil_availability=0.02),
                               machine=free), tmp_path, plots=False).read_text()
    cells = {tuple(c.strip() for c in line.split("|")[1:3]): line.split("|")[8].strip()
             for line in report.splitlines() if line.startswith("| slowpy")
             or line.startswith("| heldc")}
    assert cells == {("slowpy", "one-by-one"): "no GIL", ("slowpy", "lanes"): "no GIL",
                     ("heldc", "one-by-one"): "0.02"}
    assert "free-threaded build, GIL disabled (PYTHON_GIL=0)" in report


def test_plots_drawn_side_by_side_match_plots_drawn_one_by_one(tmp_path, monkeypatch):
    # draw_plots forks one process per usable core where it can: the same images in the
    # same order as drawing them here, and no plotting process outlives the report.
    import psutil

    from gilbench import report
    from gilbench.results import load_results

    analysis = analyse(load_results(REFERENCE))
    for folder in ("forked", "here"):
        (tmp_path / folder).mkdir()
    monkeypatch.setattr(report, "_plot_processes", lambda jobs: 2)
    forked = report.draw_plots(analysis, tmp_path / "forked")
    assert not psutil.Process().children(recursive=True)
    monkeypatch.setattr(report, "_plot_processes", lambda jobs: 1)
    here = report.draw_plots(analysis, tmp_path / "here")
    assert forked == here and sum(map(len, here.values())) >= 8
    for images in forked.values():
        for image in images:
            assert (tmp_path / "forked" / image.file).stat().st_size > 1000
