"""Study ``gil-census``: which common operations release the GIL, measured by the GIL probe.

Each operation runs in a loop on this thread for a while under :class:`GilProbe`, whose
pure-Python ticker only gets to run when the GIL is free. Nothing is written from memory:
the verdict of each row is its probe reading. BLAS and other native pools are limited to
one thread, so a matrix product does not compete with the probe for the cores. With the
GIL off (a free-threaded build) there is nothing to release: the census says so.
"""

from __future__ import annotations

import bz2
import ctypes
import hashlib
import json
import lzma
import os
import pickle
import random
import re
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gilbench import native
from gilbench.analysis import Figure, Finding
from gilbench.gilprobe import GilProbe, gil_enabled
from gilbench.report.markdown import Image
from gilbench.studies.base import Progress, Study, StudyResult, Table
from gilbench.studies.timing import fmt_duration

#: A probe reading at or above this means the operation released the GIL...
RELEASES_AT = 0.5
#: ...at or below this that it held it; in between, it released it part of the time.
HOLDS_AT = 0.2
#: How long each operation's call time is sampled before probing.
TIMING_S = 0.02

Call = Callable[[], object]


@dataclass(frozen=True)
class Operation:
    """One row of the census: ``make(stack)`` builds its inputs (cleanups go on the
    ``ExitStack``) and returns the call that is probed; ``family`` groups rows that differ
    only by input size."""

    name: str
    family: str
    make: Callable[[ExitStack], Call]


def _text(n_chars: int) -> str:
    """Seeded, word-like text: compressible, but not trivially."""
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(300)]
    out, size = [], 0
    while size < n_chars:
        word = rng.choice(words)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:n_chars]


def _document(n: int) -> dict[str, Any]:
    rng = random.Random(1)
    return {f"key{i}": [i, rng.random(), _WORDS[i % len(_WORDS)], {"nested": i % 7 == 0}]
            for i in range(n)}


_WORDS = _text(4000).split()


def _file_read(stack: ExitStack) -> Call:
    fd, name = tempfile.mkstemp(prefix="gilbench-census-")
    stack.callback(os.unlink, name)
    with os.fdopen(fd, "wb") as fh:
        fh.write(os.urandom(8 << 20))

    def read() -> bytes:
        with open(name, "rb") as fh:
            return fh.read()

    return read


#: Mandelbrot rows for the native calls: the same work held, released and through ctypes;
#: about 15 ms a call, so that the GIL stays free long enough for the probe to take it
#: even when other programs delay its wake-up by a few milliseconds.
_ROWS, _WIDTH, _MAX_ITER = 192, 256, 200
_WINDOW = (-2.0, 2.6 / _WIDTH, -1.3, 2.6 / _ROWS, _MAX_ITER)


def _cython(released: bool) -> Callable[[ExitStack], Call]:
    def make(stack: ExitStack) -> Call:
        ext = native.extension("mandelbrot")
        fn = ext.pixels_nogil if released else ext.pixels_gil
        out = np.zeros((_ROWS, _WIDTH), np.int32)
        return lambda: fn(out, 0, out.size, *_WINDOW)

    return make


def _ctypes_call(stack: ExitStack) -> Call:
    fn = native.c_function("gb_mandelbrot_pixels", ctypes.c_int,
                           [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                            ctypes.c_double, ctypes.c_double, ctypes.c_double,
                            ctypes.c_double, ctypes.c_int32])
    out = np.zeros((_ROWS, _WIDTH), np.int32)
    return lambda: fn(out.ctypes.data, _WIDTH, 0, out.size, *_WINDOW)


def _ufunc(stack: ExitStack) -> Call:
    a = np.random.default_rng(0).random(2_000_000)
    out = np.empty_like(a)
    return lambda: np.sqrt(a, out=out)


def _sort(stack: ExitStack) -> Call:
    a = np.random.default_rng(1).random(300_000)
    return lambda: np.sort(a)


def _matmul(stack: ExitStack) -> Call:
    a = np.random.default_rng(2).random((300, 300))
    return lambda: a @ a


def _regex(stack: ExitStack) -> Call:
    # A fixed-width pattern that matches only at the very end: one linear scan, no
    # backtracking blow-up.
    text = _text(250_000) + " 555-0199"
    pattern = re.compile(r"\d{3}-\d{4}")
    return lambda: pattern.search(text)


def _bytes(n: int) -> bytes:
    return _text(n).encode()


def _applied(fn: Callable[[Any], object], make_input: Callable[[], Any]
             ) -> Callable[[ExitStack], Call]:
    """A ``make`` that builds the input once and probes ``fn(input)``."""
    def make(stack: ExitStack) -> Call:
        arg = make_input()
        return lambda: fn(arg)

    return make


