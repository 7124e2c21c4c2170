"""pytest-benchmark JSON, both ways: a suite's file read as a results document, and a
results document written in pytest-benchmark's schema.

Reading: ``pytest benchmarks --benchmark-only --benchmark-json FILE.json`` records the run
fields in each benchmark's ``extra_info`` (see ``benchmarks/conftest.py``), gilbench's
machine metadata in ``machine_info["gilbench"]`` and the declared traits in the top-level
``"gilbench"`` object; :func:`to_results` turns that into the results schema, so
``gilbench report FILE.json`` renders the same findings as for a sweep.

Writing: :func:`from_results` keeps every repeat as the benchmark's ``stats.data`` (its
statistics computed by pytest-benchmark's own ``Stats``) and the whole run in
``extra_info``, so ``pytest-benchmark compare OUT.json`` lists every run and reading the
file back gives the same findings.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from gilbench.results import SCHEMA, check_run_names, read_json, validate

#: The ``extra_info`` keys without which a benchmark is not a gilbench run.
RUN_FIELDS = ("kernel", "flavour", "strategy", "workers", "size", "chunks")
#: Where gilbench's own metadata goes in a pytest-benchmark file.
GILBENCH_KEY = "gilbench"
#: Run fields that identify a run beyond (flavour, strategy, workers); unset ones are None.
_OPTIONAL_IDENTITY = ("schedule", "start_method", "axis", "axis_value")


def is_pytest_benchmark(doc: Any) -> bool:
    """Whether ``doc`` has pytest-benchmark's shape (a ``benchmarks`` list, no ``runs``)."""
    return isinstance(doc, dict) and isinstance(doc.get("benchmarks"), list) \
        and "runs" not in doc


def suite_settings(profile: str, rounds: int) -> dict[str, Any]:
    """What the benchmark suites record for analysis: the profile, the declared traits of
    every flavour and strategy (roles are chosen from these), and the kernel summaries."""
    from gilbench.axes.registry import axis_reasons
    from gilbench.kernels import KERNELS
    from gilbench.strategies import recorded_traits

    return {"profile": profile, "repeats": rounds, "source": "pytest-benchmark",
            "kernel_summaries": {name: k.summary for name, k in KERNELS.items()},
            **recorded_traits(), "axis_reasons": axis_reasons(list(KERNELS.values()))}


# -- reading ----------------------------------------------------------------------------
def load_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A results document from a results file or folder, or from a pytest-benchmark JSON
    file (converted by :func:`to_results`); ValueError (one line) says what is wrong."""
    p, doc = read_json(path)
    if is_pytest_benchmark(doc):
        return to_results(doc, str(p))
    validate(doc, str(p))
    return doc


def to_results(doc: Mapping[str, Any], where: str = "pytest-benchmark file") -> dict[str, Any]:
    """A results document from a pytest-benchmark JSON document.

    ValueError (one line) when a benchmark lacks the run fields in ``extra_info``: such a
    file was not written by gilbench's suites or by ``gilbench export``.
    """
    from gilbench.harness import NOISY_CV

    benchmarks = doc["benchmarks"]
    if not benchmarks:
        raise ValueError(f"{where}: a pytest-benchmark file with no benchmarks")
    runs = []
    for bench in benchmarks:
        name = bench.get("fullname") or bench.get("name") if isinstance(bench, dict) else None
        extra = bench.get("extra_info") if isinstance(bench, dict) else None
        missing = [f for f in RUN_FIELDS if not isinstance(extra, dict) or f not in extra]
        if missing:
            raise ValueError(
                f"{where}: benchmark {name!r} has no gilbench run field(s) "
                f"{', '.join(missing)} in extra_info (write the file with gilbench's "
                "benchmarks/ suites or 'gilbench export')")
        # Names and counts first: they become file names and report text.
        check_run_names({**dict.fromkeys(_OPTIONAL_IDENTITY), **extra},
                        f"{where}: benchmark {name!r}: extra_info")
        stats = bench.get("stats") or {}
        data = [float(x) for x in stats.get("data") or []]
        mean, stddev = stats.get("mean"), stats.get("stddev")
        cv = stddev / mean if mean and stddev is not None else None
        run: dict[str, Any] = {
            **dict.fromkeys(_OPTIONAL_IDENTITY), "status": "ok", "error": None,
            "wall_s": data, "median_s": stats.get("median"), "min_s": stats.get("min"),
            "iqr_s": stats.get("iqr"), "cv": cv, "noisy": cv is not None and cv > NOISY_CV,
            "cpu_s": None, "startup_s": None, "first_s": None, "gil_availability": None,
            "verified": False,
        }
        run.update(extra)  # what the suite (or gilbench export) recorded wins
        if run.get("utilisation") is None and run["cpu_s"] is not None and run["median_s"]:
            run["utilisation"] = run["cpu_s"] / run["median_s"]
        if "verified" in extra and not extra["verified"] and run["status"] == "ok":
            # The suite records verified=False until the check after the timed call passes.
            run["status"] = "failed"
            run["error"] = run.get("error") or "not verified: the benchmark's check failed"
        runs.append(run)
    machine_info = doc.get("machine_info") or {}
    own = doc.get(GILBENCH_KEY) if isinstance(doc.get(GILBENCH_KEY), dict) else {}
    result = {
        "schema": SCHEMA,
        "created": own.get("created") or doc.get("datetime"),
        "settings": dict(own.get("settings") or {"source": "pytest-benchmark"}),
        "machine": dict(machine_info.get(GILBENCH_KEY) or _machine_from(machine_info, doc)),
        "runs": runs,
    }
    validate(result, where)
    return result


def _machine_from(machine_info: Mapping[str, Any], doc: Mapping[str, Any]) -> dict[str, Any]:
    """The gilbench machine fields pytest-benchmark's own ``machine_info`` can fill."""
    cpu = machine_info.get("cpu") or {}
    commit = doc.get("commit_info") or {}
    return {"hostname": machine_info.get("node"),
            "platform": "-".join(str(machine_info.get(k) or "")
                                 for k in ("system", "release", "machine")).strip("-"),
            "cpu_model": cpu.get("brand_raw"), "cpu_count": cpu.get("count"),
            "usable_cores": cpu.get("count"),
            "python_implementation": machine_info.get("python_implementation"),
            "versions": {"python": machine_info.get("python_version")},
            "git_commit": (commit.get("id") or "")[:7] or None}


