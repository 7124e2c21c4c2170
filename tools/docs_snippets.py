"""What each page of the guide quotes from the committed results: one entry per snippet,
``"PAGE/NAME": spec``, written by tools/docs_figures.py to docs/_generated/PAGE/NAME.md.

A spec is a :class:`docs_figures.Sweep` (a sweep's runs, findings and plots) or a function
returning Markdown (the studies, the rules of thumb). The folder each reads is chosen by
docs_figures.pick, from docs_figures.REFERENCE.
"""

from __future__ import annotations

from docs_figures import (
    Sweep,
    census_table,
    compared,
    flow_step,
    free_threaded,
    has_flavour,
    has_kind,
    has_strategy,
    rules_of_thumb,
    study_findings,
)

NOGIL_KERNELS = ("mandelbrot", "primes", "montecarlo-pi")

SNIPPETS = {
    "index/rules-of-thumb": rules_of_thumb,
    "index/step-gil": flow_step("GIL-held share of a task", "gilbench run --axis gil-fraction"),
    "index/step-duration": flow_step("task duration", "gilbench run --axis granularity"),
    "index/step-data": flow_step("data shipped per task", "gilbench run --axis payload"),
    "index/step-calls": flow_step("calls of the same work", "gilbench run --axis calls"),
    # -- Cython with nogil -----------------------------------------------------------------
    "cython-nogil/measured": Sweep(
        flavours=("cython-gil", "cython-nogil"), kernels=NOGIL_KERNELS,
        kinds=("threads-vs-processes",), finding_flavour="cython-nogil",
        plots=(("mandelbrot.png", "mandelbrot: speedup of every flavour and strategy"),)),
    "cython-nogil/pitfall-holding": Sweep(
        kinds=("gil-serialises",), finding_flavour="cython-gil", limit=3),
    "cython-nogil/pitfall-partly": Sweep(
        needs=has_kind("gil-fraction-threshold"), kinds=("gil-fraction-threshold",),
        plots=(("*-gil-fraction-*.png", "speedup against the GIL-held share f"),),
        missing=("the GIL-held share", "gilbench run --axis gil-fraction")),
    "cython-nogil/compiled": Sweep(kinds=("compiled-vs-python",), limit=3),
    # -- prange / OpenMP -------------------------------------------------------------------
    "prange/measured": Sweep(
        needs=has_flavour("cython-prange"), flavours=("cython-nogil", "cython-prange"),
        strategies=("serial", "threads", "openmp"), kernels=NOGIL_KERNELS,
        kinds=("self-parallel",), finding_flavour="cython-prange",
        missing=("cython-prange", "gilbench run --flavour cython-prange")),
    "prange/pitfall-schedule": Sweep(
        needs=has_flavour("cython-prange"), kinds=("schedule",),
        missing=("OpenMP schedules", "gilbench run --flavour cython-prange")),
    "prange/pitfall-oversubscription": Sweep(
        needs=has_kind("oversubscription"), kinds=("oversubscription",),
        missing=("more workers than cores",
                 "gilbench run --axis workers --workers 1,2,4,8")),
    # -- ctypes and cffi -------------------------------------------------------------------
    "ctypes/measured": Sweep(
        needs=has_flavour("c-ctypes"), flavours=("python", "c-ctypes"),
        kernels=NOGIL_KERNELS, kinds=("compiled-vs-python",), finding_flavour="c-ctypes",
        missing=("c-ctypes", "gilbench run --flavour c-ctypes")),
    "ctypes/granularity": Sweep(
        needs=lambda f: f.has_runs(flavour="c-ctypes", axis="granularity"),
        kinds=("granularity-crossover",), finding_flavour="c-ctypes", limit=1,
        missing=("the task duration c-ctypes needs",
                 "gilbench run --axis granularity --flavour c-ctypes")),
    "ctypes/census": lambda: census_table(("ctypes call",)),
    # -- numpy -----------------------------------------------------------------------------
    "numpy/measured": Sweep(
        needs=has_flavour("numpy"), flavours=("numpy", "cython-nogil"),
        kernels=("mandelbrot", "reduction", "nbody"), finding_flavour="numpy",
        kinds=("gil-serialises", "threads-vs-processes"),
        missing=("numpy", "gilbench run --flavour numpy")),
    "numpy/memory-bound": Sweep(
        kinds=("memory-bound",), kernels=("reduction",),
        plots=(("reduction.png", "reduction: every flavour and strategy"),)),
    "numpy/census": lambda: census_table(("numpy",)),
    # -- numba -----------------------------------------------------------------------------
    "numba/measured": Sweep(
        needs=has_flavour("numba"), flavours=("numba", "numba-parallel", "cython-nogil"),
        strategies=("serial", "threads", "processes", "openmp"), kernels=NOGIL_KERNELS,
        kinds=("self-parallel",), finding_flavour="numba-parallel",
        missing=("numba", "pip install -e '.[peers]' && gilbench run --flavour numba")),
    "numba/granularity": Sweep(
        needs=lambda f: f.has_runs(flavour="numba", axis="granularity"),
        kinds=("granularity-crossover",), finding_flavour="numba", limit=1,
        missing=("the task duration numba needs",
                 "gilbench run --axis granularity --flavour numba")),
    # -- standard-library C code -----------------------------------------------------------
    "stdlib/measured": Sweep(
        needs=has_flavour("stdlib"), flavours=("stdlib",),
        kernels=("hashing", "hashing-small"),
        kinds=("threads-vs-processes", "gil-serialises", "memory-bound"),
        finding_flavour="stdlib",
        plots=(("hashing-small.png", "hashing-small: hashlib on small buffers"),),
        missing=("hashlib", "gilbench run --kernel hashing,hashing-small")),
    "stdlib/census": lambda: census_table(
        ("hashlib", "zlib", "bz2", "lzma", "json", "pickle", "re ", "file read")),
    "stdlib/census-findings": lambda: study_findings(
        ("gil-depends-on-input", "gil-census"), "the GIL census", "gil-census",
        alt="the GIL left free by each operation"),
    # -- multiprocessing -------------------------------------------------------------------
    "multiprocessing/calls": Sweep(
        kinds=("breakeven-calls",), kernels=("mandelbrot", "montecarlo-pi"), limit=3,
        plots=(("calls.png", "a cold process pool's time over serial against calls"),)),
    "multiprocessing/components": Sweep(
        needs=has_strategy("pool-map"), kinds=("strategy-overhead", "proxy-cost",
                                               "shared-lock", "start-method"),
        kernels=("mandelbrot", "montecarlo-pi"), limit=5,
        missing=("the multiprocessing components",
                 "gilbench run --strategy pool-map,pipe,manager,shared-array")),
    "multiprocessing/copy": Sweep(
        needs=has_kind("copy-cost"), kinds=("copy-cost", "copy-crossover"),
        kernels=("reduction",), limit=2,
        plots=(("reduction-payload.png", "speedup against bytes shipped per task"),)),
    "multiprocessing/costs": lambda: study_findings(
        ("creation-cost", "memory-per-worker", "hand-off-latency", "shared-counter",
         "crash-isolation"), "start methods, memory and hand-offs", "costs", limit=5,
        alt="start-up, memory and hand-off costs of threads and processes"),
    # -- subinterpreters -------------------------------------------------------------------
    "subinterpreters/measured": Sweep(
        needs=lambda f: has_strategy("subinterpreters")(f) and not f.machine.get(
            "gil", {}).get("free_threaded_build"), flavours=("python", "cython-gil"),
        strategies=("serial", "threads", "subinterpreters", "processes"),
        kernels=("mandelbrot", "montecarlo-pi"), kinds=("subinterpreters",),
        missing=("subinterpreters", "gilbench run --strategy subinterpreters (Python 3.13+)")),
    # -- free-threaded CPython -------------------------------------------------------------
    "free-threaded/measured": Sweep(
        needs=free_threaded, flavours=("python", "cython-gil", "cython-nogil"),
        kernels=("mandelbrot",), kinds=("threads-vs-processes",), finding_flavour="python",
        limit=2, missing=("a free-threaded build", "gilbench run (under python3.13t)")),
    "free-threaded/single-thread": Sweep(
        needs=compared, kinds=("interpreter-comparison",), kernels=("mandelbrot",), limit=2,
        finding_flavour=("python", "cython-nogil"),
        plots=(("compare-mandelbrot.png", "mandelbrot: each interpreter against 3.11"),),
        missing=("interpreters side by side", "gilbench compare DIR DIR")),
    # -- threads for I/O, asyncio ----------------------------------------------------------
    "threads-io/overlap": lambda: study_findings(
        ("io-overlap", "cpu-threads-vs-serial"), "threads and asyncio waiting on I/O",
        "contention", alt="contention study: threads, pinned threads and asyncio"),
    "threads-io/convoy": lambda: study_findings(
        ("convoy-effect", "latency-vs-interval"), "a CPU-bound thread's effect on I/O "
        "latency", "switch-interval", alt="latency of a responsive thread against the "
        "switch interval"),
    "threads-io/to-thread": Sweep(
        needs=has_strategy("asyncio-to-thread"), kinds=("strategy-overhead",),
        contains="Thread strategies", kernels=("mandelbrot", "montecarlo-pi"), limit=2,
        missing=("asyncio.to_thread", "gilbench run --strategy asyncio-to-thread,thread")),
    # -- CPU affinity ----------------------------------------------------------------------
    "affinity/pinning": lambda: study_findings(
        ("pinning", "cpu-threads-vs-serial"), "threads pinned to one core", "contention",
        alt="contention study: threads on every core and pinned to one"),
}
