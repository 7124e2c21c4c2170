"""The axes' findings on synthetic results documents with known crossovers, and the report's
"When" section built from them."""

from __future__ import annotations

import pytest

from gilbench.analysis import analyse, load_findings
from gilbench.analysis.crossings import at_least, below, crossing, fmt_bytes, fmt_duration
from gilbench.axes.calls.findings import ColdCost, breakeven
from gilbench.axes.granularity.findings import MATCH_MARGIN
from gilbench.axes.registry import axis_reasons
from gilbench.kernels import KERNELS
from gilbench.report import render_report
from gilbench.results import run_id
from gilbench.strategies import recorded_traits

WORKERS = 2
#: Synthetic per-task overheads: a task of d seconds on 2 workers takes 2 / (1 + o / d)
#: of serial speed, so threads beat serial by 1.1x from d = o * 1.1 / 0.9.
THREAD_O, PROCESS_O = 20e-6, 500e-6
TOTAL_S = 0.2


def run(kernel, flavour, strategy, workers, chunks, median, *, axis=None, value=None,
        size=1000, **extra):
    r = {"kernel": kernel, "flavour": flavour, "strategy": strategy, "workers": workers,
         "size": size, "chunks": chunks, "schedule": None, "wall_s": [median] * 5,
         "median_s": median, "cpu_s": median, "startup_s": extra.pop("startup_s", None),
         "gil_availability": None, "verified": True, "status": "ok", "axis": axis,
         "axis_value": value, "tasks": chunks, **extra}
    return r


def doc(runs, machine=None):
    return {"schema": 1, "created": "2026-01-01T00:00:00+00:00",
            "settings": {"profile": "quick", **recorded_traits(),
                         "axis_reasons": axis_reasons(list(KERNELS.values()))},
            "machine": machine or {}, "runs": runs}


def granularity_runs(kernel="mandelbrot"):
    runs = []
    for e in range(-10, -1):  # task durations 10 us .. 100 ms, half a decade apart
        d = 10 ** (e / 2)
        chunks = max(2, round(TOTAL_S / d))
        d = TOTAL_S / chunks
        common = dict(axis="granularity", value=chunks)
        runs.append(run(kernel, "cython-nogil", "serial", 1, chunks, TOTAL_S, **common))
        for strategy, o in (("threads", THREAD_O), ("processes", PROCESS_O)):
            speedup = WORKERS / (1 + o / d)
            runs.append(run(kernel, "cython-nogil", strategy, WORKERS, chunks,
                            TOTAL_S / speedup, startup_s=0.01, **common))
    return runs


DISPATCH = {"granularity": {"dispatch": {
    "threads": {"2": {"per_task_s": THREAD_O}}, "processes": {"2": {"per_task_s": PROCESS_O}},
    "serial": {"1": {"per_task_s": 1e-7}}}}}


def test_crossing_interpolates_on_log_x_and_ignores_an_isolated_lucky_point():
    pts = [(1e-5, 0.5), (1e-4, 1.0), (1e-3, 1.2), (1e-2, 1.9)]
    c = crossing(pts, 1.1, at_least)
    assert c.status == "inside" and c.below_x == 1e-4 and c.above_x == 1e-3
    assert c.x == pytest.approx(10 ** -3.5)
    lucky = [(1e-6, 1.5), *pts]  # above the threshold once, far below the crossing
    assert crossing(lucky, 1.1, at_least).x == pytest.approx(c.x)
    assert crossing(pts, 0.1, at_least).status == "below"
    assert crossing(pts, 5.0, at_least) .status == "never"
    assert crossing([(1.0, 3.0), (10.0, 0.5)], 1.0, below).x == pytest.approx(
        10 ** (2 / 2.5))


def test_granularity_crossover_finds_the_known_crossovers():
    analysis = analyse(doc(granularity_runs(), DISPATCH))
    (f,) = [f for f in analysis.findings if f.kind == "granularity-crossover"]
    true_threads = THREAD_O * 1.1 / 0.9  # 24 us
    true_procs = PROCESS_O * 1.1 / 0.9  # 611 us
    # processes within the tie band of threads: (1 + Op/d) <= (1 + b) (1 + Ot/d)
    b = MATCH_MARGIN
    true_match = (PROCESS_O - (1 + b) * THREAD_O) / b
    for name, true in (("threads_beat_serial_from", true_threads),
                       ("processes_beat_serial_from", true_procs),
                       ("processes_match_threads_above", true_match)):
        # From the fitted model T(n) = A + c n, with an interval around it.
        assert f.figure(f"{name}_status") == "at", name
        assert true / 1.5 < f.figure(name) < true * 1.5, (name, f.figure(name), true)
        assert f.figure(f"{name}_low") <= f.figure(name) <= f.figure(f"{name}_high")
    # The fitted per-task costs are the synthetic ones.
    assert f.figure("per_task_threads") == pytest.approx(THREAD_O / WORKERS, rel=0.2)
    assert f.figure("per_task_processes") == pytest.approx(PROCESS_O / WORKERS, rel=0.2)
    assert f.figure("empty_task_threads") == THREAD_O
    assert len(f.runs) == 27  # 9 points x (serial, threads, processes)
    assert f"ProcessPoolExecutor comes within {b:.0%} of ThreadPoolExecutor above" in f.sentence
    assert fmt_duration(f.figure("processes_beat_serial_from")) in f.sentence
    assert len(f.sentence) <= 250