OPERATIONS: dict[str, Operation] = {op.name: op for op in (
    Operation("time.sleep (1 ms)", "time.sleep", lambda s: lambda: time.sleep(0.001)),
    Operation("hashlib.sha256 (1 KiB)", "hashlib.sha256",
              _applied(hashlib.sha256, lambda: os.urandom(1 << 10))),
    Operation("hashlib.sha256 (1 MiB)", "hashlib.sha256",
              _applied(hashlib.sha256, lambda: os.urandom(1 << 20))),
    Operation("zlib.compress (256 KiB of text)", "zlib.compress",
              _applied(zlib.compress, lambda: _bytes(1 << 18))),
    Operation("bz2.compress (128 KiB of text)", "bz2.compress",
              _applied(bz2.compress, lambda: _bytes(1 << 17))),
    Operation("lzma.compress (32 KiB of text)", "lzma.compress",
              _applied(lzma.compress, lambda: _bytes(1 << 15))),
    Operation("numpy ufunc sqrt (2M doubles)", "numpy ufunc", _ufunc),
    Operation("numpy sort (300k doubles)", "numpy sort", _sort),
    Operation("numpy matmul, BLAS on 1 thread (300x300)", "numpy matmul", _matmul),
    Operation("json.dumps (5k-entry dict)", "json.dumps",
              _applied(json.dumps, lambda: _document(5000))),
    Operation("pickle.dumps (5k-entry dict)", "pickle.dumps",
              _applied(pickle.dumps, lambda: _document(5000))),
    Operation("re search (250 kB string)", "re.search", _regex),
    Operation("file read (8 MiB, page cache)", "file read", _file_read),
    Operation("ctypes call (C mandelbrot rows)", "ctypes", _ctypes_call),
    Operation("Cython with nogil (mandelbrot rows)", "Cython nogil", _cython(released=True)),
    Operation("Cython holding the GIL (mandelbrot rows)", "Cython gil",
              _cython(released=False)),
)}


@dataclass(frozen=True)
class Settings:
    probe_s: float = 0.3
    repeats: int = 3


def verdict(availability: float | None) -> str:
    """'releases', 'holds', 'partly' or 'unknown' for a probe reading."""
    if availability is None:
        return "unknown"
    if availability >= RELEASES_AT:
        return "releases"
    if availability <= HOLDS_AT:
        return "holds"
    return "partly"


def probe_operation(call: Call, probe_s: float, repeats: int) -> dict[str, Any]:
    """Time one call, then run it in a loop for ``probe_s`` under the probe, ``repeats``
    times; the reading is the median of the readings the probe could judge."""
    call()  # warm: first-call costs (imports, page faults, JIT-free caches)
    clock = time.perf_counter
    t0, n = clock(), 0
    while clock() - t0 < TIMING_S or n < 3:
        call()
        n += 1
    per_call = (clock() - t0) / n
    readings: list[float | None] = []
    for _ in range(repeats):
        with GilProbe() as probe:
            start = clock()
            while clock() - start < probe_s:
                call()
        readings.append(probe.availability)
    judged = [r for r in readings if r is not None]
    return {"per_call_s": per_call, "readings": readings,
            "gil_free": statistics.median(judged) if judged else None}


