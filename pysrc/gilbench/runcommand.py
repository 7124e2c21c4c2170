"""``gilbench run`` (its arguments are in :mod:`gilbench.cli`): plan the sweep, claim the
output folder, resume or run it with a progress bar, then write the report and summarise.

Exit codes: 0 success; 1 a run failed (finished runs are kept); 2 bad input (raised as
:class:`BadRunInput`, which the CLI prints as one line); 130 Ctrl-C; 143 SIGTERM or SIGHUP.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from gilbench import interrupts, outdir
from gilbench.limits import check_sweep
from gilbench.plan import Plan, build_plan
from gilbench.strategies import DEFAULT_TIMEOUT_S
from gilbench.terminal import make_progress, say, skipped_lines

if TYPE_CHECKING:
    from gilbench.harness import Measurement
    from gilbench.resume import Resumption

__all__ = ["DEFAULT_OUT", "EXIT_FAILED", "SWEEP_DEFAULTS", "BadRunInput", "print_summary",
           "run_command"]

EXIT_FAILED = 1
#: Where ``gilbench run`` writes unless ``--out`` says otherwise.
DEFAULT_OUT = "gilbench-results"
#: The options that describe a sweep (argparse ``dest`` -> default): resuming with any of
#: them changed checks them against the recorded sweep (the parser declares these defaults).
SWEEP_DEFAULTS: Mapping[str, Any] = {
    "profile": "quick", "kernel": None, "flavour": None, "strategy": None, "workers": None,
    "size": None, "chunks": None, "schedule": None, "start_method": None, "repeat": None,
    "timeout": int(DEFAULT_TIMEOUT_S), "axis": None, "seed": 0, "scheduler": None}


class BadRunInput(ValueError):
    """Bad ``gilbench run`` input: one line, exit code 2."""


def run_command(args: argparse.Namespace, console: Console) -> int:
    """Run ``gilbench run`` with parsed ``args``; returns the exit code."""
    if args.scheduler is None:
        return _run(args, console)
    from gilbench.strategies.dask_cluster import check_scheduler, use_scheduler

    reason = check_scheduler(args.scheduler)
    if reason:
        raise BadRunInput(f"--scheduler {args.scheduler}: {reason}")
    with use_scheduler(args.scheduler):
        return _run(args, console)


def _flatten(lists: list[list] | None) -> list:
    return [x for sub in lists or [] for x in sub]


def _run(args: argparse.Namespace, console: Console) -> int:
    try:
        plan = build_plan(
            args.profile, kernels=_flatten(args.kernel), flavours=_flatten(args.flavour),
            strategies=_flatten(args.strategy), workers=_flatten(args.workers),
            sizes=_flatten(args.size), chunks=_flatten(args.chunks),
            schedules=_flatten(args.schedule), start_methods=_flatten(args.start_method),
            axes=_flatten(args.axis) or None)
        check_sweep(args.repeat, args.timeout, args.seed)
        resumption = _resumption(args, plan) if args.resume else None
    except (ValueError, TypeError) as exc:
        raise BadRunInput(str(exc)) from None
    if resumption is not None:
        plan = resumption.plan
    if not plan.specs:
        reasons = "; ".join(list(dict.fromkeys(
            f"{what}: {why}" for what, why in plan.skipped + plan.not_applicable))[:3])
        raise BadRunInput("nothing to run with these filters" +
                          (f" ({reasons})" if reasons else ""))
    if args.dry_run:  # before the output folder is claimed: nothing moves, nothing runs
        from gilbench.dryrun import print_dry_run

        # Resuming: only what is left to run.
        print_dry_run(console, plan if resumption is None
                      else replace(plan, specs=list(resumption.remaining)), args.out,
                      repeats=args.repeat)
        return 0
    err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
    try:  # only now that the input is good: claiming sets the previous sweep aside
        # (unless resuming: that sweep goes on in its folder)
        lock, previous = outdir.claim(args.out, keep_previous=resumption is None)
    except outdir.FolderError as exc:
        raise BadRunInput(str(exc)) from None
    if previous is not None:
        err.print(f"gilbench: {args.out}/ held an earlier sweep; its files are now in "
                  f"{previous}/", soft_wrap=True)
    with lock:
        if resumption is not None:  # reread under the lock: nothing ran there meanwhile
            try:
                resumption = _resumption(args, plan)
            except ValueError as exc:
                raise BadRunInput(str(exc)) from None
        return _run_plan(args, plan, console, err, resumption)


def _resumption(args: argparse.Namespace, plan: Plan) -> Resumption:
    """The sweep ``--resume DIR`` continues; ResumeError (a ValueError) says why not.

    Sweep options on the command line must describe the recorded sweep; without any, the
    recorded plan and settings apply.
    """
    from gilbench.resume import ResumeError, open_sweep

    if args.out not in (DEFAULT_OUT, args.resume):
        raise ResumeError(f"--resume continues the sweep in {args.resume}; --out "
                          f"{args.out} names another folder")
    args.out = args.resume
    named = any(getattr(args, k) != v for k, v in SWEEP_DEFAULTS.items())
    if not named:
        return open_sweep(args.resume)
    return open_sweep(args.resume, plan=plan, settings={
        "profile": plan.profile.name, "seed": args.seed, "timeout_s": args.timeout,
        "repeats": plan.profile.repeats if args.repeat is None else args.repeat})


def _run_plan(args: argparse.Namespace, plan: Plan, console: Console, err: Console,
              resumption: Resumption | None = None) -> int:
    """Run the sweep into the claimed output folder, then write the report."""
    from gilbench.analysis import FINDINGS_NAME
    from gilbench.report import render_report
    from gilbench.results import load_results
    from gilbench.sweep import run_sweep

    if not args.quiet:
        _announce(args, plan, err, resumption)
    progress = None if args.quiet else make_progress(err)
    try:
        if progress is None:
            outcome = run_sweep(plan, args.out, repeats=args.repeat, seed=args.seed,
                                timeout=args.timeout, resume=resumption)
        else:
            with progress:
                on_run = _progress_updater(progress, plan, resumption)
                outcome = run_sweep(plan, args.out, repeats=args.repeat, seed=args.seed,
                                    timeout=args.timeout, on_run=on_run, resume=resumption)
    except KeyboardInterrupt as exc:
        say(err, f"gilbench: interrupted; finished runs are in {args.out}/results.json")
        return interrupts.exit_code(exc)
    doc = load_results(outcome.path)
    report = render_report(doc, args.out, plots=not args.no_plots, source=str(outcome.path))
    if not args.quiet:
        print_summary(console, doc, report.parent, verbose=getattr(args, "verbose", False))
        err.print(f"gilbench: {len(outcome.measurements)} runs in {outcome.elapsed_s:.1f} s; "
                  f"results {outcome.path}; findings {report.parent / FINDINGS_NAME}; "
                  f"report {report}")
    else:
        print(report)
    for failure in outcome.failures:
        err.print(f"gilbench: error: {failure}", style="red")
    failed_before = _report_failures_before_resuming(err, resumption)
    return EXIT_FAILED if outcome.failures or failed_before else 0


def _announce(args: argparse.Namespace, plan: Plan, err: Console,
              resumption: Resumption | None) -> None:
    """Say what is about to run (or what is left, when resuming) and what was left out."""
    if resumption is not None:
        err.print(f"gilbench: resuming {args.out}/: {resumption.finished} of "
                  f"{len(plan.specs)} runs are recorded and kept, "
                  f"{len(resumption.remaining)} to run")
        return
    err.print(f"gilbench: {len(plan.specs)} runs, profile {plan.profile.name}, "
              f"results in {args.out}/ ({len(plan.not_applicable)} kernel x flavour "
              "pairs are not applicable: gilbench list says why)")
    for line in skipped_lines(plan.skipped):
        err.print(line, style="yellow", highlight=False, markup=False)
    if plan.baselines:
        err.print(f"  added {len(plan.baselines)} baseline run(s) that speedups are "
                  "measured against (serial, or 1 OpenMP thread)")


def _report_failures_before_resuming(err: Console, resumption: Resumption | None) -> bool:
    """Print the runs that failed before the sweep was resumed; whether there were any (a
    resumed sweep is one sweep: those failures count too)."""
    if resumption is None:
        return False
    from gilbench.analysis import run_id

    earlier = [r for r in resumption.document["runs"][:resumption.finished]
               if r.get("status") != "ok"]
    for run in earlier:
        err.print(f"gilbench: error: run {run_id(run)} failed before resuming: "
                  f"{run.get('error')}", style="red")
    return bool(earlier)


def _progress_updater(progress, plan: Plan, resumption: Resumption | None):
    """A task on ``progress`` and the ``on_run`` callback that advances it, with an ETA
    learned from the runs finished so far (recorded ones too, when resuming)."""
    import time

    from gilbench.eta import RunTimes

    times = RunTimes()
    todo = list(plan.specs if resumption is None else resumption.remaining)
    done = 0 if resumption is None else resumption.finished
    if resumption is not None:
        times.observe_recorded(resumption.document["runs"])
    task = progress.add_task("measuring", total=len(plan.specs), completed=done,
                             eta=times.remaining_s(todo))
    state = {"last": time.perf_counter(), "left": todo}

    def on_run(i: int, n: int, m: Measurement) -> None:
        now = time.perf_counter()
        # A failed run records no elapsed_s: the time since the last one stands in.
        times.observe(m.spec, m.elapsed_s if m.elapsed_s is not None else now - state["last"])
        state["last"] = now
        state["left"] = state["left"][1:]
        progress.update(task, advance=1, refresh=True, description=_one_line(m),
                        eta=times.remaining_s(state["left"]))

    return on_run


def _one_line(m: Measurement) -> str:
    if m.status != "ok":
        return f"[red]FAILED[/red] {m.kernel}/{m.flavour}/{m.strategy} x{m.workers}"
    point = f" [{m.axis} {m.axis_value}]" if m.axis and m.axis_value is not None else ""
    return (f"{m.kernel}/{m.flavour}/{m.strategy} x{m.workers}{point}: "
            f"{m.median_s * 1e3:.1f} ms")


def print_summary(console: Console, doc: dict, findings_dir, *, verbose: bool = False) -> None:
    """The terminal's view of a sweep, read back from the findings.json the report was
    rendered from (so the two cannot differ): with ``verbose``, per kernel the run table
    and the findings; then, last so that it is what stays on screen, the answer: "At a
    glance" and the rules of thumb."""
    from gilbench.analysis import analyse, load_findings
    from gilbench.report.markdown import TABLE_HEADER, glance_rows, row_cells
    from gilbench.report.rules import rules_rows

    findings = load_findings(findings_dir)
    analysis = analyse(doc, kinds=())
    if verbose:
        for view in analysis.kernels:
            _kernel_table(console, view, [f for f in findings if f.kernel == view.kernel],
                          TABLE_HEADER, row_cells)
    analysis.findings = list(findings)  # the glance and the rules read these
    answer = Table(title="At a glance: GIL-free threads against warm processes "
                         "(workers = usable cores)", title_justify="left")
    for col in ("kernel", "verdict", "why"):
        answer.add_column(col)
    for kernel, verdict, why in glance_rows(analysis):
        answer.add_row(kernel, verdict, why)
    if answer.row_count:
        console.print(answer)
    rules = Table(title="Rules of thumb on this machine", title_justify="left")
    for col in ("condition", "on this machine", "rule of thumb"):
        rules.add_column(col)
    for condition, measured, rule, _ in rules_rows(analysis):
        rules.add_row(condition, measured, rule.replace("`", ""))
    if rules.row_count:
        console.print(rules)


def _kernel_table(console: Console, view, mine, header, row_cells) -> None:
    """One kernel's run table and its findings (``--verbose``)."""
    from gilbench.analysis import VERDICT_TEXT
    from gilbench.report.markdown import finding_lines

    rows = view.main_rows()
    table = Table(title=view.kernel, title_justify="left")
    with_gbs = any(r.gbs for r in rows)
    for col in header + (["GB/s"] if with_gbs else []):
        table.add_column(col, justify="left" if col in ("flavour", "strategy") else "right")
    for r in rows:
        table.add_row(*row_cells(r, with_gbs))
    console.print(table)
    for f, line in zip(mine, finding_lines(mine), strict=True):
        mark = f"[bold]{VERDICT_TEXT.get(f.verdict, f.verdict)}:[/bold] " if f.headline else ""
        console.print(f"  • {mark}{line}", highlight=False)