def test_granularity_says_never_when_processes_never_pay():
    runs = [r for r in granularity_runs() if r["strategy"] != "processes"]
    for chunks in sorted({r["chunks"] for r in runs}):  # processes always slower than serial
        runs.append(run("mandelbrot", "cython-nogil", "processes", WORKERS, chunks,
                        TOTAL_S * 1.2, axis="granularity", value=chunks))
    (f,) = [f for f in analyse(doc(runs)).findings if f.kind == "granularity-crossover"]
    assert f.figure("processes_beat_serial_from_status") == "never"
    assert f.figure("processes_beat_serial_from") is None
    assert "ProcessPoolExecutor at no task duration" in f.sentence


def payload_runs():
    """Ship speedup 2 / (1 + r / 1 GB/s): copying erases the gain above 1 GB/s of input
    per second of compute, and costs over 5% against shared memory above 50 MB/s."""
    runs = []
    for passes in (1, 4, 16, 64, 256, 1024):
        serial_s = 0.05
        ratio = 4e9 / passes  # bytes per second of compute at this point
        input_bytes = ratio * serial_s
        common = dict(axis="payload", value=passes, input_bytes=input_bytes, chunks=4,
                      size=int(input_bytes / 8))
        kw = {k: v for k, v in common.items() if k != "chunks"}
        runs.append(run("reduction", "cython-nogil", "serial", 1, 4, serial_s, **kw))
        runs.append(run("reduction", "cython-nogil", "processes", 2, 4, serial_s / 2, **kw))
        runs.append(run("reduction", "cython-nogil", "threads", 2, 4, serial_s / 1.9, **kw))
        runs.append(run("reduction", "cython-nogil", "processes-pickle", 2, 4,
                        serial_s * (1 + ratio / 1e9) / 2, **kw))
    return runs


def test_copy_crossover_finds_the_known_ratios():
    (f,) = [f for f in analyse(doc(payload_runs())).findings if f.kind == "copy-crossover"]
    assert f.figure("gain_erased_above_status") == "inside"
    assert 1e9 / 1.5 < f.figure("gain_erased_above") < 1e9 * 1.5
    assert f.figure("copy_costs_5pct_above_status") == "inside"
    assert 5e7 / 2 < f.figure("copy_costs_5pct_above") < 5e7 * 2
    assert f.figure("shipping_strategy") == "processes-pickle"
    assert fmt_bytes(f.figure("gain_erased_above")) in f.sentence
    assert len(f.runs) == 24


def test_breakeven_counts_calls_exactly():
    serial = ColdCost(None, 0.0, 0.010, 0.010)
    procs = ColdCost(None, 0.020, 0.008, 0.005)
    n = breakeven(procs, serial)
    assert n == 5
    assert procs.total(n) < serial.total(n) and procs.total(n - 1) >= serial.total(n - 1)
    threads = ColdCost(None, 0.0005, 0.0052, 0.0051)
    m = breakeven(procs, threads)
    assert procs.total(m) < threads.total(m) and procs.total(m - 1) >= threads.total(m - 1)
    assert breakeven(threads, serial) == 1  # faster from the first call
    assert breakeven(ColdCost(None, 0.02, 0.02, 0.02), serial) is None  # never


def plain_runs(kernel):
    return [run(kernel, "cython-nogil", "serial", 1, 4, 0.010, first_s=0.010),
            run(kernel, "cython-nogil", "threads", 2, 4, 0.0051, startup_s=0.0005,
                first_s=0.0052),
            run(kernel, "cython-nogil", "processes", 2, 4, 0.005, startup_s=0.020,
                first_s=0.008)]