class GilCensusStudy(Study):
    name = "gil-census"
    title = "Which operations release the GIL"
    claim = ("some C code releases the GIL: write the hot part as a C extension called "
             "through ctypes, or in Cython `with nogil`; threads suit I/O-bound work.")
    quote = "将关键组件用C/C++编写为Python扩展,通过ctypes...(with nogil调出GIL限制)"
    presets = {"default": Settings(), "tiny": Settings(probe_s=0.05, repeats=3)}

    def steps(self, settings: Settings) -> int:
        return len(OPERATIONS)

    def measure(self, settings: Settings, progress: Progress) -> dict[str, Any]:
        from threadpoolctl import threadpool_limits

        rows = {}
        with threadpool_limits(limits=1):
            for op in OPERATIONS.values():
                with ExitStack() as stack:
                    try:
                        call = op.make(stack)
                    except native.NativeUnavailable as exc:
                        rows[op.name] = {"family": op.family, "unavailable": str(exc)}
                    else:
                        rows[op.name] = {"family": op.family, **probe_operation(
                            call, settings.probe_s, settings.repeats)}
                progress(f"gil-census: {op.name}")
        # Read after every operation ran: one of them could have turned the GIL back on.
        return {"operations": rows, "releases_at": RELEASES_AT, "holds_at": HOLDS_AT,
                "gil_enabled": gil_enabled()}

    def findings(self, result: StudyResult) -> list[Finding]:
        rows = result.data["operations"]
        measured = {k: v for k, v in rows.items() if "unavailable" not in v}
        if result.data.get("gil_enabled") is False:
            return [Finding(
                kernel="gil-census", kind="gil-census",
                sentence=(f"The GIL was off in this interpreter (a free-threaded build), so none "
                          f"of the {len(measured)} operations had a GIL to hold or release: every "
                          "thread runs in parallel. Run the census with PYTHON_GIL=1 to see what "
                          "each does with it."),
                runs=tuple(measured), verdict="no GIL", headline=True,
                figures=(Figure("gil_enabled", False),))]
        by_verdict: dict[str, list[str]] = {}
        for name, row in measured.items():
            by_verdict.setdefault(verdict(row["gil_free"]), []).append(name)
        counts = ", ".join(f"{len(v)} {k}" for k, v in by_verdict.items())
        out = [Finding(
            kernel="gil-census", kind="gil-census",
            sentence=(f"Of {len(measured)} operations, "
                      + "; ".join(f"{len(names)} {_VERDICT_WORDS[v]}: {', '.join(names)}"
                                  for v, names in by_verdict.items()) + "."),
            runs=tuple(measured), verdict=counts, headline=True,
            figures=tuple(Figure(f"{v}_count", len(n)) for v, n in by_verdict.items()))]
        families: dict[str, list[str]] = {}
        for name, row in measured.items():
            families.setdefault(row["family"], []).append(name)
        for family, names in families.items():
            verdicts = {verdict(measured[n]["gil_free"]) for n in names}
            if len(names) > 1 and len(verdicts) > 1:
                parts = [f"{n} {_VERDICT_WORDS[verdict(measured[n]['gil_free'])]} (GIL free "
                         f"{measured[n]['gil_free']:.2f})" for n in names]
                out.append(Finding(
                    kernel="gil-census", kind="gil-depends-on-input", sentence=("; ".join(parts)
                              + f": whether {family} releases the GIL depends on its input."),
                    runs=tuple(names), verdict="depends", context=(("family", family),),
                    figures=tuple(Figure(f"{n}_gil_free", measured[n]["gil_free"])
                                  for n in names)))
        for name, row in rows.items():
            if "unavailable" in row:
                out.append(Finding(kernel="gil-census", kind="not-measured",
                                   sentence=f"{name} was not measured: {row['unavailable']}.",
                                   runs=(name,), verdict="unavailable"))
        return out

    def tables(self, result: StudyResult) -> list[Table]:
        rows = []
        for name, row in result.data["operations"].items():
            if "unavailable" in row:
                rows.append((name, "-", "-", "not measured", row["unavailable"]))
                continue
            readings = [r for r in row["readings"] if r is not None]
            spread = (f"{min(readings):.2f}-{max(readings):.2f}" if len(readings) > 1
                      else "-")
            no_gil = result.data.get("gil_enabled") is False
            rows.append((name, fmt_duration(row["per_call_s"]),
                         "no GIL" if no_gil else
                         "-" if row["gil_free"] is None else f"{row['gil_free']:.2f}",
                         "-" if no_gil else verdict(row["gil_free"]), spread))
        return [Table(("operation", "per call", "GIL free", "verdict", "readings"),
                      tuple(rows), "The census", CENSUS_NOTES)]

    def plot(self, result: StudyResult, out_dir: Path) -> list[Image]:
        from matplotlib.patches import Patch

        from gilbench.report.plotstyle import gil_colour, legend_below, pyplot

        rows = {k: v for k, v in result.data["operations"].items()
                if v.get("gil_free") is not None}
        if not rows:
            return []
        plt = pyplot()
        names = list(rows)[::-1]
        # A verdict's colour is the colour of the GIL trait it reads as, in every plot.
        trait = {"releases": "releases", "partly": "partial", "holds": "holds"}
        verdicts = [verdict(rows[n]["gil_free"]) for n in names]
        fig, ax = plt.subplots(figsize=(9, 0.35 * len(names) + 2.0), constrained_layout=True)
        ax.barh(names, [rows[n]["gil_free"] for n in names],
                color=[gil_colour(trait.get(v)) for v in verdicts])
        for x in (HOLDS_AT, RELEASES_AT):
            ax.axvline(x, color="0.6", lw=1, ls=":")
        ax.set_xlim(0, 1.05)
        ax.set_xlabel("GIL free while it runs (probe reading)")
        ax.set_title("gil-census: does the operation release the GIL?")
        ax.tick_params(axis="y", labelsize=8)
        present = [v for v in ("releases", "partly", "holds") if v in verdicts]
        legend_below(ax, [Patch(color=gil_colour(trait[v])) for v in present], present)
        return self.save_plot(fig, out_dir, "gil-census: GIL free per operation")


CENSUS_NOTES = (
    f"GIL free >= {RELEASES_AT}: releases; <= {HOLDS_AT}: holds; in between: partly. "
    "The reading is the median of the probe's readings (range in the last column).",
    "Each operation runs in a loop on the main thread; the Python between two calls holds "
    "the GIL too, which is what a caller making many short calls gets.",
    "On a busy machine an operation that holds the GIL can read up to about 0.3: when its "
    "thread is slow to wake after the probe's tick, the probe keeps the free GIL until the "
    "switch interval forces it back.",
)

_VERDICT_WORDS = {"releases": "released the GIL", "holds": "held it",
                  "partly": "released it part of the time",
                  "unknown": "could not be judged (the probe got no CPU)"}

STUDY = GilCensusStudy()
