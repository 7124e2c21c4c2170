"""``gilbench study`` (its arguments are in :mod:`gilbench.cli`): list, run and summarise
studies on the terminal.

Exit codes: 0 success; 1 a study failed (the others are kept); 2 bad input (raised as
:class:`BadStudyInput`, which the CLI prints as one line); 130 Ctrl-C; 143 SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from rich.console import Console
from rich.table import Table as RichTable

from gilbench import interrupts
from gilbench.outdir import check_folder
from gilbench.studies.base import STUDIES, StudyResult
from gilbench.studies.runner import resolve_names, run_studies, total_steps

EXIT_FAILED = 1


class BadStudyInput(ValueError):
    """Bad ``gilbench study`` input: one line, exit code 2."""


def study_command(args: argparse.Namespace, console: Console,
                  make_progress: Callable[[Console], object]) -> int:
    """Run ``gilbench study`` with parsed ``args``; returns the exit code."""
    if args.list:
        list_studies(console)
        return 0
    preset = "tiny" if args.tiny else "default"
    try:
        names = resolve_names(args.names)
        check_folder(args.out)
    except ValueError as exc:
        raise BadStudyInput(str(exc)) from None
    err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
    if not args.quiet:
        err.print(f"gilbench: studies {', '.join(names)} ({preset} settings), "
                  f"results in {args.out}/")
    progress = None if args.quiet else make_progress(err)
    try:
        if progress is None:
            outcome = run_studies(names, args.out, preset=preset,
                                  plots=not args.no_plots)
        else:
            with progress:
                task = progress.add_task("studies", total=total_steps(names, preset))

                def advance(what: str) -> None:
                    progress.update(task, advance=1, refresh=True, description=what)

                outcome = run_studies(names, args.out, preset=preset,
                                      plots=not args.no_plots, progress=advance)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (gilbench.interrupts)
        stopped = "terminated" if isinstance(exc, interrupts.Terminated) else "interrupted"
        err.print(f"gilbench: {stopped}; finished studies are in {args.out}/")
        return interrupts.exit_code(exc)
    if args.quiet:
        print(outcome.report)
    else:
        for result in outcome.results:
            print_study(console, result)
        err.print(f"gilbench: report {outcome.report} (and studies.html, findings.json)")
    for name, reason in outcome.failures:
        err.print(f"gilbench: error: study {name} failed: {reason}", style="red")
    return EXIT_FAILED if outcome.failures else 0


def list_studies(console: Console) -> None:
    """The studies, what each measures and the tutorial's claim it tests."""
    table = RichTable(title="Studies (gilbench study NAME | all)", title_justify="left")
    for col in ("study", "measures", "the tutorial's claim"):
        table.add_column(col)
    for study in STUDIES.values():
        table.add_row(study.name, study.title, study.claim)
    console.print(table)


def print_study(console: Console, result: StudyResult) -> None:
    """One study on the terminal: its findings, then its first table."""
    study = STUDIES[result.study]
    console.print(f"[bold]{study.title}[/bold] ({result.elapsed_s:.1f} s)", highlight=False)
    for finding in study.findings(result):
        console.print(f"  • {finding.sentence}", highlight=False)
    tables = study.tables(result)
    if tables:
        first = tables[0]
        table = RichTable(title=first.title or None, title_justify="left")
        for col in first.header:
            table.add_column(col)
        for row in first.rows:
            table.add_row(*row)
        console.print(table)