def test_breakeven_calls_for_every_kernel_of_a_sweep():
    runs = plain_runs("mandelbrot") + plain_runs("primes")
    findings = [f for f in analyse(doc(runs)).findings if f.kind == "breakeven-calls"]
    assert [f.kernel for f in findings] == ["mandelbrot", "primes"]
    for f in findings:
        assert f.figure("calls_to_beat_serial") == 5
        assert "after 5 calls" in f.sentence
        # 5.0 ms against 5.1 ms warm: within the tie band, so no break-even is claimed
        # (the arithmetic would say 225 calls: noise turned into a figure).
        assert f.figure("calls_to_beat_threads_status") == "equal"
        assert f.figure("calls_to_beat_threads") is None
        assert "warm times equal within" in f.sentence
        assert set(f.runs) == {run_id(r) for r in runs if r["kernel"] == f.kernel}


def test_a_real_warm_gap_gives_a_break_even_with_its_interval():
    runs = plain_runs("mandelbrot")
    runs[1] = {**runs[1], "median_s": 0.008, "wall_s": [0.0079, 0.008, 0.008, 0.0081, 0.008]}
    runs[2] = {**runs[2], "wall_s": [0.0049, 0.005, 0.005, 0.0051, 0.005]}
    (f,) = [f for f in analyse(doc(runs)).findings if f.kind == "breakeven-calls"]
    procs, threads = ColdCost(None, 0.020, 0.008, 0.005), ColdCost(None, 5e-4, 0.0052, 0.008)
    first = next(n for n in range(1, 10_000) if procs.total(n) < threads.total(n))
    assert f.figure("calls_to_beat_threads_status") == "at"
    assert f.figure("calls_to_beat_threads") == first
    assert (f.figure("calls_to_beat_threads_low") <= first
            <= f.figure("calls_to_beat_threads_high"))


def test_breakeven_calls_in_a_sweep_of_axes_only():
    findings = [f for f in analyse(doc(granularity_runs())).findings
                if f.kind == "breakeven-calls"]
    assert len(findings) == 1 and dict(findings[0].context)["axis"] == "granularity"


def test_a_file_without_recorded_axis_reasons_gets_no_hints(tmp_path):
    # Whether an axis could map a kernel is what the sweep recorded; a report reads
    # nothing else (no live kernel registry), so an older file shows no "not measured"
    # rows, only the measured ones.
    document = doc(plain_runs("mandelbrot") + granularity_runs())
    del document["settings"]["axis_reasons"]
    when = render_report(document, tmp_path, plots=False).read_text()
    assert "| task duration |" in when and "not measured: `gilbench run --axis" not in when


def test_report_opens_with_the_when_section(tmp_path):
    runs = (plain_runs("mandelbrot") + granularity_runs() + plain_runs("reduction")
            + payload_runs())
    path = render_report(doc(runs, DISPATCH), tmp_path)
    text = path.read_text()
    assert text.index("## When do GIL-free threads rival warm processes?") < \
        text.index("## At a glance")
    when = text[text.index("## When"):text.index("## At a glance")]
    for words in ("### mandelbrot", "| task duration |", "| calls |", "### reduction",
                  "| bytes per task |", "27 runs (`granularity-crossover`)",
                  "mandelbrot-granularity.png", "reduction-payload.png", "(calls.png)"):
        assert words in when, words
    assert "not measured: `gilbench run --axis payload" not in when  # mandelbrot: no payload
    assert "`gilbench run --axis granularity --kernel reduction`" in when
    assert when.count("(calls.png)") == 1  # one figure for every kernel, shown once
    for image in ("mandelbrot-granularity.png", "reduction-payload.png", "calls.png"):
        assert (tmp_path / image).stat().st_size > 1000
    # The When sentences are not repeated in the kernel sections below.
    sentence = next(f.sentence for f in load_findings(tmp_path)
                    if f.kind == "granularity-crossover")
    assert text.count(sentence) == 1
    kinds = {f.kind for f in load_findings(tmp_path)}
    assert {"granularity-crossover", "copy-crossover", "breakeven-calls"} <= kinds


def test_a_busy_machine_is_said_not_hidden():
    quiet = [f for f in analyse(doc(granularity_runs())).findings
             if f.kind == "granularity-crossover"][0]
    assert quiet.figure("serial_cpu_share") == pytest.approx(1.0)
    assert "busy" not in quiet.sentence
    runs = granularity_runs()
    for r in runs:
        if r["strategy"] == "serial":  # the process got a third of a core
            r["cpu_s"] = r["median_s"] / 3
    (busy,) = [f for f in analyse(doc(runs)).findings if f.kind == "granularity-crossover"]
    assert busy.figure("serial_cpu_share") == pytest.approx(1 / 3)
    assert "got 33% of a CPU" in busy.sentence and "quiet machine" in busy.sentence