# -- writing ----------------------------------------------------------------------------
def benchmark_name(run: Mapping[str, Any]) -> tuple[str, str]:
    """(name, param) of a run, like the suites' ``test_mandelbrot[cython-nogil-threads-2]``
    plus whatever else tells runs of a sweep apart (size, chunks, schedule, axis...)."""
    param = f"{run['flavour']}-{run['strategy']}-{run['workers']}"
    param += "".join(f"-{f}={run[f]}" for f in ("size", "chunks", *_OPTIONAL_IDENTITY)
                     if run.get(f) is not None)
    return f"{run['kernel']}[{param}]", param


def from_results(doc: Mapping[str, Any]) -> tuple[dict[str, Any], list[Mapping[str, Any]]]:
    """(pytest-benchmark document, the runs left out): failed runs have no timings, and
    pytest-benchmark has no way to show a benchmark without them.

    Needs pytest-benchmark (its ``Stats`` computes the statistics it expects); ValueError
    says how to install it otherwise.
    """
    try:
        import pytest_benchmark
        from pytest_benchmark.stats import Stats
    except ImportError:
        raise ValueError("writing pytest-benchmark JSON needs pytest-benchmark: "
                         "pip install pytest-benchmark") from None
    machine = doc.get("machine", {})
    settings = doc.get("settings", {})
    benchmarks, left_out = [], []
    for run in doc["runs"]:
        wall = [float(x) for x in run.get("wall_s") or [] if x is not None
                and math.isfinite(x)]
        if run.get("status", "ok") != "ok" or not wall:
            left_out.append(run)
            continue
        stats = Stats()
        for seconds in wall:
            stats.update(seconds)
        name, param = benchmark_name(run)
        benchmarks.append({
            "group": run["kernel"],
            "name": name,
            "fullname": f"gilbench::{name}",
            "params": {k: run[k] for k in ("flavour", "strategy", "workers")},
            "param": param,
            "extra_info": {k: v for k, v in run.items() if k != "wall_s"},
            "options": {"disable_gc": False, "timer": "perf_counter",
                        "min_rounds": len(wall), "max_time": None, "min_time": None,
                        "warmup": run.get("warmup", 0) > 0},
            "stats": {**stats.as_dict(), "data": wall, "iterations": 1},
        })
    versions = machine.get("versions") or {}
    machine_info = {
        "node": machine.get("hostname"), "processor": machine.get("cpu_model"),
        "machine": (machine.get("platform") or "").split("-")[-1] or None,
        "python_implementation": machine.get("python_implementation"),
        "python_version": versions.get("python"), "system": None, "release": None,
        "cpu": {"brand_raw": machine.get("cpu_model"), "count": machine.get("cpu_count")},
        GILBENCH_KEY: dict(machine),
    }
    out = {
        "machine_info": machine_info,
        "commit_info": {"id": machine.get("git_commit"), "time": None, "author_time": None,
                        "dirty": None, "project": "gilbench", "branch": None},
        "benchmarks": benchmarks,
        "datetime": doc.get("created"),
        "version": pytest_benchmark.__version__,
        GILBENCH_KEY: {"schema": doc.get("schema"), "created": doc.get("created"),
                       "settings": dict(settings)},
    }
    return out, left_out


__all__ = ["GILBENCH_KEY", "RUN_FIELDS", "benchmark_name", "from_results",
           "is_pytest_benchmark", "load_document", "suite_settings", "to_results"]
