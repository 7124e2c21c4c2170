"""Running studies: validate the request, measure each study, keep every finished one.

A study that fails is recorded with its reason and the others go on; Ctrl-C and SIGTERM
stop the current study (its threads and processes are ended on the way out) and leave the
finished ones on disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gilbench.outdir import check_folder
from gilbench.studies.base import PRESETS, STUDIES, Progress, StudyResult, get_study
from gilbench.studies.report import render_studies, write_result

ALL = "all"


def resolve_names(names: Sequence[str]) -> list[str]:
    """Study names in registry order, ``all`` meaning every one; ValueError on an unknown
    name (listing the valid ones) or on none at all."""
    if not names:
        raise ValueError(f"name a study, or {ALL}; valid choices: {', '.join(STUDIES)}")
    chosen: set[str] = set()
    for name in names:
        if name == ALL:
            chosen.update(STUDIES)
            continue
        try:
            chosen.add(get_study(name).name)
        except ValueError:
            raise ValueError(f"unknown study {name!r}; valid choices: "
                             f"{', '.join([*STUDIES, ALL])}") from None
    return [name for name in STUDIES if name in chosen]


@dataclass
class StudiesOutcome:
    """What a call to :func:`run_studies` produced."""

    out_dir: Path
    results: list[StudyResult] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    report: Path | None = None


def total_steps(names: Sequence[str], preset: str) -> int:
    """How many progress steps the studies ``names`` take with ``preset``."""
    return sum(STUDIES[n].steps(STUDIES[n].settings(preset)) for n in names)


def run_studies(names: Sequence[str], out_dir: str | os.PathLike[str], *,
                preset: str = "default", plots: bool = True, progress: Progress | None = None,
                on_study: Callable[[StudyResult], None] | None = None) -> StudiesOutcome:
    """Run the studies ``names`` (see :func:`resolve_names`), write ``NAME.json`` after
    each, then render the report of every study result in ``out_dir``.

    A study that fails (:class:`StudyError`, or any other exception) is recorded in
    ``failures`` with its reason and the others still run; Ctrl-C (and SIGTERM, inside
    :func:`sigterm_raises`) propagates after the finished studies are on disk.
    """
    from gilbench.machine import collect_machine_metadata

    names = resolve_names(names)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; valid choices: {', '.join(PRESETS)}")
    out = check_folder(out_dir)
    outcome = StudiesOutcome(out)
    machine = collect_machine_metadata()
    for name in names:
        try:
            result = STUDIES[name].run(preset, progress, machine=machine)
        except Exception as exc:  # noqa: BLE001 - a failing study must not lose the others
            outcome.failures.append((name, f"{type(exc).__name__}: {exc}"))
            continue
        write_result(result, out)
        outcome.results.append(result)
        if on_study:
            on_study(result)
    outcome.report = render_studies(out, plots=plots)
    return outcome
