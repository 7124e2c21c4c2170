"""The allocator tuning: the harness applies it, ``gilbench info`` only reports it.

glibc does not report M_TOP_PAD, so the tests watch what it does: with 64 MiB of top
padding, the first time the main heap grows it grows by at least 64 MiB; untuned it grows
by about the request plus 128 KiB. Each test runs in a fresh interpreter, because the
tuning lasts for the life of a process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from gilbench import allocator

pytestmark = pytest.mark.skipif(
    allocator.state()["supported"] is False,
    reason=f"no glibc mallopt here: {allocator.state().get('reason')}")

#: Grows the main heap with 64 KiB mallocs (below the 128 KiB mmap threshold, so they come
#: from the heap) until it grows once, and prints by how much.
HEAP_GROWTH = """
import ctypes

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

def heap_growth():
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    blocks = [0] * 20000
    before = libc.mallinfo2().arena
    for i in range(len(blocks)):
        blocks[i] = libc.malloc(64 * 1024)
        after = libc.mallinfo2().arena
        if after != before:
            return after - before
    raise AssertionError("the main heap never grew")
"""

MIB = 1 << 20


def run_fresh(body: str) -> dict:
    """Run ``body`` (which sets ``result``) in a new interpreter; return ``result``."""
    code = HEAP_GROWTH + textwrap.dedent(body) + "\nimport json\nprint(json.dumps(result))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_heap_probe_tells_tuned_from_untuned():
    result = run_fresh("""
        result = {"untuned": heap_growth()}
        from gilbench import allocator
        result["applied"] = allocator.equalise()
        result["again"] = allocator.equalise()
        result["tuned"] = heap_growth()
        result["state"] = allocator.state()
    """)
    assert result["untuned"] < 32 * MIB
    assert result["applied"] is True and result["again"] is True
    assert result["tuned"] >= allocator.TOP_PAD_BYTES
    assert result["state"]["equalised"] is True


def test_gilbench_info_reports_the_allocator_without_tuning_it():
    result = run_fresh("""
        import contextlib, io, json
        from gilbench import allocator
        from gilbench.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["info", "--json"])
        result = {"code": code, "info": json.loads(out.getvalue()),
                  "equalised": allocator.equalised(), "growth": heap_growth()}
    """)
    assert result["code"] == 0
    assert result["info"]["allocator_equalised"] is False
    assert result["equalised"] is False
    assert result["growth"] < 32 * MIB, "gilbench info tuned the allocator"


def test_measure_tunes_the_allocator_and_metadata_then_says_so():
    result = run_fresh("""
        from gilbench import RunSpec, allocator, measure
        from gilbench.machine import collect_machine_metadata
        before = collect_machine_metadata()["allocator_equalised"]
        m = measure(RunSpec("primes", "python", "serial", 1, 1000, 1), repeats=1, warmup=0,
                    warmup_s=0, probe=False)
        result = {"before": before, "ok": m.status == "ok",
                  "after": collect_machine_metadata()["allocator_equalised"],
                  "growth": heap_growth()}
    """)
    assert result["before"] is False
    assert result["ok"] is True
    assert result["after"] is True
    assert result["growth"] >= allocator.TOP_PAD_BYTES


def test_state_describes_the_tuning():
    state = allocator.state()
    assert state["supported"] is True
    assert state["top_pad_bytes"] == allocator.TOP_PAD_BYTES == 64 * MIB
    assert state["trim_threshold_bytes"] == allocator.TRIM_THRESHOLD_BYTES == 128 * MIB
    assert isinstance(state["equalised"], bool)


def test_a_sweep_records_the_tuning_its_runs_ran_under(tmp_path):
    result = run_fresh(f"""
        import json
        from gilbench import build_plan
        from gilbench.sweep import run_sweep
        plan = build_plan("quick", kernels=["primes"], flavours=["python"],
                          strategies=["serial"], sizes=[1000])
        outcome = run_sweep(plan, {str(tmp_path)!r}, repeats=1, warmup=0, probe=False)
        result = json.loads(outcome.path.read_text())["machine"]["allocator_equalised"]
    """)
    assert result is True
