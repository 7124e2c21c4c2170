"""The studies' outputs: ``NAME.json`` per study, then ``findings.json``, ``studies.md``,
``studies.html`` and the PNG plots, rendered from every study result in a folder."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from gilbench.analysis import FINDINGS_NAME, Finding, write_findings
from gilbench.report.html import render_html
from gilbench.report.markdown import brief, machine_lines, table_cell
from gilbench.results import check_name, write_atomic
from gilbench.studies.base import STUDIES, StudyResult

REPORT_NAME = "studies.md"
HTML_NAME = "studies.html"


def result_path(out_dir: str | os.PathLike[str], study: str) -> Path:
    """Where the results of ``study`` live inside ``out_dir``."""
    return Path(out_dir) / f"{study}.json"


def write_result(result: StudyResult, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``NAME.json`` atomically; returns its path."""
    path = result_path(out_dir, result.study)
    write_atomic(path, result.to_document())
    return path


def load_result(path: str | os.PathLike[str]) -> StudyResult:
    """Read one ``NAME.json``; ValueError says what is wrong."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except FileNotFoundError:
        raise ValueError(f"no study results at {str(p)!r}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read study results {str(p)!r}: {exc}") from None
    result = StudyResult.from_document(doc, str(p))
    # Names pick the study that renders the file and appear in the report: a file from
    # another machine is refused here when they are not names registration would allow.
    check_name(result.study, f"{p}: 'study'")
    check_name(result.preset, f"{p}: 'preset'")
    return result


def load_folder(out_dir: str | os.PathLike[str]) -> list[StudyResult]:
    """Every registered study's results found in ``out_dir``, in registry order; ValueError
    when a ``NAME.json`` holds another study's results."""
    out = []
    for name in STUDIES:
        path = result_path(out_dir, name)
        if path.is_file():
            result = load_result(path)
            if result.study != name:
                raise ValueError(f"{path}: holds the results of study {result.study!r}, "
                                 f"not {name!r}")
            out.append(result)
    return out


def render_studies(out_dir: str | os.PathLike[str], *, plots: bool = True) -> Path:
    """Write findings.json, studies.md and studies.html (plus PNGs) for every study
    result in ``out_dir``, including those of earlier invocations; returns the .md path."""
    out = Path(out_dir)
    results = load_folder(out)
    sections: list[str] = []
    everything: list[Finding] = []
    glance: list[tuple[str, Finding]] = []
    for result in results:
        study = STUDIES[result.study]
        findings = study.findings(result)
        images = study.plot(result, out) if plots else []
        everything += findings
        glance += [(study.title, f) for f in findings if f.headline]
        sections += study.markdown(result, findings, images)
    write_findings(out / FINDINGS_NAME, everything,
                   # relative to the folder, so that the file reads the same anywhere
                   {"studies": [result_path(out, r.study).name for r in results],
                    "created": max((r.created for r in results), default=None)})
    text = "\n".join(_header(results) + _glance(glance) + sections + [HOW_TO_READ])
    path = out / REPORT_NAME
    path.write_text(text)
    (out / HTML_NAME).write_text(render_html(text, out, title="gilbench studies"))
    return path


def _header(results: Sequence[StudyResult]) -> list[str]:
    out = ["# gilbench studies", "",
           "Each claim of the tutorial, measured on this machine. Every sentence below is "
           "computed from the measurements (`findings.json` holds each one with its "
           "figures).", ""]
    if not results:
        return out + ["No study results in this folder yet: run `gilbench study all`.", ""]
    newest = max(results, key=lambda r: r.created)
    out += ["| | |", "|---|---|"]
    out += [f"| {k} | {table_cell(v)} |" for k, v in machine_lines(newest.machine, None, {})]
    out += [f"| Study `{r.study}` | {r.created}, {r.elapsed_s:.0f} s, {r.preset} settings |"
            for r in results]
    return out + [""]


def _glance(rows: Sequence[tuple[str, Finding]]) -> list[str]:
    if not rows:
        return []
    out = ["## At a glance", "", "| study | measured | verdict | in numbers |",
           "|---|---|---|---|"]
    out += [f"| {title} | {f.kind} | {f.verdict or '-'} | {brief(f.sentence)} |"
            for title, f in rows]
    return out + [""]


HOW_TO_READ = """\
## How these were measured
- Times are wall-clock (`time.perf_counter`). Medians, with p99 where a tail matters
  (latencies); with fewer than 100 samples p99 is close to the maximum, and `n` says how
  many there were.
- Worker creation, memory and crash isolation run in a fresh, minimal interpreter
  (`python -I`, standard library and psutil only), so they show what a worker costs at
  least; a parent that imported more makes `spawn` and `forkserver` children import more.
- Memory: USS is what only that process maps (freed when it exits); PSS adds its share of
  pages it shares with others. A thread's cost is what it adds to its process's USS.
- "GIL free" is the GIL probe's reading: how much a pure-Python ticker thread got to run
  while the operation ran, 1 when it released the GIL, 0 when it held it (time the probe
  waited for a CPU is discounted).
- Studies on a busy machine read noisier; figures are this machine's, on this day.
"""
